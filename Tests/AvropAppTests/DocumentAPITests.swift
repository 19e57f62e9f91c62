import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("Evidence documents over the API: types by magic bytes, size limit, safe names, access follows the solution")
struct DocumentAPITests {
    static let pdf = Array("%PDF-1.4\n% Avrop test\n1 0 obj << >> endobj\n%%EOF\n".utf8)
    static let innovera = "5568011232"

    private func upload(_ client: any TestClientProtocol, _ token: String?, _ solution: String, name: String, _ bytes: [UInt8])
        async throws -> (HTTPResponse.Status, [String: Any]) {
        var headers: HTTPFields = [.contentType: "application/octet-stream"]
        if let token { headers[.authorization] = "Bearer \(token)" }
        let query = name.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        return try await client.execute(uri: "/api/v1/solutions/\(solution)/documents?name=\(query)", method: .post, headers: headers,
                                        body: ByteBuffer(bytes: bytes)) { response in
            (response.status, ((try? JSONSerialization.jsonObject(with: Data(buffer: response.body))) as? [String: Any]) ?? [:])
        }
    }

    private func download(_ client: any TestClientProtocol, _ token: String?, _ id: String) async throws -> (HTTPResponse.Status, HTTPFields, [UInt8]) {
        var headers: HTTPFields = [:]
        if let token { headers[.authorization] = "Bearer \(token)" }
        return try await client.execute(uri: "/api/v1/documents/\(id)", method: .get, headers: headers) { response in
            (response.status, response.headers, Array(response.body.readableBytesView))
        }
    }

    @Test func aSupplierAddsEvidenceThatOnlyThoseWhoMaySeeTheSolutionDownload() async throws {
        try await DemoApp.with { client, owner in
            let supplier = try await DemoApp.token(client, "leverantor@demo.avrop.se")
            let draft = try await DemoApp.solution(owner, supplier: Self.innovera, status: "draft")
            let added = try await upload(client, supplier, draft, name: "../../Utvärdering av pilot.docx", Self.pdf)
            #expect(added.0 == .created)
            // The type is what the bytes say, whatever the name claimed; the path is gone.
            #expect(added.1["fileName"] as? String == "Utvärdering av pilot.pdf")
            #expect(added.1["mediaType"] as? String == "application/pdf")
            #expect(added.1["sizeBytes"] as? Int == Self.pdf.count)
            #expect(added.1["sha256"] as? String == "a6cfc2cd3c2ce1ce7aa33b69c3de909629c49602f72a7bddbad26fabc83e0f5f")
            let id = try #require(added.1["id"] as? String)

            let file = try await download(client, supplier, id)
            #expect(file.0 == .ok)
            #expect(file.2 == Self.pdf)
            #expect(file.1[.contentDisposition] == "attachment; filename=\"Utv_rdering av pilot.pdf\"; filename*=UTF-8''Utv%C3%A4rdering%20av%20pilot.pdf")
            #expect(file.1[.xContentTypeOptions] == "nosniff")
            // A draft's evidence is the supplier's alone: the public and another supplier get 404.
            #expect(try await download(client, nil, id).0 == .notFound)
            let other = try await DemoApp.token(client, "leverantor2@demo.avrop.se")
            #expect(try await download(client, other, id).0 == .notFound)
            #expect(try await upload(client, other, draft, name: "a.pdf", Self.pdf).0 == .notFound)
            #expect(try await upload(client, nil, draft, name: "a.pdf", Self.pdf).0 == .unauthorized)
            let listed = try await client.execute(uri: "/api/v1/solutions/\(draft)/documents", method: .get,
                                                  headers: [.authorization: "Bearer \(supplier)"]) { String(buffer: $0.body) }
            #expect(listed.contains(id))
            #expect(try await client.execute(uri: "/api/v1/solutions/\(draft)/documents", method: .get) { $0.status } == .notFound)
        }
    }

    @Test func executablesAreRefusedWith415AndVerifiedSolutionsTakeNoMoreEvidence() async throws {
        try await DemoApp.with { client, owner in
            let supplier = try await DemoApp.token(client, "leverantor@demo.avrop.se")
            let draft = try await DemoApp.solution(owner, supplier: Self.innovera, status: "draft")
            let elf: [UInt8] = [0x7F, 0x45, 0x4C, 0x46, 2, 1, 1, 0] + [UInt8](repeating: 0, count: 64)
            let refused = try await upload(client, supplier, draft, name: "rapport.pdf", elf)
            #expect(refused.0 == .unsupportedMediaType)
            #expect(refused.1["type"] as? String == "https://avrop.se/problems/unsupported-media-type")
            #expect(try await upload(client, supplier, draft, name: "start.txt", Array("#!/bin/sh\necho hej\n".utf8)).0 == .unsupportedMediaType)
            let verified = try await DemoApp.solution(owner, supplier: Self.innovera, status: "verified")
            #expect(try await upload(client, supplier, verified, name: "sent.pdf", Self.pdf).0 == .conflict)
            let count = try await owner.withConnection { try await $0.query("SELECT count(*)::int8 AS n FROM avrop.solution_document").first?.decode("n", as: Int.self) }
            #expect(count == 0, "nothing refused was kept")
        }
    }

    @Test func aFileOverTheConfiguredLimitIs413() async throws {
        try await DemoApp.with(maximumDocumentBytes: 1024) { client, owner in
            let supplier = try await DemoApp.token(client, "leverantor@demo.avrop.se")
            let draft = try await DemoApp.solution(owner, supplier: Self.innovera, status: "draft")
            let large = Self.pdf + [UInt8](repeating: 0x20, count: 2048)
            let refused = try await upload(client, supplier, draft, name: "stor.pdf", large)
            #expect(refused.0 == .contentTooLarge)
            #expect(try await upload(client, supplier, draft, name: "liten.pdf", Self.pdf).0 == .created)
        }
    }
}
