/// An asynchronous QMP event.
///
/// Wire format (one line):
/// ```
/// {"event": "BALLOON_CHANGE", "data": {"actual": 944766976}, "timestamp": {"seconds": 1700000000, "microseconds": 5}}
/// ```
public struct QMPEvent: Sendable, Equatable {
    /// `event`, e.g. `BALLOON_CHANGE`, `SHUTDOWN`, `STOP`, `RESUME`.
    public var name: String
    /// `data`; absent for events without payload.
    public var data: QMPValue?
    /// `timestamp` as Unix seconds (`seconds` + `microseconds` / 1e6), QEMU's host clock.
    public var timestampSeconds: Double?
}
