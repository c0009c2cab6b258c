import Foundation

/// Durations in the advice's and calibration's text: minutes under an hour, hours under two days, then days.
enum DurationText {
    static func span(_ seconds: Double) -> String {
        if seconds < 3600 { return "\(Int((seconds / 60).rounded())) min" }
        if seconds < 172_800 { return String(format: "%.1f h", seconds / 3600) }
        return String(format: "%.1f days", seconds / 86_400)
    }
}
