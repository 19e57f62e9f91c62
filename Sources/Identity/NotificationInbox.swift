import Audit
import Notifications
public import Foundation
public import Postgres

/// A person's in-app notifications (written by `Notifier` in the transaction of each change).
public struct NotificationInbox: Sendable {
    public struct Item: Sendable, Equatable {
        public let id: UUID
        public let kind: String
        public let data: [String: String]
        public let createdAt: Date
        public let readAt: Date?
    }

    /// A page of items, newest first, and the cursor of the next page if there is one.
    public struct Page: Sendable {
        public let items: [Item]
        public let next: String?
    }

    public let pool: ConnectionPool

    public init(pool: ConnectionPool) {
        self.pool = pool
    }

    /// The actor's notifications, newest first, `limit` (1…200) per page after `cursor`.
    public func list(for actor: Actor, unreadOnly: Bool = false, cursor: String? = nil, limit: Int = 50) async throws -> Page {
        try Policy.check(actor, .readOwnNotifications)
        let limit = min(max(limit, 1), 200)
        let after = try cursor.map(KeysetCursor.init(encoded:))
        return try await pool.withTransaction(settings: actor.transactionSettings) { connection in
            // Row-level security limits this to the actor's own rows; the index (user_id, created_at DESC,
            // id DESC) serves the keyset.
            let rows = try await connection.query("""
                SELECT id, kind, data, created_at, read_at FROM avrop.notification
                WHERE user_id = \(actor.userID)
                  AND (\(unreadOnly) = false OR read_at IS NULL)
                  AND (\(after == nil) OR (created_at, id) < (\(after?.time), \(after?.id)))
                ORDER BY created_at DESC, id DESC
                LIMIT \(limit + 1)
                """)
            var items = try rows.map { row in
                Item(
                    id: try row.decode("id", as: UUID.self), kind: try row.decode("kind", as: String.self),
                    data: try row.decode("data", as: AuditFacts.self).values, createdAt: try row.decode("created_at", as: Date.self),
                    readAt: try row.decode("read_at", as: Date?.self)
                )
            }
            var next: String?
            if items.count > limit {
                items.removeLast()
                if let last = items.last { next = KeysetCursor(time: last.createdAt, id: last.id).encoded }
            }
            return Page(items: items, next: next)
        }
    }

    /// Marks one of the actor's notifications read; someone else's, or none, is `IdentityError.notFound`.
    public func markRead(_ id: UUID, by actor: Actor) async throws {
        try Policy.check(actor, .readOwnNotifications)
        try await pool.withTransaction(settings: actor.transactionSettings) { connection in
            let changed = try await connection.execute("""
                UPDATE avrop.notification SET read_at = coalesce(read_at, clock_timestamp()) WHERE id = \(id)
                """)
            guard changed == 1 else { throw IdentityError.notFound }
        }
    }
}

/// A position in a list ordered by (time, id), as an opaque string for `cursor` parameters.
public struct KeysetCursor: Sendable, Equatable {
    public let time: Date
    public let id: UUID

    public init(time: Date, id: UUID) {
        self.time = time
        self.id = id
    }

    /// Microseconds since 1970 and the id, base64url: opaque to clients, exact for PostgreSQL's timestamps.
    public var encoded: String {
        let micros = Int64((time.timeIntervalSince1970 * 1_000_000).rounded())
        return Base64URL.encode(Data("\(micros)_\(id.uuidString.lowercased())".utf8))
    }

    /// A cursor from `encoded`; anything else is `IdentityError.invalidCursor`.
    public init(encoded: String) throws {
        guard encoded.count < 200, let data = Base64URL.decode(encoded) else { throw IdentityError.invalidCursor }
        let parts = String(decoding: data, as: UTF8.self).split(separator: "_")
        guard parts.count == 2, let micros = Int64(parts[0]), let id = UUID(uuidString: String(parts[1])) else { throw IdentityError.invalidCursor }
        self.time = Date(timeIntervalSince1970: Double(micros) / 1_000_000)
        self.id = id
    }
}
