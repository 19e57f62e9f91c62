import AvropApp
@testable import AvropAPI
import AvropCore
import AvropHTTP
import Foundation
import FrameworkAgreements
import CatalogueSearch
import Hummingbird
import HummingbirdTesting
import Identity
import Logging
import Postgres
import PostgresTesting
import Testing

/// `GET /api/v1/catalogue` is served by a hand-written route (`CatalogueSearchRoute`); these tests hold
/// it to the generated operation, which is what `openapi.yaml` says.
@Suite("The catalogue's JSON API")
struct CatalogueAPITests {
    /// The demo catalogue behind the real router, and the generated operation's handlers on the same database.
    static func withDemo(_ body: @Sendable (any TestClientProtocol, APIHandlers) async throws -> Void) async throws {
        try await TestCluster.withDatabase(template: "avrop", migrations: try AvropSchema.migrations()) { configuration in
            let owner = ConnectionPool(configuration: configuration, maximumConnections: 2)
            _ = try await DemoData.seed(pool: owner, password: "demo-lösenord-2026", passwords: PasswordPolicy(cost: 4))
            await owner.close()
            let pool = ConnectionPool(configuration: configuration.with("user", "avrop_app"), maximumConnections: 4)
            let handlers = APIHandlers(services: Services(pool: pool, maximumDocumentBytes: SolutionDocuments.defaultMaximumBytes))
            let app = buildApplication(configuration: AppConfiguration(port: 0), database: AppDatabase(pool: pool, migrator: try AvropSchema.migrator()),
                                       logger: Logger(label: "test"))
            do {
                try await app.test(.router) { client in try await body(client, handlers) }
            } catch {
                await pool.close()
                throw error
            }
            await pool.close()
        }
    }

    /// JSON with its keys sorted, so that two writers' output can be compared.
    static func canonical(_ data: Data) throws -> String {
        let object = try JSONSerialization.jsonObject(with: data)
        return String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }

    @Test func theRouteSendsWhatTheGeneratedOperationWould() async throws {
        try await Self.withDemo { client, handlers in
            var queries = ["", "q=digitala+tj%C3%A4nster", "q=digitala%20tj%C3%A4nster&trl=7-9", "q=varudistrubution",
                           "q=%22digital+tj%C3%A4nst%22", "q=tolk+or+sensorer", "sort=newest&limit=3", "type=service&limit=2", "step=introduce&trl=4-6"]
            var compared = 0
            while !queries.isEmpty {
                let query = queries.removeFirst()
                let (status, contentType, body) = try await client.execute(uri: "/api/v1/catalogue?\(query)", method: .get) {
                    ($0.status, $0.headers[.contentType], Data(buffer: $0.body))
                }
                #expect(status == .ok, "\(query)")
                #expect(contentType == "application/json; charset=utf-8")
                let form = FormQuery(query)
                guard case .success(let input) = CatalogueSearchRoute.query(from: form) else {
                    Issue.record("the route did not read \(query)")
                    continue
                }
                let output = try await handlers.searchCatalogue(.init(query: input))
                let reference = try JSONEncoder().encode(try output.ok.body.json)
                #expect(try Self.canonical(body) == Self.canonical(reference), "\(query)")
                let decoded = try JSONDecoder().decode(Components.Schemas.CatalogueResult.self, from: body)
                #expect(decoded == (try output.ok.body.json), "\(query)")
                compared += 1
                // Follow the next page once, so that a cursor is compared too.
                if let next = decoded.next, query.hasPrefix("sort=newest"), let range = next.range(of: "?") {
                    queries.append(String(next[range.upperBound...]))
                }
            }
            #expect(compared == 10, "nine queries and one next page")
        }
    }

    @Test func aBadParameterIsRefusedWithAProblemThatSaysWhich() async throws {
        try await Self.withDemo { client, _ in
            for (query, detail) in [
                ("trl=10-12", "trl must be one of 1-3, 4-6, 7-9"), ("type=gadget", "type must be one of product, service, process, organisational"),
                ("sort=best", "sort must be one of relevance, newest"), ("step=top", "step must be one of deploy, introduce, initiate"), ("limit=many", "limit must be a whole number from 1 to 100"),
                ("agreement=42", "agreement must be a UUID"), ("cursor=not-ours", "the cursor is not one this service gave out"),
                ("q=%zz", "the query string is not valid percent-encoding"),
            ] {
                let (status, contentType, body) = try await client.execute(uri: "/api/v1/catalogue?\(query)", method: .get) {
                    ($0.status, $0.headers[.contentType], Data(buffer: $0.body))
                }
                #expect(status == .badRequest, "\(query)")
                #expect(contentType == "application/problem+json; charset=utf-8")
                let problem = try JSONDecoder().decode(Components.Schemas.Problem.self, from: body)
                #expect(problem.detail == detail, "\(query)")
            }
            // Another method on the path is still answered 405 with Allow: the route is in the route table.
            let (status, allow) = try await client.execute(uri: "/api/v1/catalogue", method: .post) { ($0.status, $0.headers[.allow]) }
            #expect(status == .methodNotAllowed)
            #expect(allow == "GET")
        }
    }

    @Test func stringsAreEscapedAsJSONRequires() throws {
        let samples = ["plain", "\"citat\" och \\ snedstreck", "rad\nny\trad\r", "\u{1}\u{1f}", "åäö – 🇸🇪", "", "<mark>a&amp;b</mark>"]
        var json = JSONText(capacity: 16)
        json.strings(samples)
        let parsed = try JSONSerialization.jsonObject(with: Data(json.bytes)) as? [String]
        #expect(parsed == samples)
        #expect(String(decoding: json.bytes, as: UTF8.self).contains(#""\u0001\u001f""#))
    }
}
