import FuzzSupport
import Parsers

// `Server-Timing` header values (a probed server writes them); each input line is one header field.
// A duration is finite and non-negative, and a metric's name is a non-empty token.
Fuzz.run { bytes in
    let values = Fuzz.text(bytes).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    for metric in ServerTimingParser.parse(values) {
        Fuzz.require(!metric.name.isEmpty && !metric.name.contains(where: { $0 == " " || $0 == "," || $0 == ";" }),
                     "metric name \"\(metric.name)\" is not a token")
        if let ms = metric.durationMilliseconds {
            Fuzz.require(ms.isFinite && ms >= 0, "duration \(ms)")
        }
    }
    if let seconds = ServerTimingParser.durationSeconds(in: values) {
        Fuzz.require(seconds.isFinite && seconds >= 0, "task duration \(seconds)")
    }
}
