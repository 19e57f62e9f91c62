public import AvropCore
import Audit
import Notifications
import Crypto
public import Foundation
public import Postgres

/// API tokens for systems: issued once to someone who proves their password (throttled like a login),
/// stored as SHA-256, sent as `Authorization: Bearer`, revocable.
public struct TokenAuthentication: Sendable {
    /// A token as issued: the secret is shown this once and stored nowhere.
    public struct Issued: Sendable {
        public let id: UUID
        public let secret: String
        public let expiresAt: Date
    }

    /// The application role's pool (`avrop_app`).
    public let pool: ConnectionPool
    public let passwords: PasswordPolicy
    private let environment: ServiceEnvironment
    private var now: @Sendable () -> Date { environment.now }

    public init(pool: ConnectionPool, passwords: PasswordPolicy = PasswordPolicy(), environment: ServiceEnvironment = .system) {
        self.pool = pool
        self.passwords = passwords
        self.environment = environment
    }

    /// Checks `email` and `password` and issues a token for the user in `organizationNumber` (or in their
    /// only organisation), with `totpCode` when the user has a second factor. Wrong credentials are
    /// `IdentityError.invalidCredentials`; too many recent
    /// failures for the account or from `address` are `IdentityError.throttled`.
    public func issue(
        email: String, password: String, totpCode: String? = nil, organizationNumber: String? = nil, address: String,
        name: String, scopes: [String] = [], lifetime: Duration = .seconds(90 * 24 * 3600)
    ) async throws -> Issued {
        let login = PasswordLogin(pool: pool, passwords: passwords)
        let userID = try await login.verify(email: email, password: password, address: address)
        do {
            return try await pool.withTransaction(settings: [("avrop.user_id", userID.uuidString.lowercased())]) { connection in
                let organizationID = try await PasswordLogin.organization(of: userID, number: organizationNumber, on: connection)
                try await connection.execute("SELECT set_config('avrop.org_id', \(organizationID.uuidString.lowercased()), true)")
                let mustEnrol = try await SecondFactor(pool: pool).checkLogin(
                    userID: userID, organizationID: organizationID, code: totpCode, on: connection
                )
                guard !mustEnrol else { throw IdentityError.secondFactorEnrolmentRequired }
                return try await create(userID: userID, organizationID: organizationID, name: name, scopes: scopes, lifetime: lifetime, on: connection)
            }
        } catch IdentityError.invalidCredentials {
            try await login.recordFailure(email: email, address: address)
            throw IdentityError.invalidCredentials
        }
    }

    /// Issues a token to a signed-in actor (from the account page or an API call with a session).
    public func issue(for actor: Actor, name: String, scopes: [String] = [], lifetime: Duration = .seconds(90 * 24 * 3600)) async throws -> Issued {
        try Policy.check(actor, .manageOwnTokens)
        return try await pool.withTransaction(settings: actor.transactionSettings) { connection in
            try await create(userID: actor.userID, organizationID: actor.organizationID, name: name, scopes: scopes, lifetime: lifetime, on: connection)
        }
    }

    private func create(
        userID: UUID, organizationID: UUID, name: String, scopes: [String], lifetime: Duration, on connection: Connection
    ) async throws -> Issued {
        let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...100).contains(trimmed.count) else { throw IdentityError.invalidName }
        let tokenID = environment.newID()
        let secret = Self.newSecret()
        let expiresAt = now().addingTimeInterval(TimeInterval(lifetime.components.seconds))
        try await connection.execute("""
            INSERT INTO avrop.api_token (id, user_id, organization_id, name, token_hash, scopes, expires_at)
            VALUES (\(tokenID), \(userID), \(organizationID), \(trimmed), \(Self.digest(secret)), \(scopes), \(expiresAt))
            """)
        try await AuditLog.append(
            stream: "api-token/\(tokenID.uuidString.lowercased())", organizationID: organizationID, action: "token.created",
            data: AuditFacts(["name": trimmed, "scopes": scopes.joined(separator: " ")]), on: connection
        )
        // The owner and the organisation's systems (a security log, say) hear of every new way in.
        try await Notifier.notify(
            users: [userID], organizations: [organizationID], kind: "account.tokenCreated", data: ["tokenName": trimmed], on: connection
        )
        return Issued(id: tokenID, secret: secret, expiresAt: expiresAt)
    }

    /// A token as its owner sees it in a list: never the secret.
    public struct Listed: Sendable, Equatable {
        public let id: UUID
        public let name: String
        public let scopes: [String]
        public let createdAt: Date
        public let expiresAt: Date
        public let lastUsedAt: Date?
        public let revokedAt: Date?
    }

    /// The actor's own tokens, newest first, revoked ones included.
    public func list(for actor: Actor) async throws -> [Listed] {
        try Policy.check(actor, .manageOwnTokens)
        return try await pool.withTransaction(settings: actor.transactionSettings) { connection in
            // Row-level security limits this to the actor's own tokens; the organisation narrows it to the
            // one they act for now.
            try await connection.query("""
                SELECT id, name, scopes, created_at, expires_at, last_used_at, revoked_at FROM avrop.api_token
                WHERE organization_id = \(actor.organizationID)
                ORDER BY created_at DESC, id
                LIMIT 200
                """).map { row in
                Listed(
                    id: try row.decode("id", as: UUID.self), name: try row.decode("name", as: String.self),
                    scopes: try row.decode("scopes", as: [String].self), createdAt: try row.decode("created_at", as: Date.self),
                    expiresAt: try row.decode("expires_at", as: Date.self), lastUsedAt: try row.decode("last_used_at", as: Date?.self),
                    revokedAt: try row.decode("revoked_at", as: Date?.self)
                )
            }
        }
    }

    /// The actor behind a bearer token, or `nil` for an unknown, expired or revoked one.
    public func authenticate(bearer secret: String) async throws -> Actor? {
        guard secret.hasPrefix(Self.prefix), secret.utf8.count < 200 else { return nil }
        let rows = try await pool.withConnection { connection in
            try await connection.query("SELECT * FROM avrop.token_authenticate(\(Self.digest(secret)))")
        }
        guard let row = rows.first else { return nil }
        let roles = try row.decode("roles", as: [String].self).compactMap(Role.init(rawValue:))
        return Actor(userID: try row.decode("user_id", as: UUID.self), organizationID: try row.decode("organization_id", as: UUID.self), roles: Set(roles))
    }

    /// Revokes one of the actor's own tokens; someone else's token is `IdentityError.notFound`.
    public func revoke(_ tokenID: UUID, by actor: Actor) async throws {
        try Policy.check(actor, .manageOwnTokens)
        try await pool.withTransaction(settings: actor.transactionSettings) { connection in
            // Row-level security limits this to the actor's own tokens.
            let changed = try await connection.execute("""
                UPDATE avrop.api_token SET revoked_at = now() WHERE id = \(tokenID) AND revoked_at IS NULL
                """)
            guard changed == 1 else { throw IdentityError.notFound }
            try await AuditLog.append(
                stream: "api-token/\(tokenID.uuidString.lowercased())", organizationID: actor.organizationID,
                action: "token.revoked", data: AuditFacts([:]), on: connection
            )
        }
    }

    /// The start of every API token.
    public static let prefix = "avr_"

    /// 32 random bytes from the system's generator, base64url without padding, behind a recognisable prefix
    /// (so that secret scanners can find leaked tokens).
    public static func newSecret(prefix: String = prefix) -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return prefix + Base64URL.encode(Data(bytes))
    }

    static func digest(_ secret: String) -> Data {
        Data(SHA256.hash(data: Data(secret.utf8)))
    }
}
