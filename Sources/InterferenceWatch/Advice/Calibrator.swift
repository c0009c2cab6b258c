import Detectors
import Foundation
import Logging
import Parsers
import Synchronization

/// Finds this host's knee on purpose: raises memory pressure one step at a time beside a running daemon and
/// watches what its detection windows say, as the study did by hand with `stress -m`.
///
/// Every step: one more allocator (``CalibrationAllocators``) of `stepBytes`, then `windowsPerStep` detection
/// windows that began after its memory was in place. It stops at once, releasing everything, when a finding opens,
/// when one more step would eat into the reserve, at the ceiling, at the time limit, when an allocator dies, or when
/// ``stop(reason:)`` is called (SIGINT, SIGTERM).
final class Calibrator: Sendable {
    struct Options: Sendable {
        var stepBytes: UInt64 = 256 << 20
        var ceilingBytes: UInt64?
        var reserveBytes: UInt64 = 256 << 20
        var windowsPerStep = 3
        var timeLimitSeconds: Double = 1800
        /// How long to wait for every group to have a latency baseline (slowdowns need one) before the first step.
        var baselineWaitSeconds: Double = 300
        /// A group whose median task time reaches this multiple of its calm first step's has slowed down: the knee,
        /// even before the daemon's debounced detection opens a finding (the detector's own slowdown threshold).
        var slowdownRatio = 1.25
        var cgroupRoot = "/sys/fs/cgroup"
        var procfs = "/proc"
        var executable = "/proc/self/exe"
        var pollSeconds = 0.5
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    // Replies of the daemon's API, only the fields used here.
    private struct AdviceReply: Decodable {
        struct Advice: Decodable {
            var installedBytes: UInt64
            var availableBytes: UInt64?
            var scope: String?
        }
        var advice: Advice?
    }

    private struct FindingsReply: Decodable {
        var findings: [Finding]
        var groups: [GroupVerdict]
    }

    private struct Accepted: Decodable {}

    let api: DaemonAPIClient
    let options: Options
    let logger: Logger
    private let stopReason = Mutex<String?>(nil)
    private let allocators = Mutex<CalibrationAllocators?>(nil)

    init(api: DaemonAPIClient, options: Options, logger: Logger) {
        self.api = api
        self.options = options
        self.logger = logger
    }

    /// Ends the calibration from outside (a signal): releases the allocators at once; the loop then reports.
    func stop(reason: String) {
        self.stopReason.withLock { $0 = $0 ?? reason }
        self.allocators.withLock { $0 }?.release()
    }

    /// The plan from the daemon's current figures; touches nothing.
    func plan() async throws -> CalibrationPlan {
        let advice = try await self.api.get("/api/v1/advice", as: AdviceReply.self)
        guard let figures = advice.advice, let available = figures.availableBytes else {
            throw Failure(description: "the daemon at \(self.api.baseURL) has no memory advice yet (no sweep with MemAvailable, or its capacity cgroup is unreadable)")
        }
        let swapFree = self.hostSample().meminfoBytes["SwapFree"] ?? 0
        let allocators = try CalibrationAllocators(cgroupRoot: self.options.cgroupRoot, capacityCgroup: figures.scope,
                                                   executable: self.options.executable)
        return CalibrationPlan(stepBytes: self.options.stepBytes, ceilingBytes: self.options.ceilingBytes,
                               reserveBytes: self.options.reserveBytes, windowsPerStep: self.options.windowsPerStep,
                               timeLimitSeconds: self.options.timeLimitSeconds, capacityBytes: figures.installedBytes,
                               availableBytes: available, swapFreeBytes: swapFree, capacityCgroup: figures.scope,
                               allocatorCgroup: allocators.directory)
    }

    /// Runs the plan; always releases the allocators and their cgroup before it returns or throws.
    func run(_ plan: CalibrationPlan) async throws -> CalibrationResult {
        let startedAt = Date().timeIntervalSince1970
        let deadline = startedAt + plan.timeLimitSeconds
        _ = try await self.api.get("/api/v1/findings", as: FindingsReply.self)  // the daemon answers at all
        // A calm start: a window closed for every group, no finding open (an earlier calibration's may still be
        // resolving) and baselines learned.
        let (groups, calm) = await self.waitUntilCalm(deadline: min(deadline, startedAt + self.options.baselineWaitSeconds))
        guard groups > 0 else {
            throw Failure(description: "the daemon at \(self.api.baseURL) has closed no window for any group: latency is what calibration measures, configure groups first")
        }
        guard calm.isEmpty else {
            let open = calm.map { "\($0.kind.rawValue) in \($0.group)" }.joined(separator: ", ")
            throw Failure(description: "findings are open (\(open)) after waiting \(DurationText.span(self.options.baselineWaitSeconds)): calibrate on a calm host")
        }
        if let stop = self.stopReason.withLock({ $0 }) { throw Failure(description: "stopped (\(stop)) before the first step") }

        let allocators = try CalibrationAllocators(cgroupRoot: self.options.cgroupRoot, capacityCgroup: plan.capacityCgroup,
                                                   executable: self.options.executable)
        try allocators.prepare(ceilingBytes: plan.ceilingBytes)
        self.allocators.withLock { $0 = allocators }
        defer {
            self.allocators.withLock { $0 = nil }
            allocators.release()
        }
        // The daemon leaves the allocators out of the demand until the result comes, or a little past the limit.
        _ = try? await self.api.post("/api/v1/calibration/start", body: ["until_seconds": deadline + 60], as: Accepted.self)

        var steps: [CalibrationResult.Step] = []
        var calmMedians: [String: Double] = [:]
        var reason = "ceiling"
        for (index, allocated) in plan.steps.enumerated() {
            if index > 0 {
                let swapFree = self.hostSample().meminfoBytes["SwapFree"] ?? 0
                let available = (try? await self.api.get("/api/v1/advice", as: AdviceReply.self))?.advice?.availableBytes ?? 0
                guard plan.fitsReserve(availableBytes: available, swapFreeBytes: swapFree) else { reason = "reserve"; break }
                do { _ = try allocators.add(bytes: plan.stepBytes) } catch { reason = "error: \(error)"; break }
            }
            var outcome = await self.measureStep(index: index, allocatedBytes: allocated, allocators: allocators, deadline: deadline)
            var step = outcome.step.map { self.judged($0, calm: calmMedians) }
            // A slowdown is measured a second time at the same step before it counts: one noisy round of windows
            // (a neighbour's burst, a busy CPU) must not pass for the knee. A finding needs no second look.
            if let first = step, index > 0, first.slowedDown, !first.findingOpened, outcome.stop == nil {
                outcome = await self.measureStep(index: index, allocatedBytes: allocated, allocators: allocators, deadline: deadline)
                if let again = outcome.step.map({ self.judged($0, calm: calmMedians) }) {
                    step = again
                    step?.startSeconds = first.startSeconds
                }
            }
            if let step {
                if index == 0 { for group in step.groups { calmMedians[group.group] = group.medianSeconds } }
                steps.append(step)
            }
            if let stop = outcome.stop { reason = stop; break }
            if let step, step.findingOpened { reason = "finding"; break }
            if let step, step.slowedDown { reason = "slowdown"; break }
        }
        allocators.release()
        let result = CalibrationResult(startedAtSeconds: startedAt, endedAtSeconds: Date().timeIntervalSince1970,
                                       capacityBytes: plan.capacityBytes, capacityCgroup: plan.capacityCgroup,
                                       stepBytes: plan.stepBytes, steps: steps, stopReason: reason)
        do {
            _ = try await self.api.post("/api/v1/calibration/result", body: result, as: Accepted.self)
        } catch {
            self.logger.error("the daemon did not take the calibration result", metadata: ["error": "\(error)"])
        }
        return result
    }

    /// The step with its slowdown against the calm step's medians (none for the calm step itself).
    private func judged(_ step: CalibrationResult.Step, calm: [String: Double]) -> CalibrationResult.Step {
        guard step.index > 0 else { return step }
        var step = step
        let ratios = step.groups.compactMap { group in calm[group.group].flatMap { base in group.medianSeconds.map { $0 / base } } }
        step.slowdownRatio = ratios.max()
        step.slowedDown = (step.slowdownRatio ?? 0) >= self.options.slowdownRatio
        return step
    }

    /// Polls until no finding is open and every group reports a slowdown ratio (its baseline is learned), or the
    /// deadline; returns the findings still open then (a missing baseline alone does not stop the calibration).
    private func waitUntilCalm(deadline: Double) async -> (groups: Int, open: [Finding]) {
        var open: [Finding] = []
        var groups = 0
        while self.stopReason.withLock({ $0 }) == nil {
            if let reply = try? await self.api.get("/api/v1/findings", as: FindingsReply.self) {
                open = reply.findings
                groups = reply.groups.count
                if groups > 0 && open.isEmpty && reply.groups.allSatisfy({ $0.groupSlowdownRatio != nil }) { return (groups, []) }
            }
            if Date().timeIntervalSince1970 >= deadline { break }
            try? await Task.sleep(for: .seconds(self.options.pollSeconds))
        }
        return (groups, open)
    }

    /// One step: waits for the allocators' memory, then for the windows; stops early on a finding or a stop.
    private func measureStep(index: Int, allocatedBytes: UInt64, allocators: CalibrationAllocators,
                             deadline: Double) async -> (step: CalibrationResult.Step?, stop: String?) {
        let start = Date().timeIntervalSince1970
        let poll = Duration.milliseconds(Int64(self.options.pollSeconds * 1000))
        // The step's memory is in place once the allocators hold (resident or swapped) nearly all of it.
        while allocators.heldBytes(procfs: self.options.procfs) < allocatedBytes / 10 * 9 {
            if let stop = self.checkStop(allocators: allocators, deadline: deadline) { return (nil, stop) }
            try? await Task.sleep(for: poll)
        }
        let ready = Date().timeIntervalSince1970
        let before = self.hostSample()
        var windows: [String: Set<Double>] = [:]
        var minAvailable: UInt64?
        var last: FindingsReply?
        var opened = false
        var stop: String?
        while true {
            if let reason = self.checkStop(allocators: allocators, deadline: deadline) { stop = reason; break }
            if let advice = try? await self.api.get("/api/v1/advice", as: AdviceReply.self), let available = advice.advice?.availableBytes {
                minAvailable = min(minAvailable ?? .max, available)
            }
            if let reply = try? await self.api.get("/api/v1/findings", as: FindingsReply.self) {
                last = reply
                for verdict in reply.groups where verdict.startSeconds >= ready - 0.5 {
                    windows[verdict.group, default: []].insert(verdict.endSeconds)
                }
                // Any finding ends the calibration at once: releasing quickly is the point.
                if !reply.findings.isEmpty { opened = true; break }
                if reply.groups.allSatisfy({ (windows[$0.group]?.count ?? 0) >= self.options.windowsPerStep }) { break }
            }
            try? await Task.sleep(for: poll)
        }
        let end = Date().timeIntervalSince1970
        let after = self.hostSample()
        let signals = SignalModel.host(previous: before, current: after, elapsedSeconds: end - ready, pageSizeBytes: 4096)
        let groups = (last?.groups ?? []).map { verdict -> CalibrationResult.GroupReading in
            let medians = verdict.servers.compactMap(\.statistics.median).sorted()
            let median = medians.isEmpty ? nil : medians[medians.count / 2]
            let findings = (last?.findings ?? []).filter { $0.group == verdict.group }.map { finding in
                "\(finding.kind.rawValue)\(finding.server.map { " \($0)" } ?? ""): \(finding.causes.first?.signal ?? "no cause")"
            }
            return .init(group: verdict.group, medianSeconds: median, imbalanceRatio: verdict.imbalanceRatio,
                         fairnessIndex: verdict.fairnessIndex, findings: findings)
        }
        self.logger.info("calibration step", metadata: [
            "step": "\(index)", "allocated_bytes": "\(allocatedBytes)", "available_bytes": "\(minAvailable.map { "\($0)" } ?? "?")",
            "finding": "\(opened)", "seconds": "\(Int(end - start))",
        ])
        let step = CalibrationResult.Step(index: index, allocatedBytes: allocatedBytes, startSeconds: start, endSeconds: end,
                                          availableBytes: minAvailable, swapInBytesPerSecond: signals.swapInBytesPerSecond,
                                          psiMemorySomeRatio: signals.psiMemorySomeRatio, groups: groups, findingOpened: opened)
        return (step, stop)
    }

    private func checkStop(allocators: CalibrationAllocators, deadline: Double) -> String? {
        if let reason = self.stopReason.withLock({ $0 }) { return reason }
        if Date().timeIntervalSince1970 >= deadline { return "time_limit" }
        if !allocators.allRunning { return "allocator_died" }
        return nil
    }

    /// Host meminfo, vmstat and PSI as the daemon's collectors read them.
    private func hostSample() -> HostSample {
        let paths = CollectorPaths(procfs: self.options.procfs, sysfs: "/sys", cgroupfs: self.options.cgroupRoot)
        let reader = CachedFileReader(keepOpen: false)
        var sweep = CollectedSweep()
        var issues: [ParseIssue] = []
        let collectors: [any Collector] = [MeminfoCollector(paths: paths, reader: reader), VMStatCollector(paths: paths, reader: reader),
                                           PressureCollector(paths: paths, reader: reader)]
        for collector in collectors { try? collector.collect(into: &sweep, issues: &issues) }
        return sweep.host
    }
}
