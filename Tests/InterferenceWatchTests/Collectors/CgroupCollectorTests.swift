import Detectors
import Testing

@testable import InterferenceWatch
@testable import Parsers

private func collect(root: String, procfs: String? = nil, named: [(path: String, name: String)] = [])
    throws -> (snapshot: CollectedSweep, issues: [ParseIssue]) {
    let paths = CollectorPaths(procfs: procfs ?? "/nonexistent", cgroupfs: root)
    let collector = CgroupCollector(paths: paths, namedCgroups: named, reader: CachedFileReader())
    var snapshot = CollectedSweep()
    var issues: [ParseIssue] = []
    try collector.collect(into: &snapshot, issues: &issues)
    return (snapshot, issues)
}

struct CgroupCollectorFixtureTests {
    @Test func ubuntu1804HybridV1() throws {
        let root = TestPaths.fixture("ubuntu1804-v1") + "/sys/fs/cgroup"
        let (snapshot, issues) = try collect(root: root, named: [("/lab/s1", "lab-s1")])
        #expect(issues.isEmpty)
        #expect(snapshot.cgroupLayout?.name == "hybrid")
        let byName = Dictionary(uniqueKeysWithValues: snapshot.workloads.map { ($0.name, $0) })
        #expect(Set(byName.keys) == ["3f4e1b2c9a8d", "a1b2c3d4e5f6", "web-1", "db", "ssh.service", "libvirtd.service", "lab-s1"])

        let limited = try #require(byName["3f4e1b2c9a8d"])
        #expect(limited.kind == .container)
        #expect(limited.cgroupVersion == 1)
        #expect(limited.usageBytes == 268_435_456)
        #expect(limited.limitBytes == 268_435_456)
        #expect(limited.swapBytes == 402_653_184 - 268_435_456)  // memsw minus usage
        #expect(limited.stat[.anon] == 251_658_240)  // total_rss
        #expect(limited.majorFaults == 40211)
        #expect(limited.events == ["max": 51234, "oom_kill": 1])
        #expect(limited.pressure == nil)  // 4.15: no PSI anywhere

        let vm = try #require(byName["web-1"])
        #expect(vm.kind == .vm)
        #expect(vm.cgroup == "/machine.slice/machine-qemu\\x2d1\\x2dweb\\x2d1.scope")
        #expect(vm.limitBytes == nil)  // 9223372036854771712 means unlimited
        #expect(byName["lab-s1"]?.kind == .cgroup)
    }

    @Test func cgroupV2WithPSI() throws {
        let root = TestPaths.fixture("v2-psi") + "/sys/fs/cgroup"
        let (snapshot, issues) = try collect(root: root)
        #expect(issues.isEmpty)
        #expect(snapshot.cgroupLayout?.name == "v2")
        let byName = Dictionary(uniqueKeysWithValues: snapshot.workloads.map { ($0.name, $0) })
        #expect(Set(byName.keys) == ["9c2d4e6f8a0b", "docker.service", "5e6f7a8b9c0d", "b7c8d9e0f1a2", "c9d0e1f2a3b4",
                                     "web-1", "batch", "nginx.service", "postgresql.service"])
        let docker = try #require(byName["9c2d4e6f8a0b"])
        #expect(docker.usageBytes == 536_870_912)
        #expect(docker.limitBytes == 536_870_912)
        #expect(docker.swapBytes == 134_217_728)
        #expect(docker.pressure?.some.totalMicroseconds == 3_012_331)
        #expect(docker.events["oom_kill"] == 1)
        #expect(docker.refaults == 12033 + 120_331)
        let podman = try #require(byName["5e6f7a8b9c0d"])
        #expect(podman.limitBytes == nil)  // "max"
        #expect(podman.highBytes == 167_772_160)
        #expect(byName["web-1"]?.kind == .vm)
    }
}

struct CgroupCollectorEdgeTests {
    @Test func malformedStatLineIsReportedAndTheRestKept() throws {
        let tree = try TemporaryTree()
        try tree.write("cgroup.controllers", "memory\n")
        try tree.write("system.slice/a.service/memory.current", "4096\n")
        try tree.write("system.slice/a.service/memory.max", "max\n")
        try tree.write("system.slice/a.service/memory.stat", "anon 100\nfile\npgmajfault 7\n")
        try tree.write("system.slice/a.service/memory.pressure", "some avg10=0.00 avg60=0.00 avg300=0.00 total=12\n")
        let (snapshot, issues) = try collect(root: tree.root)
        let workload = try #require(snapshot.workloads.first)
        #expect(workload.stat == [.anon: 100, .pgmajfault: 7])
        #expect(workload.usageBytes == 4096)
        #expect(issues.count == 1)
        #expect(issues.first?.path == tree.root + "/system.slice/a.service/memory.stat")
        #expect(issues.first?.line == 2)
    }

    @Test func garbageInSingleValueFilesIsReported() throws {
        let tree = try TemporaryTree()
        try tree.write("cgroup.controllers", "memory\n")
        try tree.write("system.slice/a.service/memory.current", "lots\n")
        try tree.write("system.slice/a.service/memory.max", "-5\n")
        let (snapshot, issues) = try collect(root: tree.root)
        #expect(snapshot.workloads.count == 1)
        #expect(snapshot.workloads.first?.usageBytes == nil)
        #expect(Set(issues.map(\.line)) == [1])
        #expect(issues.count == 2)
    }

    @Test func vanishedCgroupIsSkippedQuietly() throws {
        let tree = try TemporaryTree()
        try tree.write("memory/memory.usage_in_bytes", "1\n")
        try tree.write("memory/system.slice/gone.service/cgroup.procs", "")
        try tree.write("memory/system.slice/kept.service/memory.usage_in_bytes", "42\n")
        // gone.service has no memory files at all: what a reader sees when rmdir lands between listing and reading.
        let (snapshot, issues) = try collect(root: tree.root)
        #expect(snapshot.workloads.map(\.name) == ["kept.service"])
        #expect(issues.isEmpty)
        // Counted as vanished, not as an error; a named cgroup that does not exist is neither.
        #expect(snapshot.vanished == ["cgroup": 1])
        let named = try collect(root: tree.root, named: [("/elsewhere", "missing")])
        #expect(named.snapshot.vanished == ["cgroup": 1])
        // The sweep runner keeps the total and reports 0 from the first sweep on.
        let calm = try TemporaryTree()
        try calm.write("memory/memory.usage_in_bytes", "1\n")
        let runner = SweepRunner(collectors: [CgroupCollector(paths: CollectorPaths(procfs: "/nonexistent", cgroupfs: calm.root),
                                                              namedCgroups: [], reader: CachedFileReader())],
                                 reader: CachedFileReader(), logger: TestLogHandlerStore().logger())
        #expect(runner.sweep(wallClockSeconds: 1).collectors.first?.vanishedTotal == 0)
        try calm.write("memory/system.slice/gone.service/cgroup.procs", "")
        _ = runner.sweep(wallClockSeconds: 2)
        let third = runner.sweep(wallClockSeconds: 3).collectors.first
        #expect(third?.vanishedTotal == 2)
        #expect(third?.errorsTotal == 0 && third?.success == true)
    }

    @Test func regularFilesAreNeverCachedSoReplacementsAreSeen() throws {
        let tree = try TemporaryTree()
        try tree.write("value", "1\n")
        let reader = CachedFileReader()
        #expect(try reader.string(at: tree.root + "/value") == "1\n")
        try tree.remove("value")
        #expect(throws: FileReadError.missing(path: tree.root + "/value")) { try reader.string(at: tree.root + "/value") }
        try tree.write("value", "2\n")
        #expect(try reader.string(at: tree.root + "/value") == "2\n")
        #expect(reader.openFileCount == 0)
    }

    @Test func procfsDescriptorsAreKeptAndClosedWhenUnused() throws {
        let reader = CachedFileReader()
        reader.beginSweep()
        let first = try reader.string(at: "/proc/self/stat")
        _ = try reader.string(at: "/proc/vmstat")
        reader.endSweep()
        #expect(reader.openFileCount == 2)
        reader.beginSweep()
        // Re-read through the kept descriptor: procfs regenerates the content at offset 0.
        #expect(try reader.string(at: "/proc/self/stat").hasPrefix(String(first.prefix(while: { $0 != " " }))))
        reader.endSweep()
        #expect(reader.openFileCount == 1)
    }

    /// sysfs is kernfs, as cgroupfs is: descriptors kept per file set, read to their first short read.
    @Test func fileSetsAreReadByIndexKeptAndClosedWhenUnused() throws {
        let cpu = "/sys/devices/system/cpu", topology = "/sys/devices/system/cpu/cpu0/topology"
        let files = [(cpu, ["online", "possible", "present"]), (topology, ["core_id", "physical_package_id"])]
        let plain = CachedFileReader(keepOpen: false)
        let expected = try files.map { dir, names in try names.map { try plain.string(at: dir + "/" + $0) } }
        let reader = CachedFileReader()
        func read(_ order: [Int]) throws -> [[String]] {
            var seen = expected.map { $0.map { _ in "" } }
            for set in order {
                let (dir, names) = files[set]
                let handle = reader.directory(dir, fileCount: names.count)
                for (index, name) in names.enumerated() {
                    seen[set][index] = try reader.withContents(of: index, in: handle, path: { dir + "/" + name }) {
                        String(decoding: $0, as: UTF8.self)
                    }
                }
            }
            return seen
        }
        reader.beginSweep()
        #expect(try read([0, 1]) == expected)
        reader.endSweep()
        #expect(reader.openFileCount == 5)
        // The other order, then one set alone: each name still gets its own file, and the unused set is closed.
        reader.beginSweep()
        #expect(try read([1, 0]) == expected)
        reader.endSweep()
        reader.beginSweep()
        #expect(try read([1])[1] == expected[1])
        reader.endSweep()
        #expect(reader.openFileCount == 2)
        reader.beginSweep()
        #expect(try read([0, 1]) == expected)
        reader.endSweep()
        #expect(reader.openFileCount == 5)
        #expect(throws: FileReadError.missing(path: cpu + "/no-such-file")) {
            try reader.withContents(of: 3, in: reader.directory(cpu, fileCount: 4), path: { cpu + "/no-such-file" }) { _ in () }
        }
    }

    @Test func noHierarchyIsNoData() throws {
        let tree = try TemporaryTree()
        #expect(throws: CollectorError.noData("no cgroup memory hierarchy under \(tree.root)")) {
            _ = try collect(root: tree.root)
        }
    }
}

struct HostCollectorTests {
    @Test func kernelWithoutPSIGivesNoPressureAndNoFailure() throws {
        let paths = CollectorPaths(procfs: TestPaths.fixture("ubuntu1804-v1") + "/proc")
        var snapshot = CollectedSweep()
        var issues: [ParseIssue] = []
        try PressureCollector(paths: paths, reader: CachedFileReader()).collect(into: &snapshot, issues: &issues)
        #expect(snapshot.host.pressure.isEmpty)
        #expect(issues.isEmpty)
    }

    @Test func missingMeminfoFails() throws {
        let tree = try TemporaryTree()
        var snapshot = CollectedSweep()
        var issues: [ParseIssue] = []
        #expect(throws: FileReadError.missing(path: tree.root + "/meminfo")) {
            try MeminfoCollector(paths: CollectorPaths(procfs: tree.root), reader: CachedFileReader())
                .collect(into: &snapshot, issues: &issues)
        }
    }
}
