import Detectors
import Testing

@testable import InterferenceWatch
@testable import Parsers

struct WorkloadClassifierTests {
    static let id = "3f4e1b2c9a8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f"

    @Test(arguments: [
        ("/docker/\(id)", "3f4e1b2c9a8d", WorkloadKind.container),
        ("/system.slice/docker-\(id).scope", "3f4e1b2c9a8d", .container),
        ("/machine.slice/libpod-\(id).scope", "3f4e1b2c9a8d", .container),
        ("/libpod_parent/libpod-\(id)", "3f4e1b2c9a8d", .container),
        ("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-podx.slice/cri-containerd-\(id).scope", "3f4e1b2c9a8d", .container),
        ("/kubepods.slice/kubepods-pody.slice/crio-\(id).scope", "3f4e1b2c9a8d", .container),
        ("/kubepods/burstable/pod1234/\(id)", "3f4e1b2c9a8d", .container),
        ("/machine.slice/machine-qemu\\x2d1\\x2dweb\\x2d1.scope", "web-1", .vm),
        ("/machine.slice/machine-qemu\\x2d12\\x2ddb.scope", "db", .vm),
        ("/machine/qemu-3-web.libvirt-qemu", "web", .vm),
        ("/machine/legacy.libvirt-qemu", "legacy", .vm),
        ("/system.slice/nginx.service", "nginx.service", .service),
    ])
    func classifiesWorkloads(_ path: String, _ name: String, _ kind: WorkloadKind) {
        let components = path.split(separator: "/")
        #expect(WorkloadClassifier.classify(components) == .workload(.init(name: name, kind: kind)))
    }

    @Test(arguments: [
        "/user.slice", "/system.slice", "/machine.slice", "/kubepods.slice/kubepods-burstable.slice",
        "/user.slice/user-1000.slice/user@1000.service", "/docker", "/lab/s1",
        "/notdocker/\(id)",  // a 64-hex name outside docker or kubepods is not assumed to be a container
        "/machine/.libvirt-qemu",  // no machine name: not a VM called "" (found by Fuzz/WorkloadClassifier)
    ])
    func descendsIntoEverythingElse(_ path: String) {
        #expect(WorkloadClassifier.classify(path.split(separator: "/")) == .descend)
    }

    @Test func ignoresRuntimeMonitors() {
        #expect(WorkloadClassifier.classify(["machine.slice", "libpod-conmon-\(Self.id).scope"]) == .ignore)
        #expect(WorkloadClassifier.classify(["kubepods.slice", "crio-conmon-\(Self.id).scope"]) == .ignore)
    }

    @Test func decodesSystemdEscapes() {
        #expect(WorkloadClassifier.unescapeSystemd("qemu\\x2d1\\x2dweb\\x2d1") == "qemu-1-web-1")
        #expect(WorkloadClassifier.unescapeSystemd("a\\x5cb") == "a\\b")
        #expect(WorkloadClassifier.unescapeSystemd("bad\\xZZ") == "bad\\xZZ")
    }
}
