import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Container cgroups created and removed at a high rate in the v1 memory hierarchy and the unified tree, under a
/// parent of this test process's own (`/iw-test/churn-<pid>/system.slice/docker-<64 hex>.scope`).
///
/// Each name classifies as a container workload; its first 12 hex digits (the `workload` label) are the pid, a kind
/// digit and a serial, so no two collide. A few survivors stay for the whole run; the churn keeps a pool of live
/// cgroups and, at every step, creates one and removes the oldest, on a thread of its own. Every directory is
/// removed at ``stop()`` (and by `deinit`, when a test fails first); ``removeStale()`` clears what a killed run left.
final class LiveCgroupChurn: Sendable {
    static let roots = [LiveCgroup.memoryRoot, LiveCgroup.unifiedRoot]

    /// Root, a v1 memory hierarchy we can create cgroups in, and the unified tree beside it.
    static var available: Bool {
        getuid() == 0 && FileManager.default.fileExists(atPath: LiveCgroup.memoryRoot + "/memory.usage_in_bytes")
            && FileManager.default.fileExists(atPath: LiveCgroup.unifiedRoot + "/cgroup.procs")
    }

    private struct State {
        var live: [String] = []
        var created = 0
        var removed = 0
        var failures: [String] = []
        var running = false
        var stopped = false
    }

    /// `/iw-test/churn-<pid>`: the parent of everything this churn creates; its series carry it in `cgroup`.
    let parent: String
    /// The survivors' cgroup paths (relative to the hierarchy roots).
    let survivors: [String]
    private let pool: Int
    private let perSecond: Double
    private let state = Mutex(State())
    private let done = DispatchSemaphore(value: 0)

    /// Creates the parent and the survivors; call ``start()`` to begin churning.
    ///
    /// - Parameters:
    ///   - survivors: cgroups that stay for the whole run.
    ///   - pool: churned cgroups alive at any moment (the oldest is removed as each new one is made).
    ///   - perSecond: cgroups created (and as many removed) per second, at most.
    init(survivors: Int = 5, pool: Int = 100, perSecond: Double = 300) throws {
        self.parent = "/iw-test/churn-\(getpid())"
        self.pool = pool
        self.perSecond = perSecond
        self.survivors = (0..<survivors).map { Self.path(parent: "/iw-test/churn-\(getpid())", kind: "a", serial: $0) }
        for root in Self.roots {
            try FileManager.default.createDirectory(atPath: root + self.parent + "/system.slice",
                                                    withIntermediateDirectories: true)
        }
        for path in self.survivors { try Self.make(path) }
    }

    /// `<parent>/system.slice/docker-<pid 6 hex><kind><serial 5 hex><52 zeros>.scope`.
    static func path(parent: String, kind: Character, serial: Int) -> String {
        let id = String(format: "%06x", Int(getpid()) & 0xffffff) + String(kind) + String(format: "%05x", serial & 0xfffff)
            + String(repeating: "0", count: 52)
        return parent + "/system.slice/docker-" + id + ".scope"
    }

    /// Cgroups created and removed by the churn so far.
    var counts: (created: Int, removed: Int) { self.state.withLock { ($0.created, $0.removed) } }
    /// mkdir or rmdir calls that failed (each with its path and errno).
    var failures: [String] { self.state.withLock { $0.failures } }

    func start() {
        guard self.state.withLock({ state -> Bool in
            defer { state.running = true }
            return !state.running && !state.stopped
        }) else { return }
        let thread = Thread { [self] in
            self.churn()
            self.done.signal()
        }
        thread.start()
    }

    /// Stops churning and removes the churned cgroups still alive; the survivors stay. Only the first call does
    /// anything.
    func finishChurn() {
        let (wasRunning, already) = self.state.withLock { state -> (Bool, Bool) in
            defer { state.stopped = true }
            return (state.running, state.stopped)
        }
        guard !already else { return }
        if wasRunning { self.done.wait() }
        let live = self.state.withLock { state in
            defer { state.live = [] }
            return state.live
        }
        for path in live { self.remove(path) }
    }

    /// Stops churning and removes every cgroup it made, the survivors and the parent.
    func stop() {
        self.finishChurn()
        for path in self.survivors { self.remove(path) }
        Self.removeTree(self.parent)
    }

    deinit { self.stop() }

    private var isStopped: Bool { self.state.withLock { $0.stopped } }

    private func churn() {
        let start = Date()
        var serial = 0
        while !self.isStopped {
            let path = Self.path(parent: self.parent, kind: "c", serial: serial)
            serial += 1
            do {
                try Self.make(path)
                let oldest = self.state.withLock { state -> String? in
                    state.created += 1
                    state.live.append(path)
                    return state.live.count > self.pool ? state.live.removeFirst() : nil
                }
                if let oldest { self.remove(oldest) }
            } catch {
                self.state.withLock { $0.failures.append("mkdir \(path): \(error)") }
            }
            // Paced from the start, so a slow step is made up for but the rate never exceeds perSecond.
            let due = start.addingTimeInterval(Double(serial) / self.perSecond)
            let wait = due.timeIntervalSinceNow
            if wait > 0 { usleep(useconds_t(wait * 1e6)) }
        }
    }

    private static func make(_ path: String) throws {
        for root in Self.roots where mkdir(root + path, 0o755) != 0 {
            throw POSIXError(.init(rawValue: errno) ?? .EIO)
        }
    }

    /// Removes one cgroup from both trees (the unified one first: the memory one is what the daemon walks, and a
    /// cgroup whose `memory.pressure` is already gone is simply read without it).
    private func remove(_ path: String) {
        for root in Self.roots.reversed() {
            var attempts = 0
            // A just-emptied memcg can answer EBUSY for a moment.
            while rmdir(root + path) != 0 {
                let code = errno
                attempts += 1
                if code == ENOENT { break }
                guard code == EBUSY && attempts < 50 else {
                    self.state.withLock { $0.failures.append("rmdir \(root + path): errno \(code)") }
                    break
                }
                usleep(10_000)
            }
        }
        self.state.withLock { $0.removed += 1 }
    }

    /// Removes `relative` and every directory under it in both trees, deepest first (cgroups hold no files to delete).
    static func removeTree(_ relative: String) {
        for root in Self.roots {
            let top = root + relative
            guard let walker = FileManager.default.enumerator(atPath: top) else { continue }
            var directories: [String] = []
            while let entry = walker.nextObject() as? String {
                var isDirectory: ObjCBool = false
                if FileManager.default.fileExists(atPath: top + "/" + entry, isDirectory: &isDirectory), isDirectory.boolValue {
                    directories.append(top + "/" + entry)
                }
            }
            for directory in directories.sorted(by: { $0.count > $1.count }) { rmdir(directory) }
            rmdir(top)
        }
    }

    /// Removes the churn trees of test processes that no longer run (a run killed before its clean-up).
    static func removeStale() {
        for root in Self.roots {
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: root + "/iw-test")) ?? []
            for entry in entries where entry.hasPrefix("churn-") {
                guard let pid = Int32(entry.dropFirst("churn-".count)), pid != getpid(),
                      kill(pid, 0) != 0 && errno == ESRCH else { continue }
                Self.removeTree("/iw-test/" + entry)
            }
        }
    }
}
