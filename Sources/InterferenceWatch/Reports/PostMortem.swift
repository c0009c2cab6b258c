import Detectors

/// A post-mortem of one episode (or a time range) of one group: everything a report shows, in the order it shows it.
/// Built from history by ``PostMortemBuilder``; rendered as HTML, Markdown and JSON under `Exposition/Reports`.
struct PostMortem: Sendable, Encodable {
    struct Summary: Sendable, Encodable {
        var group: String
        /// The servers of the group; `flagged` are those the findings named.
        var servers: [String]
        var flagged: [String]
        var kind: String?
        var startedAtSeconds: Double?
        var endedAtSeconds: Double?
        /// From the first slow window's start to the window that opened the finding.
        var timeToDetectionSeconds: Double?
        /// The finding's ratio: slower than peers (imbalance) or than its own baseline (slowdown).
        var ratio: Double?
        /// Largest slowdown against the servers' own baselines seen in the range.
        var slowdownRatio: Double?
        /// One sentence on the top cause.
        var topCause: String
    }

    struct TimelineEntry: Sendable, Encodable {
        enum Kind: String, Sendable, Encodable { case finding, balloon, neighbour, alert }
        var atSeconds: Double
        var kind: Kind
        var text: String
    }

    struct Series: Sendable, Encodable {
        var name: String
        /// `[time, value]`, time in Unix seconds.
        var points: [[Double]]
    }

    struct Chart: Sendable, Encodable {
        var id: String
        var title: String
        /// `seconds`, `bytes`, `bytes/s`, `ratio`, `per second`.
        var unit: String
        var series: [Series]
    }

    struct ExplainedCause: Sendable, Encodable {
        var signal: String
        var scope: String
        var subject: String?
        var beforeValue: Double?
        var duringValue: Double
        var correlation: Double?
        var summary: String
        /// What the signal means, in plain words.
        var meaning: String
    }

    struct Advice: Sendable, Encodable {
        /// The host's RAM (MemTotal).
        var installedBytes: UInt64
        /// Peak of used + swapped + ballooned memory in the range, and when.
        var peakDemandBytes: UInt64
        var peakAtSeconds: Double
        /// What the advice recommends from the range alone (its workloads' demand plus the margin, whole GiB).
        var recommendedBytes: UInt64
        var shortfallBytes: UInt64
        /// The workloads' demand in the range, swap counted as far as it was read back.
        var demandBytes: UInt64
    }

    var generatedAtSeconds: Double
    var title: String
    var fromSeconds: Double
    var toSeconds: Double
    var episode: Episode?
    var summary: Summary
    var timeline: [TimelineEntry]
    var charts: [Chart]
    var causes: [ExplainedCause]
    var advice: Advice?
}
