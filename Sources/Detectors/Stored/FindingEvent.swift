/// One step of a finding's lifecycle, as history keeps it.
public struct FindingEvent: Sendable, Equatable, Codable {
    public enum Change: String, Sendable, Codable {
        case opened, changed, resolved
    }

    public var atSeconds: Double
    public var change: Change
    public var episodeID: Int64
    public var finding: Finding

    public init(atSeconds: Double, change: Change, episodeID: Int64, finding: Finding) {
        self.atSeconds = atSeconds
        self.change = change
        self.episodeID = episodeID
        self.finding = finding
    }
}
