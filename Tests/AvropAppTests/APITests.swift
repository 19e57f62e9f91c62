import AvropApp
import Foundation
import Hummingbird
import HummingbirdTesting
import Identity
import Logging
import Postgres
import PostgresTesting
import Testing

@Suite("The JSON API: tokens, me, audit events, problems")
struct APITests {
    struct Accounts {
        let authorityA: Organization
        let authorityB: Organization
        let supplier: Organization
    }

    /// A migrated database with two authorities and a supplier, a member in each, and the app over it.
    private func withAPI(_ body: @Sendable (any TestClientProtocol, Accounts) async throws -> Void) async throws {
        try await TestCluster.withDatabase(template: "avrop", migrations: try AvropSchema.migrations()) { configuration in
            let owner = ConnectionPool(configuration: configuration, maximumConnections: 2)
            let admin = IdentityAdministration(pool: owner, passwords: PasswordPolicy(cost: 4))
            let accounts = Accounts(
                authorityA: try await admin.addOrganization(kind: .contractingAuthority, name: "Region Norr", number: "212000-0142"),
                authorityB: try await admin.addOrganization(kind: .contractingAuthority, name: "Kommun Syd", number: "202100-5489"),
                supplier: try await admin.addOrganization(kind: .supplier, name: "Innovera AB", number: "556703-7485")
            )
            for (email, role, number) in [("anna@norr.example", Role.buyer, "212000-0142"), ("bo@syd.example", .auditor, "202100-5489"),
                                          ("eva@innovera.example", .supplierRepresentative, "556703-7485")] {
                _ = try await admin.addUser(email: email, displayName: email, password: "ett långt lösen för \(email)")
                try await admin.grant(role, email: email, organizationNumber: number)
            }
            await owner.close()
            let pool = ConnectionPool(configuration: configuration.with("user", "avrop_app"), maximumConnections: 4)
            let app = buildApplication(
                configuration: AppConfiguration(port: 0),
                database: AppDatabase(pool: pool, migrator: try AvropSchema.migrator()),
                logger: Logger(label: "test")
            )
            do {
                try await app.test(.router) { client in try await body(client, accounts) }
                await pool.close()
            } catch {
                await pool.close()
                throw error
            }
        }
    }

    private func json(_ object: [String: Any]) throws -> ByteBuffer {
        ByteBuffer(data: try JSONSerialization.data(withJSONObject: object))
    }

    private func decode(_ buffer: ByteBuffer) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(buffer: buffer)) as? [String: Any])
    }

    private func token(_ client: any TestClientProtocol, _ email: String) async throws -> String {
        let body = try json(["email": email, "password": "ett långt lösen för \(email)", "name": "test"])
        return try await client.execute(uri: "/api/v1/tokens", method: .post, headers: [.contentType: "application/json"], body: body) { response in
            #expect(response.status == .created)
            return try #require(try decode(response.body)["token"] as? String)
        }
    }

    @Test func aTokenFromAPasswordIdentifiesTheCaller() async throws {
        try await withAPI { client, accounts in
            let secret = try await token(client, "anna@norr.example")
            try await client.execute(uri: "/api/v1/me", method: .get, headers: [.authorization: "Bearer \(secret)"]) { response in
                #expect(response.status == .ok)
                let me = try decode(response.body)
                #expect(me["organizationId"] as? String == accounts.authorityA.id.uuidString.lowercased())
                #expect(me["roles"] as? [String] == ["buyer"])
            }
            for headers: HTTPFields in [[:], [.authorization: "Bearer avr_nonsense"], [.authorization: "Basic abc"]] {
                try await client.execute(uri: "/api/v1/me", method: .get, headers: headers) { response in
                    #expect(response.status == .unauthorized)
                    #expect(response.headers[.contentType]?.hasPrefix("application/problem+json") == true)
                    let problem = try decode(response.body)
                    #expect(problem["type"] as? String == "https://avrop.se/problems/unauthorized")
                }
            }
        }
    }

    @Test func wrongPasswordsAre401ThenThrottledWith429AndRetryAfter() async throws {
        try await withAPI { client, _ in
            let wrong = try json(["email": "anna@norr.example", "password": "inte rätt lösenord", "name": "x"])
            for _ in 0..<TokenAuthentication.failuresPerAccount {
                try await client.execute(uri: "/api/v1/tokens", method: .post, headers: [.contentType: "application/json"], body: wrong) { response in
                    #expect(response.status == .unauthorized)
                    #expect(response.headers[.contentType]?.hasPrefix("application/problem+json") == true)
                }
            }
            try await client.execute(uri: "/api/v1/tokens", method: .post, headers: [.contentType: "application/json"], body: wrong) { response in
                #expect(response.status == .tooManyRequests)
                #expect(response.headers[.retryAfter] == "900")
            }
        }
    }

    @Test func unreadableRequestsAre400Problems() async throws {
        try await withAPI { client, _ in
            try await client.execute(uri: "/api/v1/tokens", method: .post, headers: [.contentType: "application/json"],
                                     body: ByteBuffer(string: "{not json")) { response in
                #expect(response.status == .badRequest)
                #expect(response.headers[.contentType]?.hasPrefix("application/problem+json") == true)
                #expect(!String(buffer: response.body).contains("Decoding"), "no internals in the answer")
            }
            try await client.execute(uri: "/api/v1/tokens", method: .post, headers: [.contentType: "application/json"],
                                     body: try json(["email": "a@b.se"])) { response in
                #expect(response.status == .badRequest)
            }
        }
    }

    @Test func theAuditTrailIsReadableByItsOrganizationAnd404ForOthers() async throws {
        try await withAPI { client, accounts in
            let stream = "organization/\(accounts.authorityA.id.uuidString.lowercased())"
            let encoded = stream.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? stream
            let anna = try await token(client, "anna@norr.example")
            // Two events in A's stream (created, membership granted): one per page.
            let next = try await client.execute(uri: "/api/v1/audit-events?stream=\(encoded)&limit=1", method: .get,
                                                headers: [.authorization: "Bearer \(anna)"]) { response in
                #expect(response.status == .ok)
                let page = try decode(response.body)
                let items = try #require(page["items"] as? [[String: Any]])
                #expect(items.count == 1)
                #expect(items.first?["action"] as? String == "organization.created")
                #expect((items.first?["data"] as? [String: Any])?["name"] as? String == "Region Norr")
                return try #require(page["next"] as? String)
            }
            try await client.execute(uri: next, method: .get, headers: [.authorization: "Bearer \(anna)"]) { response in
                let items = try #require(try decode(response.body)["items"] as? [[String: Any]])
                #expect(items.first?["sequence"] as? Int == 2)
            }
            // Another organisation's auditor and a supplier learn nothing, not even that the stream exists.
            for email in ["bo@syd.example", "eva@innovera.example"] {
                let other = try await token(client, email)
                try await client.execute(uri: "/api/v1/audit-events?stream=\(encoded)", method: .get,
                                         headers: [.authorization: "Bearer \(other)"]) { response in
                    #expect(response.status == .notFound, "\(email)")
                }
            }
            try await client.execute(uri: "/api/v1/audit-events?stream=\(encoded)", method: .get) { response in
                #expect(response.status == .unauthorized)
            }
        }
    }

    @Test func theOpenAPIDocumentIsServed() async throws {
        try await withAPI { client, _ in
            try await client.execute(uri: "/api/v1/openapi.yaml", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).hasPrefix("openapi: 3.1.0"))
            }
        }
    }
}
