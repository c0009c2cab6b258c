import Detectors
import Foundation
import FuzzSupport
import Parsers

// QMP monitor lines (a guest's QEMU writes them). Each line is parsed as the channel handler does; replies also go
// through the guest-stats decoding, and every decoded value must encode back to JSON.
Fuzz.run { bytes in
    let encoder = JSONEncoder()
    for line in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
        let message: QMPMessage
        do { message = try QMPMessage.parse(line) } catch { continue }
        switch message {
        case .greeting(let value):
            _ = try? encoder.encode(value)
        case .reply(_, .success(let value)):
            _ = try? encoder.encode(value)
            if let stats = VMSample.GuestStats(qmpGuestStats: value) {
                Fuzz.require(stats.lastUpdateSeconds != 0, "last-update 0 must read as never")
            }
            _ = value.uint64
            _ = value.double
        case .reply(_, .failure):
            break
        case .event(let event):
            Fuzz.require(!(event.timestampSeconds?.isNaN ?? false), "NaN event timestamp")
        }
    }
}
