import AvropAPI
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Identity
import Postgres
import Testing

/// Every operation the router serves (read from the router's own route table, so a route added later
/// joins by itself — and fails until it is given its expectation below), called as nobody and as a member of
/// an unrelated organisation of every kind with every role it may hold, aimed at one organisation's records.
/// What a caller may not see does not exist for them (DESIGN §4): 404 for the victim's records (403 only
/// where the route is closed to the role whatever the resource), 401 for nobody; no answer carries an id,
/// name or organisation number of the victim's; and afterwards every victim row is as it was.
@Suite("Isolation matrix over every API operation")
struct IsolationMatrixTests {
    struct Operation: CustomStringConvertible {
        let method: HTTPRequest.Method
        let path: String
        var description: String { "\(method) \(path)" }
    }

    /// What a signed-in caller of another organisation may get from an operation aimed at the victim.
    enum Expectation {
        /// A record of the victim's, named in the path: 404, or 403 where the route is closed to the role.
        case hidden
        /// The caller's own things or the public's (no victim id in the path): any answer below 500 that
        /// says nothing of the victim.
        case ownOrPublic
    }

    /// Every operation, by `METHOD /path`, with what a foreign caller may get. An operation the router serves
    /// that is missing here fails the matrix: a new route joins it in the same commit.
    static let expectations: [String: Expectation] = [
        "POST /api/v1/tokens": .ownOrPublic,
        "GET /api/v1/tokens": .ownOrPublic,
        "DELETE /api/v1/tokens/{id}": .hidden,
        "GET /api/v1/me": .ownOrPublic,
        "PATCH /api/v1/me": .ownOrPublic,
        "GET /api/v1/audit-events": .hidden,
        "GET /api/v1/notifications": .ownOrPublic,
        "POST /api/v1/notifications/{id}/read": .hidden,
        "GET /api/v1/webhooks": .ownOrPublic,
        "POST /api/v1/webhooks": .ownOrPublic,
        "DELETE /api/v1/webhooks/{id}": .hidden,
        "GET /api/v1/dead-letters": .ownOrPublic,
        "GET /api/v1/framework-agreements": .ownOrPublic,
        "POST /api/v1/framework-agreements": .ownOrPublic,
        "GET /api/v1/framework-agreements/{id}": .hidden,
        "PATCH /api/v1/framework-agreements/{id}": .hidden,
        "POST /api/v1/framework-agreements/{id}/lots": .hidden,
        "DELETE /api/v1/framework-agreements/{id}/lots/{lotId}": .hidden,
        "POST /api/v1/framework-agreements/{id}/lots/{lotId}/suppliers": .hidden,
        "POST /api/v1/framework-agreements/{id}/lots/{lotId}/suppliers/{supplierId}/status": .hidden,
        "POST /api/v1/framework-agreements/{id}/requirements": .hidden,
        "DELETE /api/v1/framework-agreements/{id}/requirements/{requirementId}": .hidden,
        "POST /api/v1/framework-agreements/{id}/activate": .hidden,
        "POST /api/v1/framework-agreements/{id}/terminate": .hidden,
        "GET /api/v1/framework-agreements/{id}/call-offs": .hidden,
        "GET /api/v1/solutions": .ownOrPublic,
        "POST /api/v1/solutions": .ownOrPublic,
        "GET /api/v1/solutions/{id}": .hidden,
        "POST /api/v1/solutions/{id}/decision": .hidden,
        "GET /api/v1/solutions/{id}/documents": .hidden,
        "POST /api/v1/solutions/{id}/documents": .hidden,
        "GET /api/v1/documents/{id}": .hidden,
        "GET /api/v1/catalogue": .ownOrPublic,
        "GET /api/v1/call-offs": .ownOrPublic,
        "POST /api/v1/call-offs": .ownOrPublic,
        "GET /api/v1/call-offs/{id}": .hidden,
        "PUT /api/v1/call-offs/{id}/criteria": .hidden,
        "POST /api/v1/call-offs/{id}/publish": .hidden,
        "GET /api/v1/call-offs/{id}/invitations": .hidden,
    ]

    /// Operations open to nobody: everything else answers 401 without a token.
    static let publicOperations: Set<String> = [
        "POST /api/v1/tokens", "GET /api/v1/framework-agreements", "GET /api/v1/framework-agreements/{id}", "GET /api/v1/catalogue",
        "GET /api/v1/solutions/{id}", "GET /api/v1/solutions/{id}/documents", "GET /api/v1/documents/{id}",
    ]

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
            // The active agreement, its owner and its lot's supplier are public records; the rest is the victim's.
            let secrets = victimIDs + [accounts.authorityA.id.uuidString.lowercased(), victim.id.uuidString.lowercased(),
                                       "Region Norr", "2120000142", "212000-0142",
                                       "hooks.norr.example", victimEmail, "Norrs admin", "norrs-egen-nyckel", "NORR-HEMLIG-1", "Hemligt", "Hemlig lösning", "hemligt-bevis", "Hemligt bevis"]
            let victimOrganizations = [accounts.authorityA.id, victimCPB.id]
            func victimDigest() async throws -> String {
                try await accounts.owner.withConnection { connection in
                    try await connection.query("""
                        SELECT md5(coalesce(string_agg(x, '|' ORDER BY x), '')) AS digest FROM (
                            SELECT 'organization ' || o::text AS x FROM avrop.organization o
                                WHERE o.id = ANY(\(victimOrganizations)) OR o.name = 'Norrsken Innovation AB'
                            UNION ALL SELECT 'user ' || u::text FROM avrop.app_user u WHERE u.id = \(victim.id)
                            UNION ALL SELECT 'membership ' || m::text FROM avrop.membership m WHERE m.organization_id = ANY(\(victimOrganizations))
                            UNION ALL SELECT 'token ' || t::text FROM avrop.api_token t WHERE t.organization_id = ANY(\(victimOrganizations))
                            UNION ALL SELECT 'webhook ' || w::text FROM avrop.webhook w WHERE w.organization_id = ANY(\(victimOrganizations))
                            UNION ALL SELECT 'notification ' || n::text FROM avrop.notification n WHERE n.user_id = \(victim.id)
                            UNION ALL SELECT 'agreement ' || a::text FROM avrop.framework_agreement a WHERE a.owner_id = ANY(\(victimOrganizations))
                            UNION ALL SELECT 'lot ' || l::text FROM avrop.lot l JOIN avrop.framework_agreement a ON a.id = l.agreement_id
                                WHERE a.owner_id = ANY(\(victimOrganizations))
                            UNION ALL SELECT 'lot supplier ' || s::text FROM avrop.lot_supplier s JOIN avrop.lot l ON l.id = s.lot_id
                                JOIN avrop.framework_agreement a ON a.id = l.agreement_id WHERE a.owner_id = ANY(\(victimOrganizations))
                            UNION ALL SELECT 'requirement ' || r::text FROM avrop.requirement r JOIN avrop.framework_agreement a ON a.id = r.agreement_id
                                WHERE a.owner_id = ANY(\(victimOrganizations))
                            UNION ALL SELECT 'solution ' || s::text FROM avrop.solution s WHERE s.id::text = ANY(\(victimIDs))
                            UNION ALL SELECT 'document ' || d::text FROM avrop.solution_document d WHERE d.id::text = ANY(\(victimIDs))
                            UNION ALL SELECT 'call-off ' || c::text FROM avrop.call_off c WHERE c.authority_id = ANY(\(victimOrganizations))
                            UNION ALL SELECT 'criterion ' || k::text FROM avrop.call_off_criterion k JOIN avrop.call_off c ON c.id = k.call_off_id
                                WHERE c.authority_id = ANY(\(victimOrganizations))
                            UNION ALL SELECT 'invitation ' || i::text FROM avrop.invitation i JOIN avrop.call_off c ON c.id = i.call_off_id
                                WHERE c.authority_id = ANY(\(victimOrganizations))
                            UNION ALL SELECT 'audit ' || e.stream || ' ' || e.sequence FROM avrop.audit_event e
                                WHERE e.organization_id = ANY(\(victimOrganizations))
                        ) rows
                        """).first?.decode("digest", as: String.self) ?? ""
                }
            }
            let before = try await victimDigest()

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
            let operations = accounts.routes.operations.map { Operation(method: $0.method, path: $0.path) }
            #expect(operations.count >= 35, "the router serves \(operations.count) API operations")
            #expect(Set(Self.expectations.keys).subtracting(operations.map(\.description)).isEmpty, "every expectation names a served route")
            for operation in operations {
                guard let expectation = Self.expectations[operation.description] else {
                    Issue.record("\(operation) is served but not in the isolation matrix: give it its expectation")
                    continue
                }
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
                        // Not in any answer, whatever its status: an error's detail is an answer too.
                        for secret in secrets {
                            #expect(!text.contains(secret), "\(operation) as \(name) answered \(status) with the victim's \(secret)")
                        }
                        if name == "anonymous" {
                            if Self.publicOperations.contains(operation.description) {
                                #expect(status.code < 500, "\(operation) as nobody: \(status)")
                            } else {
                                #expect(status == .unauthorized, "\(operation) as nobody: \(status)")
                            }
                            continue
                        }
                        switch expectation {
                        case .hidden:
                            #expect(status == .notFound || status == .forbidden, "\(operation) on \(target) as \(name): \(status) \(text.prefix(200))")
                        case .ownOrPublic:
                            #expect(status.code < 500, "\(operation) as \(name): \(status)")
                        }
                    }
                }
            }
            #expect(calls > 500)
            #expect(try await victimDigest() == before, "every row of the victim's is as it was")
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
