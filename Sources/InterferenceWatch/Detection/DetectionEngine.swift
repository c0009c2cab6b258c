import Detectors
import Foundation
import Logging
import Synchronization

/// Runs one ``GroupDetector`` per configured group, window after window, and keeps the latest verdicts.
///
/// Each window takes the latency recorded since the previous window and the memory signals between the snapshot
/// seen then and the one published now. Findings opening and resolving are logged; baselines are persisted.
final class DetectionEngine: Sendable {
    private struct State {
        var detectors: [String: GroupDetector]
        var previousSnapshot: Snapshot?
        var lastEndSeconds: Double?
        var verdicts: [String: GroupVerdict] = [:]
    }

    let groups: [GroupSettings]
    private let builders: [String: WindowBuilder]
    private let recorder: LatencyRecorder
    private let store: SnapshotStore
    private let baselineStore: BaselineStore?
    private let logger: Logger
    private let state: Mutex<State>

    init(config: DaemonConfig, recorder: LatencyRecorder, store: SnapshotStore, baselineStore: BaselineStore?,
         pageSizeBytes: Double, detectorConfiguration: GroupDetector.Configuration = .init(), logger: Logger) {
        self.groups = config.groups
        self.recorder = recorder
        self.store = store
        self.baselineStore = baselineStore
        self.logger = logger
        let saved = baselineStore?.load() ?? [:]
        var detectors: [String: GroupDetector] = [:]
        var builders: [String: WindowBuilder] = [:]
        for group in config.groups {
            detectors[group.name] = GroupDetector(group: group.name, configuration: detectorConfiguration,
                                                  baselines: saved[group.name] ?? [:])
            var workloads: [String: String] = [:]
            for server in group.servers { workloads[server.name] = config.workloadName(group: group, server: server) }
            builders[group.name] = WindowBuilder(group: group, workloadOfServer: workloads, pageSizeBytes: pageSizeBytes)
        }
        self.builders = builders
        self.state = Mutex(State(detectors: detectors))
    }

    /// Closes the window ending at `nowSeconds` for every group and returns the verdicts.
    @discardableResult
    func evaluate(nowSeconds: Double) -> [GroupVerdict] {
        let snapshot = self.store.current
        let (verdicts, opened, resolved, baselines) = self.state.withLock { state in
            let start = state.lastEndSeconds ?? (nowSeconds - 1)
            var verdicts: [GroupVerdict] = []
            var opened: [Finding] = []
            var resolved: [Finding] = []
            var baselines: BaselineStore.Baselines = [:]
            for group in self.groups {
                let samples = self.recorder.samples(group: group.name, from: start, to: nowSeconds)
                let window = self.builders[group.name]!.window(startSeconds: start, endSeconds: nowSeconds, samples: samples,
                                                                previous: state.previousSnapshot, current: snapshot)
                let before = state.verdicts[group.name]?.findings ?? []
                let verdict = state.detectors[group.name]!.ingest(window)
                opened += verdict.findings.filter { f in !before.contains { $0.server == f.server && $0.kind == f.kind } }
                resolved += before.filter { f in !verdict.findings.contains { $0.server == f.server && $0.kind == f.kind } }
                state.verdicts[group.name] = verdict
                baselines[group.name] = state.detectors[group.name]!.baselines
                verdicts.append(verdict)
            }
            state.previousSnapshot = snapshot
            state.lastEndSeconds = nowSeconds
            return (verdicts, opened, resolved, baselines)
        }
        for finding in opened {
            self.logger.warning("finding opened", metadata: [
                "group.name": "\(finding.group)", "server.name": "\(finding.server ?? "*")", "finding.kind": "\(finding.kind.rawValue)",
                "finding.ratio": "\(finding.ratio)", "cause.top": "\(finding.causes.first?.summary ?? "none")",
            ])
        }
        for finding in resolved {
            self.logger.info("finding resolved", metadata: [
                "group.name": "\(finding.group)", "server.name": "\(finding.server ?? "*")", "finding.kind": "\(finding.kind.rawValue)",
            ])
        }
        if !self.groups.isEmpty { self.baselineStore?.save(baselines) }
        return verdicts
    }

    /// Latest verdict per group, in config order.
    var verdicts: [GroupVerdict] {
        self.state.withLock { state in self.groups.compactMap { state.verdicts[$0.name] } }
    }

    var findings: [Finding] { self.verdicts.flatMap(\.findings) }
}
