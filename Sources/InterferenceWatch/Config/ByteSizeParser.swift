import Foundation

/// Parses sizes as Prometheus writes them (`--storage.tsdb.retention.size`): `512MB`, `10GB`, `1GiB`, `0`, or a
/// bare number of bytes. Decimal (kB, MB, GB, TB) and binary (KiB, MiB, GiB, TiB) units; `B` alone is bytes.
enum ByteSizeParser {
    static func bytes(_ text: String) -> Int64? {
        let text = text.trimmingCharacters(in: .whitespaces)
        // A bare number past Int64 (`99999999999999999999`) is refused like a too-large size with a unit; it
        // used to trap in the conversion.
        guard let split = text.firstIndex(where: { !$0.isNumber && $0 != "." }) else {
            return Int64(text) ?? Double(text).flatMap { $0 < 9e18 ? Int64($0) : nil }
        }
        guard let value = Double(text[..<split]), value >= 0 else { return nil }
        let units: [String: Double] = [
            "B": 1, "kB": 1e3, "KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12,
            "KiB": 1024, "MiB": 1_048_576, "GiB": 1_073_741_824, "TiB": 1_099_511_627_776,
        ]
        guard let factor = units[String(text[split...]).trimmingCharacters(in: .whitespaces)] else { return nil }
        let bytes = value * factor
        return bytes < 9e18 ? Int64(bytes) : nil
    }
}
