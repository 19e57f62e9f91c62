import Audit
import Foundation
import Identity
import Postgres
import Testing

/// The second wall (DESIGN §4, §5): row-level security in PostgreSQL, whatever the service does.
@Suite("Row-level security keeps organisations apart")
struct RowLevelSecurityTests {
    private func count(_ table: String, _ connection: Connection) async throws -> Int {
        try await connection.query("SELECT count(*)::int8 AS n FROM \(unsafeRaw: table)").first?.decode("n", as: Int.self) ?? -1
    }

    @Test func withoutAnActorTheAppRoleReadsNoTenantRows() async throws {
        try await IdentityFixture.withFixture { fixture in
            let counts = try await fixture.app.withTransaction { connection in
                [
                    try await count("avrop.membership", connection), try await count("avrop.app_user", connection),
                    try await count("avrop.audit_event", connection), try await count("avrop.audit_stream", connection),
                    try await count("avrop.organization", connection),
                ]
            }
            // Nothing of any tenant; organisations are public records.
            #expect(counts == [0, 0, 0, 0, 2])
        }
    }

    @Test func oneOrganizationsActorNeverReadsAnothersRows() async throws {
        try await IdentityFixture.withFixture { fixture in
            let settings = IdentityFixture.actor(fixture.buyerA, in: fixture.authorityA)
            try await fixture.app.withTransaction(settings: settings) { connection in
                let members = try await connection.query("SELECT organization_id FROM avrop.membership")
                    .map { try $0.decode("organization_id", as: UUID.self) }
                #expect(members == [fixture.authorityA.id])
                let users = try await connection.query("SELECT email FROM avrop.app_user").map { try $0.decode("email", as: String.self) }
                #expect(users == [fixture.buyerA.email])
                let streams = try await connection.query("SELECT DISTINCT organization_id FROM avrop.audit_event")
                    .map { try $0.decode("organization_id", as: UUID.self) }
                #expect(streams == [fixture.authorityA.id])
                // Asking for the other organisation's rows by id finds nothing.
                let foreign = try await connection.query("SELECT 1 AS one FROM avrop.app_user WHERE id = \(fixture.buyerB.id)")
                #expect(foreign.isEmpty)
            }
        }
    }

    /// Issue 18: the policies require that the transaction's user is a member of its organisation. Another
    /// authority's buyer under this authority's id reads only what is its own (its membership, itself), none
    /// of this authority's members or audit trail.
    @Test func aUserUnderAnOrganisationItIsNotAMemberOfReadsNoneOfItsRows() async throws {
        try await IdentityFixture.withFixture { fixture in
            let settings = [("avrop.user_id", fixture.buyerB.id.uuidString), ("avrop.org_id", fixture.authorityA.id.uuidString)]
            try await fixture.app.withTransaction(settings: settings) { connection in
                let members = try await connection.query("SELECT organization_id FROM avrop.membership")
                    .map { try $0.decode("organization_id", as: UUID.self) }
                #expect(members == [fixture.authorityB.id])
                let users = try await connection.query("SELECT email FROM avrop.app_user").map { try $0.decode("email", as: String.self) }
                #expect(users == [fixture.buyerB.email])
                #expect(try await count("avrop.audit_event", connection) == 0)
                #expect(try await count("avrop.audit_stream", connection) == 0)
            }
        }
    }

    @Test func theAppRoleCannotWriteIdentityRowsDirectly() async throws {
        try await IdentityFixture.withFixture { fixture in
            let settings = IdentityFixture.actor(fixture.buyerA, in: fixture.authorityA)
            let error = await #expect(throws: PostgresError.self) {
                try await fixture.app.withTransaction(settings: settings) { connection in
                    try await connection.execute("""
                        INSERT INTO avrop.membership (user_id, organization_id, role)
                        VALUES (\(fixture.buyerA.id), \(fixture.authorityB.id), 'admin')
                        """)
                }
            }
            #expect(error?.code == .insufficientPrivilege)
        }
    }
}
