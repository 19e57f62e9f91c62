public import AvropCore
import Audit
public import Foundation
import HummingbirdOTP
public import Postgres

/// The optional second factor: time-based one-time codes (TOTP, RFC 6238: six digits, 30-second steps,
/// HMAC-SHA1, as every authenticator app reads them). A code is accepted once, within one step either
/// side of now. An organisation's admins can require it for their members.
public struct SecondFactor: Sendable {
    /// A set-up begun: the person adds `authenticatorURL` (or `secret` typed by hand) to their app and
    /// confirms with a code.
    public struct Enrolment: Sendable {
        public let secret: String
        public let authenticatorURL: String
    }

    public let pool: ConnectionPool
    private let now: @Sendable () -> Date

    public init(pool: ConnectionPool, environment: ServiceEnvironment = .system) {
        self.pool = pool
        self.now = environment.now
    }

    /// Checks the second factor of a login that proved its password, in the login's transaction: a user
    /// with one must give a valid `code` (`secondFactorRequired` when none, `invalidCredentials` when
    /// wrong). Returns whether the user must still set one up because the organisation requires it.
    func checkLogin(userID: UUID, organizationID: UUID, code: String?, on connection: Connection) async throws -> Bool {
        guard let status = try await connection.query("SELECT * FROM avrop.totp_status(\(userID), \(organizationID))").first else {
            throw IdentityError.notFound
        }
        let enabled = try status.decode("enabled", as: Bool?.self) ?? false
        let required = try status.decode("required", as: Bool.self)
        guard enabled else { return required }
        guard let code, !code.isEmpty else { throw IdentityError.secondFactorRequired }
        guard try await accept(code, userID: userID, pending: false, on: connection) else { throw IdentityError.invalidCredentials }
        return false
    }

    /// Begins setting up a second factor for the actor (replacing a set-up begun before).
    public func start(for actor: Actor, issuer: String = "Avrop") async throws -> Enrolment {
        let secret = Self.newSecret()
        let label = try await pool.withTransaction(settings: actor.transactionSettings) { connection in
            try await connection.execute("SELECT avrop.totp_start(\(secret))")
            return try await connection.query("SELECT email FROM avrop.app_user WHERE id = \(actor.userID)").first?.decode("email", as: String.self)
        }
        let url = TOTP(secret: secret).createAuthenticatorURL(label: "\(issuer):\(label ?? "")", issuer: issuer)
        return Enrolment(secret: secret, authenticatorURL: url)
    }

    /// Finishes the set-up with a code from the app; a wrong code is `IdentityError.invalidCredentials`.
    public func confirm(for actor: Actor, code: String) async throws {
        try await pool.withTransaction(settings: actor.transactionSettings) { connection in
            guard try await accept(code, userID: actor.userID, pending: true, on: connection),
                  try await connection.query("SELECT avrop.totp_confirm() AS ok").first?.decode("ok", as: Bool.self) == true
            else { throw IdentityError.invalidCredentials }
            try await AuditLog.append(
                stream: "organization/\(actor.organizationID.uuidString.lowercased())", organizationID: actor.organizationID,
                action: "user.secondFactorEnabled", data: AuditFacts(["user": actor.userID.uuidString.lowercased()]), on: connection
            )
        }
    }

    /// Turns the actor's second factor off, with a current code; refused (`secondFactorEnforced`) while their
    /// organisation requires one.
    public func remove(for actor: Actor, code: String) async throws {
        try await pool.withTransaction(settings: actor.transactionSettings) { connection in
            guard try await checkLogin(userID: actor.userID, organizationID: actor.organizationID, code: code, on: connection) == false else {
                throw IdentityError.notFound
            }
            let required = try await connection.query("SELECT require_totp FROM avrop.organization WHERE id = \(actor.organizationID)")
                .first?.decode("require_totp", as: Bool.self) ?? false
            guard !required else { throw IdentityError.secondFactorEnforced }
            try await connection.execute("SELECT avrop.totp_remove()")
            try await AuditLog.append(
                stream: "organization/\(actor.organizationID.uuidString.lowercased())", organizationID: actor.organizationID,
                action: "user.secondFactorRemoved", data: AuditFacts(["user": actor.userID.uuidString.lowercased()]), on: connection
            )
        }
    }

    /// Whether the actor has a second factor, and whether their organisation requires one.
    public func status(of actor: Actor) async throws -> (enabled: Bool, required: Bool) {
        try await pool.withConnection { connection in
            guard let row = try await connection.query("SELECT * FROM avrop.totp_status(\(actor.userID), \(actor.organizationID))").first else {
                return (false, false)
            }
            return (try row.decode("enabled", as: Bool?.self) ?? false, try row.decode("required", as: Bool.self))
        }
    }

    /// Lets an admin require (or stop requiring) a second factor of every member of their organisation.
    public func setRequired(_ required: Bool, by actor: Actor) async throws {
        try Policy.check(actor, .manageOrganizationSecurity(organizationID: actor.organizationID))
        try await pool.withTransaction(settings: actor.transactionSettings) { connection in
            try await connection.execute("""
                UPDATE avrop.organization SET require_totp = \(required), version = version + 1 WHERE id = \(actor.organizationID)
                """)
            try await AuditLog.append(
                stream: "organization/\(actor.organizationID.uuidString.lowercased())", organizationID: actor.organizationID,
                action: required ? "organization.secondFactorRequired" : "organization.secondFactorOptional",
                data: AuditFacts([:]), on: connection
            )
        }
    }

    /// Whether `code` is valid now for the user's (active or pending) secret, and not used before.
    private func accept(_ code: String, userID: UUID, pending: Bool, on connection: Connection) async throws -> Bool {
        let digits = code.filter { !$0.isWhitespace }
        guard digits.count == 6, let value = Int(digits) else { return false }
        guard let row = try await connection.query("SELECT * FROM avrop.totp_secret(\(userID), \(pending))").first,
              let secret = try row.decode("secret", as: String?.self)
        else { return false }
        let totp = TOTP(secret: secret)
        let step = Int64(now().timeIntervalSince1970 / 30)
        for candidate in [step - 1, step, step + 1] where totp.compute(date: Date(timeIntervalSince1970: Double(candidate) * 30)) == value {
            return try await connection.query("SELECT avrop.totp_accept(\(userID), \(candidate)) AS ok").first?.decode("ok", as: Bool.self) ?? false
        }
        return false
    }

    /// 20 random characters from an alphabet of 32 (100 bits), as the secret's bytes.
    static func newSecret() -> String {
        let alphabet = Array("ABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        var generator = SystemRandomNumberGenerator()
        return String((0..<20).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] })
    }
}
