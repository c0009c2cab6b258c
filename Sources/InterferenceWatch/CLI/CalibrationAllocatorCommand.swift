import ArgumentParser
import CFileShims
import Foundation
import Glibc

/// `interference-watch _calibration-allocator` (hidden): one step of a calibration's memory pressure.
///
/// It joins its cgroup first (so every page it touches is charged there), then maps `--bytes` of anonymous memory and
/// writes to every page once a second, like `stress -m` with `--vm-keep`: the pages stay hot, so the kernel has to
/// reclaim (and swap) the other workloads' memory instead of this. It dies with the calibration: the kernel kills it
/// when its parent exits (`PR_SET_PDEATHSIG`), and it exits by itself once its parent is gone.
struct CalibrationAllocatorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "_calibration-allocator", shouldDisplay: false)

    @Option var bytes: UInt64
    @Option(name: .customLong("cgroup-procs")) var cgroupProcs: String
    @Option var parent: Int32

    func run() throws {
        _ = iw_set_parent_death_signal(SIGKILL)
        guard getppid() == self.parent else { throw ExitCode(3) }  // the parent died before the death signal was set
        do {
            try "\(getpid())\n".write(toFile: self.cgroupProcs, atomically: false, encoding: .utf8)
        } catch {
            FileHandle.standardError.write(Data("cannot join \(self.cgroupProcs): \(error.localizedDescription)\n".utf8))
            throw ExitCode(2)
        }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let length = Int(self.bytes)
        guard let memory = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), memory != MAP_FAILED else {
            FileHandle.standardError.write(Data("cannot map \(length) bytes: \(String(cString: strerror(errno)))\n".utf8))
            throw ExitCode(2)
        }
        let bytes = memory.assumingMemoryBound(to: UInt8.self)
        var pass: UInt8 = 1
        while getppid() == self.parent {
            let start = iw_monotonic_seconds()
            var offset = 0
            while offset < length {
                bytes[offset] = pass
                offset += page
            }
            pass &+= 1
            let spent = iw_monotonic_seconds() - start
            if spent < 1 { usleep(UInt32((1 - spent) * 1_000_000)) }
        }
    }
}
