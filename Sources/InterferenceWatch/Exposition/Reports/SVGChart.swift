import Foundation

/// A line chart as inline SVG: axes with units and time labels, one coloured line per series with a dot per data
/// point (`class="point"`, so a browser check can count what was drawn), and a legend. No script, no external
/// resource: it renders the same in a browser, in print, and in a mail client.
struct SVGChart {
    var title: String
    var unit: String
    var series: [(name: String, points: [[Double]])]
    var width = 720.0
    var height = 240.0
    /// Small inline charts (the status page): no axes text, no legend.
    var compact = false

    static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"]

    var svg: String {
        let all = self.series.flatMap(\.points).filter { $0.count == 2 && $0[0].isFinite && $0[1].isFinite }
        let left = self.compact ? 2.0 : 70.0, right = self.compact ? 2.0 : 12.0
        let top = self.compact ? 2.0 : 12.0, bottom = self.compact ? 2.0 : 34.0
        let plotWidth = self.width - left - right, plotHeight = self.height - top - bottom
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" role=\"img\" width=\"\(Int(self.width))\" height=\"\(Int(self.height))\" viewBox=\"0 0 \(Int(self.width)) \(Int(self.height))\" data-points=\"\(all.count)\">"
        out += "<title>\(HTML.escape(self.title)) (\(HTML.escape(self.unit)))</title>"
        guard !all.isEmpty else {
            out += "<text x=\"\(Int(self.width / 2))\" y=\"\(Int(self.height / 2))\" text-anchor=\"middle\" class=\"empty\">no data in this range</text></svg>"
            return out
        }
        let minX = all.map { $0[0] }.min()!, maxX = all.map { $0[0] }.max()!
        var minY = min(0, all.map { $0[1] }.min()!), maxY = all.map { $0[1] }.max()!
        if maxY <= minY { maxY = minY + 1 }
        if self.unit == "ratio", maxY < 1 { maxY = 1 }
        minY = min(minY, 0)
        let spanX = maxX > minX ? maxX - minX : 1
        func x(_ t: Double) -> Double { left + (t - minX) / spanX * plotWidth }
        func y(_ v: Double) -> Double { top + plotHeight - (v - minY) / (maxY - minY) * plotHeight }
        if !self.compact {
            out += "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(plotWidth))\" height=\"\(f(plotHeight))\" fill=\"none\" stroke=\"#999\"/>"
            for step in 0...4 {
                let value = minY + (maxY - minY) * Double(step) / 4
                let py = y(value)
                out += "<line x1=\"\(f(left))\" y1=\"\(f(py))\" x2=\"\(f(left + plotWidth))\" y2=\"\(f(py))\" stroke=\"#eee\"/>"
                out += "<text x=\"\(f(left - 4))\" y=\"\(f(py + 4))\" text-anchor=\"end\" class=\"tick\">\(HTML.escape(Self.format(value, unit: self.unit)))</text>"
            }
            for step in 0...3 {
                let t = minX + spanX * Double(step) / 3
                let anchor = step == 0 ? "start" : step == 3 ? "end" : "middle"
                out += "<text x=\"\(f(x(t)))\" y=\"\(f(top + plotHeight + 14))\" text-anchor=\"\(anchor)\" class=\"tick\">\(Self.clock(t))</text>"
            }
            out += "<text x=\"\(f(left + plotWidth / 2))\" y=\"\(f(self.height - 4))\" text-anchor=\"middle\" class=\"axis\">time (UTC) · \(HTML.escape(self.unit))</text>"
        }
        for (index, series) in self.series.enumerated() {
            let color = Self.palette[index % Self.palette.count]
            let points = series.points.filter { $0.count == 2 && $0[0].isFinite && $0[1].isFinite }
            guard !points.isEmpty else { continue }
            let path = points.map { "\(f(x($0[0]))),\(f(y($0[1])))" }.joined(separator: " ")
            out += "<g class=\"series\" data-series=\"\(HTML.escape(series.name))\"><polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.5\" points=\"\(path)\"/>"
            if !self.compact {
                for point in points {
                    out += "<circle class=\"point\" cx=\"\(f(x(point[0])))\" cy=\"\(f(y(point[1])))\" r=\"1.8\" fill=\"\(color)\"/>"
                }
            }
            out += "</g>"
        }
        out += "</svg>"
        if !self.compact {
            out += "<p class=\"legend\">" + self.series.enumerated().map { index, series in
                "<span style=\"color:\(Self.palette[index % Self.palette.count])\">&#9632;</span> \(HTML.escape(series.name))"
            }.joined(separator: " &nbsp; ") + "</p>"
        }
        return out
    }

    private func f(_ value: Double) -> String { String(format: "%.1f", value) }

    /// A value with its unit, short (`1.2 GiB`, `350 ms`, `0.82`).
    static func format(_ value: Double, unit: String) -> String {
        switch unit {
        case "bytes": return Self.bytes(value)
        case "bytes/s": return Self.bytes(value) + "/s"
        case "seconds": return value < 1 ? String(format: "%.0f ms", value * 1000) : String(format: "%.2f s", value)
        case "per second": return String(format: "%.1f/s", value)
        default: return String(format: "%.2f", value)
        }
    }

    static func bytes(_ value: Double) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var scaled = value, index = 0
        while abs(scaled) >= 1024 && index < units.count - 1 {
            scaled /= 1024
            index += 1
        }
        return String(format: index == 0 ? "%.0f" : "%.1f", scaled) + " " + units[index]
    }

    static func clock(_ seconds: Double) -> String {
        let formatter = DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "HH:mm:ss"
        return formatter.string(from: Date(timeIntervalSince1970: seconds))
    }
}
