import Audit
import AvropCore
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
        let after = try cursor.map { text in
            guard let read = PageCursor(encoded: text, keyCount: 1) else { throw IdentityError.invalidCursor }
            return (time: PageCursor.time(microseconds: read.keys[0]), id: read.id)
        }
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
                if let last = items.last { next = PageCursor(keys: [PageCursor.microseconds(last.createdAt)], id: last.id).encoded }
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
