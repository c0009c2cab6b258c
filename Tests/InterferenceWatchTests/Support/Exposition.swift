import Detectors
@testable import Parsers
/// Reads values out of a Prometheus text exposition, for assertions.
struct Exposition {
    let text: String

    /// The value of the series whose name is `name` and whose labels include every pair in `labels`.
    func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        for line in self.text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " ") else { continue }
            let series = line[..<space]
            let seriesName = series.firstIndex(of: "{").map { series[..<$0] } ?? series
            guard seriesName == name else { continue }
            if labels.allSatisfy({ series.contains("\($0.key)=\"\($0.value)\"") }) {
                let raw = line[line.index(after: space)...]
                return raw == "+Inf" ? .infinity : Double(raw)
            }
        }
        return nil
    }

    /// All lines naming `name` (samples only).
    func lines(_ name: String) -> [Substring] {
        self.text.split(separator: "\n").filter { $0.hasPrefix(name + "{") || $0.hasPrefix(name + " ") }
    }
}
