public import Foundation
public import Postgres

/// An audit event as a reader of the trail sees it.
public struct AuditEvent: Sendable, Equatable {
    public let stream: String
    public let sequence: Int64
    public let occurredAt: Date
    /// Nil for an event of the system, or of a person whose data was erased.
    public let actorUserID: UUID?
    public let action: String
    /// The event's data as the JSON text it was hashed from.
    public let dataJSON: String
}

/// Reads the audit log (row-level security shows a caller only its organisation's streams). Writing is
/// `AuditLog.append`'s alone.
public struct AuditEventStore: Sendable {
    public init() {}

    /// The organisation a stream belongs to: nil when there is no such stream, or the caller may not see it.
    public func owner(of stream: String, on connection: Connection) async throws -> UUID? {
        try await connection.query("SELECT organization_id FROM avrop.audit_stream WHERE stream = \(stream)")
            .first?.decode("organization_id", as: UUID?.self)
    }

    /// Up to `limit` events of `stream` after sequence number `after`, in order.
    public func events(of stream: String, after: Int64, limit: Int, on connection: Connection) async throws -> [AuditEvent] {
        try await connection.query("""
            SELECT stream, sequence, occurred_at, actor_user_id, action, data::text AS data
            FROM avrop.audit_event
            WHERE stream = \(stream) AND sequence > \(after)
            ORDER BY sequence
            LIMIT \(limit)
            """).map { row in
            AuditEvent(
                stream: try row.decode("stream", as: String.self), sequence: try row.decode("sequence", as: Int64.self),
                occurredAt: try row.decode("occurred_at", as: Date.self), actorUserID: try row.decode("actor_user_id", as: UUID?.self),
                action: try row.decode("action", as: String.self), dataJSON: try row.decode("data", as: String.self)
            )
        }
    }
}
