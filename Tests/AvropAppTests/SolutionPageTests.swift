import AvropApp
import Foundation
import Hummingbird
import HummingbirdTesting
import Identity
import Logging
import Postgres
import PostgresTesting
import Testing

@Suite("Solution pages: a supplier drafts and submits, a framework manager verifies, the public finds it")
struct SolutionPageTests {
    @Test func aSupplierDraftsAndSubmitsAManagerVerifiesAndThePublicFindsIt() async throws {
        try await DemoApp.with { client, _ in
            let supplier = try await DemoApp.signedIn(client, "leverantor@demo.avrop.se")
            let mine = try await supplier.get("/my/solutions")
            #expect(mine.status == .ok)
            #expect(mine.html.contains("href=\"/my/solutions\""), "the navigation offers it to suppliers")
            let lot = try #require(mine.html.firstMatch(of: /<option value="([0-9a-f-]{36})"/).map { String($0.1) })
            var fields = ["lot": lot, "name": " ", "summary": "Tolkning via video dygnet runt", "type": "service", "trl": "7",
                          "description": "Prövad i tre kommuner.", "tags": "tolkning, Video ,tolkning"]
            let empty = try await supplier.post("/my/solutions", fields)
            #expect(empty.status == .unprocessableContent)
            #expect(empty.html.contains("Ange ett namn"))
            #expect(empty.html.contains("Tolkning via video dygnet runt"), "what was written is kept")
            fields["name"] = "Videotolkning för vård och omsorg"
            let created = try await supplier.post("/my/solutions", fields)
            #expect(created.status == .seeOther)
            let path = try #require(created.location)
            #expect(path.hasPrefix("/solutions/"))

            // Drafts are the supplier's alone.
            #expect(try await Browser(client).get(path).status == .notFound)
            let other = try await DemoApp.signedIn(client, "leverantor2@demo.avrop.se")
            #expect(try await other.get(path).status == .notFound)
            try await other.get("/my/solutions")
            #expect(try await other.post(path + "/withdraw").status == .notFound)
            try await other.get("/my/solutions")
            #expect(try await other.post(path + "/edit", ["name": "", "summary": "x", "type": "service", "trl": "5", "version": "1"]).status == .notFound,
                    "an invalid form for someone else's solution is still 404")

            // Edit (versioned), then submit; a stale form is refused and a second submit is not possible.
            let draft = try await supplier.get(path)
            #expect(draft.html.contains("tolkning, video"))
            fields["name"] = "Videotolkning i vård och omsorg"
            fields["version"] = "1"
            #expect(try await supplier.post(path + "/edit", fields).status == .seeOther)
            try await supplier.get(path)
            #expect(try await supplier.post(path + "/edit", fields).status == .conflict)
            try await supplier.get(path)
            #expect(try await supplier.post(path + "/submit").status == .seeOther)
            let submitted = try await supplier.get(path)
            #expect(submitted.html.contains("Inskickad för verifiering"))
            #expect(!submitted.html.contains("/edit\""), "no editing once submitted")
            #expect(try await supplier.post(path + "/submit").status == .conflict)

            // The agreement's framework manager finds it in the queue and decides.
            let manager = try await DemoApp.signedIn(client, "ramavtal@demo.avrop.se")
            let queue = try await manager.get("/verification")
            #expect(queue.html.contains("Videotolkning i vård och omsorg"))
            #expect(try await supplier.get("/verification").status == .notFound)
            #expect(try await manager.get("/my/solutions").status == .notFound)
            let deciding = try await manager.get(path)
            #expect(deciding.html.contains("/decision\""))
            let noReasons = try await manager.post(path + "/decision", ["decision": "verify", "method": "testBed", "reasons": "", "validUntil": "2030-01-01"])
            #expect(noReasons.status == .unprocessableContent)
            #expect(noReasons.html.contains("Ange en motivering"))
            #expect(try await supplier.post(path + "/decision", ["decision": "verify", "method": "pilot", "reasons": "Själv", "validUntil": "2030-01-01"],
                                            csrf: supplier.csrfToken()).status == .notFound)
            let verified = try await manager.post(path + "/decision", [
                "decision": "verify", "method": "testBed", "reasons": "Testbädd i Region Norr under sex månader.", "validUntil": "2030-01-01",
            ])
            #expect(verified.status == .seeOther)

            // Now public: the catalogue finds it and its page shows the verification.
            let visitor = Browser(client)
            let search = try await visitor.get("/catalogue?q=videotolkning")
            #expect(search.html.contains("Videotolkning i vård och omsorg"))
            let page = try await visitor.get(path)
            #expect(page.status == .ok)
            #expect(page.html.contains("Testbädd i Region Norr"))
            #expect(!page.html.contains("<form method=\"post\" action=\"/solutions/"), "visitors get no buttons")
            // The supplier was told, and may still withdraw it, which takes it out of the catalogue.
            #expect(try await supplier.get("/notifications").html.contains("Videotolkning i vård och omsorg"))
            try await supplier.get(path)
            #expect(try await supplier.post(path + "/withdraw").status == .seeOther)
            #expect(try await visitor.get(path).status == .notFound)
            #expect(try await visitor.get("/catalogue?q=videotolkning").html.contains("Videotolkning i vård och omsorg") == false)
        }
    }

    @Test func evidenceIsUploadedOnTheSolutionPageAndDownloadedAsAnAttachment() async throws {
        try await DemoApp.with { client, owner in
            let draft = try await DemoApp.solution(owner, supplier: "5568011232", status: "draft")
            let path = "/solutions/\(draft)"
            let supplier = try await DemoApp.signedIn(client, "leverantor@demo.avrop.se")
            #expect(try await supplier.get(path).html.contains("enctype=\"multipart/form-data\""))
            let pdf = Array("%PDF-1.4\n% pilotrapport\n%%EOF\n".utf8)
            #expect(try await supplier.upload(path + "/documents", ["_csrf": "fel"], file: ("file", "Pilotrapport.pdf", pdf)).status == .forbidden)
            try await supplier.get(path)
            let added = try await supplier.upload(path + "/documents", file: ("file", "C:\\Mina dokument\\Pilotrapport Umeå.pdf", pdf))
            #expect(added.status == .seeOther)
            let page = try await supplier.get(path)
            #expect(page.html.contains("Pilotrapport Umeå.pdf"))
            let link = try #require(page.html.firstMatch(of: /href="(\/documents\/[0-9a-f-]{36})"/).map { String($0.1) })
            let file = try await supplier.get(link)
            #expect(file.status == .ok)
            #expect(file.bytes == pdf)
            #expect(file.headers[.contentType] == "application/pdf")
            #expect(file.headers[.contentDisposition]?.hasPrefix("attachment; ") == true)
            #expect(file.headers[.xContentTypeOptions] == "nosniff")
            // A renamed executable is refused with a readable page, and nothing is kept.
            let elf: [UInt8] = [0x7F, 0x45, 0x4C, 0x46, 2, 1, 1, 0, 0, 0]
            let refused = try await supplier.upload(path + "/documents", file: ("file", "rapport.pdf", elf))
            #expect(refused.status == .unsupportedMediaType)
            #expect(refused.html.contains("Den här sortens fil tas inte emot"))
            // The draft's evidence is not for visitors or other suppliers.
            #expect(try await Browser(client).get(link).status == .notFound)
            #expect(try await DemoApp.signedIn(client, "leverantor2@demo.avrop.se").get(link).status == .notFound)
        }
    }
}
