import AvropApp
import Foundation
import Hummingbird
import HummingbirdTesting
import HTTPTypes
import Identity
import Logging
import Postgres
import PostgresTesting
import Testing

@Suite("The JSON API: tokens, me, audit events, problems")
struct APITests {
    private func withAPI(_ body: @Sendable (any TestClientProtocol, TestApp.Accounts) async throws -> Void) async throws {
        try await TestApp.with(body)
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
            for _ in 0..<PasswordLogin.failuresPerAccount {
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

    @Test func theRoutersRefusalsAreProblemsWithStableTypes() async throws {
        try await withAPI { client, _ in
            func problem(_ uri: String, _ method: HTTPRequest.Method, _ headers: HTTPFields = [:], _ body: ByteBuffer? = nil) async throws -> (HTTPResponse.Status, String) {
                try await client.execute(uri: uri, method: method, headers: headers, body: body) { response in
                    #expect(response.headers[.contentType]?.hasPrefix("application/problem+json") == true, "\(method) \(uri)")
                    return (response.status, try decode(response.body)["type"] as? String ?? "")
                }
            }
            let answer1 = try await problem("/api/v1/nothing-here", .get)
            #expect(answer1.0 == .notFound)
            #expect(answer1.1 == "https://avrop.se/problems/not-found")
            let answer2 = try await problem("/api/v1/tokens", .delete)
            #expect(answer2.0 == .methodNotAllowed)
            #expect(answer2.1 == "https://avrop.se/problems/method-not-allowed")
            try await client.execute(uri: "/api/v1/me", method: .post) { #expect($0.headers[.allow] == "GET, PATCH") }
            let big = ByteBuffer(repeating: UInt8(ascii: " "), count: (1 << 20) + 1)
            let answer3 = try await problem("/api/v1/tokens", .post, [.contentType: "application/json"], big)
            #expect(answer3.0 == .contentTooLarge)
            #expect(answer3.1 == "https://avrop.se/problems/payload-too-large")
            let answer4 = try await problem("/api/v1/tokens", .post, [.contentType: "text/plain"], ByteBuffer(string: "hej"))
            #expect(answer4.0 == .unsupportedMediaType)
            #expect(answer4.1 == "https://avrop.se/problems/unsupported-media-type")
            // A method the path lacks is 405 whatever the body's type: there is no operation to refuse the body.
            let answer5 = try await problem("/api/v1/call-offs", .put, [.contentType: "text/plain"], ByteBuffer(string: "hej"))
            #expect(answer5.0 == .methodNotAllowed)
            // A page larger than the document allows is refused, not quietly cut.
            let answer6 = try await problem("/api/v1/notifications?limit=201", .get, [.authorization: "Bearer \(try await token(client, "anna@norr.example"))"])
            #expect(answer6.0 == .badRequest)
        }
    }

    /// And R23: the one change that went through is in the organisation's audit trail, naming the fields.
    @Test func r23UpdatesNeedIfMatchWithTheCurrentETagAndAreAudited() async throws {
        try await withAPI { client, accounts in
            let secret = try await token(client, "anna@norr.example")
            let auth: HTTPFields = [.authorization: "Bearer \(secret)"]
            let etag = try await client.execute(uri: "/api/v1/me", method: .get, headers: auth) { response in
                #expect(try decode(response.body)["language"] as? String == "sv")
                return try #require(response.headers[.eTag])
            }
            // A strong ETag as RFC 9110 writes it, not percent-encoded by the OpenAPI runtime.
            #expect(etag.wholeMatch(of: /"[0-9]+"/) != nil, "ETag \(etag)")
            func patch(_ body: [String: Any], ifMatch: String?) async throws -> (HTTPResponse.Status, String?, [String: Any]) {
                var headers = auth
                headers[.contentType] = "application/json"
                if let ifMatch { headers[.ifMatch] = ifMatch }
                return try await client.execute(uri: "/api/v1/me", method: .patch, headers: headers, body: try json(body)) { response in
                    (response.status, response.headers[.eTag], (try? decode(response.body)) ?? [:])
                }
            }
            let missing = try await patch(["displayName": "Anna Andersson"], ifMatch: nil)
            #expect(missing.0 == .preconditionRequired)
            let changed = try await patch(["displayName": "Anna Andersson", "language": "en"], ifMatch: etag)
            #expect(changed.0 == .ok)
            #expect(changed.2["displayName"] as? String == "Anna Andersson")
            #expect(changed.2["language"] as? String == "en")
            let newTag = try #require(changed.1)
            #expect(newTag != etag)
            // Someone who read the old version cannot overwrite the change unseen.
            let stale = try await patch(["displayName": "Gammalt namn"], ifMatch: etag)
            #expect(stale.0 == .preconditionFailed)
            #expect(stale.2["type"] as? String == "https://avrop.se/problems/precondition-failed")
            #expect(try await patch(["displayName": "x"], ifMatch: "\"nonsense\"").0 == .preconditionFailed)
            #expect(try await patch(["displayName": "   "], ifMatch: newTag).0 == .unprocessableContent)
            #expect(try await patch(["language": "fi"], ifMatch: newTag).0 == .badRequest)
            try await client.execute(uri: "/api/v1/me", method: .get, headers: auth) { response in
                let me = try decode(response.body)
                #expect(me["displayName"] as? String == "Anna Andersson")
                #expect(response.headers[.eTag] == newTag)
            }
            let audited = try await accounts.owner.withConnection { connection in
                try await connection.query("SELECT data->>'fields' AS fields, stream FROM avrop.audit_event WHERE action = 'user.profileChanged'")
                    .map { [try $0.decode("fields", as: String.self), try $0.decode("stream", as: String.self)] }
            }
            #expect(audited == [["displayName language", "organization/\(accounts.authorityA.id.uuidString.lowercased())"]])
        }
    }

    @Test func aRepeatedIdempotencyKeyReplaysTheAnswerAndAnotherRequestWithItIs422() async throws {
        try await withAPI { client, accounts in
            let secret = try await token(client, "eva@innovera.example")
            let auth: HTTPFields = [.authorization: "Bearer \(secret)"]
            // The token's creation told her: two notifications after a second token.
            _ = try await token(client, "eva@innovera.example")
            let ids = try await client.execute(uri: "/api/v1/notifications", method: .get, headers: auth) { response in
                try #require(try decode(response.body)["items"] as? [[String: Any]]).compactMap { $0["id"] as? String }
            }
            #expect(ids.count == 2)
            var headers = auth
            headers[HTTPField.Name("Idempotency-Key")!] = "mark-1"
            let first = try await client.execute(uri: "/api/v1/notifications/\(ids[0])/read", method: .post, headers: headers) { $0 }
            #expect(first.status == .noContent)
            #expect(first.headers[HTTPField.Name("Idempotent-Replayed")!] == nil)
            let again = try await client.execute(uri: "/api/v1/notifications/\(ids[0])/read", method: .post, headers: headers) { $0 }
            #expect(again.status == .noContent)
            #expect(again.headers[HTTPField.Name("Idempotent-Replayed")!] == "true")
            try await client.execute(uri: "/api/v1/notifications/\(ids[1])/read", method: .post, headers: headers) { response in
                let problem = try decode(response.body)
                #expect(response.status == .unprocessableContent)
                #expect(problem["type"] as? String == "https://avrop.se/problems/idempotency-key-reused")
            }
            // The second notification stayed unread: the refused request did nothing.
            try await client.execute(uri: "/api/v1/notifications?unread=true", method: .get, headers: auth) { response in
                let page = try decode(response.body)
                #expect((page["items"] as? [Any])?.count == 1)
            }
            // Keys are per person: someone else's same key is theirs alone.
            let anna = try await token(client, "anna@norr.example")
            var annaHeaders: HTTPFields = [.authorization: "Bearer \(anna)"]
            annaHeaders[HTTPField.Name("Idempotency-Key")!] = "mark-1"
            try await client.execute(uri: "/api/v1/notifications/\(ids[0])/read", method: .post, headers: annaHeaders) { response in
                #expect(response.status == .notFound)
            }
            _ = accounts
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
