import Detectors
import FuzzSupport
import Parsers

// /proc/pressure/* and cgroup *.pressure. Averages are percentages: finite and within 0...100, or the line is an
// issue. Round trip through the kernel's own format.
Fuzz.run { bytes in
    let parsed = PSIParser.parse(bytes, path: "memory.pressure")
    guard let stats = parsed.stats else {
        Fuzz.require(!parsed.issues.isEmpty, "no stats and no issue")
        return
    }
    func line(_ kind: String, _ l: PSILine) -> String {
        for avg in [l.avg10Percent, l.avg60Percent, l.avg300Percent] {
            Fuzz.require(avg.isFinite && avg >= 0 && avg <= 100, "\(kind) average \(avg) is not a percentage")
        }
        return "\(kind) avg10=\(l.avg10Percent) avg60=\(l.avg60Percent) avg300=\(l.avg300Percent) total=\(l.totalMicroseconds)\n"
    }
    let text = line("some", stats.some) + (stats.full.map { line("full", $0) } ?? "")
    let again = Array(text.utf8).withUnsafeBufferPointer { PSIParser.parse($0, path: "memory.pressure") }
    Fuzz.require(again.stats == stats && again.issues.isEmpty, "PSI round trip: \(stats) -> \(again)")
}
