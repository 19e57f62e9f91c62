import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdOTP
import HummingbirdTesting
import Identity
import Postgres
import Testing

@Suite("Two-step verification (TOTP): set-up, login, API tokens, required by an organisation")
struct SecondFactorTests {
    private let anna = "anna@norr.example"

    /// The code of the step `offset` steps from now, for `secret`.
    private func code(_ secret: String, offset: Int = 0) -> String {
        let step = Int(Date().timeIntervalSince1970 / 30) + offset
        let value = TOTP(secret: secret).compute(date: Date(timeIntervalSince1970: Double(step) * 30))
        return String(format: "%06d", value)
    }

    private func secret(_ accounts: TestApp.Accounts, _ email: String, pending: Bool) async throws -> String {
        let column = pending ? "totp_pending_secret" : "totp_secret"
        let row = try await accounts.owner.withConnection {
            try await $0.query("SELECT \(unsafeRaw: column) AS secret FROM avrop.app_user WHERE email = \(email)").first
        }
        return try #require(try row?.decode("secret", as: String?.self))
    }

    private func signIn(_ browser: Browser, _ email: String, code: String? = nil) async throws -> Browser.Page {
        try await browser.get("/login")
        var fields = ["email": email, "password": TestApp.password(email)]
        if let code { fields["code"] = code }
        return try await browser.post("/login", fields)
    }

    private func tokenStatus(_ client: any TestClientProtocol, _ email: String, code: String?) async throws -> (HTTPResponse.Status, String) {
        var body: [String: Any] = ["email": email, "password": TestApp.password(email), "name": "script"]
        if let code { body["totpCode"] = code }
        return try await client.execute(
            uri: "/api/v1/tokens", method: .post, headers: [.contentType: "application/json"],
            body: ByteBuffer(data: try JSONSerialization.data(withJSONObject: body))
        ) { ($0.status, String(buffer: $0.body)) }
    }

    @Test func aSetUpFactorIsAskedForAtEveryLoginAndEachCodeWorksOnce() async throws {
        try await TestApp.with { client, accounts in
            let browser = Browser(client)
            #expect(try await signIn(browser, anna).status == .seeOther)
            try await browser.get("/account")
            let started = try await browser.post("/account/totp/start")
            #expect(started.html.contains("otpauth://totp/"))
            let pending = try await secret(accounts, anna, pending: true)
            #expect(try await browser.post("/account/totp/confirm", ["code": "000000"]).status == .unprocessableContent)
            #expect(try await browser.post("/account/totp/confirm", ["code": code(pending, offset: -1)]).status == .seeOther)
            #expect(try await browser.get("/account").html.contains("Tvåstegsverifiering är påslagen"))
            let active = try await secret(accounts, anna, pending: false)
            #expect(active == pending)

            let again = Browser(client)
            let withoutCode = try await signIn(again, anna)
            #expect(withoutCode.status == .unauthorized)
            #expect(withoutCode.html.contains("Ange koden från din autentiseringsapp."))
            #expect(try await signIn(again, anna, code: "123456").status == .unauthorized)
            // One code, computed once: recomputing it could cross a 30-second step and give a fresh code.
            let used = code(active)
            #expect(try await signIn(again, anna, code: used).status == .seeOther)
            // The same code a second time (someone who saw it over a shoulder) is refused.
            let replay = Browser(client)
            #expect(try await signIn(replay, anna, code: used).status == .unauthorized)

            // Scripts asking for a token need the code too.
            #expect(try await tokenStatus(client, anna, code: nil).1.contains("second-factor-required"))
            #expect(try await tokenStatus(client, anna, code: code(active, offset: 1)).0 == .created)
        }
    }

    @Test func anOrganizationThatRequiresItLetsMembersOnlySetItUp() async throws {
        try await TestApp.with { client, accounts in
            let administration = IdentityAdministration(pool: accounts.owner, passwords: PasswordPolicy(cost: 4))
            _ = try await administration.addUser(email: "admin@norr.example", displayName: "Admin", password: TestApp.password("admin@norr.example"))
            try await administration.grant(.admin, email: "admin@norr.example", organizationNumber: "2120000142")
            // Only admins may decide it.
            let member = Browser(client)
            #expect(try await signIn(member, anna).status == .seeOther)
            try await member.get("/account")
            #expect(try await member.post("/account/organization/second-factor", ["required": "yes"]).status == .notFound)

            // A token Anna made before the requirement: it must stop working until she sets up the factor.
            let (_, issued) = try await tokenStatus(client, anna, code: nil)
            let earlier = try #require((try JSONSerialization.jsonObject(with: Data(issued.utf8)) as? [String: Any])?["token"] as? String)
            func meStatus() async throws -> HTTPResponse.Status {
                try await client.execute(uri: "/api/v1/me", method: .get, headers: [.authorization: "Bearer \(earlier)"]) { $0.status }
            }
            #expect(try await meStatus() == .ok)

            let admin = Browser(client)
            #expect(try await signIn(admin, "admin@norr.example").status == .seeOther)
            #expect(try await admin.get("/account").html.contains("Kräv tvåstegsverifiering av alla medlemmar"))
            #expect(try await admin.post("/account/organization/second-factor", ["required": "yes"]).status == .seeOther)

            // Anna has none: every page but her account sends her there, and scripts get no token.
            let home = try await member.get("/")
            #expect(home.status == .seeOther)
            #expect(home.location == "/account")
            #expect(try await member.get("/account").html.contains("Din organisation kräver tvåstegsverifiering"))
            let token = try await tokenStatus(client, anna, code: nil)
            #expect(token.0 == .forbidden)
            #expect(token.1.contains("second-factor-enrolment-required"))
            #expect(try await meStatus() == .unauthorized, "a token made before the requirement does not get around it")
            // Once she sets it up, everything opens again; turning it off is refused while required.
            try await member.get("/account")
            try await member.post("/account/totp/start")
            let pending = try await secret(accounts, anna, pending: true)
            #expect(try await member.post("/account/totp/confirm", ["code": code(pending)]).status == .seeOther)
            #expect(try await member.get("/").status == .ok)
            #expect(try await meStatus() == .ok, "with the factor set up, the token works again")
            try await member.get("/account")
            let refused = try await member.post("/account/totp/remove", ["code": code(pending, offset: 1)])
            #expect(refused.status == .unprocessableContent)
            #expect(refused.html.contains("kan inte stängas av"))
        }
    }
}
