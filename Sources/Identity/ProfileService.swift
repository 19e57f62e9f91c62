import Audit
public import Foundation
public import Postgres

/// A person's own profile: the name others see and the language of their e-mails and pages. Versioned, so
/// that two edits cannot silently overwrite each other (the version is the API's ETag).
public struct ProfileService: Sendable {
    public struct Profile: Sendable, Equatable {
        public let userID: UUID
        public let email: String
        public let displayName: String
        public let language: String
        public let version: Int
    }

    public let pool: ConnectionPool

    public init(pool: ConnectionPool) {
        self.pool = pool
    }

    public func profile(of actor: Actor) async throws -> Profile {
        try await pool.withTransaction(settings: actor.transactionSettings) { connection in
            try await load(actor.userID, on: connection)
        }
    }

    /// Changes what is given, if the profile is still at `version`; otherwise
    /// `IdentityError.versionMismatch` with the current version and nothing changes.
    public func update(of actor: Actor, ifVersion version: Int, displayName: String?, language: String?) async throws -> Profile {
        let name = displayName?.trimmingCharacters(in: .whitespacesAndNewlines)
        if let name, !(1...200).contains(name.count) { throw IdentityError.invalidName }
        if let language, !["sv", "en"].contains(language) { throw IdentityError.invalidLanguage }
        return try await pool.withTransaction(settings: actor.transactionSettings) { connection in
            // Row-level security lets a user update their own row only.
            let changed = try await connection.execute("""
                UPDATE avrop.app_user
                SET display_name = coalesce(\(name), display_name), language = coalesce(\(language), language), version = version + 1
                WHERE id = \(actor.userID) AND version = \(version)
                """)
            let profile = try await load(actor.userID, on: connection)
            guard changed == 1 else { throw IdentityError.versionMismatch(current: profile.version) }
            // R23: which fields changed, in the organisation the person acts for; the name itself is personal
            // data and stays in the user's row, where an erasure can reach it.
            let fields = [displayName.map { _ in "displayName" }, language.map { _ in "language" }].compactMap { $0 }
            try await AuditLog.append(
                stream: "organization/\(actor.organizationID.uuidString.lowercased())", organizationID: actor.organizationID,
                action: "user.profileChanged",
                data: AuditFacts(["user": actor.userID.uuidString.lowercased(), "fields": fields.joined(separator: " "),
                                  "language": language ?? profile.language]),
                on: connection
            )
            return profile
        }
    }

    private func load(_ userID: UUID, on connection: Connection) async throws -> Profile {
        guard let row = try await connection.query("""
            SELECT id, email, display_name, language, version FROM avrop.app_user WHERE id = \(userID)
            """).first else { throw IdentityError.notFound }
        return Profile(
            userID: try row.decode("id", as: UUID.self), email: try row.decode("email", as: String.self),
            displayName: try row.decode("display_name", as: String.self), language: try row.decode("language", as: String.self),
            version: try row.decode("version", as: Int.self)
        )
    }
}
