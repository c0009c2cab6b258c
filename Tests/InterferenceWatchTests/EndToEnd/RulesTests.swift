import Detectors
@testable import Parsers
import Foundation
import Testing

/// The shipped Prometheus rules parse and their alerts fire as their unit tests say.
struct RulesTests {
    static let rules = TestPaths.packageRoot.appendingPathComponent("rules")

    @Test func rulesPassCheck() throws {
        let result = try GoldenMetricsTests.promtool(["check", "rules", Self.rules.appendingPathComponent("interferencewatch.rules.yml").path], input: "")
        #expect(result.status == 0, "\(result.output)")
    }

    @Test func rulesPassTheirUnitTests() throws {
        let result = try GoldenMetricsTests.promtool(["test", "rules", Self.rules.appendingPathComponent("interferencewatch.rules.test.yml").path], input: "")
        #expect(result.status == 0, "\(result.output)")
    }
}
