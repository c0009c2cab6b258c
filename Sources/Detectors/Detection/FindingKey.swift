/// The identity of a finding across windows.
public struct FindingKey: Sendable, Hashable, Codable {
    public var group: String
    public var server: String?
    public var kind: Finding.Kind

    public init(group: String, server: String?, kind: Finding.Kind) {
        self.group = group
        self.server = server
        self.kind = kind
    }
}
