/// How stored types stay readable across versions, after below's `sample.rs`: history written today must replay
/// through the detectors of every later version.
///
/// The rules every stored type follows:
/// - The top-level record (``Sweep``, ``LatencySample``, ``FindingChanges``, ``MinimumHostMemoryAdvisor/State``)
///   carries `schema`, its ``StoredRecord/schemaVersion`` when written. A record from a newer version than this
///   build knows is refused with a clear error rather than half-read.
/// - A new field gets a default (`decodeIfPresent(...) ?? default`), so records written before it still decode.
/// - A renamed field keeps decoding from its old name: list the old name with ``decode(_:forKey:oldKeys:)``.
/// - A field is never reused with another meaning; remove it and add a new name.
public protocol StoredRecord: Codable {
    /// The version this build writes.
    static var schemaVersion: Int { get }
}

/// The error a record from an unknown (newer) schema gives.
public struct StoredSchemaError: Error, Equatable, CustomStringConvertible {
    public var type: String
    public var found: Int
    public var supported: Int

    public var description: String {
        "\(self.type) record has schema version \(self.found), this build reads up to \(self.supported): written by a newer version"
    }
}

/// The coding key of the schema version field, shared by every stored record.
struct SchemaKey: CodingKey {
    var stringValue: String { "schema" }
    var intValue: Int? { nil }
    init() {}
    init?(stringValue: String) { guard stringValue == "schema" else { return nil } }
    init?(intValue: Int) { nil }
}

extension StoredRecord {
    /// Reads and checks the record's `schema` field; a record without one is version 1.
    static func decodeSchemaVersion(from decoder: any Decoder) throws -> Int {
        let container = try decoder.container(keyedBy: SchemaKey.self)
        let version = try container.decodeIfPresent(Int.self, forKey: SchemaKey()) ?? 1
        guard version <= Self.schemaVersion else {
            throw StoredSchemaError(type: "\(Self.self)", found: version, supported: Self.schemaVersion)
        }
        return version
    }

    /// Writes the record's `schema` field.
    static func encodeSchemaVersion(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: SchemaKey.self)
        try container.encode(Self.schemaVersion, forKey: SchemaKey())
    }
}

extension KeyedDecodingContainer {
    /// Decodes `key`, else the first of `oldKeys` present: a field renamed in a later version still reads from
    /// records written under its old name.
    public func decode<T: Decodable>(_ type: T.Type, forKey key: Key, oldKeys: [Key]) throws -> T {
        if self.contains(key) { return try self.decode(type, forKey: key) }
        for old in oldKeys where self.contains(old) { return try self.decode(type, forKey: old) }
        return try self.decode(type, forKey: key)  // throws keyNotFound naming the current key
    }

    /// Like ``decode(_:forKey:oldKeys:)`` for a field that may be absent.
    public func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key, oldKeys: [Key]) throws -> T? {
        if self.contains(key) { return try self.decodeIfPresent(type, forKey: key) }
        for old in oldKeys where self.contains(old) { return try self.decodeIfPresent(type, forKey: old) }
        return nil
    }
}
