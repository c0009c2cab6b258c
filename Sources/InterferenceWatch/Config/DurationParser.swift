/// Parses Prometheus-style durations (`250ms`, `2s`, `1m30s`, `1h`, `7d`) or a bare number of seconds.
enum DurationParser {
    static func seconds(_ text: String) -> Double? {
        let text = text.filter { $0 != " " && $0 != "\t" }
        if let plain = Double(text) { return plain }
        var total = 0.0
        var number = ""
        var unit = ""
        var parsedAny = false
        func flush() -> Bool {
            guard let value = Double(number) else { return false }
            let factor: Double
            switch unit {
            case "ms": factor = 0.001
            case "s": factor = 1
            case "m": factor = 60
            case "h": factor = 3600
            case "d": factor = 86400
            case "w": factor = 604800
            default: return false
            }
            total += value * factor
            number = ""
            unit = ""
            parsedAny = true
            return true
        }
        for character in text {
            if character.isNumber || character == "." {
                if !unit.isEmpty { guard flush() else { return nil } }
                number.append(character)
            } else if character.isLetter {
                guard !number.isEmpty else { return nil }
                unit.append(character)
            } else {
                return nil
            }
        }
        if !number.isEmpty || !unit.isEmpty { guard flush() else { return nil } }
        return parsedAny ? total : nil
    }
}
