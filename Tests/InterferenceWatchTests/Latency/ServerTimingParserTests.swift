import Detectors
import Testing

@testable import InterferenceWatch
@testable import Parsers

struct LatencyServerTimingTests {
    @Test(arguments: [
        // (header values, expected task seconds)
        (["task;dur=1234.5"], 1.2345),
        (["task;dur=53"], 0.053),
        (["miss, db;dur=53, task;dur=47.2"], 0.0472),
        (["  task ; dur = 10 ; desc=\"x\""], 0.010),
        (["task;desc=\"a, b; c\";dur=20"], 0.020),
        (["task;dur=\"30\""], 0.030),
        (["task;DUR=40"], 0.040),
        (["task;dur=5;dur=6"], 0.005),  // first param wins
        (["task;dur=5", "task;dur=6"], 0.005),  // first metric wins
        (["db;dur=1", "task;dur=7"], 0.007),  // several header fields
        (["task", "task;dur=8"], 0.008),  // a task without dur is skipped
        (["task;dur=0"], 0.0),
        (["task;dur=1e3"], 1.0),
        (["total;dur=99"], nil),
        (["Task;dur=9"], nil),  // names are case-sensitive
        ([], nil),
        ([""], nil),
        (["task;dur="], nil),
        (["task;dur=abc"], nil),
        (["task;dur=-5"], nil),
        (["task;dur=inf"], nil),
        (["task;dur=nan"], nil),
        (["task;dur=0x10"], nil),
        (["task;dur=\"12"], nil),  // unterminated quote
        (["ta sk;dur=1"], nil),  // not a token
        (["\"task\";dur=1"], nil),
        ([";;;,,,"], nil),
        (["task;;dur=11"], 0.011),  // empty param ignored
        (["task;desc=\"say \\\"hi\\\"\";dur=12"], 0.012),
        (["\u{00e9}t\u{00e9};dur=1, task;dur=13"], 0.013),
    ] as [([String], Double?)])
    func taskDuration(headers: [String], expected: Double?) {
        let seconds = ServerTimingParser.durationSeconds(in: headers)
        if let expected {
            #expect(seconds != nil)
            #expect(abs((seconds ?? -1) - expected) < 1e-12)
        } else {
            #expect(seconds == nil)
        }
    }

    @Test func parsesAllMetricsWithDescriptions() {
        let metrics = ServerTimingParser.parse(["miss, db;dur=53, app;dur=47.2", "cache;desc=\"Cache Read\";dur=23.2"])
        #expect(metrics == [
            .init(name: "miss"),
            .init(name: "db", durationMilliseconds: 53),
            .init(name: "app", durationMilliseconds: 47.2),
            .init(name: "cache", durationMilliseconds: 23.2, description: "Cache Read"),
        ])
    }

    @Test func metricNameIsConfigurable() {
        #expect(ServerTimingParser.durationSeconds(named: "work", in: ["task;dur=1, work;dur=2000"]) == 2)
    }
}
