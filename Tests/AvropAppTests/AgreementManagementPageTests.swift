import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("Framework managers draft, complete, activate and manage an agreement on its pages")
struct AgreementManagementPageTests {
    @Test func aManagerDraftsCompletesAndActivatesThenR3KeepsTheSupplierListClosed() async throws {
        try await DemoApp.with { client, _ in
            let manager = try await DemoApp.signedIn(client, "ramavtal@demo.avrop.se")
            #expect(try await manager.get("/agreements").html.contains("href=\"/agreements/new\""))
            #expect(try await manager.get("/agreements/new").status == .ok)
            var terms = ["reference": "IC-2027-002", "title": "Klimatsmarta transporter", "validFrom": "2027-01-01", "validTo": "2031-12-31",
                         "ceiling": "12 500 000", "description": "Transporter med låga utsläpp."]
            // R1: more than four years needs its reasons, and what was written stays on the page.
            let tooLong = try await manager.post("/agreements", terms)
            #expect(tooLong.status == .unprocessableContent)
            #expect(tooLong.html.contains("längre än fyra år"))
            #expect(tooLong.html.contains("Klimatsmarta transporter"))
            terms["validTo"] = "2029-12-31"
            let created = try await manager.post("/agreements", terms)
            #expect(created.status == .seeOther)
            let path = try #require(created.location)
            #expect(try await Browser(client).get(path).status == .notFound, "a draft is the owner's alone")

            let empty = try await manager.get(path)
            #expect(empty.html.contains("12 500 000") || empty.html.contains("12\u{a0}500\u{a0}000"))
            let incomplete = try await manager.post(path + "/activate")
            #expect(incomplete.status == .unprocessableContent)
            #expect(incomplete.html.contains("Det har inget anbudsområde."))
            try await manager.get(path)
            #expect(try await manager.post(path + "/lots", ["number": "1", "title": "Godstransporter i tätort", "method": "rankedCascade",
                                                             "tenderDays": "10", "dialogue": "yes"]).status == .seeOther)
            let withLot = try await manager.get(path)
            let lot = try #require(withLot.html.firstMatch(of: /\/lots\/([0-9a-f-]{36})\/suppliers"/).map { String($0.1) })
            #expect(try await manager.post(path + "/lots/\(lot)/suppliers", ["organizationNumber": "556801-1232", "rank": "1"]).status == .seeOther)
            try await manager.get(path)
            #expect(try await manager.post(path + "/lots/\(lot)/suppliers", ["organizationNumber": "556801-1232", "rank": "2"]).status == .conflict)
            try await manager.get(path)
            let notASupplier = try await manager.post(path + "/lots/\(lot)/suppliers", ["organizationNumber": "202100-1231", "rank": "2"])
            #expect(notASupplier.html.contains("organisationsnumret för en leverantör"))
            try await manager.get(path)
            #expect(try await manager.post(path + "/requirements", ["code": "K1", "text": "Fordonen ska vara eldrivna.", "kind": "mandatory",
                                                                    "category": "environment", "frequency": "yearly", "lot": ""]).status == .seeOther)
            // A wrong requirement comes out again while the agreement is a draft.
            try await manager.get(path)
            #expect(try await manager.post(path + "/requirements", ["code": "K9", "text": "Felskrivet krav", "kind": "mandatory",
                                                                    "category": "quality", "frequency": "none", "lot": ""]).status == .seeOther)
            let wrong = try await manager.get(path)
            let k9 = try #require(wrong.html.firstMatch(of: /\/requirements\/([0-9a-f-]{36})\/remove"[^>]*>\s*<input[^>]*>\s*<button[^>]*K9/).map { String($0.1) })
            #expect(try await manager.post(path + "/requirements/\(k9)/remove").status == .seeOther)
            #expect(!(try await manager.get(path).html.contains("Felskrivet krav")))
            #expect(try await manager.post(path + "/activate").status == .seeOther)

            // Active: public, no more suppliers (R3), but suspension with a reason works, and so does terminating.
            let visitor = try await Browser(client).get(path)
            #expect(visitor.status == .ok)
            #expect(visitor.html.contains("Innovera AB"))
            #expect(!visitor.html.contains("/activate\""), "visitors get no management forms")
            let active = try await manager.get(path)
            #expect(active.html.contains("Gällande"))
            let r3 = try await manager.post(path + "/lots/\(lot)/suppliers", ["organizationNumber": "556912-1238", "rank": "2"])
            #expect(r3.status == .conflict)
            #expect(r3.html.contains("slutet system"))
            try await manager.get(path)
            let supplier = try #require(active.html.firstMatch(of: /\/suppliers\/([0-9a-f-]{36})\/status"/).map { String($0.1) })
            #expect(try await manager.post(path + "/lots/\(lot)/suppliers/\(supplier)/status", ["status": "suspended", "reason": ""]).status
                == .unprocessableContent)
            try await manager.get(path)
            #expect(try await manager.post(path + "/lots/\(lot)/suppliers/\(supplier)/status",
                                           ["status": "suspended", "reason": "Utredning av leveransförsening"]).status == .seeOther)
            #expect(try await manager.get(path).html.contains("Tillfälligt avstängd"))
            #expect(try await manager.post(path + "/terminate", ["reason": "Behovet har upphört."]).status == .seeOther)
            #expect(try await manager.get(path).html.contains("Behovet har upphört."))
        }
    }

    @Test func onlyTheOwnersFrameworkManagersManage() async throws {
        try await DemoApp.with { client, owner in
            let demo = try await owner.withConnection { connection in
                try await connection.query("SELECT id::text AS id FROM avrop.framework_agreement LIMIT 1").first?.decode("id", as: String.self)
            }
            let path = "/agreements/\(try #require(demo))"
            let supplier = try await DemoApp.signedIn(client, "leverantor@demo.avrop.se")
            #expect(try await supplier.get("/agreements/new").status == .notFound)
            #expect(!(try await supplier.get("/agreements").html.contains("href=\"/agreements/new\"")))
            try await supplier.get(path)
            #expect(try await supplier.post(path + "/terminate", ["reason": "Vill inte"]).status == .notFound)
            try await supplier.get(path)
            #expect(try await supplier.post("/agreements", ["reference": "X", "title": "X", "validFrom": "2027-01-01", "validTo": "2027-12-31",
                                                            "ceiling": "100"]).status == .notFound)
            let buyer = try await DemoApp.signedIn(client, "upphandlare@demo.avrop.se")
            try await buyer.get(path)
            #expect(try await buyer.post(path + "/terminate", ["reason": "Vill inte"]).status == .notFound)
            #expect(try await Browser(client).get(path).html.contains("Gällande"), "still active")
        }
    }
}
