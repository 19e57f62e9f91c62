import Audit
import Foundation
public import Postgres

/// The administration use cases of the command line (`avrop org add`, `avrop user add`,
/// `avrop user grant`): each validates, writes and audits in one transaction. They run as the database
/// owner, like migrations: they set up who may use the service at all.
public struct IdentityAdministration: Sendable {
    public let pool: ConnectionPool
    public let passwords: PasswordPolicy
    private let organizations = OrganizationStore()
    private let users = UserStore()

    public init(pool: ConnectionPool, passwords: PasswordPolicy = PasswordPolicy()) {
        self.pool = pool
        self.passwords = passwords
    }

    /// Registers an organisation.
    public func addOrganization(kind: Organization.Kind, name: String, number: String) async throws -> Organization {
        let parsed: OrganizationNumber
        do { parsed = try OrganizationNumber(number) } catch { throw IdentityError.invalidOrganizationNumber(error) }
        let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...300).contains(trimmed.count) else { throw IdentityError.invalidName }
        let organization = Organization(id: UUID(), kind: kind, name: trimmed, number: parsed)
        try await pool.withTransaction { connection in
            try await organizations.insert(organization, on: connection)
            try await AuditLog.append(
                stream: "organization/\(organization.id.uuidString.lowercased())", organizationID: organization.id,
                action: "organization.created",
                data: AuditFacts(["kind": kind.rawValue, "name": trimmed, "organizationNumber": parsed.digits, "via": "cli"]),
                on: connection
            )
        }
        return organization
    }

    /// Creates a user with a password (checked against the policy, stored as a bcrypt hash).
    public func addUser(email: String, displayName: String, password: String) async throws -> User {
        let trimmedEmail = email.trimmingCharacters(in: .whitespacesAndNewlines)
        guard trimmedEmail.wholeMatch(of: /[^@\s]+@[^@\s]+\.[^@\s]+/) != nil else { throw IdentityError.invalidEmail }
        let name = displayName.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...200).contains(name.count) else { throw IdentityError.invalidName }
        let hash = try await passwords.hashOffPool(password)
        let user = User(id: UUID(), email: trimmedEmail, displayName: name)
        try await pool.withTransaction { connection in
            try await users.insert(user, passwordHash: hash, on: connection)
            // The stream belongs to no organisation yet; the password hash is never part of an event.
            try await AuditLog.append(
                stream: "user/\(user.id.uuidString.lowercased())", organizationID: nil, action: "user.created",
                data: AuditFacts(["email": trimmedEmail, "displayName": name, "via": "cli"]), on: connection
            )
        }
        return user
    }

    /// Gives the user with `email` `role` in the organisation with `organizationNumber`.
    public func grant(_ role: Role, email: String, organizationNumber: String) async throws {
        let parsed: OrganizationNumber
        do { parsed = try OrganizationNumber(organizationNumber) } catch { throw IdentityError.invalidOrganizationNumber(error) }
        try await pool.withTransaction { connection in
            guard let user = try await users.find(email: email, on: connection),
                  let organization = try await organizations.find(number: parsed, on: connection)
            else { throw IdentityError.notFound }
            guard role.allowedKinds.contains(organization.kind) else { throw IdentityError.roleNotAllowed(role, organization.kind) }
            try await users.grant(role, to: user.id, in: organization.id, on: connection)
            try await AuditLog.append(
                stream: "organization/\(organization.id.uuidString.lowercased())", organizationID: organization.id,
                action: "membership.granted",
                data: AuditFacts(["userId": user.id.uuidString.lowercased(), "role": role.rawValue, "via": "cli"]),
                on: connection
            )
        }
    }
}
