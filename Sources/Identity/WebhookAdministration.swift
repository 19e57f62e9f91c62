public import AvropCore
import Audit
import Notifications
public import Foundation
public import Postgres

/// An organisation's webhooks, managed by its admins: each receives the organisation's notifications as
/// signed JSON posts (see `WebhookSender`).
public struct WebhookAdministration: Sendable {
    public struct Webhook: Sendable, Equatable {
        public let id: UUID
        public let url: String
        public let createdAt: Date
        public let active: Bool
    }

    /// A webhook just registered: the signing secret is shown this once.
    public struct Registered: Sendable {
        public let webhook: Webhook
        public let secret: String
    }

    public let pool: ConnectionPool
    private let environment: ServiceEnvironment

    public init(pool: ConnectionPool, environment: ServiceEnvironment = .system) {
        self.pool = pool
        self.environment = environment
    }

    public func register(url: String, by actor: Actor) async throws -> Registered {
        try Policy.check(actor, .manageWebhooks(organizationID: actor.organizationID))
        guard let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme ?? ""), parsed.host != nil, url.count <= 2000 else {
            throw IdentityError.invalidURL
        }
        let id = environment.newID()
        let secret = TokenAuthentication.newSecret(prefix: "whsec_")
        let createdAt = try await pool.withTransaction(settings: actor.transactionSettings) { connection in
            let row = try await connection.query("""
                INSERT INTO avrop.webhook (id, organization_id, url, secret) VALUES (\(id), \(actor.organizationID), \(url), \(secret))
                RETURNING created_at
                """).first
            try await AuditLog.append(
                stream: "organization/\(actor.organizationID.uuidString.lowercased())", organizationID: actor.organizationID,
                action: "webhook.registered", data: AuditFacts(["webhook": id.uuidString.lowercased(), "url": url]), on: connection
            )
            return try row?.decode("created_at", as: Date.self) ?? environment.now()
        }
        return Registered(webhook: Webhook(id: id, url: url, createdAt: createdAt, active: true), secret: secret)
    }

    public func list(by actor: Actor) async throws -> [Webhook] {
        try Policy.check(actor, .manageWebhooks(organizationID: actor.organizationID))
        return try await pool.withTransaction(settings: actor.transactionSettings) { connection in
            try await connection.query("""
                SELECT id, url, created_at, disabled_at IS NULL AS active FROM avrop.webhook ORDER BY created_at, id LIMIT 200
                """).map { row in
                Webhook(id: try row.decode("id", as: UUID.self), url: try row.decode("url", as: String.self),
                        createdAt: try row.decode("created_at", as: Date.self), active: try row.decode("active", as: Bool.self))
            }
        }
    }

    /// Stops deliveries to a webhook; another organisation's, or none, is `IdentityError.notFound`.
    public func disable(_ id: UUID, by actor: Actor) async throws {
        try Policy.check(actor, .manageWebhooks(organizationID: actor.organizationID))
        try await pool.withTransaction(settings: actor.transactionSettings) { connection in
            // Row-level security limits this to the actor's organisation's webhooks.
            let changed = try await connection.execute("UPDATE avrop.webhook SET disabled_at = now() WHERE id = \(id) AND disabled_at IS NULL")
            guard changed == 1 else { throw IdentityError.notFound }
            try await AuditLog.append(
                stream: "organization/\(actor.organizationID.uuidString.lowercased())", organizationID: actor.organizationID,
                action: "webhook.disabled", data: AuditFacts(["webhook": id.uuidString.lowercased()]), on: connection
            )
        }
    }
}

/// Messages to an organisation that the outbox gave up on, for its admins to see and act on.
public struct DeadLetters: Sendable {
    public struct Letter: Sendable, Equatable {
        public let id: Int
        public let channel: String
        public let kind: String
        public let attempts: Int
        public let lastError: String?
        public let createdAt: Date
        public let deadAt: Date
    }

    public let pool: ConnectionPool

    public init(pool: ConnectionPool) {
        self.pool = pool
    }

    /// The newest `limit` dead letters of the actor's organisation.
    public func list(by actor: Actor, limit: Int = 100) async throws -> [Letter] {
        try Policy.check(actor, .readDeadLetters(organizationID: actor.organizationID))
        return try await pool.withTransaction(settings: actor.transactionSettings) { connection in
            try await connection.query("""
                SELECT id, channel, kind, attempts, last_error, created_at, dead_at FROM avrop.outbox
                WHERE dead_at IS NOT NULL ORDER BY dead_at DESC, id DESC LIMIT \(min(max(limit, 1), 200))
                """).map { row in
                Letter(
                    id: try row.decode("id", as: Int.self), channel: try row.decode("channel", as: String.self),
                    kind: try row.decode("kind", as: String.self), attempts: try row.decode("attempts", as: Int.self),
                    lastError: try row.decode("last_error", as: String?.self), createdAt: try row.decode("created_at", as: Date.self),
                    deadAt: try row.decode("dead_at", as: Date.self)
                )
            }
        }
    }
}
