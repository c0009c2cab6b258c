import CZlib
import Foundation

/// gzip (RFC 1952) with zlib, for `/metrics` answered to a scraper that sends `Accept-Encoding: gzip` (Prometheus
/// always does; node_exporter answers compressed too). Compressed once per sweep, so the cost is per sweep, not per
/// scrape.
enum Gzip {
    struct GzipError: Error, CustomStringConvertible {
        var code: Int32
        var description: String { "gzip: zlib error \(self.code)" }
    }

    /// Level 1: an exposition is repetitive text, and the fastest level already shrinks it about tenfold.
    static func compress(_ input: [UInt8], level: Int32 = 1) throws -> [UInt8] {
        var stream = z_stream()
        // windowBits 15 + 16 writes a gzip header and trailer instead of zlib's.
        var status = deflateInit2_(&stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION,
                                   Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else { throw GzipError(code: status) }
        defer { deflateEnd(&stream) }
        let bound = Int(deflateBound(&stream, UInt(input.count)))
        var output = [UInt8](repeating: 0, count: bound)
        var input = input
        status = input.withUnsafeMutableBufferPointer { source in
            output.withUnsafeMutableBufferPointer { destination in
                stream.next_in = source.baseAddress
                stream.avail_in = UInt32(source.count)
                stream.next_out = destination.baseAddress
                stream.avail_out = UInt32(destination.count)
                return deflate(&stream, Z_FINISH)
            }
        }
        guard status == Z_STREAM_END else { throw GzipError(code: status) }
        output.removeLast(bound - Int(stream.total_out))
        return output
    }

    /// Whether an `Accept-Encoding` value accepts gzip (present, and not with `q=0`).
    static func accepted(by header: String?) -> Bool {
        guard let header else { return false }
        for item in header.split(separator: ",") {
            let parts = item.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            guard let coding = parts.first, coding == "gzip" || coding == "x-gzip" || coding == "*" else { continue }
            let q = parts.dropFirst().first { $0.hasPrefix("q=") }.flatMap { Double($0.dropFirst(2)) } ?? 1
            if q > 0 { return true }
        }
        return false
    }
}
