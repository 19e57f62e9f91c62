import AvropApp
import Identity
import Postgres
import PostgresTesting
import Testing

@Suite("Demo data")
struct DemoDataTests {
    @Test func seedsOrganizationsAndOneAccountPerRoleOnce() async throws {
        try await TestCluster.withDatabase(template: "avrop", migrations: try AvropSchema.migrations()) { configuration in
            let pool = ConnectionPool(configuration: configuration, maximumConnections: 2)
            let first = try await DemoData.seed(pool: pool, password: "demo-lösenord-2026", passwords: PasswordPolicy(cost: 4))
            #expect(first.password == "demo-lösenord-2026")
            #expect(Set(first.accounts.map(\.role)) == Set(Role.allCases))
            let second = try await DemoData.seed(pool: pool, password: nil, passwords: PasswordPolicy(cost: 4))
            #expect(second.password == nil, "seeding again creates nothing")
            let counts = try await pool.withConnection { connection in
                try await connection.query("""
                    SELECT (SELECT count(*) FROM avrop.organization)::int8 AS organizations,
                           (SELECT count(*) FROM avrop.organization WHERE kind = 'supplier')::int8 AS suppliers,
                           (SELECT count(*) FROM avrop.organization WHERE kind = 'contractingAuthority')::int8 AS authorities,
                           (SELECT count(*) FROM avrop.membership)::int8 AS memberships
                    """).first.map { try [$0.decode("organizations", as: Int.self), $0.decode("suppliers", as: Int.self),
                                           $0.decode("authorities", as: Int.self), $0.decode("memberships", as: Int.self)] }
            }
            #expect(counts == [9, 5, 3, 6])
            await pool.close()
        }
    }
}
