import Foundation

/// One decoded line from a QMP monitor.
///
/// QMP is newline-delimited JSON (docs/interop/qmp-spec.rst). A line is exactly one of:
/// ```
/// {"QMP": {"version": {...}, "capabilities": ["oob"]}}                       greeting, once per connection
/// {"return": {...}, "id": "iw-3"}                                            success
/// {"error": {"class": "DeviceNotActive", "desc": "..."}, "id": "iw-4"}       failure
/// {"event": "STOP", "timestamp": {"seconds": 1, "microseconds": 2}}          event, at any moment
/// ```
public enum QMPMessage: Sendable, Equatable {
    /// The server greeting; carries the `QMP` object (version and capabilities).
    case greeting(QMPValue)
    /// A command's answer. `id` echoes the command's `id`; it is `nil` only when QEMU could not parse a command.
    case reply(id: String?, result: Reply)
    case event(QMPEvent)

    /// The outcome of one command.
    public enum Reply: Sendable, Equatable {
        case success(QMPValue)
        /// `error.class` (e.g. `CommandNotFound`, `DeviceNotActive`, `GenericError`) and `error.desc`.
        case failure(errorClass: String, description: String)
    }

    /// Why a line is not a QMP message.
    public enum ParseError: Error, Equatable {
        /// The line is not valid JSON (or not UTF-8).
        case invalidJSON(String)
        /// Valid JSON, but none of the four shapes above.
        case unknownShape(String)
    }

    private static let decoder = JSONDecoder()

    /// Decodes one line (without its newline).
    public static func parse(_ line: some Collection<UInt8>) throws(ParseError) -> QMPMessage {
        let value: QMPValue
        do {
            value = try Self.decoder.decode(QMPValue.self, from: Data(line))
        } catch {
            throw .invalidJSON(Self.describe(error))
        }
        guard let object = value.object else {
            throw .unknownShape("expected a JSON object")
        }
        if let greeting = object["QMP"] {
            return .greeting(greeting)
        }
        if let name = object["event"]?.string {
            var timestamp: Double?
            if let stamp = object["timestamp"], let seconds = stamp["seconds"]?.double {
                timestamp = seconds + (stamp["microseconds"]?.double ?? 0) / 1_000_000
            }
            return .event(QMPEvent(name: name, data: object["data"], timestampSeconds: timestamp))
        }
        // QMP lets a client use any JSON value as id; we only send strings, so anything else cannot be ours.
        let id: String? = object["id"].map { $0.string ?? "\($0)" }
        if let result = object["return"] {
            return .reply(id: id, result: .success(result))
        }
        if let error = object["error"] {
            return .reply(
                id: id,
                result: .failure(
                    errorClass: error["class"]?.string ?? "unknown",
                    description: error["desc"]?.string ?? ""
                )
            )
        }
        throw .unknownShape("object with keys \(object.keys.sorted()) is no greeting, reply or event")
    }

    /// `DecodingError`'s description is long and nested; keep the part an operator can act on.
    private static func describe(_ error: any Error) -> String {
        if case DecodingError.dataCorrupted(let context) = error {
            let underlying = (context.underlyingError as? NSError)?.userInfo[NSDebugDescriptionErrorKey] as? String
            return underlying ?? context.debugDescription
        }
        return "\(error)"
    }
}
