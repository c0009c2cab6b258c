import Detectors
@testable import Parsers
import Testing

@testable import InterferenceWatch

struct ExpositionWriterTests {
    @Test func sortsFamiliesAndSeriesAndEscapes() {
        let families = [
            MetricFamily(name: "b_total", help: "B.", kind: .counter, samples: [
                .init(labels: [("x", "z")], value: 2), .init(labels: [("x", "a\"q\\\n")], value: 1),
            ]),
            MetricFamily(name: "a_bytes", help: "line\nbreak \\ here", kind: .gauge, samples: [.init(labels: [], value: 1.5)]),
            MetricFamily(name: "empty", help: "No samples, no header.", kind: .gauge),
        ]
        let text = String(decoding: ExpositionWriter.render(families), as: UTF8.self)
        #expect(text == """
            # HELP a_bytes line\\nbreak \\\\ here
            # TYPE a_bytes gauge
            a_bytes 1.5
            # HELP b_total B.
            # TYPE b_total counter
            b_total{x="a\\"q\\\\\\n"} 1
            b_total{x="z"} 2

            """)
    }

    @Test func keepsHistogramBucketOrder() {
        let family = MetricFamily(name: "h", help: "H.", kind: .histogram, samples: [
            .init(suffix: "_bucket", labels: [("s", "b"), ("le", "2.5")], value: 1),
            .init(suffix: "_bucket", labels: [("s", "b"), ("le", "10")], value: 2),
            .init(suffix: "_bucket", labels: [("s", "b"), ("le", "+Inf")], value: 2),
            .init(suffix: "_bucket", labels: [("s", "a"), ("le", "2.5")], value: 0),
        ])
        let lines = String(decoding: ExpositionWriter.render([family]), as: UTF8.self).split(separator: "\n").dropFirst(2)
        #expect(lines.map(String.init) == [
            "h_bucket{s=\"a\",le=\"2.5\"} 0", "h_bucket{s=\"b\",le=\"2.5\"} 1", "h_bucket{s=\"b\",le=\"10\"} 2",
            "h_bucket{s=\"b\",le=\"+Inf\"} 2",
        ])
    }

    @Test(arguments: [
        (1.0, "1"), (0.25, "0.25"), (-3.0, "-3"), (Double.infinity, "+Inf"), (-Double.infinity, "-Inf"), (Double.nan, "NaN"),
        (1e20, "1e+20"), (123_456_789_012.0, "123456789012"),
    ])
    func formatsValues(_ value: Double, _ text: String) {
        #expect(ExpositionWriter.format(value) == text)
    }
}
