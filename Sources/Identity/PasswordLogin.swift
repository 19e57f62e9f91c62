public import Foundation
public import Postgres

/// Checks an e-mail address and a password, throttled: after `failuresPerAccount` failures for one account,
/// or `failuresPerAddress` from one client address, within `throttleWindow`, every attempt is refused with
/// `IdentityError.throttled` before the password is looked at. Shared by page logins and API token requests.
public struct PasswordLogin: Sendable {
    public static let failuresPerAccount = 5
    public static let failuresPerAddress = 20
    public static let throttleWindow: Duration = .seconds(15 * 60)

    /// The application role's pool (`avrop_app`).
    public let pool: ConnectionPool
    public let passwords: PasswordPolicy

    public init(pool: ConnectionPool, passwords: PasswordPolicy = PasswordPolicy()) {
        self.pool = pool
        self.passwords = passwords
    }

    /// The user whose password `password` is; records the attempt either way. Wrong credentials are
    /// `IdentityError.invalidCredentials`.
    public func verify(email: String, password: String, address: String) async throws -> UUID {
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
            valid = await passwords.verifyOffPool(password, hash: hash)
        } else {
            await passwords.spendVerificationTimeOffPool()
            valid = false
        }
        let succeeded = valid && userID != nil
        try await pool.withConnection { try await $0.execute("SELECT avrop.login_record(\(email), \(address), \(succeeded))") }
        guard succeeded, let userID else { throw IdentityError.invalidCredentials }
        return userID
    }

    /// Records a failed attempt that got past the password (a wrong second-factor code), so that guessing
    /// codes is throttled like guessing passwords.
    func recordFailure(email: String, address: String) async throws {
        try await pool.withConnection { try await $0.execute("SELECT avrop.login_record(\(email), \(address), false)") }
    }

    /// The organisation `userID` acts for: the one numbered `number`, or their only one. Needs a transaction
    /// with `avrop.user_id` set to `userID` (row-level security shows a user their own memberships).
    public static func organization(of userID: UUID, number: String?, on connection: Connection) async throws -> UUID {
        let rows = try await connection.query("""
            SELECT DISTINCT m.organization_id, o.organization_number
            FROM avrop.membership m JOIN avrop.organization o ON o.id = m.organization_id
            WHERE m.user_id = \(userID)
            """)
        let memberships = try rows.map { (try $0.decode("organization_id", as: UUID.self), try $0.decode("organization_number", as: String.self)) }
        if let number, !number.trimmingCharacters(in: .whitespaces).isEmpty {
            let digits = (try? OrganizationNumber(number))?.digits
            guard let match = memberships.first(where: { $0.1 == digits }) else { throw IdentityError.notFound }
            return match.0
        }
        guard memberships.count == 1, let only = memberships.first else { throw IdentityError.organizationRequired }
        return only.0
    }
}
