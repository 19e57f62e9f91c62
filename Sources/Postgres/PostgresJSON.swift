import Foundation

/// A `Codable` value stored as `jsonb`. Adopt it to bind and decode a type as JSON:
///
/// ```swift
/// struct AuditData: Codable, PostgresJSON { var reason: String }
/// ```
///
/// Keys are written sorted, so the same value always gives the same text; dates are ISO 8601.
public protocol PostgresJSON: Codable, PostgresEncodable, PostgresDecodable {}

extension PostgresJSON {
    public static var postgresType: PostgresType { .jsonb }

    public func postgresBind() -> PostgresBind {
        // Encoding a Codable value can fail only for values JSON cannot represent (e.g. a NaN Double); bind
        // SQL NULL then, which a NOT NULL column refuses, rather than crash.
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return PostgresBind(type: .jsonb, format: .text, bytes: (try? encoder.encode(self)).map(Array.init))
    }

    public static func decode(from cell: PostgresCell) throws -> Self {
        guard let bytes = cell.bytes else { throw cell.error(Self.self, .unexpectedNull) }
        guard cell.type == .jsonb || cell.type == .json else {
            throw cell.error(Self.self, .typeMismatch(postgresTypeOID: cell.type.rawValue))
        }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        do {
            return try decoder.decode(Self.self, from: Data(bytes))
        } catch {
            throw cell.error(Self.self, .invalidValue)
        }
    }
}
