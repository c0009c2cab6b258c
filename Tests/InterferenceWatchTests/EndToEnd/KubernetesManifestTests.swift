import Foundation
import Glibc
import Testing

/// `contrib/kubernetes`: the PrometheusRule is what `scripts/gen-prometheusrule.py` makes from `rules/`, never a
/// hand edit.
struct PrometheusRuleGenerationTests {
    @Test func thePrometheusRuleIsAFreshGeneration() async throws {
        let script = TestPaths.packageRoot.appendingPathComponent("scripts/gen-prometheusrule.py").path
        let fresh = try await Command.run(["python3", script, "--stdout"])
        #expect(fresh.status == 0, "\(fresh)")
        let committed = try String(contentsOf: TestPaths.packageRoot.appendingPathComponent("contrib/kubernetes/prometheusrule.yaml"), encoding: .utf8)
        #expect(fresh.stdout == committed, "contrib/kubernetes/prometheusrule.yaml differs from a fresh generation: run scripts/gen-prometheusrule.py")
    }
}

/// The manifests against the Kubernetes schemas (`kubernetes-validate`, strict, offline) and, for the Prometheus
/// Operator's CRDs that those schemas lack, a structural check; see `scripts/check-kubernetes-manifests.py`.
@Suite(.enabled(if: KubernetesValidator.installed,
                "kubernetes-validate is not installed (scripts/install-deps.sh --test makes .build-tools/k8s-venv from PyPI)"))
struct KubernetesManifestTests {
    static let python = KubernetesValidator.python
    static let script = TestPaths.packageRoot.appendingPathComponent("scripts/check-kubernetes-manifests.py").path

    /// Runs the check; as root in a network namespace of its own, which shows it needs no network.
    static func check(_ extra: [String] = []) async throws -> Command.Result {
        let offline = getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/unshare") ? ["/usr/bin/unshare", "--net"] : []
        return try await Command.run(offline + [Self.python, Self.script] + extra, timeoutSeconds: 120)
    }

    @Test func theManifestsValidate() async throws {
        let result = try await Self.check()
        #expect(result.status == 0, "\(result)")
        for kind in ["DaemonSet", "Service"] {
            #expect(result.stdout.contains("\(kind)/interference-watch: valid against Kubernetes"), "\(result)")
        }
        for kind in ["ServiceMonitor", "PrometheusRule"] {
            #expect(result.stdout.contains("\(kind)/interference-watch: structural check"), "\(result)")
        }
    }

    @Test(arguments: [
        ("daemonset.yaml", "containerPort: 9879", "containerPort: \"9879\"", "containerPort"),   // a schema error
        ("daemonset.yaml", "hostPID: true", "hostPID: false", "needs hostPID: true"),
        ("daemonset.yaml", "--path.procfs=/host/proc", "--path.procfs=/proc", "--path.procfs must name a mounted path"),
        ("daemonset.yaml", "mountPath: /host/sys, readOnly: true", "mountPath: /host/sys", "/host/sys must be mounted read-only"),
        ("service.yaml", "targetPort: metrics", "targetPort: web", "targetPort web is no container port"),
        ("servicemonitor.yaml", "- port: metrics", "- interval: 15s", "needs a port name"),
        ("prometheusrule.yaml", "for: 10m", "for: 10m\n          record: both", "needs exactly one of record and alert"),
        ("prometheusrule.yaml", "for: 10m", "for: 15m", "spec.groups differ from rules/*.rules.yml"),
    ])
    func aBrokenManifestIsRejected(file: String, original: String, broken: String, message: String) async throws {
        let tree = try TemporaryTree()
        let directory = TestPaths.packageRoot.appendingPathComponent("contrib/kubernetes")
        for name in try FileManager.default.contentsOfDirectory(atPath: directory.path) where name.hasSuffix(".yaml") {
            var text = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
            if name == file {
                #expect(text.contains(original), "\(name) no longer contains \(original)")
                text = text.replacingOccurrences(of: original, with: broken)
            }
            try tree.write(name, text)
        }
        let result = try await Self.check(["--dir", tree.root])
        #expect(result.status == 1, "\(result)")
        #expect(result.stderr.contains(message), "\(result)")
    }
}

/// The Python that has `kubernetes-validate`: `K8S_VALIDATE_PYTHON`, else the venv `scripts/install-deps.sh --test` makes.
enum KubernetesValidator {
    static let python = ProcessInfo.processInfo.environment["K8S_VALIDATE_PYTHON"]
        ?? TestPaths.packageRoot.appendingPathComponent(".build-tools/k8s-venv/bin/python").path
    static var installed: Bool {
        (try? Command.runBlocking([Self.python, "-c", "import kubernetes_validate"]).status) == 0
    }
}
