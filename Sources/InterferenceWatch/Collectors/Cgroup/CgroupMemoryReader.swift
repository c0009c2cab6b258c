import Detectors
import Parsers

/// Reads one cgroup's memory files into a ``WorkloadSample``.
///
/// v2: `memory.current`, `memory.max`, `memory.high`, `memory.swap.current`, `memory.stat`, `memory.pressure`,
/// `memory.events`. v1: `memory.usage_in_bytes`, `memory.limit_in_bytes`, `memory.memsw.usage_in_bytes`,
/// `memory.stat`, `memory.failcnt`, `memory.oom_control`, plus `memory.pressure` from the unified tree on hybrid hosts.
struct CgroupMemoryReader {
    let layout: CgroupLayout
    let reader: CachedFileReader

    /// - Returns: `nil` when the cgroup vanished between listing and reading (skipped quietly).
    func read(path relative: String, classification: WorkloadClassifier.Classification,
              issues: inout [ParseIssue]) -> WorkloadSample? {
        switch self.layout {
        case .v2(let root):
            return self.readV2(dir: root + relative, relative: relative, classification: classification, issues: &issues)
        case .v1(let memoryRoot, let unifiedRoot):
            return self.readV1(dir: memoryRoot + relative, unifiedDir: unifiedRoot.map { $0 + relative },
                               relative: relative, classification: classification, issues: &issues)
        }
    }

    private func readV2(dir: String, relative: String, classification: WorkloadClassifier.Classification,
                        issues: inout [ParseIssue]) -> WorkloadSample? {
        var sample = WorkloadSample(name: classification.name, kind: classification.kind, cgroup: relative.isEmpty ? "/" : relative,
                                    cgroupVersion: 2)
        do {
            // A cgroup without the memory controller enabled has no memory.current; its pressure is still there.
            sample.usageBytes = try self.optional { try self.single(dir + "/memory.current", issues: &issues) } ?? nil
            sample.limitBytes = try self.optional { try self.limit(dir + "/memory.max", issues: &issues) } ?? nil
            sample.highBytes = try self.optional { try self.limit(dir + "/memory.high", issues: &issues) } ?? nil
            sample.swapBytes = try self.optional { try self.single(dir + "/memory.swap.current", issues: &issues) } ?? nil
            sample.stat = try self.optional { try self.stat(dir + "/memory.stat", keys: .v2, issues: &issues) } ?? [:]
            sample.pressure = try self.optional { try self.pressure(dir + "/memory.pressure", issues: &issues) } ?? nil
            sample.events = try self.optional { try self.keyValues(dir + "/memory.events", issues: &issues) } ?? [:]
        } catch {
            return nil
        }
        if sample.usageBytes == nil && sample.pressure == nil && sample.stat.isEmpty {
            // Every file missing: the directory went away between the walk and the read.
            guard CgroupLayout.isDirectory(dir) else { return nil }
        }
        return sample
    }

    private func readV1(dir: String, unifiedDir: String?, relative: String,
                        classification: WorkloadClassifier.Classification, issues: inout [ParseIssue]) -> WorkloadSample? {
        var sample = WorkloadSample(name: classification.name, kind: classification.kind, cgroup: relative.isEmpty ? "/" : relative,
                                    cgroupVersion: 1)
        do {
            guard let usage = try self.optional({ try self.single(dir + "/memory.usage_in_bytes", issues: &issues) }) else {
                return nil  // the v1 memory cgroup always has this file: missing means vanished
            }
            sample.usageBytes = usage
            sample.limitBytes = try self.optional { try self.limit(dir + "/memory.limit_in_bytes", issues: &issues) } ?? nil
            // memsw exists only with swap accounting (swapaccount=1); swap = memsw - usage, clamped at 0 because
            // the two files are read a moment apart.
            if let memsw = try self.optional({ try self.single(dir + "/memory.memsw.usage_in_bytes", issues: &issues) }),
               let memsw, let usage {
                sample.swapBytes = memsw > usage ? memsw - usage : 0
            }
            sample.stat = try self.optional { try self.stat(dir + "/memory.stat", keys: .v1, issues: &issues) } ?? [:]
            var events: [String: UInt64] = [:]
            if let failcnt = try self.optional({ try self.single(dir + "/memory.failcnt", issues: &issues) }), let failcnt {
                events["max"] = failcnt
            }
            if let oom = try self.optional({ try self.keyValues(dir + "/memory.oom_control", issues: &issues) }),
               let kills = oom["oom_kill"] {
                events["oom_kill"] = kills
            }
            sample.events = events
            if let unifiedDir {
                sample.pressure = try self.optional { try self.pressure(unifiedDir + "/memory.pressure", issues: &issues) } ?? nil
            }
        } catch {
            return nil
        }
        return sample
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

    private func single(_ path: String, issues: inout [ParseIssue]) throws -> UInt64? {
        try self.reader.withContents(of: path) { bytes in
            let parsed = CgroupValueParser.unsigned(bytes, path: path)
            if let issue = parsed.issue { issues.append(issue) }
            return parsed.value
        }
    }

    /// A limit file: `max` (v2) or a huge number (v1) means unlimited.
    private func limit(_ path: String, issues: inout [ParseIssue]) throws -> UInt64? {
        try self.reader.withContents(of: path) { bytes in
            let parsed = CgroupValueParser.limit(bytes, path: path)
            if let issue = parsed.issue { issues.append(issue) }
            return parsed.value
        }
    }

    private func stat(_ path: String, keys: MemoryStatKeys, issues: inout [ParseIssue]) throws -> [String: UInt64] {
        try self.reader.withContents(of: path) { bytes in
            var values: [String: UInt64] = [:]
            issues += KeyValueParser.scan(bytes, path: path, isKnown: { keys.canonical($0) != nil }) { key, value in
                if let name = keys.canonical(key) { values[name] = value }
            }
            return values
        }
    }

    private func keyValues(_ path: String, issues: inout [ParseIssue]) throws -> [String: UInt64] {
        try self.reader.withContents(of: path) { bytes in
            let parsed = KeyValueParser.parse(bytes, path: path)
            issues += parsed.issues
            return parsed.values
        }
    }

    private func pressure(_ path: String, issues: inout [ParseIssue]) throws -> PSIStats? {
        try self.reader.withContents(of: path) { bytes in
            let parsed = PSIParser.parse(bytes, path: path)
            issues += parsed.issues
            return parsed.stats
        }
    }
}
