import Detectors
import Foundation
import Testing

@testable import InterferenceWatch

/// The `alerts:` section: shipped rules with no config, changes by name, new rules, and bad lines named.
struct AlertConfigTests {
    @Test func noConfigMeansTheShippedRulesAndNoSink() throws {
        let config = try DaemonConfig.parse("", file: "x.yaml")
        #expect(config.alerts.rules == AlertRule.defaults)
        #expect(config.alerts.alertmanagers.isEmpty && config.alerts.webhooks.isEmpty)
    }

    @Test func rulesChangeByNameTurnOffAndAdd() throws {
        let config = try DaemonConfig.parse("""
            alerts:
              resend_interval: 30s
              rules:
                - {name: InterferenceWatchHostSwapStorm, threshold: 0.005, clear: 0.002, for: 5m, keep_firing_for: 2m, severity: page}
                - {name: InterferenceWatchHostMemoryBelowRecommended, enabled: false}
                - {name: LabSlow, condition: imbalance, labels: {team: lab}, summary: "{{server}} slow"}
              alertmanagers:
                - {url: "http://127.0.0.1:9093/"}
              webhooks:
                - {url: "https://hooks.example/x"}
            """, file: "x.yaml")
        let rules = Dictionary(uniqueKeysWithValues: config.alerts.rules.map { ($0.name, $0) })
        let swap = try #require(rules["InterferenceWatchHostSwapStorm"])
        #expect(swap.threshold == 0.005 && swap.clearThreshold == 0.002 && swap.forSeconds == 300 && swap.keepFiringForSeconds == 120)
        #expect(swap.severity == "page" && swap.condition == .hostSwapIn)
        #expect(rules["InterferenceWatchHostMemoryBelowRecommended"] == nil)
        #expect(rules["LabSlow"]?.labels == ["team": "lab"] && rules["LabSlow"]?.condition == .imbalance)
        #expect(config.alerts.resendIntervalSeconds == 30)
        #expect(config.alerts.alertmanagers.map(\.url) == ["http://127.0.0.1:9093"])
    }

    @Test(arguments: [
        ("alerts:\n  rules:\n    - {name: New}\n", 3, "needs a condition"),
        ("alerts:\n  rules:\n    - {name: New, condition: moon}\n", 3, "unknown condition"),
        ("alerts:\n  rules:\n    - {name: InterferenceWatchHostSwapStorm, threshold: 0.1, clear: 0.2}\n", 3, "must not be above threshold"),
        ("alerts:\n  rules:\n    - {name: Nope, enabled: false}\n", 3, "no rule \"Nope\" to disable"),
        ("alerts:\n  rules:\n    - {name: X, condition: imbalance, labels: {server: a}}\n", 3, "is set by the daemon"),
        ("alerts:\n  alertmanagers:\n    - {url: \"ftp://x\"}\n", 3, "is not an http(s) URL"),
        ("alerts:\n  resend_interval: 0s\n", 2, "at least 1s"),
        ("alerts:\n  webhook: []\n", 2, "unknown key \"webhook\""),
    ])
    func badLinesNameFileAndLine(_ text: String, _ line: Int, _ fragment: String) {
        do {
            _ = try DaemonConfig.parse(text, file: "/etc/iw.yaml")
            Issue.record("expected an error for \(text)")
        } catch let error as ConfigError {
            #expect(error.line == line, "\(error)")
            #expect(error.description.contains(fragment), "\(error)")
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func checkConfigSaysOKOrNamesTheLine() async throws {
        let tree = try TemporaryTree()
        try tree.write("good.yaml", "alerts:\n  rules:\n    - {name: InterferenceWatchHostSwapStorm, for: 1m}\n")
        try tree.write("bad.yaml", "alerts:\n  webhooks:\n    - {url: \"http://x\", secret_file: /nonexistent/secret}\n")
        func check(_ file: String) async throws -> (Int32, String) {
            let result = try await BinaryRun.run(["check-config", tree.root + "/" + file])
            return (result.status, result.stdout + result.stderr)
        }
        let good = try await check("good.yaml")
        #expect(good.0 == 0 && good.1.contains("OK"), "\(good)")
        let bad = try await check("bad.yaml")
        #expect(bad.0 == 1 && bad.1.contains("bad.yaml:3:") && bad.1.contains("/nonexistent/secret"), "\(bad)")
    }
}
