/// How one collector fared in a sweep.
struct CollectorStatus: Sendable, Equatable {
    var name: String
    var durationSeconds: Double
    /// False when the collector threw or any file it read was malformed.
    var success: Bool
    /// Errors since the daemon started (thrown errors plus malformed lines).
    var errorsTotal: UInt64
    /// Things that vanished while being collected since the daemon started (normal churn, not errors); `nil` for
    /// collectors that follow nothing that can vanish.
    var vanishedTotal: UInt64? = nil
}
