import AvropApp
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
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
            #expect(counts == [9, 5, 3, 10])
            await pool.close()
        }
    }
}

@Suite("Demo agreement on the public pages")
struct DemoAgreementPageTests {
    @Test func theDemoAgreementIsActiveAndItsPagesExplainTheLotsInSwedish() async throws {
        try await TestCluster.withDatabase(template: "avrop", migrations: try AvropSchema.migrations()) { configuration in
            let owner = ConnectionPool(configuration: configuration, maximumConnections: 2)
            _ = try await DemoData.seed(pool: owner, password: "demo-lösenord-2026", passwords: PasswordPolicy(cost: 4))
            let counts = try await owner.withConnection { connection in
                try await connection.query("""
                    SELECT (SELECT count(*) FROM avrop.lot)::int8 AS lots, (SELECT count(*) FROM avrop.requirement)::int8 AS requirements,
                           (SELECT count(DISTINCT supplier_id) FROM avrop.lot_supplier)::int8 AS suppliers,
                           (SELECT avrop.framework_agreement_status(a) FROM avrop.framework_agreement a) AS status
                    """).first.map { try "\($0.decode("lots", as: Int.self)) \($0.decode("requirements", as: Int.self)) \($0.decode("suppliers", as: Int.self)) \($0.decode("status", as: String.self))" }
            }
            #expect(counts == "3 12 5 active")
            let states = try await owner.withConnection { connection in
                try await connection.query("SELECT avrop.solution_status(s) AS status, count(*)::int8 AS n FROM avrop.solution s GROUP BY 1 ORDER BY 1")
                    .map { "\(try $0.decode("status", as: String.self)):\(try $0.decode("n", as: Int.self))" }
            }
            #expect(states == ["draft:3", "rejected:2", "submitted:3", "verified:20", "withdrawn:2"])
            await owner.close()
            let pool = ConnectionPool(configuration: configuration.with("user", "avrop_app"), maximumConnections: 2)
            let app = buildApplication(configuration: AppConfiguration(port: 0), database: AppDatabase(pool: pool, migrator: try AvropSchema.migrator()),
                                       logger: Logger(label: "test"))
            try await app.test(.router) { client in
                let list = try await client.execute(uri: "/agreements", method: .get, headers: [.acceptLanguage: "sv"]) { String(buffer: $0.body) }
                #expect(list.contains("Innovativa lösningar för offentlig verksamhet"))
                let range = try #require(list.range(of: #"href="/agreements/"#))
                let id = String(list[range.upperBound...].prefix { $0 != "\"" })
                let page = try await client.execute(uri: "/agreements/\(id)", method: .get) { String(buffer: $0.body) }
                #expect(page.contains("Anbudsområde 1: Digitala tjänster för invånare"))
                #expect(page.contains("Alla leverantörer i anbudsområdet bjuds in att lämna avropssvar."))
                // R7: at the threshold itself the call-off is a renewed competition, so the page says "under" and "or more".
                let threshold = page.contains("2\u{a0}000\u{a0}000 kr") ? "2\u{a0}000\u{a0}000 kr" : "2 000 000 kr"
                #expect(page.contains("Avrop under \(threshold) görs genom rangordning. Avrop på \(threshold) eller mer görs genom förnyad konkurrensutsättning"))
                #expect(page.contains("Takbelopp"))
                #expect(page.contains("Steg i innovationstrappan</dt><dd>Införa"), "the agreement's step, in Swedish")
                #expect(page.contains("V2"))
                // Suppliers in rank order within lot 2: Grön logistik first, then Smarta städer.
                let lot2 = try #require(page.range(of: "Anbudsområde 2"))
                let rest = String(page[lot2.upperBound...])
                let green = try #require(rest.range(of: "Grön logistik i Sverige AB"))
                let smart = try #require(rest.range(of: "Smarta städer AB"))
                #expect(green.lowerBound < smart.lowerBound)
                #expect(try await client.execute(uri: "/agreements/\(UUID())", method: .get) { $0.status } == .notFound)
                // The catalogue: Swedish stemming finds "Digital tjänst för bygglov" for "digitala tjänster", and TRL narrows it.
                let search = try await client.execute(uri: "/catalogue?q=digitala+tj%C3%A4nster", method: .get) { String(buffer: $0.body) }
                #expect(search.contains("Digital tjänst för bygglov"))
                #expect(search.contains("<mark>"))
                #expect(search.contains(#"value="digitala tjänster""#), "the search box shows the words as typed, '+' read as a space")
                let mature = try await client.execute(uri: "/catalogue?trl=7-9", method: .get) { String(buffer: $0.body) }
                #expect(!mature.contains("Medicinteknisk app för KOL"), "TRL 4")
                // A choice the page cannot read is named and left out, not silently dropped; the words stay.
                let (badStatus, bad) = try await client.execute(uri: "/catalogue?q=digitala&trl=bad&lot=garbage", method: .get) {
                    ($0.status, String(buffer: $0.body))
                }
                #expect(badStatus == .badRequest)
                #expect(bad.contains("Några val i adressen kunde inte läsas och har inte använts: Anbudsområde, Mognadsgrad."))
                #expect(bad.contains(#"value="digitala""#))
                #expect(bad.contains("Digital tjänst för bygglov"), "the readable rest of the search still runs")
                // The agreement is a facet too, and the other links keep it once chosen.
                #expect(search.contains("<h2>Ramavtal</h2>"))
                let agreementLink = try #require(search.range(of: #"href="/catalogue?agreement="#))
                let chosen = String(search[agreementLink.upperBound...].prefix { $0 != "&" && $0 != "\"" })
                let narrowed = try await client.execute(uri: "/catalogue?agreement=\(chosen)", method: .get) { String(buffer: $0.body) }
                #expect(narrowed.contains("agreement=\(chosen)&amp;type=") || narrowed.contains("agreement=\(chosen)&type="))
                let api = try await client.execute(uri: "/api/v1/catalogue?q=varudistrubution", method: .get) { String(buffer: $0.body) }
                #expect(api.contains("Samordnad varudistribution för kommuner"))
                #expect(!api.contains("Elektrifierad varudistribution"), "rejected in the demo: not in the catalogue")
                #expect(api.contains(#""fuzzy" : true"#) || api.contains(#""fuzzy":true"#))
            }
            await pool.close()
        }
    }
}
