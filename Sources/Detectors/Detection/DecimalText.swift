/// Decimal text without Foundation's formatters (the library has no Foundation): the one routine behind cause
/// summaries, alert values and alert evidence.
enum DecimalText {
    /// `value` with `places` decimals, rounded half away from zero, optionally without trailing zeros; `nil` when
    /// not finite or too large to scale exactly.
    static func fixed(_ value: Double, places: Int, trimmingZeros: Bool = false) -> String? {
        guard value.isFinite else { return nil }
        var scale: Int64 = 1
        for _ in 0..<places { scale *= 10 }
        let scaled = (value * Double(scale)).rounded()
        guard abs(scaled) < 1e15 else { return nil }
        let units = Int64(scaled)
        let whole = units / scale, fraction = abs(units % scale)
        var digits = places > 0 ? String(fraction) : ""
        while digits.count < places { digits = "0" + digits }
        if trimmingZeros { while digits.hasSuffix("0") { digits.removeLast() } }
        let sign = scaled < 0 && whole == 0 ? "-" : ""
        return digits.isEmpty ? "\(sign)\(whole)" : "\(sign)\(whole).\(digits)"
    }
}
