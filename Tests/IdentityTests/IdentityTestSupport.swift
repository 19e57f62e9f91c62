import AvropApp
import Foundation
import Identity
import Postgres
import PostgresTesting

/// A migrated database with two organisations of each kind and a member in each, for isolation tests.
struct IdentityFixture {
    let owner: ConnectionPool
    let app: ConnectionPool
    let administration: IdentityAdministration
    let authorityA: Organization
    let authorityB: Organization
    let buyerA: User
    let buyerB: User

    static func withFixture(_ body: (IdentityFixture) async throws -> Void) async throws {
        try await TestCluster.withDatabase(template: "avrop", migrations: try AvropSchema.migrations()) { configuration in
            let owner = ConnectionPool(configuration: configuration, maximumConnections: 4)
            let app = ConnectionPool(configuration: configuration.with("user", "avrop_app"), maximumConnections: 4)
            // bcrypt's lowest cost keeps tests fast; the default (12) is tested on its own.
            let administration = IdentityAdministration(pool: owner, passwords: PasswordPolicy(cost: 4))
            let authorityA = try await administration.addOrganization(kind: .contractingAuthority, name: "Region Norr", number: "212000-0142")
            let authorityB = try await administration.addOrganization(kind: .contractingAuthority, name: "Kommun Syd", number: "202100-5489")
            let buyerA = try await administration.addUser(email: "anna@norr.example", displayName: "Anna Andersson", password: "korrekt häst batteri")
            let buyerB = try await administration.addUser(email: "bo@syd.example", displayName: "Bo Berg", password: "häftklammer i taket")
            try await administration.grant(.buyer, email: buyerA.email, organizationNumber: authorityA.number.digits)
            try await administration.grant(.buyer, email: buyerB.email, organizationNumber: authorityB.number.digits)
            let fixture = IdentityFixture(
                owner: owner, app: app, administration: administration, authorityA: authorityA, authorityB: authorityB,
                buyerA: buyerA, buyerB: buyerB
            )
            do {
                try await body(fixture)
            } catch {
                await owner.close()
                await app.close()
                throw error
            }
            await owner.close()
            await app.close()
        }
    }

    /// The settings with which the service acts for `user` in `organization`.
    static func actor(_ user: User, in organization: Organization) -> [(name: String, value: String)] {
        [("avrop.user_id", user.id.uuidString), ("avrop.org_id", organization.id.uuidString)]
    }
}
