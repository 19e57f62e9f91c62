import AvropAPI
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Identity
import Postgres
import Testing

/// Every operation of the API (read from the OpenAPI document, so routes added later join without edits),
/// called as nobody and as a member of an unrelated organisation of every kind with every role it may
/// hold, aimed at one organisation's records: no answer may be a 5xx, and no 2xx may carry anything of
/// that organisation's (DESIGN §4: what a caller may not see does not exist for them).
@Suite("Isolation matrix over every API operation")
struct IsolationMatrixTests {
    struct Operation: CustomStringConvertible {
        let method: HTTPRequest.Method
        let path: String
        var description: String { "\(method) \(path)" }
    }

    /// The operations in `openapi.yaml`: paths at two spaces, methods at four.
    static func operations() -> [Operation] {
        var result: [Operation] = []
        var current: String?
        var inPaths = false
        for line in AvropAPI.document.split(separator: "\n", omittingEmptySubsequences: false) {
            if line == "paths:" { inPaths = true; continue }
            if inPaths, !line.hasPrefix(" "), !line.isEmpty { break }
            guard inPaths else { continue }
            if line.hasPrefix("  /"), line.hasSuffix(":") {
                current = "/api/v1" + line.dropFirst(2).dropLast()
            } else if let path = current, line.hasPrefix("    "), !line.hasPrefix("     "), line.hasSuffix(":"),
                      let method = HTTPRequest.Method(String(line.dropFirst(4).dropLast()).uppercased()),
                      [.get, .post, .put, .patch, .delete].contains(method) {
                result.append(Operation(method: method, path: path))
            }
        }
        return result
    }

    @Test func theDocumentListsEveryRouteTheRouterServes() {
        let operations = Self.operations()
        #expect(operations.count >= 12)
        #expect(operations.count == AvropAPI.document.components(separatedBy: "operationId:").count - 1)
    }

    @Test func noOperationShowsOneOrganizationsRecordsToAnyoneElse() async throws {
        try await TestApp.with { client, accounts in
            let administration = IdentityAdministration(pool: accounts.owner, passwords: PasswordPolicy(cost: 4))
            func token(_ email: String, name: String = "caller") async throws -> String {
                let body = try JSONSerialization.data(withJSONObject: ["email": email, "password": TestApp.password(email), "name": name])
                return try await client.execute(uri: "/api/v1/tokens", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(data: body)) { response in
                    let json = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
                    return try #require(json?["token"] as? String, "token for \(email): \(response.status)")
                }
            }
            // The target: Region Norr, with an admin who owns a token, a webhook, notifications and audit events.
            let victimEmail = "admin@norr.example"
            let victim = try await administration.addUser(email: victimEmail, displayName: "Norrs admin", password: TestApp.password(victimEmail))
            try await administration.grant(.admin, email: victimEmail, organizationNumber: "2120000142")
            try await administration.grant(.buyer, email: victimEmail, organizationNumber: "2120000142")
            let victimToken = try await token(victimEmail, name: "norrs-egen-nyckel")
            let hookURL = "https://hooks.norr.example/avrop-matrix"
            let webhookID = try await client.execute(
                uri: "/api/v1/webhooks", method: .post, headers: [.authorization: "Bearer \(victimToken)", .contentType: "application/json"],
                body: ByteBuffer(data: try JSONSerialization.data(withJSONObject: ["url": hookURL]))
            ) { response in
                let json = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
                return try #require(json?["id"] as? String)
            }
            let rows = try await accounts.owner.withConnection { connection in
                try await connection.query("""
                    SELECT id::text AS id FROM avrop.notification WHERE user_id = \(victim.id)
                    UNION ALL SELECT id::text FROM avrop.api_token WHERE user_id = \(victim.id)
                    """)
            }
            // And a central purchasing body's draft agreement, with a lot and a supplier on it.
            let victimCPB = try await administration.addOrganization(kind: .centralPurchasingBody, name: "Norrlands inköpscentral", number: "232100-0016")
            _ = try await administration.addUser(email: "ramavtal@norr.example", displayName: "Norrs förvaltare", password: TestApp.password("ramavtal@norr.example"))
            try await administration.grant(.frameworkManager, email: "ramavtal@norr.example", organizationNumber: victimCPB.number.digits)
            let managerToken = try await token("ramavtal@norr.example", name: "norrs-egen-nyckel")
            func post(_ uri: String, _ object: [String: Any]) async throws -> [String: Any] {
                try await client.execute(uri: uri, method: .post, headers: [.authorization: "Bearer \(managerToken)", .contentType: "application/json"],
                                         body: ByteBuffer(data: try JSONSerialization.data(withJSONObject: object))) { response in
                    try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any], "\(uri): \(response.status)")
                }
            }
            let draft = try await post("/api/v1/framework-agreements", [
                "reference": "NORR-HEMLIG-1", "title": "Hemligt utkast", "validFrom": "2026-01-01", "validTo": "2027-12-31", "ceilingOre": 100_000_00,
            ])
            let agreementID = try #require(draft["id"] as? String)
            let lot = try await post("/api/v1/framework-agreements/\(agreementID)/lots", ["number": 1, "title": "Hemligt område", "callOffMethod": "rankedCascade"])
            let lotID = try #require(lot["id"] as? String)

            // And a supplier's draft solution with an evidence document, on an active agreement of that body.
            let evidence = try await accounts.owner.withConnection { connection in
                try await connection.query("""
                    WITH supplier AS (
                        INSERT INTO avrop.organization (id, kind, name, organization_number)
                        VALUES (gen_random_uuid(), 'supplier', 'Norrsken Innovation AB', '5560360793') RETURNING id
                    ), agreement AS (
                        INSERT INTO avrop.framework_agreement (id, owner_id, reference, title, valid_from, valid_to, ceiling_ore)
                        VALUES (gen_random_uuid(), \(victimCPB.id), 'NORR-AKTIV-1', 'Aktivt avtal', current_date - 1, current_date + 300, 100000)
                        RETURNING id
                    ), lot AS (
                        INSERT INTO avrop.lot (id, agreement_id, number, title, call_off_method)
                        SELECT gen_random_uuid(), agreement.id, 1, 'Område', 'renewedCompetition' FROM agreement RETURNING id
                    ), placed AS (
                        INSERT INTO avrop.lot_supplier (lot_id, supplier_id) SELECT lot.id, supplier.id FROM lot, supplier RETURNING lot_id
                    ), solution AS (
                        INSERT INTO avrop.solution (id, supplier_id, lot_id, name, summary, innovation_type, innovation_step, trl)
                        SELECT gen_random_uuid(), supplier.id, placed.lot_id, 'Hemlig lösning', 'Hemlig sammanfattning', 'product', 'introduce', 5
                        FROM supplier, placed RETURNING id, supplier_id
                    ), document AS (
                        INSERT INTO avrop.solution_document (id, solution_id, organization_id, uploaded_by, file_name, media_type, content)
                        SELECT gen_random_uuid(), solution.id, solution.supplier_id, \(victim.id), 'hemligt-bevis.txt', 'text/plain; charset=utf-8',
                               convert_to('Hemligt bevis', 'UTF8')
                        FROM solution RETURNING id
                    )
                    SELECT solution.id::text AS solution, document.id::text AS document FROM solution, document
                    """).first.map { [try $0.decode("solution", as: String.self), try $0.decode("document", as: String.self)] } ?? []
            }
            try await accounts.owner.withConnection {
                try await $0.execute("UPDATE avrop.framework_agreement SET activated_at = now() WHERE reference = 'NORR-AKTIV-1'")
            }
            #expect(evidence.count == 2)
            // And the authority's draft call-off under that agreement.
            let callOffID = try await accounts.owner.withConnection { connection in
                try await connection.query("""
                    INSERT INTO avrop.call_off (id, authority_id, lot_id, reference_year, reference_number, title, estimated_value_ore, created_by)
                    SELECT gen_random_uuid(), \(accounts.authorityA.id), l.id, 2026, 1, 'Hemligt avrop', 100, \(victim.id)
                    FROM avrop.lot l JOIN avrop.framework_agreement a ON a.id = l.agreement_id WHERE a.reference = 'NORR-AKTIV-1'
                    RETURNING id::text AS id
                    """).first?.decode("id", as: String.self)
            }
            let victimIDs = try rows.map { try $0.decode("id", as: String.self) } + [webhookID, agreementID, lotID] + evidence
                + [try #require(callOffID)]
            let secrets = victimIDs + [accounts.authorityA.id.uuidString.lowercased(), victim.id.uuidString.lowercased(),
                                       "hooks.norr.example", victimEmail, "Norrs admin", "norrs-egen-nyckel", "NORR-HEMLIG-1", "Hemligt", "Hemlig lösning", "hemligt-bevis", "Hemligt bevis"]

            // The callers: nobody, and a member with every role of an unrelated organisation of each kind.
            let cpb = try await administration.addOrganization(kind: .centralPurchasingBody, name: "Inköpscentralen", number: "202100-6255")
            // (The callers' own central purchasing body: its framework managers may draft, but not touch another's.)
            var callers: [(String, HTTPFields)] = [("anonymous", [:])]
            for (organization, email) in [(accounts.authorityB, "all@syd.example"), (accounts.supplier, "all@innovera.example"), (cpb, "all@central.example")] {
                _ = try await administration.addUser(email: email, displayName: "Alla roller", password: TestApp.password(email))
                for role in Role.allCases where role.allowedKinds.contains(organization.kind) {
                    try await administration.grant(role, email: email, organizationNumber: organization.number.digits)
                }
                callers.append((email, [.authorization: "Bearer \(try await token(email))"]))
            }

            var calls = 0
            for operation in Self.operations() {
                // Every path parameter takes each of the victim's ids in turn; queries name the victim's stream.
                let targets = operation.path.contains("{") ? victimIDs.map { id in
                    operation.path.replacingOccurrences(of: #"\{[^}]+\}"#, with: id, options: .regularExpression)
                } : [operation.path]
                for target in targets {
                    let uri = target + "?stream=organization/\(accounts.authorityA.id.uuidString.lowercased())&name=bevis.pdf"
                    for (name, credentials) in callers {
                        var headers = credentials
                        var body: ByteBuffer?
                        if [.post, .patch, .put].contains(operation.method) {
                            headers[.contentType] = target.hasSuffix("/documents") ? "application/octet-stream" : "application/json"
                            headers[.ifMatch] = "\"1\""
                            body = target.hasSuffix("/documents") ? ByteBuffer(string: "%PDF-1.4 bevis") : ByteBuffer(string: #"{"url":"https://elsewhere.example/x","displayName":"x","email":"admin@norr.example","password":"x","name":"x","reference":"X-1","title":"x","validFrom":"2026-01-01","validTo":"2026-12-31","ceilingOre":100,"number":2,"callOffMethod":"renewedCompetition","supplierId":"\#(victimIDs[0])","status":"removed","reason":"x","code":"K9","text":"x","kind":"mandatory","category":"quality","summary":"x","innovationType":"product","innovationStep":"deploy","trl":1,"lotId":"\#(victimIDs[0])","action":"withdraw","estimatedValueOre":100,"weights":[],"questionsDeadline":"2026-12-20T10:00:00Z","tenderDeadline":"2027-01-20T10:00:00Z"}"#)
                        }
                        let (status, text) = try await client.execute(uri: uri, method: operation.method, headers: headers, body: body) {
                            ($0.status, String(buffer: $0.body))
                        }
                        calls += 1
                        #expect(status.code < 500, "\(operation) as \(name): \(status)")
                        if (200..<300).contains(status.code) {
                            for secret in secrets {
                                #expect(!text.contains(secret), "\(operation) as \(name) answered \(status) with the victim's \(secret)")
                            }
                        }
                        // Nobody may change anything; reading is open only where the document says so (public lists).
                        if name == "anonymous", operation.method != .get, operation.path != "/api/v1/tokens" {
                            #expect(status == .unauthorized, "\(operation) as nobody: \(status)")
                        }
                    }
                }
            }
            #expect(calls > 60)
            // And the victim's things are all still there, untouched.
            let hooks = try await client.execute(uri: "/api/v1/webhooks", method: .get, headers: [.authorization: "Bearer \(victimToken)"]) { response in
                try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
            }
            let items = try #require(hooks?["items"] as? [[String: Any]])
            #expect(items.count == 1)
            #expect(items.first?["url"] as? String == hookURL)
            #expect(items.first?["active"] as? Bool == true)
            let callOff = try await accounts.owner.withConnection { connection in
                try await connection.query("SELECT version, published_at IS NULL AS draft FROM avrop.call_off").first
                    .map { (try $0.decode("version", as: Int.self), try $0.decode("draft", as: Bool.self)) }
            }
            #expect(callOff?.0 == 1 && callOff?.1 == true, "the call-off is still an untouched draft")
        }
    }
}
