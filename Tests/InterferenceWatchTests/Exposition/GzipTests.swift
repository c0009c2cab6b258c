import Foundation
import NIOCore
import Testing

@testable import InterferenceWatch

/// gzip of the exposition: what `/bin/gzip -d` and our own inflate read back is the input, byte for byte, whether
/// the text compresses as an exposition does (tenfold) or not at all (the output buffer has to grow).
struct GzipTests {
    /// Random bytes (splitmix64, fixed seed): incompressible, so the output is larger than the input.
    static func noise(count: Int, seed: UInt64) -> [UInt8] {
        var state = seed
        return (0..<count).map { _ in
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return UInt8(truncatingIfNeeded: z ^ (z >> 31))
        }
    }

    static let exposition: [UInt8] = Array((0..<20_000).map {
        "interferencewatch_workload_memory_usage_bytes{cgroup=\"/system.slice/c\($0).scope\",type=\"container\"} \($0 * 4096)\n"
    }.joined().utf8)

    @Test(arguments: ["exposition", "noise", "small noise", "empty"])
    func roundTripsThroughGzipAndOurInflate(_ kind: String) throws {
        let input: [UInt8]
        switch kind {
        case "exposition": input = Self.exposition
        case "noise": input = Self.noise(count: 300_000, seed: 7)
        case "small noise": input = Self.noise(count: 5000, seed: 11)
        default: input = []
        }
        let compressed = try Gzip.compress(input)
        #expect(compressed.starts(with: [0x1f, 0x8b]), "no gzip header")
        if kind == "exposition" { #expect(compressed.count * 8 < input.count, "\(compressed.count) of \(input.count)") }
        if kind.hasSuffix("noise") { #expect(compressed.count > input.count / 8) }  // the buffer grew
        let inflated = try Gzip.decompress(ByteBuffer(bytes: compressed), sizeHint: input.count)
        #expect(inflated == input)
        if !kind.hasSuffix("noise") {  // noise is not UTF-8 text: gzipAcceptsIncompressibleOutput checks it with gzip(1)
            #expect(Array(try HTTPRoutesTests.gunzip(compressed).utf8) == input)
        }
    }

    /// Independent of our inflate for bytes that are not text: `gzip -t` accepts the stream and `gzip -l` counts
    /// the input's length.
    @Test func gzipAcceptsIncompressibleOutput() async throws {
        let input = Self.noise(count: 300_000, seed: 3)
        let file = NSTemporaryDirectory() + "iw-gzip-\(UUID().uuidString).gz"
        defer { try? FileManager.default.removeItem(atPath: file) }
        try Data(try Gzip.compress(input)).write(to: URL(fileURLWithPath: file))
        let test = try await Command.run(["gzip", "-t", file])
        #expect(test.status == 0, "\(test)")
        let list = try await Command.run(["gzip", "-l", file])
        #expect(list.stdout.contains(" 300000 "), "\(list)")
    }
}
