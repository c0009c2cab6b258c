import Detectors
import Parsers

/// Reads one cgroup's memory files into a ``WorkloadSample``.
///
/// v2: `memory.current`, `memory.max`, `memory.high`, `memory.swap.current`, `memory.stat`, `memory.pressure`,
/// `memory.events`. v1: `memory.usage_in_bytes`, `memory.limit_in_bytes`, `memory.memsw.usage_in_bytes`,
/// `memory.stat`, `memory.failcnt`, `memory.oom_control`, plus `memory.pressure` from the unified tree on hybrid hosts.
/// Files are read through the cgroup's ``CachedFileReader/Directory`` (one per cgroup, keyed by its relative path), by
/// their index in the lists below; a path is only built to open a file or to name it in an error or a parse issue.
struct CgroupMemoryReader {
    let layout: CgroupLayout
    let reader: CachedFileReader

    private enum V2: Int, CaseIterable {
        case current, max, high, swapCurrent, stat, pressure, events
        static let names: [StaticString] = ["memory.current", "memory.max", "memory.high", "memory.swap.current",
                                            "memory.stat", "memory.pressure", "memory.events"]
        var name: StaticString { Self.names[self.rawValue] }
    }

    private enum V1: Int, CaseIterable {
        case usage, limit, memswUsage, stat, failcnt, oomControl
        static let names: [StaticString] = ["memory.usage_in_bytes", "memory.limit_in_bytes", "memory.memsw.usage_in_bytes",
                                            "memory.stat", "memory.failcnt", "memory.oom_control"]
        var name: StaticString { Self.names[self.rawValue] }
    }

    private static let pressureName: StaticString = "memory.pressure"
    private static let oomKill = Array("oom_kill".utf8)

    /// - Returns: `nil` when the cgroup vanished between listing and reading (skipped quietly).
    func read(path relative: String, classification: WorkloadClassifier.Classification,
              issues: inout [ParseIssue]) -> WorkloadSample? {
        switch self.layout {
        case .v2(let root):
            return self.readV2(root: root, relative: relative, classification: classification, issues: &issues)
        case .v1(let memoryRoot, let unifiedRoot):
            return self.readV1(memoryRoot: memoryRoot, unifiedRoot: unifiedRoot, relative: relative,
                               classification: classification, issues: &issues)
        }
    }

    private func readV2(root: String, relative: String, classification: WorkloadClassifier.Classification,
                        issues: inout [ParseIssue]) -> WorkloadSample? {
        var sample = WorkloadSample(name: classification.name, kind: classification.kind, cgroup: relative.isEmpty ? "/" : relative,
                                    cgroupVersion: 2)
        let dir = self.reader.directory(relative, fileCount: V2.allCases.count)
        func file(_ file: V2) -> File { File(dir: dir, index: file.rawValue, root: root, name: file.name) }
        do {
            // A cgroup without the memory controller enabled has no memory.current; its pressure is still there.
            sample.usageBytes = try self.optional { try self.single(file(.current), issues: &issues) } ?? nil
            sample.limitBytes = try self.optional { try self.limit(file(.max), issues: &issues) } ?? nil
            sample.highBytes = try self.optional { try self.limit(file(.high), issues: &issues) } ?? nil
            sample.swapBytes = try self.optional { try self.single(file(.swapCurrent), issues: &issues) } ?? nil
            sample.stat = try self.optional { try self.stat(file(.stat), keys: .v2, issues: &issues) } ?? [:]
            sample.pressure = try self.optional { try self.pressure(file(.pressure), issues: &issues) } ?? nil
            sample.events = try self.optional { try self.keyValues(file(.events), issues: &issues) } ?? [:]
        } catch {
            return nil
        }
        if sample.usageBytes == nil && sample.pressure == nil && sample.stat.isEmpty {
            // Every file missing: the directory went away between the walk and the read.
            guard CgroupLayout.isDirectory(root + relative) else { return nil }
        }
        return sample
    }

    /// The unified tree's `memory.pressure` shares the cgroup's descriptor set, after the v1 files.
    private func readV1(memoryRoot: String, unifiedRoot: String?, relative: String,
                        classification: WorkloadClassifier.Classification, issues: inout [ParseIssue]) -> WorkloadSample? {
        var sample = WorkloadSample(name: classification.name, kind: classification.kind, cgroup: relative.isEmpty ? "/" : relative,
                                    cgroupVersion: 1)
        let dir = self.reader.directory(relative, fileCount: V1.allCases.count + 1)
        func file(_ file: V1) -> File { File(dir: dir, index: file.rawValue, root: memoryRoot, name: file.name) }
        do {
            guard let usage = try self.optional({ try self.single(file(.usage), issues: &issues) }) else {
                return nil  // the v1 memory cgroup always has this file: missing means vanished
            }
            sample.usageBytes = usage
            sample.limitBytes = try self.optional { try self.limit(file(.limit), issues: &issues) } ?? nil
            // memsw exists only with swap accounting (swapaccount=1); swap = memsw - usage, clamped at 0 because
            // the two files are read a moment apart.
            if let memsw = try self.optional({ try self.single(file(.memswUsage), issues: &issues) }),
               let memsw, let usage {
                sample.swapBytes = memsw > usage ? memsw - usage : 0
            }
            sample.stat = try self.optional { try self.stat(file(.stat), keys: .v1, issues: &issues) } ?? [:]
            var events: [String: UInt64] = [:]
            if let failcnt = try self.optional({ try self.single(file(.failcnt), issues: &issues) }), let failcnt {
                events["max"] = failcnt
            }
            if let kills = try self.optional({ try self.oomKills(file(.oomControl), issues: &issues) }), let kills {
                events["oom_kill"] = kills
            }
            sample.events = events
            if let unifiedRoot {
                let pressure = File(dir: dir, index: V1.allCases.count, root: unifiedRoot, name: Self.pressureName)
                sample.pressure = try self.optional { try self.pressure(pressure, issues: &issues) } ?? nil
            }
        } catch {
            return nil
        }
        return sample
    }

    /// One file of a cgroup: `root + relative + "/" + name`, a path built only to open it or to name it. The name is
    /// a `StaticString`, so making one per file read retains nothing for it.
    private struct File {
        let dir: CachedFileReader.Directory
        let index: Int
        let root: String
        let name: StaticString
        var path: String { self.root + self.dir.key + "/" + self.name.description }
    }

    private func withContents<R>(_ file: File, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) throws -> R {
        try self.reader.withContents(of: file.index, in: file.dir, path: { file.path }, body)
    }

    /// Runs a read; a missing file gives `nil`, a vanished cgroup rethrows so the whole workload is skipped.
    private func optional<T>(_ body: () throws -> T) throws -> T? {
        do {
            return try body()
        } catch FileReadError.missing {
            return nil
        } catch let error as FileReadError {
            if case .vanished = error { throw error }
            return nil
        }
    }

    private func single(_ file: File, issues: inout [ParseIssue]) throws -> UInt64? {
        try self.withContents(file) { bytes in
            let parsed = CgroupValueParser.unsigned(bytes, path: file.path)
            if let issue = parsed.issue { issues.append(issue) }
            return parsed.value
        }
    }

    /// A limit file: `max` (v2) or a huge number (v1) means unlimited.
    private func limit(_ file: File, issues: inout [ParseIssue]) throws -> UInt64? {
        try self.withContents(file) { bytes in
            let parsed = CgroupValueParser.limit(bytes, path: file.path)
            if let issue = parsed.issue { issues.append(issue) }
            return parsed.value
        }
    }

    private func stat(_ file: File, keys: MemoryStatKeys, issues: inout [ParseIssue]) throws -> MemoryStat {
        try self.withContents(file) { bytes in
            let parsed = MemoryStatParser.parse(bytes, path: file.path, keys: keys)
            if !parsed.issues.isEmpty { issues += parsed.issues }
            return parsed.stat
        }
    }

    /// v1 `memory.oom_control`'s `oom_kill` (kernels before 4.13 have no such line: `nil`).
    private func oomKills(_ file: File, issues: inout [ParseIssue]) throws -> UInt64? {
        try self.withContents(file) { bytes in
            var kills: UInt64?
            let found = KeyValueParser.scan(bytes, path: file.path) { key, value in
                if LineScanner.equals(key, Self.oomKill) { kills = value }
            }
            if !found.isEmpty { issues += found }
            return kills
        }
    }

    private func keyValues(_ file: File, issues: inout [ParseIssue]) throws -> [String: UInt64] {
        try self.withContents(file) { bytes in
            let parsed = KeyValueParser.parse(bytes, path: file.path)
            issues += parsed.issues
            return parsed.values
        }
    }

    private func pressure(_ file: File, issues: inout [ParseIssue]) throws -> PSIStats? {
        try self.withContents(file) { bytes in
            let parsed = PSIParser.parse(bytes, path: file.path)
            if !parsed.issues.isEmpty { issues += parsed.issues }
            return parsed.stats
        }
    }
}
