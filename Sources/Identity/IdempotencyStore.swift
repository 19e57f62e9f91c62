public import Foundation
public import Postgres

/// The answers kept for `Idempotency-Key` (24 hours). Keys belong to their user (row-level security), so
/// two people's keys never meet.
public struct IdempotencyStore: Sendable {
    /// What a key already holds.
    public enum Claim: Sendable, Equatable {
        /// The key was free: the request runs now, and `keep` or `release` follows.
        case claimed
        /// The key was used for a request with another digest.
        case reusedForAnotherRequest
        /// The first request with the key has not finished.
        case inProgress
        /// The first request's answer.
        case answered(status: Int, contentType: String?, body: Data)
    }

    public let pool: ConnectionPool

    public init(pool: ConnectionPool) {
        self.pool = pool
    }

    /// Claims `key` for a request with `digest`, or says what the key holds already.
    public func claim(_ key: String, digest: Data, for actor: Actor) async throws -> Claim {
        try await pool.withTransaction(settings: actor.transactionSettings) { connection in
            // A key older than a day is free again.
            try await connection.execute("""
                DELETE FROM avrop.idempotency_key WHERE user_id = \(actor.userID) AND key = \(key) AND created_at < now() - interval '24 hours'
                """)
            let inserted = try await connection.execute("""
                INSERT INTO avrop.idempotency_key (user_id, key, request_hash) VALUES (\(actor.userID), \(key), \(digest))
                ON CONFLICT DO NOTHING
                """)
            if inserted == 1 { return .claimed }
            guard let row = try await connection.query("""
                SELECT request_hash, status, content_type, body FROM avrop.idempotency_key WHERE user_id = \(actor.userID) AND key = \(key)
                """).first else { return .inProgress }
            guard try row.decode("request_hash", as: Data.self) == digest else { return .reusedForAnotherRequest }
            guard let status = try row.decode("status", as: Int?.self) else { return .inProgress }
            return .answered(
                status: status, contentType: try row.decode("content_type", as: String?.self), body: try row.decode("body", as: Data?.self) ?? Data()
            )
        }
    }

    /// Keeps the answer to the request that claimed `key`.
    public func keep(_ key: String, status: Int, contentType: String?, body: Data, for actor: Actor) async throws {
        try await pool.withTransaction(settings: actor.transactionSettings) { connection in
            try await connection.execute("""
                UPDATE avrop.idempotency_key SET status = \(status), content_type = \(contentType), body = \(body)
                WHERE user_id = \(actor.userID) AND key = \(key)
                """)
        }
    }

    /// Frees `key` after a request that failed, so that the client may retry with it.
    public func release(_ key: String, for actor: Actor) async throws {
        try await pool.withTransaction(settings: actor.transactionSettings) { connection in
            try await connection.execute("DELETE FROM avrop.idempotency_key WHERE user_id = \(actor.userID) AND key = \(key)")
        }
    }
}
