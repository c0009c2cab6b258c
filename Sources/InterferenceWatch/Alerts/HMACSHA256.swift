/// HMAC-SHA256 (RFC 2104 over FIPS 180-4 SHA-256) for signing webhook bodies.
///
/// Written out here rather than taken from swift-crypto: the signature is the daemon's only use of cryptography,
/// and swift-crypto's release build crashes this toolchain's compiler. Checked against Python's `hmac` in the
/// webhook test and against the RFC 4231 vectors.
enum HMACSHA256 {
    static func authenticationCode(for message: [UInt8], key: [UInt8]) -> [UInt8] {
        var key = key
        if key.count > 64 { key = SHA256Digest.hash(key) }
        key += [UInt8](repeating: 0, count: 64 - key.count)
        let inner = SHA256Digest.hash(key.map { $0 ^ 0x36 } + message)
        return SHA256Digest.hash(key.map { $0 ^ 0x5c } + inner)
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
