import CProc2

/// Enumerates processes through libproc2 (procps 4).
///
/// libproc2 reads the live `/proc` only (its paths are compiled in), so this source exists only when
/// `--path.procfs` is `/proc`. Its handle carries unlocked state: one table per collector, one task at a time.
final class ProcessTable {
    private var info: OpaquePointer?
    private static let items: [pids_item] = [
        PIDS_ID_PID, PIDS_CMD, PIDS_CMDLINE_V, PIDS_CGROUP_V, PIDS_VM_RSS, PIDS_VM_SWAP, PIDS_FLT_MAJ,
    ]

    init() throws {
        var items = Self.items
        let status = procps_pids_new(&self.info, &items, Int32(items.count))
        guard status >= 0, self.info != nil else {
            throw CollectorError.failed("libproc2: procps_pids_new failed (\(status))")
        }
    }

    deinit {
        _ = procps_pids_unref(&self.info)
    }

    /// Every process (threads folded into their process).
    func processes() throws -> [ProcessSample] {
        guard let fetch = procps_pids_reap(self.info, PIDS_FETCH_TASKS_ONLY) else {
            throw CollectorError.failed("libproc2: procps_pids_reap failed (is /proc mounted?)")
        }
        let total = Int(fetch.pointee.counts.pointee.total)
        var result: [ProcessSample] = []
        result.reserveCapacity(total)
        for index in 0..<total {
            guard let stack = fetch.pointee.stacks[index] else { continue }
            let head = stack.pointee.head!
            let pid = head[0].result.s_int
            let command = head[1].result.str.map { String(cString: $0) } ?? ""
            let commandLine = Self.strings(head[2].result.strv)
            let cgroups = ProcessSample.cgroupPaths(Self.strings(head[3].result.strv))
            result.append(ProcessSample(
                pid: pid, command: command, commandLine: commandLine,
                cgroupV2: cgroups.v2, cgroupV1Memory: cgroups.v1Memory,
                rssBytes: UInt64(head[4].result.ul_int) * 1024, swapBytes: UInt64(head[5].result.ul_int) * 1024,
                majorFaults: UInt64(head[6].result.ul_int)))
        }
        return result
    }

    /// libproc2 returns `["-"]` (a single dash) when a vector is unavailable, as for kernel threads.
    private static func strings(_ vector: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> [String] {
        guard let vector else { return [] }
        var result: [String] = []
        var index = 0
        while let element = vector[index] {
            result.append(String(cString: element))
            index += 1
        }
        return result == ["-"] ? [] : result
    }
}
