import ArgumentParser
import Detectors
import Foundation
import Glibc
import GRDB
import Logging

/// `interference-watch bench-store`: writes a synthetic day of history through the real writer and measures what
/// the store costs: bytes on disk per stored value, writer CPU per sweep, and the time to build reports.
///
/// The sweeps have this host's real `/proc/meminfo` and `/proc/vmstat` keys and the daemon's real per-workload keys,
/// with counters moving at different rates; one server of one group is squeezed for an hour at mid-day, so there is
/// an episode to report on. Writes go one second at a time, as the daemon flushes.
struct StoreBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-store", abstract: "Measure the history store on a synthetic day.", shouldDisplay: false)

    @Option(name: .customLong("storage.path"), help: "Directory for the benchmark's history file (emptied first).")
    var storagePath: String

    @Option(help: "Seconds of history (1 s sweeps).")
    var seconds = 86_400

    @Option(help: "Workloads per sweep.")
    var workloads = 50

    @Option(help: "VMs per sweep.")
    var vms = 4

    @Option(help: "Servers (in groups of four), one latency sample each per second.")
    var servers = 16

    func run() throws {
        try? FileManager.default.removeItem(atPath: self.storagePath)
        let database = try HistoryDatabase(directory: self.storagePath)
        var logger = Logger(label: "bench-store")
        logger.logLevel = .warning
        let writer = HistoryWriter(database: database, retention: HistoryRetention(maxAgeSeconds: 1e12), logger: logger)
        let meminfoKeys = Self.keys("/proc/meminfo", separator: ":")
        let vmstatKeys = Self.keys("/proc/vmstat", separator: " ")
        let statKeys: [MemoryStat.Key] = [.anon, .file, .shmem, .fileDirty, .fileWriteback, .inactiveAnon, .activeAnon, .inactiveFile,
                                          .activeFile, .unevictable, .pgfault, .pgmajfault, .workingsetRefaultAnon, .workingsetRefaultFile,
                                          .workingsetActivateAnon, .workingsetActivateFile, .pgscan, .pgsteal, .swapcached]
        let groups = (0..<max(1, self.servers / 4)).map { g in
            SweepDetection.Group(name: "g\(g)", servers: (0..<4).map { "g\(g)s\($0)" },
                                 workloadOfServer: Dictionary(uniqueKeysWithValues: (0..<4).map { ("g\(g)s\($0)", "w\(g * 4 + $0)") }))
        }
        let start = 1_767_225_600.0
        writer.enqueue(.run(DetectionRun(startedAtSeconds: start - 1, windowSeconds: 30, pageSizeBytes: 4096, groups: groups, baselines: [:])))
        try writer.flushNow()
        var detection = SweepDetection(groups: groups, windowSeconds: 30, pageSizeBytes: 4096)
        var log = LatencyLog()
        var random = SystemRandomNumberGenerator()
        var counters = [UInt64](repeating: 1_000_000, count: vmstatKeys.count + self.workloads * statKeys.count)
        var writeCPU = 0.0, values = 0
        let squeezeStart = self.seconds / 2, squeezeEnd = self.seconds / 2 + 3600
        for second in 0..<self.seconds {
            let t = start + Double(second)
            let squeezed = second >= squeezeStart && second < squeezeEnd
            // A third of the counters move each second, at their own pace: a busy but not frantic host.
            for index in counters.indices where (index + second) % 3 == 0 { counters[index] &+= UInt64(index % 17) * 3 + 1 }
            var meminfo: [String: UInt64] = [:]
            for (index, key) in meminfoKeys.enumerated() { meminfo[key] = UInt64(index) << 20 + (index % 5 == 0 ? UInt64.random(in: 0..<4096, using: &random) * 4096 : 0) }
            meminfo["MemTotal"] = 32 << 30
            meminfo["MemAvailable"] = squeezed ? 1 << 30 : 12 << 30
            var vmstat: [String: UInt64] = [:]
            for (index, key) in vmstatKeys.enumerated() { vmstat[key] = counters[index] }
            let pressure = PSIStats(some: PSILine(avg10Percent: squeezed ? 12.5 : 0.1, avg60Percent: 0.05, avg300Percent: 0.01,
                                                  totalMicroseconds: UInt64(second) * 1200), full: nil)
            var samples: [WorkloadSample] = []
            for w in 0..<self.workloads {
                var stat = MemoryStat()
                for (index, key) in statKeys.enumerated() { stat[key] = counters[vmstatKeys.count + w * statKeys.count + index] }
                let mine = squeezed && w == 1
                samples.append(WorkloadSample(name: "w\(w)", kind: .container, cgroup: "/system.slice/docker-w\(w).scope", cgroupVersion: 2,
                                              usageBytes: (256 << 20) + UInt64.random(in: 0..<64, using: &random) * 4096,
                                              limitBytes: 1 << 30, swapBytes: mine ? UInt64(second - squeezeStart) << 16 : 0, stat: stat,
                                              pressure: PSIStats(some: PSILine(avg10Percent: mine ? 40 : 0, avg60Percent: 0, avg300Percent: 0,
                                                                               totalMicroseconds: UInt64(second) * (mine ? 400_000 : 10)), full: nil),
                                              events: ["low": 0, "high": 0, "max": 0, "oom": 0, "oom_kill": 0]))
            }
            let vmSamples = (0..<self.vms).map { v in
                VMSample(name: "vm\(v)", source: .qmp, up: true, status: "running", configuredBytes: 1 << 30,
                         balloonActualBytes: 1 << 30, maximumBytes: 1 << 30,
                         guestStats: .init(freeBytes: 200 << 20, availableBytes: 600 << 20, totalBytes: 1 << 30, diskCachesBytes: 100 << 20,
                                           swapInBytes: 0, swapOutBytes: 0, majorFaults: UInt64(second), minorFaults: UInt64(second) * 40,
                                           lastUpdateSeconds: UInt64(t)),
                         rssBytes: 900 << 20, pid: Int32(1000 + v), collectedAtSeconds: t, readDurationSeconds: 0.002)
            }
            let sweep = Sweep(atSeconds: t, host: HostSample(meminfoBytes: meminfo, vmstat: vmstat, pressure: [.memory: pressure, .io: pressure]),
                              workloads: samples, vms: vmSamples, vmWorkloads: Dictionary(uniqueKeysWithValues: (0..<self.vms).map { ("vm\($0)", "w\($0)") }))
            if second == 0 {
                values = SweepFrameCodec.split(SweepJSONWriter.encode(sweep)).numbers.count
                Self.breakdown(sweep)
            }
            writer.enqueue(.sweep(sweep))
            if let step = detection.ingest(sweep, samples: { log.window(group: $0, from: $1, to: $2) }) { writer.enqueue(.step(step)) }
            var round: [LatencySample] = []
            for group in groups {
                for server in group.servers {
                    let seconds = 1.0 + Double.random(in: -0.05...0.05, using: &random) * (squeezed && server == "g0s1" ? 1 : 1)
                    let value = squeezed && server == "g0s1" ? seconds * 1.8 : seconds
                    round.append(LatencySample(group: group.name, server: server, source: .probe, seconds: value, serverSeconds: value,
                                               atSeconds: t + 0.1, recordedAtSeconds: t + 0.6))
                }
            }
            for sample in round { log.append(sample) }
            writer.enqueue(.samples(round))
            let before = BenchCommand.cpuSeconds()
            try writer.flushNow()
            writeCPU += BenchCommand.cpuSeconds() - before
        }
        try database.pool.writeWithoutTransaction { try $0.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
        let reader = HistoryReader(database: database)
        let sizes = try database.pool.read { db in
            (try Int.fetchOne(db, sql: "SELECT sum(length(frame)) FROM sweeps") ?? 0,
             try Int.fetchOne(db, sql: "SELECT sum(length(samples)) FROM latency_batches") ?? 0,
             try Int.fetchOne(db, sql: "SELECT count(*) FROM episodes") ?? 0)
        }
        let fileBytes = database.sizeBytes()
        let stored = Double(values) * Double(self.seconds)
        print("sweeps=\(self.seconds) workloads=\(self.workloads) vms=\(self.vms) servers=\(self.servers) values_per_sweep=\(values) episodes=\(sizes.2)")
        print(String(format: "file_bytes=%lld sweep_frame_bytes=%d latency_bytes=%d bytes_per_value_file=%.3f bytes_per_value_frames=%.3f latency_bytes_per_sample=%.2f",
                     fileBytes, sizes.0, sizes.1, Double(fileBytes) / stored, Double(sizes.0) / stored,
                     Double(sizes.1) / Double(self.seconds * self.servers)))
        print(String(format: "write_cpu_ms_per_sweep=%.3f", writeCPU / Double(self.seconds) * 1000))
        let builder = PostMortemBuilder(reader: reader)
        if let episode = try reader.episodes().first {
            let clock = ContinuousClock()
            let began = clock.now
            _ = try builder.build(episodeID: episode.id, generatedAtSeconds: start).html
            let hour = clock.now - began
            let dayStart = clock.now
            _ = try builder.build(from: start, to: start + Double(self.seconds), group: episode.group, generatedAtSeconds: start).html
            let day = clock.now - dayStart
            print("report_episode_seconds=\(Self.seconds(hour)) report_day_seconds=\(Self.seconds(day)) episode_span_seconds=\(Int((episode.resolvedAtSeconds ?? 0) - episode.finding.sinceSeconds))")
        } else {
            print("no episode opened; no report timing")
        }
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        print("bench_peak_rss=" + (status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") }.map { $0.dropFirst(6).trimmingCharacters(in: .whitespaces) } ?? "?"))
    }

    static func seconds(_ duration: Duration) -> String {
        String(format: "%.3f", Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18)
    }

    /// The keys of a `key value` or `Key: value` file of this host.
    static func keys(_ path: String, separator: Character) -> [String] {
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { line in line.split(separator: separator).first.map(String.init) }
    }

    /// CPU of each step of storing one sweep, over 200 repetitions, so the writer's cost can be placed.
    static func breakdown(_ sweep: Sweep) {
        func measure(_ name: String, _ body: () throws -> Void) {
            let start = BenchCommand.cpuSeconds()
            for _ in 0..<200 { try? body() }
            print("  \(name)_us=" + String(format: "%.1f", (BenchCommand.cpuSeconds() - start) / 200 * 1e6))
        }
        let json = SweepJSONWriter.encode(sweep)
        let (template, numbers) = SweepFrameCodec.split(json)
        let frame = SweepFrameCodec.encodeFrame(numbers, previous: numbers)
        print("store breakdown per sweep (json \(json.count) B, template \(template.count) B, frame \(frame.count) B):")
        measure("json") { _ = SweepJSONWriter.encode(sweep) }
        measure("split") { _ = SweepFrameCodec.split(json) }
        measure("json_split") { _ = SweepJSONWriter.split(sweep) }
        measure("frame") { _ = SweepFrameCodec.encodeFrame(numbers, previous: numbers) }
        measure("zstd_frame") { _ = try Zstd.compress(frame) }
        // A real copy in its own storage, so the comparison reads two buffers as the writer's check does.
        let copy = Array(template.map { $0 })
        measure("template_compare") { _ = copy == template }
    }
}
