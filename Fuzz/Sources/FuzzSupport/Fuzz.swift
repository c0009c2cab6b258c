#if canImport(Glibc)
import Glibc
#endif

/// Runs a libFuzzer harness: `Fuzz.run { bytes in ... }` from a harness's `main.swift`.
///
/// SwiftPM links an executable's `main.swift` as the program's `main`, so libFuzzer's own `main` is never used;
/// ``run(_:)`` hands control to libFuzzer through `LLVMFuzzerRunDriver` instead, with the harness body as the
/// callback. A crash, a trap (``require(_:_:)``), a timeout or an allocation over `-rss_limit_mb` makes libFuzzer
/// write the input as `crash-*`, `timeout-*` or `oom-*` and exit non-zero.
public enum Fuzz {
    /// Set once before libFuzzer starts and only read after, on libFuzzer's single fuzzing thread.
    nonisolated(unsafe) fileprivate static var body: (UnsafeBufferPointer<UInt8>) -> Void = { _ in }

    public static func run(_ body: @escaping (UnsafeBufferPointer<UInt8>) -> Void) -> Never {
        self.body = body
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv, fuzzTestOneInput))
    }

    /// Traps (so libFuzzer keeps the input) when an invariant of a parser's result does not hold.
    public static func require(_ condition: Bool, _ message: @autoclosure () -> String,
                               file: StaticString = #fileID, line: UInt = #line) {
        if !condition { fatalError("invariant violated: \(message())", file: file, line: line) }
    }

    /// The input as text, the way the daemon sees a file it read (invalid UTF-8 repaired).
    public static func text(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        String(decoding: bytes, as: UTF8.self)
    }
}

@_silgen_name("LLVMFuzzerRunDriver")
private func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

// libFuzzer's runtime references this symbol even when it is driven through LLVMFuzzerRunDriver.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    Fuzz.body(UnsafeBufferPointer(start: size > 0 ? data : nil, count: size))
    return 0
}
