import Detectors

extension CalibrationIntake {
    /// Unix seconds a calibration's times may take: from 1970 to the year 2286 (10^10 s).
    static let plausibleSeconds = 0.0..<1e10

    /// The first time in `result` that is not a plausible Unix time, as the API's error naming its field.
    ///
    /// The body is the calibrator's, so it is outside input: a start of `-1e300` (or `"NaN"`, which the API's
    /// JSON accepts for numbers) used to trap the daemon when history keyed the result by its whole start second
    /// (found by scripts/api-fuzz.sh). An end before the start is refused too.
    static func invalidTime(in result: CalibrationResult) -> APIError? {
        func check(_ value: Double, _ field: String) -> APIError? {
            Self.plausibleSeconds.contains(value)
                ? nil : APIError(error: "\(field): expected Unix seconds, got \(value)", field: field)
        }
        if let error = check(result.startedAtSeconds, "started_at_seconds") ?? check(result.endedAtSeconds, "ended_at_seconds") {
            return error
        }
        guard result.endedAtSeconds >= result.startedAtSeconds else {
            return APIError(error: "ended_at_seconds: before started_at_seconds", field: "ended_at_seconds")
        }
        for (index, step) in result.steps.enumerated() {
            if let error = check(step.startSeconds, "steps.\(index).start_seconds") ?? check(step.endSeconds, "steps.\(index).end_seconds") {
                return error
            }
        }
        for (name, point) in [("safe", result.knee.safe), ("unsafe", result.knee.unsafe)] {
            if let point, let error = check(point.atSeconds, "knee.\(name).at_seconds") { return error }
        }
        return nil
    }
}
