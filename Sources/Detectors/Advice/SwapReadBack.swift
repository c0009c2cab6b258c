/// How much a workload read back from swap over the last few minutes, from a cumulative counter.
///
/// One entry per minute, so the state stays small (ten entries for the default ten minutes) and survives restarts.
public struct SwapReadBack: Sendable, Equatable, Codable {
    public struct Minute: Sendable, Equatable, Codable {
        public var index: Int64
        public var bytes: UInt64
    }

    /// The counter's last value, in bytes (swap-ins times the page size).
    public var lastCounterBytes: UInt64?
    /// Oldest first.
    public var minutes: [Minute] = []

    public init() {}

    /// Adds the counter's new value at `atSeconds`; a counter that went back (a restarted workload) starts again.
    public mutating func record(counterBytes: UInt64?, atSeconds: Double, windowSeconds: Double) {
        defer { self.lastCounterBytes = counterBytes }
        let minute = Int64((atSeconds / 60).rounded(.down))
        self.minutes.removeAll { Double($0.index + 1) * 60 <= atSeconds - windowSeconds }
        guard let counterBytes, let last = self.lastCounterBytes, counterBytes > last else { return }
        let delta = counterBytes - last
        if let end = self.minutes.indices.last, self.minutes[end].index == minute {
            self.minutes[end].bytes += delta
        } else if self.minutes.last.map({ $0.index < minute }) ?? true {
            self.minutes.append(Minute(index: minute, bytes: delta))
        }
    }

    /// Moves what was read back in minutes after `atSeconds` into its minute: the wall clock was stepped back, and
    /// ``record(counterBytes:atSeconds:windowSeconds:)`` only appends later minutes.
    public mutating func rewind(to atSeconds: Double) {
        let minute = Int64((atSeconds / 60).rounded(.down))
        guard let end = self.minutes.last, end.index > minute else { return }
        let later = self.minutes.filter { $0.index >= minute }.reduce(0) { $0 + $1.bytes }
        self.minutes.removeAll { $0.index >= minute }
        self.minutes.append(Minute(index: minute, bytes: later))
    }

    /// Moves every minute `minutes` later: the wall clock was stepped forward, and the minutes read back before it
    /// are still within the window by the time that passed.
    public mutating func shift(byMinutes minutes: Int64) {
        for index in self.minutes.indices { self.minutes[index].index += minutes }
    }

    /// Bytes read back within the window.
    public var totalBytes: UInt64 { self.minutes.reduce(0) { $0 + $1.bytes } }
}
