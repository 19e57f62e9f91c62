public import Foundation
public import Postgres

/// The hash-chained audit log (DESIGN §2 "Audit and records", R23).
///
/// Every state change appends an event to the stream of its aggregate (`call-off/<id>`), in the same
/// transaction as the change, through `avrop.audit_append`: the only way the application's role can write
/// the log. The actor is the transaction's (`avrop.user_id`, `avrop.org_id`), never a parameter.
public enum AuditLog {
    /// Appends one event and returns its sequence number in the stream.
    ///
    /// - Parameters:
    ///   - stream: the aggregate, e.g. `organization/<id>`.
    ///   - organizationID: the organisation whose records the stream belongs to (who may read it).
    ///   - action: what happened, e.g. `organization.created` (letters, digits and dots).
    ///   - data: the facts of the event; never secrets (passwords, tokens) or sealed contents.
    @discardableResult
    public static func append<Data: PostgresJSON>(
        stream: String,
        organizationID: UUID?,
        action: String,
        data: Data,
        on connection: Connection
    ) async throws -> Int {
        let rows = try await connection.query("""
            SELECT avrop.audit_append(\(stream), \(organizationID), \(action), \(data)) AS sequence
            """)
        guard let row = rows.first else { throw PostgresError(kind: .client, message: "audit_append returned nothing") }
        return try row.decode("sequence", as: Int.self)
    }
}

/// Facts of an event as a string dictionary, for events with simple data.
public struct AuditFacts: PostgresJSON, Equatable {
    public var values: [String: String]

    public init(_ values: [String: String]) {
        self.values = values
    }

    public init(from decoder: any Decoder) throws {
        values = try decoder.singleValueContainer().decode([String: String].self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(values)
    }
}
