import AvropApp
import Foundation
import Hummingbird
import HummingbirdTesting
import Identity
import Logging
import Postgres
import PostgresTesting

/// The app over the demo data (agreement, lots, ranked suppliers, solutions in every state, an account
/// for every role), driven without a socket; `owner` reads behind the scenes.
enum DemoApp {
    static let password = "demo-lösenord-2026"

    static func with(
        maximumDocumentBytes: Int = 25 << 20,
        _ body: @Sendable (_ client: any TestClientProtocol, _ owner: ConnectionPool) async throws -> Void
    ) async throws {
        try await TestCluster.withDatabase(template: "avrop", migrations: try AvropSchema.migrations()) { configuration in
            let owner = ConnectionPool(configuration: configuration, maximumConnections: 2)
            _ = try await DemoData.seed(pool: owner, password: password, passwords: PasswordPolicy(cost: 4))
            let pool = ConnectionPool(configuration: configuration.with("user", "avrop_app"), maximumConnections: 4)
            let app = buildApplication(
                configuration: AppConfiguration(port: 0, maximumDocumentBytes: maximumDocumentBytes),
                database: AppDatabase(pool: pool, migrator: try AvropSchema.migrator()), logger: Logger(label: "test")
            )
            try await app.test(.router) { client in try await body(client, owner) }
            await pool.close()
            await owner.close()
        }
    }

    /// A browser signed in as a demo account.
    static func signedIn(_ client: any TestClientProtocol, _ email: String) async throws -> Browser {
        let browser = Browser(client)
        try await browser.get("/login")
        let page = try await browser.post("/login", ["email": email, "password": password])
        guard page.status == .seeOther else { throw SignInRefused(email: email, status: page.status) }
        return browser
    }

    struct SignInRefused: Error {
        let email: String
        let status: HTTPResponse.Status
    }

    /// A bearer token for a demo account.
    static func token(_ client: any TestClientProtocol, _ email: String) async throws -> String {
        let login = try JSONSerialization.data(withJSONObject: ["email": email, "password": password, "name": "test"])
        return try await client.execute(uri: "/api/v1/tokens", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(data: login)) {
            ((try? JSONSerialization.jsonObject(with: Data(buffer: $0.body))) as? [String: Any])?["token"] as? String ?? ""
        }
    }

    /// The id of one demo solution of the supplier with `organizationNumber` in `status`.
    static func solution(_ owner: ConnectionPool, supplier organizationNumber: String, status: String) async throws -> String {
        try await owner.withConnection { connection in
            try await connection.query("""
                SELECT s.id::text AS id FROM avrop.solution s JOIN avrop.organization o ON o.id = s.supplier_id
                WHERE o.organization_number = \(organizationNumber) AND avrop.solution_status(s) = \(status) ORDER BY s.name LIMIT 1
                """).first?.decode("id", as: String.self) ?? ""
        }
    }
}
