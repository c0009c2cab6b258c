import CZlib
import Foundation
import NIOCore

/// gzip (RFC 1952) with zlib, for `/metrics` answered to a scraper that sends `Accept-Encoding: gzip` (Prometheus
/// always does; node_exporter answers compressed too). Compressed once per sweep, so the cost is per sweep, not per
/// scrape.
enum Gzip {
    struct GzipError: Error, CustomStringConvertible {
        var code: Int32
        var description: String { "gzip: zlib error \(self.code)" }
    }

    /// Level 1: an exposition is repetitive text, and the fastest level already shrinks it about tenfold.
    ///
    /// Reads `input` in place and writes into a buffer of an eighth of its size, grown only if the text compresses
    /// worse than that: `deflateBound`'s worst case (larger than the input) zero-filled, plus a copy of the input, were
    /// two 2.5 MB buffers made per sweep for a result of about 45 KiB.
    static func compress(_ input: [UInt8], level: Int32 = 1) throws -> [UInt8] {
        var stream = z_stream()
        // windowBits 15 + 16 writes a gzip header and trailer instead of zlib's.
        var status = deflateInit2_(&stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION,
                                   Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else { throw GzipError(code: status) }
        defer { deflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: max(4096, input.count / 8))
        status = input.withUnsafeBufferPointer { source in
            // zlib's `next_in` is not const, but deflate never writes through it.
            stream.next_in = UnsafeMutablePointer(mutating: source.baseAddress)
            stream.avail_in = UInt32(source.count)
            return Self.run(&stream, into: &output) { deflate(&$0, Z_FINISH) }
        }
        guard status == Z_STREAM_END else { throw GzipError(code: status) }
        return output
    }

    /// The bytes `compress` was given back; `sizeHint` is the expected size (the plain body's, when known).
    static func decompress(_ input: ByteBuffer, sizeHint: Int) throws -> [UInt8] {
        var stream = z_stream()
        var status = inflateInit2_(&stream, 15 + 16, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else { throw GzipError(code: status) }
        defer { inflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: max(sizeHint, input.readableBytes * 4, 4096))
        status = input.withUnsafeReadableBytes { source in
            stream.next_in = UnsafeMutablePointer(mutating: source.baseAddress?.assumingMemoryBound(to: UInt8.self))
            stream.avail_in = UInt32(source.count)
            return Self.run(&stream, into: &output) { inflate(&$0, Z_NO_FLUSH) }
        }
        guard status == Z_STREAM_END else { throw GzipError(code: status) }
        return output
    }

    /// Calls `step` (deflate or inflate of the stream's input) with the rest of `output` as room, doubling `output`
    /// whenever a call filled it, until a call ends with room to spare or fails. Returns that call's code, with
    /// `output` cut to what was produced.
    private static func run(_ stream: inout z_stream, into output: inout [UInt8],
                            _ step: (inout z_stream) -> Int32) -> Int32 {
        var produced = 0
        while true {
            if produced == output.count { output += [UInt8](repeating: 0, count: output.count) }
            let code = output.withUnsafeMutableBufferPointer { destination in
                stream.next_out = destination.baseAddress! + produced
                stream.avail_out = UInt32(destination.count - produced)
                let code = step(&stream)
                produced = destination.count - Int(stream.avail_out)
                return code
            }
            // Z_OK or Z_BUF_ERROR with the output full: more room, then go on; Z_OK with input left: go on.
            if (code == Z_OK || code == Z_BUF_ERROR) && produced == output.count { continue }
            if code == Z_OK && stream.avail_in > 0 { continue }
            output.removeLast(output.count - produced)
            return code
        }
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
