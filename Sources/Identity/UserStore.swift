public import Foundation
public import Postgres

/// Users and their memberships in PostgreSQL (`avrop.app_user`, `avrop.membership`).
public struct UserStore: Sendable {
    public init() {}

    /// Inserts `user` with its password hash; a taken e-mail address (in any letter case) is
    /// `IdentityError.emailTaken`.
    public func insert(_ user: User, passwordHash: String?, on connection: Connection) async throws {
        do {
            try await connection.execute("""
                INSERT INTO avrop.app_user (id, email, display_name, password_hash)
                VALUES (\(user.id), \(user.email), \(user.displayName), \(passwordHash))
                """)
        } catch let error as PostgresError where error.constraint == "app_user_email_key" {
            throw IdentityError.emailTaken
        }
    }

    /// The user with `email` (compared without letter case), if any (and if the caller may see it).
    public func find(email: String, on connection: Connection) async throws -> User? {
        let rows = try await connection.query("""
            SELECT id, email, display_name FROM avrop.app_user WHERE lower(email) = lower(\(email))
            """)
        return try rows.first.map {
            User(id: try $0.decode("id", as: UUID.self), email: try $0.decode("email", as: String.self),
                 displayName: try $0.decode("display_name", as: String.self))
        }
    }

    /// Gives `userID` `role` in `organizationID`; granting a role held already changes nothing.
    public func grant(_ role: Role, to userID: UUID, in organizationID: UUID, on connection: Connection) async throws {
        try await connection.execute("""
            INSERT INTO avrop.membership (user_id, organization_id, role)
            VALUES (\(userID), \(organizationID), \(role.rawValue))
            ON CONFLICT DO NOTHING
            """)
    }

    /// The roles of `userID` in `organizationID`.
    public func roles(of userID: UUID, in organizationID: UUID, on connection: Connection) async throws -> Set<Role> {
        let rows = try await connection.query("""
            SELECT role FROM avrop.membership WHERE user_id = \(userID) AND organization_id = \(organizationID)
            """)
        return Set(try rows.compactMap { Role(rawValue: try $0.decode("role", as: String.self)) })
    }
}
