import Detectors
import Foundation
import Testing

@testable import InterferenceWatch
@testable import Parsers

struct QMPMessageTests {
    @Test func parsesGreeting() throws {
        let line = #"{"QMP": {"version": {"qemu": {"micro": 2, "minor": 2, "major": 7}}, "capabilities": ["oob"]}}"#
        let message = try QMPMessage.parse(Array(line.utf8))
        guard case .greeting(let value) = message else { Issue.record("not a greeting: \(message)"); return }
        #expect(value["version"]?["qemu"]?["major"]?.uint64 == 7)
    }

    @Test func parsesReplyAndErrorWithIDs() throws {
        #expect(try QMPMessage.parse(Array(#"{"return": {"actual": 536870912}, "id": "iw-3"}"#.utf8))
                == .reply(id: "iw-3", result: .success(["actual": 536870912])))
        #expect(try QMPMessage.parse(Array(#"{"error": {"class": "DeviceNotActive", "desc": "No balloon device has been activated"}, "id": "iw-4"}"#.utf8))
                == .reply(id: "iw-4", result: .failure(errorClass: "DeviceNotActive",
                                                       description: "No balloon device has been activated")))
    }

    @Test func parsesEventWithTimestamp() throws {
        let line = #"{"timestamp": {"seconds": 1700000000, "microseconds": 500000}, "event": "BALLOON_CHANGE", "data": {"actual": 944766976}}"#
        let message = try QMPMessage.parse(Array(line.utf8))
        #expect(message == .event(QMPEvent(name: "BALLOON_CHANGE", data: ["actual": 944766976],
                                           timestampSeconds: 1_700_000_000.5)))
    }

    @Test(arguments: ["not json", "{\"return\": ", "[1, 2]", "{\"hello\": 1}"])
    func rejectsMalformedLines(line: String) {
        #expect(throws: QMPMessage.ParseError.self) { try QMPMessage.parse(Array(line.utf8)) }
    }

    /// `UInt64.max` must survive decoding; as `Int64` it would fail the whole message.
    @Test func keepsUInt64Max() throws {
        let message = try QMPMessage.parse(Array(#"{"return": {"v": 18446744073709551615, "n": -1}, "id": "x"}"#.utf8))
        guard case .reply(_, .success(let value)) = message else { Issue.record("\(message)"); return }
        #expect(value["v"]?.uint64 == UInt64.max)
        #expect(value["n"] == .signed(-1))
    }

    @Test func guestStatsNoDataAndNeverReportedAreNil() throws {
        let value = try JSONDecoder().decode(QMPValue.self, from: Data(MockQMPPeer.noDataGuestStats.utf8))
        let stats = try #require(VMSample.GuestStats(qmpGuestStats: value))
        #expect(stats == VMSample.GuestStats())
        #expect(stats.isEmpty)
    }

    @Test func guestStatsRealValues() throws {
        let text = """
            {"stats": {"stat-swap-in": 4096, "stat-swap-out": 8192, "stat-major-faults": 113, \
            "stat-minor-faults": 55120, "stat-free-memory": 180613120, "stat-total-memory": 215810048, \
            "stat-available-memory": 190615552, "stat-disk-caches": 4435968, "stat-htlb-pgalloc": 0, \
            "stat-htlb-pgfail": 0, "stat-future-key": 7}, "last-update": 1764253010}
            """
        let value = try JSONDecoder().decode(QMPValue.self, from: Data(text.utf8))
        #expect(VMSample.GuestStats(qmpGuestStats: value) == VMSample.GuestStats(
            freeBytes: 180_613_120, availableBytes: 190_615_552, totalBytes: 215_810_048, diskCachesBytes: 4_435_968,
            swapInBytes: 4096, swapOutBytes: 8192, majorFaults: 113, minorFaults: 55120,
            lastUpdateSeconds: 1_764_253_010))
    }

    @Test func noGreetingErrorTellsTheOperatorWhatToDo() {
        let error = QMPError(socketPath: "/run/vm1.qmp", kind: .noGreeting(timeoutSeconds: 2))
        #expect(error.description.contains("/run/vm1.qmp"))
        #expect(error.description.contains("probably in use by another client"))
        #expect(error.description.contains("-qmp unix:/path,server=on,wait=off"))
    }
}
