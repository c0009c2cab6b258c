import Detectors
import Logging
import Synchronization

/// The live side of ``SweepDetection``: fed every sweep, it closes windows with the latency the recorder holds,
/// logs findings opening, changing and resolving, and hands each step with the learned baselines to `onStep`
/// (the history writer keeps both).
final class DetectionEngine: Sendable {
    private let detection: Mutex<SweepDetection>
    private let recorder: LatencyRecorder
    private let onStep: @Sendable (SweepDetection.Step, _ baselines: [String: [String: ServerBaseline]]) -> Void
    private let logger: Logger

    /// - Parameters:
    ///   - groups: the configured groups (``DaemonConfig/detectionGroups``).
    ///   - windowSeconds: `--detection.window`.
    ///   - baselines: baselines learned by an earlier run, by group and server.
    ///   - onStep: called after every closed window, outside the engine's lock.
    init(groups: [SweepDetection.Group], windowSeconds: Double, recorder: LatencyRecorder,
         baselines: [String: [String: ServerBaseline]] = [:], pageSizeBytes: Double,
         detectorConfiguration: GroupDetector.Configuration = .init(), logger: Logger,
         onStep: @escaping @Sendable (SweepDetection.Step, [String: [String: ServerBaseline]]) -> Void = { _, _ in }) {
        self.recorder = recorder
        self.onStep = onStep
        self.logger = logger
        self.detection = Mutex(SweepDetection(groups: groups, windowSeconds: windowSeconds, pageSizeBytes: pageSizeBytes,
                                              configuration: detectorConfiguration, baselines: baselines))
    }

    /// The groups, window and baselines detection runs with now: what history records as a run.
    func run(startedAtSeconds: Double) -> DetectionRun {
        self.detection.withLock {
            DetectionRun(startedAtSeconds: startedAtSeconds, windowSeconds: $0.windowSeconds, pageSizeBytes: $0.pageSizeBytes,
                         groups: $0.groups, baselines: $0.baselines)
        }
    }

    /// Takes one sweep; returns the step when it closed a window.
    @discardableResult
    func ingest(_ sweep: Sweep) -> SweepDetection.Step? {
        let recorder = self.recorder
        let (step, baselines) = self.detection.withLock { detection in
            let step = detection.ingest(sweep) { recorder.window(group: $0, from: $1, to: $2) }
            return (step, step == nil ? nil : detection.baselines)
        }
        guard let step, let baselines else { return nil }
        self.log(step.changes)
        self.onStep(step, baselines)
        return step
    }

    /// Takes a reloaded group list; unchanged groups keep their state (``SweepDetection/reconfigure(groups:baselines:)``).
    func reconfigure(groups: [SweepDetection.Group]) {
        self.detection.withLock { $0.reconfigure(groups: groups) }
    }

    /// Latest verdict per group, in config order.
    var verdicts: [GroupVerdict] { self.detection.withLock { $0.verdicts } }

    var findings: [Finding] { self.verdicts.flatMap(\.findings) }

    private func log(_ changes: FindingChanges) {
        func metadata(_ finding: Finding) -> Logger.Metadata {
            ["group.name": "\(finding.group)", "server.name": "\(finding.server ?? "*")",
             "finding.kind": "\(finding.kind.rawValue)", "finding.ratio": "\(finding.ratio)",
             "cause.top": "\(finding.causes.first?.summary ?? "none")"]
        }
        for finding in changes.opened { self.logger.warning("finding opened", metadata: metadata(finding)) }
        for finding in changes.changed { self.logger.info("finding cause changed", metadata: metadata(finding)) }
        for finding in changes.resolved { self.logger.info("finding resolved", metadata: metadata(finding)) }
    }
}
