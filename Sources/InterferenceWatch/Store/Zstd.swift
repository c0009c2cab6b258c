import CZstd

/// zstd compression of stored frames (libzstd, as below compresses its store).
enum Zstd {
    struct ZstdError: Error, CustomStringConvertible {
        var message: String
        var description: String { "zstd: \(self.message)" }
    }

    /// Level 3, zstd's default: fast enough to run for every sweep on the writer thread.
    static func compress(_ input: [UInt8], level: Int32 = 3) throws -> [UInt8] {
        let bound = ZSTD_compressBound(input.count)
        var output = [UInt8](repeating: 0, count: bound)
        let written = input.withUnsafeBytes { source in
            output.withUnsafeMutableBytes { destination in
                ZSTD_compress(destination.baseAddress, bound, source.baseAddress, input.count, level)
            }
        }
        if ZSTD_isError(written) != 0 { throw ZstdError(message: String(cString: ZSTD_getErrorName(written))) }
        output.removeLast(bound - written)
        return output
    }

    /// - Parameter limit: refuses frames that claim to expand beyond this (a corrupt or hostile blob).
    static func decompress(_ input: [UInt8], limit: Int = 256 << 20) throws -> [UInt8] {
        let size = input.withUnsafeBytes { ZSTD_getFrameContentSize($0.baseAddress, input.count) }
        // ZSTD_CONTENTSIZE_UNKNOWN and _ERROR are the two largest values.
        guard size < UInt64.max - 1 else { throw ZstdError(message: "not a zstd frame with a known size") }
        guard size <= UInt64(limit) else { throw ZstdError(message: "frame of \(size) bytes is over the \(limit) limit") }
        var output = [UInt8](repeating: 0, count: Int(size))
        let read = input.withUnsafeBytes { source in
            output.withUnsafeMutableBytes { destination in
                ZSTD_decompress(destination.baseAddress, Int(size), source.baseAddress, input.count)
            }
        }
        if ZSTD_isError(read) != 0 { throw ZstdError(message: String(cString: ZSTD_getErrorName(read))) }
        guard read == Int(size) else { throw ZstdError(message: "frame decoded to \(read) of \(size) bytes") }
        return output
    }
}
