public import Foundation
public import Postgres

/// Organisations in PostgreSQL (`avrop.organization`).
public struct OrganizationStore: Sendable {
    public init() {}

    /// Inserts `organization`; a taken organisation number is `IdentityError.organizationNumberTaken`.
    public func insert(_ organization: Organization, on connection: Connection) async throws {
        do {
            try await connection.execute("""
                INSERT INTO avrop.organization (id, kind, name, organization_number)
                VALUES (\(organization.id), \(organization.kind.rawValue), \(organization.name), \(organization.number.digits))
                """)
        } catch let error as PostgresError where error.constraint == "organization_number_key" {
            throw IdentityError.organizationNumberTaken
        }
    }

    /// The organisation with `number`, if any (and if the caller may see it).
    public func find(number: OrganizationNumber, on connection: Connection) async throws -> Organization? {
        let rows = try await connection.query("""
            SELECT id, kind, name, organization_number FROM avrop.organization
            WHERE organization_number = \(number.digits)
            """)
        return try rows.first.map(Self.organization)
    }

    /// The organisation with `id`, if any (and if the caller may see it).
    public func find(id: UUID, on connection: Connection) async throws -> Organization? {
        let rows = try await connection.query("""
            SELECT id, kind, name, organization_number FROM avrop.organization WHERE id = \(id)
            """)
        return try rows.first.map(Self.organization)
    }

    static func organization(_ row: Row) throws -> Organization {
        let kindText = try row.decode("kind", as: String.self)
        guard let kind = Organization.Kind(rawValue: kindText) else {
            throw PostgresDecodingError(column: "kind", swiftType: "Organization.Kind", reason: .invalidValue)
        }
        let number: OrganizationNumber
        do {
            number = try OrganizationNumber(try row.decode("organization_number", as: String.self))
        } catch {
            throw PostgresDecodingError(column: "organization_number", swiftType: "OrganizationNumber", reason: .invalidValue)
        }
        return Organization(id: try row.decode("id", as: UUID.self), kind: kind, name: try row.decode("name", as: String.self), number: number)
    }
}
