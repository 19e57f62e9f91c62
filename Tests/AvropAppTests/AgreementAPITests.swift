import Foundation
import Hummingbird
import HummingbirdTesting
import Identity
import Testing

@Suite("Framework agreements over the JSON API")
struct AgreementAPITests {
    @Test func aManagerDraftsAndActivatesAndThePublicReadsItWithSuppliersInRankOrder() async throws {
        try await TestApp.with { client, accounts in
            let administration = IdentityAdministration(pool: accounts.owner, passwords: PasswordPolicy(cost: 4))
            let cpb = try await administration.addOrganization(kind: .centralPurchasingBody, name: "Inköpscentralen", number: "202100-6255")
            _ = try await administration.addUser(email: "frida@ic.example", displayName: "Frida", password: TestApp.password("frida@ic.example"))
            try await administration.grant(.frameworkManager, email: "frida@ic.example", organizationNumber: cpb.number.digits)
            let second = try await administration.addOrganization(kind: .supplier, name: "Klimatdata AB", number: "556036-0793")
            let login = try JSONSerialization.data(withJSONObject: ["email": "frida@ic.example", "password": TestApp.password("frida@ic.example"), "name": "t"])
            let token = try await client.execute(uri: "/api/v1/tokens", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(data: login)) {
                try #require((try JSONSerialization.jsonObject(with: Data(buffer: $0.body)) as? [String: Any])?["token"] as? String)
            }
            func call(_ method: HTTPRequest.Method, _ uri: String, _ object: [String: Any]? = nil, headers extra: HTTPFields = [:],
                      auth: Bool = true) async throws -> (HTTPResponse.Status, [String: Any], HTTPFields) {
                var headers = extra
                if auth { headers[.authorization] = "Bearer \(token)" }
                if object != nil { headers[.contentType] = "application/json" }
                let body = try object.map { ByteBuffer(data: try JSONSerialization.data(withJSONObject: $0)) }
                return try await client.execute(uri: uri, method: method, headers: headers, body: body) { response in
                    (response.status, (try? JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]) ?? [:], response.headers)
                }
            }
            let tooLong = try await call(.post, "/api/v1/framework-agreements", [
                "reference": "IC-1", "title": "Innovativa lösningar", "validFrom": "2026-01-01", "validTo": "2031-01-01", "ceilingOre": 1_000_000_00,
            ])
            #expect(tooLong.0 == .unprocessableContent)
            #expect(tooLong.1["type"] as? String == "https://avrop.se/problems/r1-validity-too-long")
            let created = try await call(.post, "/api/v1/framework-agreements", [
                "reference": "IC-1", "title": "Innovativa lösningar", "validFrom": "2026-01-01", "validTo": "2027-12-31", "ceilingOre": 1_000_000_00,
            ])
            #expect(created.0 == .created)
            let id = try #require(created.1["id"] as? String)
            let etag = try #require(created.2[.eTag])
            #expect(try await call(.get, "/api/v1/framework-agreements/\(id)", auth: false).0 == .notFound, "a draft is not public")
            let lot = try await call(.post, "/api/v1/framework-agreements/\(id)/lots", ["number": 1, "title": "Digitala tjänster", "callOffMethod": "rankedCascade"])
            // A lot added by mistake comes out of the draft again (204), once.
            let mistaken = try await call(.post, "/api/v1/framework-agreements/\(id)/lots", ["number": 9, "title": "Fel", "callOffMethod": "rankedCascade"])
            let mistakenID = try #require(mistaken.1["id"] as? String)
            #expect(try await call(.delete, "/api/v1/framework-agreements/\(id)/lots/\(mistakenID)").0 == .noContent)
            #expect(try await call(.delete, "/api/v1/framework-agreements/\(id)/lots/\(mistakenID)").0 == .notFound)
            #expect(lot.0 == .created)
            let lotID = try #require(lot.1["id"] as? String)
            // The lot changed the agreement: the ETag read before it is stale.
            let stale = try await call(.patch, "/api/v1/framework-agreements/\(id)", [
                "reference": "IC-1", "title": "Nytt namn", "validFrom": "2026-01-01", "validTo": "2027-12-31", "ceilingOre": 1_000_000_00,
            ], headers: [.ifMatch: etag])
            #expect(stale.0 == .preconditionFailed)
            for (supplier, rank) in [(second.id, 2), (accounts.supplier.id, 1)] {
                let added = try await call(.post, "/api/v1/framework-agreements/\(id)/lots/\(lotID)/suppliers",
                                           ["supplierId": supplier.uuidString.lowercased(), "rank": rank])
                #expect(added.0 == .noContent)
            }
            let activated = try await call(.post, "/api/v1/framework-agreements/\(id)/activate")
            #expect(activated.0 == .ok)
            #expect(activated.1["status"] as? String == "active")
            // R3 over the API.
            let late = try await administration.addOrganization(kind: .supplier, name: "Sen AB", number: "556016-0680")
            let joined = try await call(.post, "/api/v1/framework-agreements/\(id)/lots/\(lotID)/suppliers", ["supplierId": late.id.uuidString.lowercased(), "rank": 3])
            #expect(joined.0 == .conflict)
            #expect(joined.1["type"] as? String == "https://avrop.se/problems/r3-closed-system")

            let open = try await call(.get, "/api/v1/framework-agreements/\(id)", auth: false)
            #expect(open.0 == .ok)
            let lots = try #require(open.1["lots"] as? [[String: Any]])
            let names = (lots.first?["suppliers"] as? [[String: Any]])?.compactMap { $0["name"] as? String }
            #expect(names == ["Innovera AB", "Klimatdata AB"])
            let list = try await call(.get, "/api/v1/framework-agreements", auth: false)
            #expect((list.1["items"] as? [[String: Any]])?.compactMap { $0["reference"] as? String } == ["IC-1"])

            // A supplier on the lot offers a solution; the agreement's manager verifies it; then it is public.
            let evaLogin = try JSONSerialization.data(withJSONObject: ["email": "eva@innovera.example", "password": TestApp.password("eva@innovera.example"), "name": "t"])
            let eva = try await client.execute(uri: "/api/v1/tokens", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(data: evaLogin)) {
                try #require((try JSONSerialization.jsonObject(with: Data(buffer: $0.body)) as? [String: Any])?["token"] as? String)
            }
            let drafted = try await call(.post, "/api/v1/solutions", [
                "lotId": lotID, "name": "Digital tolk", "summary": "Tolkning på distans", "innovationType": "service", "innovationStep": "deploy", "trl": 7, "tags": ["tolk"],
            ], headers: [.authorization: "Bearer \(eva)"], auth: false)
            #expect(drafted.0 == .created)
            #expect(drafted.1["innovationStep"] as? String == "deploy")
            // The step of the innovation staircase is one of three, and must be given.
            for step: Any in ["top", NSNull()] {
                let refused = try await call(.post, "/api/v1/solutions", [
                    "lotId": lotID, "name": "Utan steg", "summary": "x", "innovationType": "service", "innovationStep": step, "trl": 7,
                ], headers: [.authorization: "Bearer \(eva)"], auth: false)
                #expect(refused.0 == .badRequest, "\(step)")
            }
            let solutionID = try #require(drafted.1["id"] as? String)
            #expect(try await call(.get, "/api/v1/solutions/\(solutionID)", auth: false).0 == .notFound, "a draft is the supplier's")
            #expect(try await call(.post, "/api/v1/solutions/\(solutionID)/decision", ["action": "submit"], headers: [.authorization: "Bearer \(eva)"], auth: false).0 == .ok)
            let queue = try await call(.get, "/api/v1/solutions?queue=true")
            #expect((queue.1["items"] as? [[String: Any]])?.count == 1)
            let missing = try await call(.post, "/api/v1/solutions/\(solutionID)/decision", ["action": "verify", "reasons": "Pilot"])
            #expect(missing.0 == .unprocessableContent)
            let verified = try await call(.post, "/api/v1/solutions/\(solutionID)/decision",
                                          ["action": "verify", "method": "pilot", "reasons": "Piloten i Region Norr", "validUntil": "2030-06-30"])
            #expect(verified.0 == .ok)
            #expect(verified.1["status"] as? String == "verified")
            let seen = try await call(.get, "/api/v1/solutions/\(solutionID)", auth: false)
            #expect(seen.0 == .ok)
            #expect(seen.1["verificationMethod"] as? String == "pilot")
        }
    }
}
