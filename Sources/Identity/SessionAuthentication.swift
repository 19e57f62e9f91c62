import Audit
import Notifications
import Crypto
public import Foundation
public import Postgres

/// Browser sessions, kept server-side in `avrop.web_session`: the cookie carries a random secret, the table
/// its SHA-256. A login always starts a new session (never adopts an id the browser brought), and each
/// session has its own CSRF token for the forms it renders.
public struct SessionAuthentication: Sendable {
    /// A session as the pages need it.
    public struct Session: Sendable, Equatable {
        public let actor: Actor
        public let csrfToken: String
        public let displayName: String
        public let organizationName: String
        /// The organisation requires a second factor that the user has not set up: until they do, only
        /// their account page is open to them.
        public let mustEnrolSecondFactor: Bool
    }

    /// A session just started: `secret` goes into the cookie and is stored nowhere.
    public struct Started: Sendable {
        public let secret: String
        public let session: Session
    }

    /// The application role's pool (`avrop_app`).
    public let pool: ConnectionPool
    public let passwords: PasswordPolicy
    /// A session ends after this long without a request…
    public let idleTimeout: Duration
    /// …and at the latest this long after login.
    public let absoluteTimeout: Duration

    public init(
        pool: ConnectionPool, passwords: PasswordPolicy = PasswordPolicy(),
        idleTimeout: Duration = .seconds(30 * 60), absoluteTimeout: Duration = .seconds(12 * 3600)
    ) {
        self.pool = pool
        self.passwords = passwords
        self.idleTimeout = idleTimeout
        self.absoluteTimeout = absoluteTimeout
    }

    /// Checks the password (throttled like every login) and the second factor's `code` when the user has one,
    /// and starts a session for the user in the organisation numbered `organizationNumber`, or in their only one.
    public func login(email: String, password: String, code: String? = nil, organizationNumber: String?, address: String) async throws -> Started {
        let login = PasswordLogin(pool: pool, passwords: passwords)
        let userID = try await login.verify(email: email, password: password, address: address)
        let secret = TokenAuthentication.newSecret(prefix: "")
        let csrf = TokenAuthentication.newSecret(prefix: "")
        do {
            try await start(userID: userID, organizationNumber: organizationNumber, code: code, secret: secret, csrf: csrf)
        } catch IdentityError.invalidCredentials {
            try await login.recordFailure(email: email, address: address)
            throw IdentityError.invalidCredentials
        }
        guard let session = try await authenticate(secret) else { throw IdentityError.invalidCredentials }
        return Started(secret: secret, session: session)
    }

    private func start(userID: UUID, organizationNumber: String?, code: String?, secret: String, csrf: String) async throws {
        try await pool.withTransaction(settings: [("avrop.user_id", userID.uuidString.lowercased())]) { connection in
            let organizationID = try await PasswordLogin.organization(of: userID, number: organizationNumber, on: connection)
            try await connection.execute("SELECT set_config('avrop.org_id', \(organizationID.uuidString.lowercased()), true)")
            // A user who must still set up the factor gets a session that opens only the account page.
            _ = try await SecondFactor(pool: pool).checkLogin(userID: userID, organizationID: organizationID, code: code, on: connection)
            try await connection.execute("""
                INSERT INTO avrop.web_session (id_hash, user_id, organization_id, csrf_token, expires_at)
                VALUES (\(TokenAuthentication.digest(secret)), \(userID), \(organizationID), \(csrf),
                        now() + \(Int(absoluteTimeout.components.seconds)) * interval '1 second')
                """)
        }
    }

    /// The session behind a cookie's secret, or `nil` for an unknown, ended, idle or expired one.
    public func authenticate(_ secret: String) async throws -> Session? {
        guard !secret.isEmpty, secret.utf8.count < 200 else { return nil }
        let idle = "\(idleTimeout.components.seconds) seconds"
        let rows = try await pool.withConnection { connection in
            try await connection.query("SELECT * FROM avrop.session_authenticate(\(TokenAuthentication.digest(secret)), \(idle)::interval)")
        }
        guard let row = rows.first else { return nil }
        let roles = try row.decode("roles", as: [String].self).compactMap(Role.init(rawValue:))
        return Session(
            actor: Actor(userID: try row.decode("user_id", as: UUID.self), organizationID: try row.decode("organization_id", as: UUID.self), roles: Set(roles)),
            csrfToken: try row.decode("csrf_token", as: String.self),
            displayName: try row.decode("display_name", as: String.self),
            organizationName: try row.decode("organization_name", as: String.self),
            mustEnrolSecondFactor: try row.decode("must_enrol_totp", as: Bool.self)
        )
    }

    /// Ends the session behind a cookie's secret (logout); an unknown one changes nothing.
    public func end(_ secret: String) async throws {
        guard !secret.isEmpty, secret.utf8.count < 200 else { return }
        try await pool.withConnection { try await $0.execute("SELECT avrop.session_end(\(TokenAuthentication.digest(secret)))") }
    }

    /// Changes the actor's password after checking the current one, and ends every other session of theirs.
    /// A wrong current password is `IdentityError.invalidCredentials` (and counts as a failed login).
    public func changePassword(
        of actor: Actor, current: String, new: String, keeping secret: String, address: String
    ) async throws {
        if let problem = passwords.problem(with: new) { throw IdentityError.weakPassword(problem) }
        let email = try await pool.withTransaction(settings: actor.transactionSettings) { connection in
            try await connection.query("SELECT email FROM avrop.app_user WHERE id = \(actor.userID)").first?.decode("email", as: String.self)
        }
        guard let email else { throw IdentityError.notFound }
        let verified = try await PasswordLogin(pool: pool, passwords: passwords).verify(email: email, password: current, address: address)
        guard verified == actor.userID else { throw IdentityError.invalidCredentials }
        let hash = try await passwords.hashOffPool(new)
        try await pool.withTransaction(settings: actor.transactionSettings) { connection in
            // Row-level security lets a user update their own row only.
            let changed = try await connection.execute("UPDATE avrop.app_user SET password_hash = \(hash) WHERE id = \(actor.userID)")
            guard changed == 1 else { throw IdentityError.notFound }
            try await connection.execute("""
                UPDATE avrop.web_session SET ended_at = now()
                WHERE user_id = \(actor.userID) AND ended_at IS NULL AND id_hash <> \(TokenAuthentication.digest(secret))
                """)
            // R23; never the password or its hash.
            try await AuditLog.append(
                stream: "organization/\(actor.organizationID.uuidString.lowercased())", organizationID: actor.organizationID,
                action: "user.passwordChanged", data: AuditFacts(["user": actor.userID.uuidString.lowercased()]), on: connection
            )
            // If it was not them, they learn of it at once.
            try await Notifier.notify(users: [actor.userID], kind: "account.passwordChanged", on: connection)
        }
    }
}
