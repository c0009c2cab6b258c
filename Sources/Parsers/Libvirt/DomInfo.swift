import Foundation

/// The parts of `virsh dominfo <domain>` the memory model needs.
///
/// ```
/// Name:           test
/// State:          running
/// Max memory:     8388608 KiB
/// Used memory:    2097152 KiB
/// ```
/// `Max memory` is the domain's `<memory>` (boot-time RAM, the balloon's ceiling); `Used memory` is
/// `<currentMemory>`, the balloon *target*, not what the guest really has (that is `dommemstat` `actual`).
/// Labels are English only with `LC_ALL=C`.
public struct DomInfo: Sendable, Equatable {
    /// `State` (`running`, `paused`, `shut off`, ...).
    public var state: String?
    /// `Max memory`, bytes.
    public var maxMemoryBytes: UInt64?
    /// `Used memory`, bytes.
    public var usedMemoryBytes: UInt64?

    public init(state: String? = nil, maxMemoryBytes: UInt64? = nil, usedMemoryBytes: UInt64? = nil) {
        self.state = state
        self.maxMemoryBytes = maxMemoryBytes
        self.usedMemoryBytes = usedMemoryBytes
    }

    public init(parsing text: String) {
        self.init()
        for line in text.split(whereSeparator: \.isNewline) {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let key = line[..<colon].trimmingCharacters(in: .whitespaces)
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            switch key {
            case "State": self.state = value
            case "Max memory": self.maxMemoryBytes = Self.kibibytes(value)
            case "Used memory": self.usedMemoryBytes = Self.kibibytes(value)
            default: continue
            }
        }
    }

    /// `"8388608 KiB"` -> bytes; virsh always prints KiB here. A size whose bytes overflow 64 bits is no real
    /// size, so it reads as not reported (the multiplication used to trap; Fuzz/Virsh found it).
    private static func kibibytes(_ value: String) -> UInt64? {
        let fields = value.split(separator: " ")
        guard let number = fields.first.flatMap({ UInt64($0) }) else { return nil }
        if fields.count > 1, fields[1] != "KiB" { return nil }
        let (bytes, overflow) = number.multipliedReportingOverflow(by: 1024)
        return overflow ? nil : bytes
    }
}
