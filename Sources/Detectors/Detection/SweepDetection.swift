/// Detection over a stream of sweeps: closes one window per group whenever a sweep ends one, runs each group's
/// ``GroupDetector`` and reports what changed. The core of the live engine and of replay: both feed sweeps in time
/// order and take samples from a ``LatencyLog``, so the same history gives the same verdicts.
///
/// Windows run from sweep to sweep: a window closes at the first sweep at least ``windowSeconds`` after it opened
/// (less half a sweep interval, so sweep-time jitter does not push every window one sweep late), and the memory
/// signals are the rates between exactly those two sweeps. Window lengths and rates are measured on the boot clock
/// when the sweeps carry it (``Sweep/elapsedSeconds(since:)``), so a wall clock stepped forward neither closes a
/// window early nor dilutes its rates over the step; a sweep older than the open window (the wall clock stepped
/// back) starts a new window from it rather than stalling detection until the clock catches up.
public struct SweepDetection: Sendable {
    /// One group as the detection sees it: names only, no config types.
    public struct Group: Sendable, Equatable, Codable {
        public var name: String
        /// Server names, in config order.
        public var servers: [String]
        /// Server name to the workload whose memory signals it uses.
        public var workloadOfServer: [String: String]

        public init(name: String, servers: [String], workloadOfServer: [String: String]) {
            self.name = name
            self.servers = servers
            self.workloadOfServer = workloadOfServer
        }
    }

    /// One closed window: every group's verdict and what changed.
    public struct Step: Sendable, Equatable, Codable {
        public var startSeconds: Double
        public var endSeconds: Double
        /// In group order.
        public var verdicts: [GroupVerdict]
        public var changes: FindingChanges

        public init(startSeconds: Double, endSeconds: Double, verdicts: [GroupVerdict], changes: FindingChanges) {
            self.startSeconds = startSeconds
            self.endSeconds = endSeconds
            self.verdicts = verdicts
            self.changes = changes
        }
    }

    public private(set) var groups: [Group]
    public let windowSeconds: Double
    public let pageSizeBytes: Double
    public let configuration: GroupDetector.Configuration
    private var detectors: [String: GroupDetector] = [:]
    private var builders: [String: WindowBuilder] = [:]
    /// The sweep the open window started at.
    private var windowStart: Sweep?
    /// The times of the last sweep taken (its samples are not kept).
    private var lastSweep: Sweep?
    private var lastGapSeconds = 0.0
    private var latest: [String: GroupVerdict] = [:]

    /// - Parameter baselines: learned calm baselines by group and server (from an earlier run).
    public init(groups: [Group], windowSeconds: Double, pageSizeBytes: Double,
                configuration: GroupDetector.Configuration = .init(),
                baselines: [String: [String: ServerBaseline]] = [:]) {
        self.groups = []
        self.windowSeconds = windowSeconds
        self.pageSizeBytes = pageSizeBytes
        self.configuration = configuration
        self.reconfigure(groups: groups, baselines: baselines)
    }

    /// Takes a new group list (a config reload): unchanged groups keep their detector and history, changed ones
    /// start over with their servers' baselines, removed ones are dropped.
    public mutating func reconfigure(groups: [Group], baselines: [String: [String: ServerBaseline]] = [:]) {
        let old = Dictionary(self.groups.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let unchanged = Set(groups.filter { old[$0.name] == $0 }.map(\.name))
        var detectors: [String: GroupDetector] = [:]
        var builders: [String: WindowBuilder] = [:]
        for group in groups {
            builders[group.name] = WindowBuilder(group: group.name, servers: group.servers,
                                                 workloadOfServer: group.workloadOfServer, pageSizeBytes: self.pageSizeBytes)
            if unchanged.contains(group.name), let kept = self.detectors[group.name] {
                detectors[group.name] = kept
            } else {
                let learned = self.detectors[group.name]?.baselines ?? baselines[group.name] ?? [:]
                detectors[group.name] = GroupDetector(group: group.name, configuration: self.configuration,
                                                      baselines: learned.filter { group.servers.contains($0.key) })
            }
        }
        self.groups = groups
        self.detectors = detectors
        self.builders = builders
        self.latest = self.latest.filter { unchanged.contains($0.key) }
    }

    /// Takes the next sweep; returns the step when it closed a window.
    ///
    /// - Parameter samples: the group's samples that arrived in `[from, to)` (``LatencyLog/window(group:from:to:)``).
    public mutating func ingest<Samples: RandomAccessCollection<LatencySample>>(
        _ sweep: Sweep, samples: (_ group: String, _ from: Double, _ to: Double) -> Samples
    ) -> Step? {
        let times = Sweep(atSeconds: sweep.atSeconds, uptimeSeconds: sweep.uptimeSeconds)
        defer { self.lastSweep = times }
        if let last = self.lastSweep, sweep.atSeconds > last.atSeconds { self.lastGapSeconds = sweep.elapsedSeconds(since: last) }
        // With no group nothing is compared: keep the times only, not a second sweep's samples in memory.
        let kept = self.groups.isEmpty ? times : sweep
        guard let start = self.windowStart, sweep.atSeconds >= start.atSeconds else {
            self.windowStart = kept
            return nil
        }
        guard sweep.elapsedSeconds(since: start) + self.lastGapSeconds / 2 >= self.windowSeconds else { return nil }
        let from = start.atSeconds, to = sweep.atSeconds
        var verdicts: [GroupVerdict] = []
        var before: [Finding] = []
        var after: [Finding] = []
        for group in self.groups {
            // A pushed sample that arrives now but claims a time long before the window is stale, not current.
            let oldest = from - self.windowSeconds
            let window = self.builders[group.name]!.window(startSeconds: from, endSeconds: to, samples: samples(group.name, from, to),
                                                          notBeforeSeconds: oldest, previous: start, current: sweep)
            before += self.latest[group.name]?.findings ?? []
            let verdict = self.detectors[group.name]!.ingest(window)
            after += verdict.findings
            self.latest[group.name] = verdict
            verdicts.append(verdict)
        }
        self.windowStart = kept
        return Step(startSeconds: from, endSeconds: to, verdicts: verdicts, changes: FindingChanges(from: before, to: after))
    }

    /// The latest verdict per group, in group order.
    public var verdicts: [GroupVerdict] { self.groups.compactMap { self.latest[$0.name] } }

    /// Learned baselines by group and server, to persist.
    public var baselines: [String: [String: ServerBaseline]] { self.detectors.mapValues(\.baselines) }

    /// Runs stored history through a fresh detection: sweeps in time order, samples from the log.
    public static func replay(sweeps: [Sweep], samples: LatencyLog, groups: [Group], windowSeconds: Double,
                              pageSizeBytes: Double, configuration: GroupDetector.Configuration = .init(),
                              baselines: [String: [String: ServerBaseline]] = [:]) -> [Step] {
        var detection = SweepDetection(groups: groups, windowSeconds: windowSeconds, pageSizeBytes: pageSizeBytes,
                                       configuration: configuration, baselines: baselines)
        var steps: [Step] = []
        for sweep in sweeps {
            if let step = detection.ingest(sweep, samples: { samples.window(group: $0, from: $1, to: $2) }) {
                steps.append(step)
            }
        }
        return steps
    }
}
