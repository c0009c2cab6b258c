import Foundation
import Testing

/// Two real podman containers (rootful, an image imported from a local rootfs, no registry), classified live by the
/// daemon from their cgroups as `type="container"` workloads under their short ids, with their real memory usage.
@Suite(.serialized, .timeLimit(.minutes(3)),
       .enabled(if: TestPodman.available,
                "needs root, podman and runc (apt-get install podman; scripts/install-deps.sh --test), busybox-static and a v1 memory hierarchy"))
struct PodmanTests {
    static let mebibyte = 1024.0 * 1024

    @Test func classifiesTwoContainersWithTheirUsage() async throws {
        let started = Date()
        let podman = try TestPodman()
        defer { podman.remove() }
        try await podman.importImage()

        // Each container writes a file into its /dev/shm (a tmpfs: the pages are charged to the container's memory
        // cgroup and stay resident) and then sleeps.
        let fills = [("iw-test-small", 24), ("iw-test-large", 48)]
        var containers: [(id: String, fillMiB: Int, cgroup: String)] = []
        for (name, mebibytes) in fills {
            let id = try await podman.startContainer(
                name: name, script: "head -c \(mebibytes * 1024 * 1024) /dev/zero > /dev/shm/fill && exec sleep 3600")
            let pid = try await podman.run(["inspect", "--format", "{{.State.Pid}}", id])
            let cgroup = try #require(Int32(pid.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
                .flatMap(LibvirtSystemTests.memoryCgroup(of:)), "no cgroup for \(name): \(pid)")
            containers.append((id, mebibytes, cgroup))
        }
        print("podman test: containers started after \(Date().timeIntervalSince(started)) s: "
              + containers.map { "\($0.id.prefix(12)) in \($0.cgroup)" }.joined(separator: ", "))
        let shortIDs = try await podman.run(["ps", "--format", "{{.ID}}"]).stdout.split(separator: "\n").map(String.init)
        #expect(Set(shortIDs) == Set(containers.map { String($0.id.prefix(12)) }), "\(shortIDs)")

        // The fills are done once the kernel counts them (in RAM or, on this busy host, partly in swap).
        for container in containers {
            let filled = await eventually(within: 30, every: .milliseconds(100)) {
                Self.kernelUsage(container.cgroup, withSwap: true) >= Double(container.fillMiB) * Self.mebibyte
            }
            #expect(filled, "\(container.cgroup) holds \(Self.kernelUsage(container.cgroup, withSwap: true)) bytes")
        }

        let daemon = try await DaemonProcess(arguments: ["--collection.interval", "500ms"])
        defer { daemon.stop() }
        let labels = containers.map { ["workload": String($0.id.prefix(12)), "type": "container", "cgroup": $0.cgroup] }
        let metrics = try await VMDaemonTests.scrape(daemon, forUpTo: 30) { metrics in
            zip(labels, containers).allSatisfy { labels, container in
                Self.usageAndSwap(labels, in: metrics) >= Double(container.fillMiB) * Self.mebibyte
            }
        }
        for line in metrics.text.split(separator: "\n") where line.contains("libpod") {
            print("podman test: \(line)")
        }
        for (labels, container) in zip(labels, containers) {
            let usage = try #require(metrics.value("interferencewatch_workload_memory_usage_bytes", labels),
                                     "no usage for \(labels)")
            // The fill plus busybox's pages and the cgroup's kernel memory, in RAM or swapped out (the host is under
            // memory pressure from other work): never less, at most a few MiB more. The usage is what the kernel
            // says (nothing in the container allocates after the fill; swapping may move a little meanwhile).
            let fill = Double(container.fillMiB) * Self.mebibyte
            let total = Self.usageAndSwap(labels, in: metrics)
            #expect(total >= fill && total <= fill + 16 * Self.mebibyte, "\(labels): usage \(usage), with swap \(total)")
            #expect(abs(usage - Self.kernelUsage(container.cgroup)) <= 8 * Self.mebibyte, "\(labels): \(usage)")
            #expect(metrics.value("interferencewatch_workload_memory_limit_bytes", labels) == nil)  // unlimited
            let series = metrics.lines("interferencewatch_workload_memory_usage_bytes")
                .filter { $0.contains("libpod-\(container.id)") }
            #expect(series.count == 1, "\(series)")
        }
        // conmon, podman's monitor, lives in /libpod_parent/conmon: not a workload.
        #expect(!metrics.text.contains("cgroup=\"/libpod_parent/conmon\""))
        #expect((metrics.value("interferencewatch_workloads", ["type": "container"]) ?? 0) >= 2)

        let lint = try GoldenMetricsTests.promtool(["check", "metrics"], input: metrics.text)
        #expect(lint.status == 0, "promtool check metrics: \(lint.output)")
        #expect(daemon.stop() == 0)
        print("podman test: done after \(Date().timeIntervalSince(started)) s")
    }

    /// `memory.usage_in_bytes` of a v1 memory cgroup (`memory.memsw.usage_in_bytes` with swap, when the kernel
    /// accounts swap), 0 when unreadable.
    static func kernelUsage(_ cgroup: String, withSwap: Bool = false) -> Double {
        let directory = LiveCgroup.memoryRoot + cgroup
        let memsw = directory + "/memory.memsw.usage_in_bytes"
        let file = withSwap && FileManager.default.fileExists(atPath: memsw) ? memsw : directory + "/memory.usage_in_bytes"
        let text = try? String(contentsOfFile: file, encoding: .utf8)
        return Double(text?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "") ?? 0
    }

    /// The daemon's usage plus swap of a workload (v1: memsw minus usage), 0 without a usage series.
    static func usageAndSwap(_ labels: [String: String], in metrics: Exposition) -> Double {
        (metrics.value("interferencewatch_workload_memory_usage_bytes", labels) ?? 0)
            + (metrics.value("interferencewatch_workload_swap_usage_bytes", labels) ?? 0)
    }
}
