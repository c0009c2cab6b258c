import ArgumentParser
import Foundation
import Glibc
import Detectors
import Logging

/// `interference-watch bench`: CPU cost of collection sweeps and renders on this host, for the benchmark script.
///
/// Measures process CPU time (user + system, `getrusage`), not wall time, so a busy machine skews it less.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Measure the CPU time of collection sweeps and /metrics renders.", shouldDisplay: false)

    @OptionGroup var collection: CollectionOptions

    @Option(help: "Sweeps to measure (after one warm-up sweep).")
    var sweeps = 50

    @Option(help: "Renders to measure.")
    var renders = 50

    func run() throws {
        var logger = Logger(label: "bench", factory: { StderrLogHandler(label: $0, level: .warning, format: .logfmt) })
        logger.logLevel = .warning
        let config = try self.collection.loadConfig()
        CachedFileReader.raiseDescriptorLimit()
        let reader = CachedFileReader(keepOpen: self.collection.keepFilesOpen)
        let runner = SweepRunner(collectors: self.collection.makeCollectors(config: config, reader: reader), reader: reader,
                                 logger: logger)
        var snapshot = runner.sweep(wallClockSeconds: Date().timeIntervalSince1970)
        let sweepStart = Self.cpuSeconds()
        for _ in 0..<self.sweeps { snapshot = runner.sweep(wallClockSeconds: Date().timeIntervalSince1970) }
        let sweepCPU = (Self.cpuSeconds() - sweepStart) / Double(self.sweeps)

        let renderer = SweepRenderer(version: InterferenceWatchCommand.version, pageSizeBytes: 4096)
        var bytes = renderer.render(snapshot)
        let renderStart = Self.cpuSeconds()
        for _ in 0..<self.renders { bytes = renderer.render(snapshot) }
        let renderCPU = (Self.cpuSeconds() - renderStart) / Double(self.renders)
        // The render in two parts, to tell where its cost grows with the cgroup count: building the families, and
        // writing their bytes into a buffer reserved from the previous size (as the /metrics route does).
        var families = renderer.families(for: snapshot)
        let familiesStart = Self.cpuSeconds()
        for _ in 0..<self.renders { families = renderer.families(for: snapshot) }
        let familiesCPU = (Self.cpuSeconds() - familiesStart) / Double(self.renders)
        let writeStart = Self.cpuSeconds()
        for _ in 0..<self.renders {
            bytes = ExpositionWriter.render(families, reservingCapacity: bytes.count + bytes.count / 16)
        }
        let writeCPU = (Self.cpuSeconds() - writeStart) / Double(self.renders)
        let series = bytes.split(separator: UInt8(ascii: "\n")).filter { $0.first != UInt8(ascii: "#") }.count
        // The advice takes every sweep too: its cost per sweep beside the sweep's, and the size of what it stores.
        var advisor = MinimumHostMemoryAdvisor()
        var sweep = snapshot.sweep
        advisor.record(sweep)
        let adviceStart = Self.cpuSeconds()
        for _ in 0..<self.sweeps {
            sweep.atSeconds += 15
            advisor.record(sweep)
        }
        let adviceCPU = (Self.cpuSeconds() - adviceStart) / Double(self.sweeps)
        let recommendStart = Self.cpuSeconds()
        for _ in 0..<self.renders { _ = advisor.recommendation() }
        let recommendCPU = (Self.cpuSeconds() - recommendStart) / Double(self.renders)
        let stateBytes = (try? StoredJSON.encoder.encode(advisor.state).count) ?? 0
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let rss = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") }.map { $0.dropFirst(6).trimmingCharacters(in: .whitespaces) } ?? "?"
        print("workloads=\(snapshot.workloads.count) series=\(series) exposition_bytes=\(bytes.count) open_files=\(reader.openFileCount)")
        print(String(format: "sweep_cpu_ms=%.3f render_cpu_ms=%.3f peak_rss=%@", sweepCPU * 1000, renderCPU * 1000, rss))
        print(String(format: "render_families_cpu_ms=%.3f render_write_cpu_ms=%.3f", familiesCPU * 1000, writeCPU * 1000))
        print(String(format: "advice_record_cpu_ms=%.3f advice_recommend_cpu_ms=%.3f advice_state_bytes=%d advice_over_sweep=%.3f",
                     adviceCPU * 1000, recommendCPU * 1000, stateBytes, sweepCPU > 0 ? adviceCPU / sweepCPU : 0))
    }

    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue == 0 ? 0 : 0, &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }
}
