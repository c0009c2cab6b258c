/// One finding from the window that opened it to the one that resolved it: what a post-mortem report is about.
public struct Episode: Sendable, Equatable, Codable {
    public var id: Int64
    public var group: String
    /// `nil` for a group-wide slowdown.
    public var server: String?
    public var kind: Finding.Kind
    /// End of the window that opened it (Unix seconds); the finding's own `sinceSeconds` is when its first slow
    /// window began.
    public var openedAtSeconds: Double
    /// End of the window that resolved it; `nil` while open.
    public var resolvedAtSeconds: Double?
    /// The finding as last seen (its ratio, causes and evidence).
    public var finding: Finding

    public init(id: Int64, group: String, server: String?, kind: Finding.Kind, openedAtSeconds: Double,
                resolvedAtSeconds: Double?, finding: Finding) {
        self.id = id
        self.group = group
        self.server = server
        self.kind = kind
        self.openedAtSeconds = openedAtSeconds
        self.resolvedAtSeconds = resolvedAtSeconds
        self.finding = finding
    }
}
