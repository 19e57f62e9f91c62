import AvropApp
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Postgres
import Testing

/// Call-offs over the JSON API, on the demo agreement: lot 1 is a renewed competition with a 15-day minimum
/// tender period and weighted requirements D2 (20–50) and D3 (30–60).
@Suite("Call-offs over the JSON API")
struct CallOffAPITests {
    typealias JSON = [String: Any]

    func call(
        _ client: any TestClientProtocol, _ method: HTTPRequest.Method, _ uri: String, token: String, ifMatch: String? = nil, _ body: JSON? = nil
    ) async throws -> (status: HTTPResponse.Status, json: JSON, etag: String?) {
        var headers: HTTPFields = [.authorization: "Bearer \(token)", .contentType: "application/json"]
        if let ifMatch { headers[.ifMatch] = ifMatch }
        let buffer = try body.map { ByteBuffer(data: try JSONSerialization.data(withJSONObject: $0)) }
        return try await client.execute(uri: uri, method: method, headers: headers, body: buffer) { response in
            let json = (try? JSONSerialization.jsonObject(with: Data(buffer: response.body))) as? JSON ?? [:]
            return (response.status, json, response.headers[.eTag])
        }
    }

    @Test func aBuyerDraftsWeighsAndPublishesAndOnlyTheInvitedSeeIt() async throws {
        try await DemoApp.with { client, owner in
            let ids = try await owner.withConnection { connection in
                try await connection.query("""
                    SELECT l.id::text AS lot, (SELECT id::text FROM avrop.requirement WHERE code = 'D2') AS d2,
                           (SELECT id::text FROM avrop.requirement WHERE code = 'D3') AS d3
                    FROM avrop.lot l WHERE l.number = 1
                    """).first.map { (try $0.decode("lot", as: String.self), try $0.decode("d2", as: String.self), try $0.decode("d3", as: String.self)) }
            }
            let (lot, d2, d3) = try #require(ids)
            let buyer = try await DemoApp.token(client, "upphandlare@demo.avrop.se")
            let invited = try await DemoApp.token(client, "leverantor@demo.avrop.se")
            let notOnTheLot = try await DemoApp.token(client, "leverantor2@demo.avrop.se")

            // R3: a supplier cannot draft a call-off; the route does not exist for it.
            let refused = try await call(client, .post, "/api/v1/call-offs", token: invited, ["lotId": lot, "title": "Intrång", "estimatedValueOre": 1])
            #expect(refused.status == .notFound)

            // A field of the wrong type is 400, naming the field.
            let mistyped = try await call(client, .post, "/api/v1/call-offs", token: buyer, ["lotId": lot, "title": "x", "estimatedValueOre": "mycket"])
            #expect(mistyped.status == .badRequest)
            #expect((mistyped.json["detail"] as? String)?.hasPrefix("estimatedValueOre: expected an integer") == true, "\(mistyped.json)")
            let missing = try await call(client, .post, "/api/v1/call-offs", token: buyer, ["lotId": lot, "estimatedValueOre": 1])
            #expect((missing.json["detail"] as? String)?.hasPrefix("title: required") == true, "\(missing.json)")

            let draft = try await call(client, .post, "/api/v1/call-offs", token: buyer,
                                       ["lotId": lot, "title": "Digital bokning av tolk", "need": "Bokning dygnet runt", "estimatedValueOre": 300_000_000])
            #expect(draft.status == .created)
            #expect(draft.etag == "\"1\"")
            #expect((draft.json["reference"] as? String)?.hasSuffix("-0001") == true)
            #expect(draft.json["status"] as? String == "draft")
            let id = try #require(draft.json["id"] as? String)

            let weighted = try await call(client, .put, "/api/v1/call-offs/\(id)/criteria", token: buyer, ifMatch: "\"1\"",
                                          ["weights": [["requirementId": d2, "weight": 40], ["requirementId": d3, "weight": 60]]])
            #expect(weighted.status == .ok)
            let version = try #require(weighted.etag)

            let formatter = ISO8601DateFormatter()
            func publication(tenderInDays days: Double) -> JSON {
                ["questionsDeadline": formatter.string(from: Date() + 3 * 86_400), "tenderDeadline": formatter.string(from: Date() + days * 86_400)]
            }
            let noIfMatch = try await call(client, .post, "/api/v1/call-offs/\(id)/publish", token: buyer, publication(tenderInDays: 20))
            #expect(noIfMatch.status == .preconditionRequired)
            // R6: the lot's minimum tender period is 15 days.
            let short = try await call(client, .post, "/api/v1/call-offs/\(id)/publish", token: buyer, ifMatch: version, publication(tenderInDays: 10))
            #expect(short.status == .unprocessableContent)
            #expect((short.json["type"] as? String)?.hasSuffix("r6-tender-period") == true)
            #expect((short.json["detail"] as? String)?.contains("15 days") == true)

            // A date that is not one is 400, naming the value and what is wrong with it.
            var impossible = publication(tenderInDays: 20)
            impossible["questionsDeadline"] = "2027-02-30T10:00:00Z"
            let refusedDate = try await call(client, .post, "/api/v1/call-offs/\(id)/publish", token: buyer, ifMatch: version, impossible)
            #expect(refusedDate.status == .badRequest)
            #expect((refusedDate.json["detail"] as? String)?.contains("not an RFC 3339 date-time") == true, "\(refusedDate.json)")
            #expect((refusedDate.json["detail"] as? String)?.contains("2027-02-30T10:00:00Z") == true, "\(refusedDate.json)")

            // Every RFC 3339 form is read: JavaScript's toISOString() (milliseconds, Z) and Python's isoformat() (+00:00).
            let javaScript = Date.ISO8601FormatStyle(includingFractionalSeconds: true).format(Date() + 20 * 86_400)
            let python = Date.ISO8601FormatStyle(timeZoneSeparator: .colon).format(Date() + 3 * 86_400).replacingOccurrences(of: "Z", with: "+00:00")
            #expect(javaScript.contains(".") && python.hasSuffix("+00:00"))
            let published = try await call(client, .post, "/api/v1/call-offs/\(id)/publish", token: buyer, ifMatch: version,
                                           ["questionsDeadline": python, "tenderDeadline": javaScript])
            #expect(published.status == .ok, "\(published.json)")
            #expect(published.json["status"] as? String == "open")
            #expect(published.json["method"] as? String == "renewedCompetition")
            #expect(published.json["tenderDeadline"] is String)

            // R6: every active supplier of lot 1 is invited; the invited one sees the call-off and only its invitation.
            let all = try await call(client, .get, "/api/v1/call-offs/\(id)/invitations", token: buyer)
            #expect((all.json["items"] as? [JSON])?.count == 3)
            #expect(try await call(client, .get, "/api/v1/call-offs/\(id)", token: invited).status == .ok)
            #expect((try await call(client, .get, "/api/v1/call-offs/\(id)/invitations", token: invited).json["items"] as? [JSON])?.count == 1)
            // The lists: the buyer's authority has it, the invited supplier too, the supplier off the lot not; a
            // second draft pages the buyer's list newest first.
            let second = try await call(client, .post, "/api/v1/call-offs", token: buyer, ["lotId": lot, "title": "Chattbot", "estimatedValueOre": 100_000_000])
            let firstPage = try await call(client, .get, "/api/v1/call-offs?limit=1", token: buyer)
            #expect((firstPage.json["items"] as? [JSON])?.first?["id"] as? String == second.json["id"] as? String)
            let next = try #require(firstPage.json["next"] as? String)
            let secondPage = try await call(client, .get, next, token: buyer)
            #expect((secondPage.json["items"] as? [JSON])?.map { $0["id"] as? String } == [id])
            #expect(secondPage.json["next"] == nil)
            #expect((try await call(client, .get, "/api/v1/call-offs", token: invited).json["items"] as? [JSON])?.map { $0["id"] as? String } == [id])
            #expect((try await call(client, .get, "/api/v1/call-offs", token: notOnTheLot).json["items"] as? [JSON])?.isEmpty == true)
            #expect(try await call(client, .get, "/api/v1/call-offs?cursor=nonsense", token: buyer).status == .badRequest)
            // DESIGN §4: the agreement's framework manager reads its metadata, nothing of its documents.
            let manager = try await DemoApp.token(client, "ramavtal@demo.avrop.se")
            let agreement = try #require(published.json["agreementId"] as? String)
            let register = try await call(client, .get, "/api/v1/framework-agreements/\(agreement)/call-offs", token: manager)
            #expect(register.status == .ok)
            let entry = try #require((register.json["items"] as? [JSON])?.first)
            #expect(entry["id"] as? String == id && entry["status"] as? String == "open" && entry["estimatedValueOre"] as? Int == 300_000_000)
            #expect(entry["title"] == nil && entry["need"] == nil)
            #expect(try await call(client, .get, "/api/v1/call-offs/\(id)", token: manager).status == .notFound)
            #expect(try await call(client, .get, "/api/v1/framework-agreements/\(agreement)/call-offs", token: buyer).status == .notFound)
            // A supplier that is not on the lot learns nothing, not even that it exists.
            #expect(try await call(client, .get, "/api/v1/call-offs/\(id)", token: notOnTheLot).status == .notFound)
            #expect(try await call(client, .get, "/api/v1/call-offs/\(id)/invitations", token: notOnTheLot).status == .notFound)
        }
    }
}
