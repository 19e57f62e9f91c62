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
            try await client.execute(uri: "/api/v1/me", method: .post) { #expect($0.headers[.allow] == "GET") }
            let big = ByteBuffer(repeating: UInt8(ascii: " "), count: (1 << 20) + 1)
            let answer3 = try await problem("/api/v1/tokens", .post, [.contentType: "application/json"], big)
            #expect(answer3.0 == .contentTooLarge)
            #expect(answer3.1 == "https://avrop.se/problems/payload-too-large")
            let answer4 = try await problem("/api/v1/tokens", .post, [.contentType: "text/plain"], ByteBuffer(string: "hej"))
            #expect(answer4.0 == .unsupportedMediaType)
            #expect(answer4.1 == "https://avrop.se/problems/unsupported-media-type")
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
