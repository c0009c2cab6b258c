import Glibc

/// Why a file under a collector root could not be read.
enum FileReadError: Error, Equatable, CustomStringConvertible {
    /// The file does not exist (an older kernel, a missing controller): "no data", not a failure.
    case missing(path: String)
    /// The file vanished while we held it open or read it (`ENODEV` on a removed cgroup).
    case vanished(path: String)
    /// Any other errno.
    case failed(path: String, errno: Int32)
    /// The file is larger than we are willing to buffer.
    case tooLarge(path: String, limitBytes: Int)

    var path: String {
        switch self {
        case .missing(let path), .vanished(let path), .failed(let path, _), .tooLarge(let path, _): path
        }
    }

    var description: String {
        switch self {
        case .missing(let path): "\(path): no such file"
        case .vanished(let path): "\(path): vanished while reading"
        case .failed(let path, let code): "\(path): \(String(cString: strerror(code)))"
        case .tooLarge(let path, let limit): "\(path): larger than \(limit) bytes"
        }
    }
}
