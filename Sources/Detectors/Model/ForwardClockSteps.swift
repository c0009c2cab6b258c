/// The forward steps of the wall clock that things still kept were stored across, so that their age is the time that
/// really passed since, not their wall-clock distance from now.
///
/// A row (or sample) stamped before a step forward of `S` seconds is `S` seconds younger than the wall clock makes it.
/// Ages are compared with a limit by turning the limit into a wall-clock cutoff (``cutoff(ageSeconds:nowSeconds:)``):
/// one number, so a store still deletes "everything before" it with one range query. A step stops mattering once
/// everything stored before it is older than any limit asked about (``forget(before:)``). Steps back need no
/// allowance: what was stored before one only looks younger, and is kept that much longer.
public struct ForwardClockSteps: Sendable, Equatable, Codable {
    public struct Step: Sendable, Equatable, Codable {
        /// The wall-clock time just after the step: everything stamped before it was stamped before the step.
        public var atSeconds: Double
        /// How far the clock jumped (positive).
        public var seconds: Double

        public init(atSeconds: Double, seconds: Double) {
            self.atSeconds = atSeconds
            self.seconds = seconds
        }
    }

    /// Oldest first.
    public private(set) var steps: [Step]

    public init(steps: [Step] = []) {
        self.steps = steps.filter { $0.seconds > 0 }.sorted { $0.atSeconds < $1.atSeconds }
    }

    public var isEmpty: Bool { self.steps.isEmpty }

    /// Records a step seen at `atSeconds` (the new wall-clock time); a step back is left out (see the type's notes).
    public mutating func record(_ step: ClockStep, atSeconds: Double) {
        guard step.direction == .forward else { return }
        // A step back since may have left later steps in a time line the clock has left: they are kept, and only
        // make what was stored before them last longer.
        let index = self.steps.firstIndex { $0.atSeconds > atSeconds } ?? self.steps.endIndex
        self.steps.insert(Step(atSeconds: atSeconds, seconds: step.seconds), at: index)
    }

    /// The wall-clock time before which what was stamped is more than `ageSeconds` old by the time that passed.
    ///
    /// Walks back from now: a stamp at or after the latest step is as old as the wall clock says; one before it is
    /// that step younger, and so on. No stamp lies inside a step's skipped span, so the cutoff is exact.
    public func cutoff(ageSeconds: Double, nowSeconds: Double) -> Double {
        var cutoff = nowSeconds - ageSeconds
        for step in self.steps.reversed() {
            if cutoff >= step.atSeconds { break }
            cutoff -= step.seconds
        }
        return cutoff
    }

    /// Forgets the steps after `seconds`: the clock was stepped back before them, and what was stamped after them
    /// is gone with the time line it belonged to.
    public mutating func forget(after seconds: Double) {
        self.steps.removeAll { $0.atSeconds > seconds }
    }

    /// Forgets the steps at or before `cutoff`: once what was stamped before a step is gone, the step changes no age.
    public mutating func forget(before cutoff: Double) {
        self.steps.removeAll { $0.atSeconds <= cutoff }
    }
}
