import Audit
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

    /// Failed logins that throttle further attempts within `throttleWindow`.
    public static let failuresPerAccount = 5
    public static let failuresPerAddress = 20
    public static let throttleWindow: Duration = .seconds(15 * 60)

    /// The application role's pool (`avrop_app`).
    public let pool: ConnectionPool
    public let passwords: PasswordPolicy
    private let now: @Sendable () -> Date

    public init(pool: ConnectionPool, passwords: PasswordPolicy = PasswordPolicy(), now: @escaping @Sendable () -> Date = Date.init) {
        self.pool = pool
        self.passwords = passwords
        self.now = now
    }

    /// Checks `email` and `password` and issues a token for the user in `organizationNumber` (or in their
    /// only organisation). Wrong credentials are `IdentityError.invalidCredentials`; too many recent
    /// failures for the account or from `address` are `IdentityError.throttled`.
    public func issue(
        email: String, password: String, organizationNumber: String? = nil, address: String,
        name: String, scopes: [String] = [], lifetime: Duration = .seconds(90 * 24 * 3600)
    ) async throws -> Issued {
        let window = "\(Self.throttleWindow.components.seconds) seconds"
        let lookup = try await pool.withConnection { connection in
            try await connection.query("SELECT * FROM avrop.login_lookup(\(email), \(address), \(window)::interval)").first
        }
        guard let lookup else { throw IdentityError.invalidCredentials }
        if try lookup.decode("failures_for_email", as: Int.self) >= Self.failuresPerAccount
            || lookup.decode("failures_from_address", as: Int.self) >= Self.failuresPerAddress {
            throw IdentityError.throttled(retryAfter: Self.throttleWindow)
        }
        let userID = try lookup.decode("user_id", as: UUID?.self)
        let hash = try lookup.decode("password_hash", as: String?.self)
        // An unknown address costs as much time as a known one, so timing tells nothing about who exists.
        let valid: Bool
        if let hash {
            valid = passwords.verify(password, hash: hash)
        } else {
            passwords.spendVerificationTime()
            valid = false
        }
        guard let userID, hash != nil, valid else {
            try await pool.withConnection { try await $0.execute("SELECT avrop.login_record(\(email), \(address), false)") }
            throw IdentityError.invalidCredentials
        }
        let tokenID = UUID()
        let secret = Self.newSecret()
        let expiresAt = now().addingTimeInterval(TimeInterval(lifetime.components.seconds))
        try await pool.withTransaction(settings: [("avrop.user_id", userID.uuidString.lowercased())]) { connection in
            try await connection.execute("SELECT avrop.login_record(\(email), \(address), true)")
            let organizationID = try await organization(of: userID, number: organizationNumber, on: connection)
            try await connection.execute("SELECT set_config('avrop.org_id', \(organizationID.uuidString.lowercased()), true)")
            try await connection.execute("""
                INSERT INTO avrop.api_token (id, user_id, organization_id, name, token_hash, scopes, expires_at)
                VALUES (\(tokenID), \(userID), \(organizationID), \(name), \(Self.digest(secret)), \(scopes), \(expiresAt))
                """)
            try await AuditLog.append(
                stream: "api-token/\(tokenID.uuidString.lowercased())", organizationID: organizationID, action: "token.created",
                data: AuditFacts(["name": name, "scopes": scopes.joined(separator: " ")]), on: connection
            )
        }
        return Issued(id: tokenID, secret: secret, expiresAt: expiresAt)
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

    private func organization(of userID: UUID, number: String?, on connection: Connection) async throws -> UUID {
        // Row-level security shows the user's own memberships (avrop.user_id is set).
        let rows = try await connection.query("""
            SELECT DISTINCT m.organization_id, o.organization_number
            FROM avrop.membership m JOIN avrop.organization o ON o.id = m.organization_id
            WHERE m.user_id = \(userID)
            """)
        let memberships = try rows.map { (try $0.decode("organization_id", as: UUID.self), try $0.decode("organization_number", as: String.self)) }
        if let number {
            let digits = (try? OrganizationNumber(number))?.digits
            guard let match = memberships.first(where: { $0.1 == digits }) else { throw IdentityError.notFound }
            return match.0
        }
        guard memberships.count == 1, let only = memberships.first else { throw IdentityError.organizationRequired }
        return only.0
    }

    static let prefix = "avr_"

    /// 32 random bytes from the system's generator, base64url without padding, behind a recognisable prefix
    /// (so that secret scanners can find leaked tokens).
    static func newSecret() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let base64 = Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        return prefix + base64
    }

    static func digest(_ secret: String) -> Data {
        Data(SHA256.hash(data: Data(secret.utf8)))
    }
}
