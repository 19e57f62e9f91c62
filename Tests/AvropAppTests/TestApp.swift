import AvropAPI
import AvropApp
import Foundation
import Hummingbird
import HummingbirdTesting
import Identity
import Logging
import Postgres
import PostgresTesting

/// The whole application over a fresh migrated database with two authorities and a supplier, one member
/// in each (password: "ett långt lösen för <email>"), driven through the real router.
enum TestApp {
    struct Accounts {
        let authorityA: Organization
        let authorityB: Organization
        let supplier: Organization
        /// The owner's pool, for what a test must arrange or inspect behind the application's back.
        let owner: ConnectionPool
        /// The database, as the owner (`.with("user", "avrop_app")` for the application's role).
        let configuration: PostgresConfiguration
        /// Every API operation the router serves.
        let routes: APIRouteTable
    }

    static func password(_ email: String) -> String { "ett långt lösen för \(email)" }

    static func with(_ body: @Sendable (any TestClientProtocol, Accounts) async throws -> Void) async throws {
        try await TestCluster.withDatabase(template: "avrop", migrations: try AvropSchema.migrations()) { configuration in
            let owner = ConnectionPool(configuration: configuration, maximumConnections: 2)
            let admin = IdentityAdministration(pool: owner, passwords: PasswordPolicy(cost: 4))
            let accounts = Accounts(
                authorityA: try await admin.addOrganization(kind: .contractingAuthority, name: "Region Norr", number: "212000-0142"),
                authorityB: try await admin.addOrganization(kind: .contractingAuthority, name: "Kommun Syd", number: "202100-5489"),
                supplier: try await admin.addOrganization(kind: .supplier, name: "Innovera AB", number: "556703-7485"),
                owner: owner, configuration: configuration, routes: APIRouteTable()
            )
            for (email, role, number) in [("anna@norr.example", Role.buyer, "212000-0142"), ("bo@syd.example", .auditor, "202100-5489"),
                                          ("eva@innovera.example", .supplierRepresentative, "556703-7485")] {
                _ = try await admin.addUser(email: email, displayName: email, password: password(email))
                try await admin.grant(role, email: email, organizationNumber: number)
            }
            let pool = ConnectionPool(configuration: configuration.with("user", "avrop_app"), maximumConnections: 4)
            let app = buildApplication(
                configuration: AppConfiguration(port: 0),
                database: AppDatabase(pool: pool, migrator: try AvropSchema.migrator()),
                apiRoutes: accounts.routes,
                logger: Logger(label: "test")
            )
            do {
                try await app.test(.router) { client in try await body(client, accounts) }
                await pool.close()
                await owner.close()
            } catch {
                await pool.close()
                await owner.close()
                throw error
            }
        }
    }
}
