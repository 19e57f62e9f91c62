import Foundation
import Hummingbird
import HummingbirdTesting
import HTTPTypes
import Identity
import Postgres
import Testing

@Suite("Pages: sessions, CSRF, account, language, headers, errors")
struct PageTests {
    private let anna = "anna@norr.example"

    private func signIn(_ browser: Browser, _ email: String) async throws {
        try await browser.get("/login")
        let page = try await browser.post("/login", ["email": email, "password": TestApp.password(email)])
        #expect(page.status == .seeOther)
        #expect(page.location == "/account")
    }

    @Test func everyResponseCarriesTheSecurityHeaders() async throws {
        try await TestApp.with { client, _ in
            let browser = Browser(client)
            for path in ["/", "/login", "/no-such-page", "/static/avrop.css", "/api/v1/me", "/healthz"] {
                let page = try await browser.get(path)
                let policy = try #require(page.headers[.contentSecurityPolicy], "\(path)")
                #expect(policy.contains("frame-ancestors 'none'"))
                #expect(policy.contains("default-src 'none'"))
                #expect(!policy.contains("unsafe-inline"))
                #expect(page.headers[.xContentTypeOptions] == "nosniff")
                #expect(page.headers[HTTPField.Name("Referrer-Policy")!] == "same-origin")
            }
        }
    }

    @Test func aLoginStartsANewServerSideSessionInAnHttpOnlyLaxCookie() async throws {
        try await TestApp.with { client, accounts in
            let browser = Browser(client)
            // A session id planted in the browser beforehand (session fixation) never becomes the session.
            browser.cookies["avrop_session"] = "planted-by-someone-else"
            let form = try await browser.get("/login")
            #expect(form.status == .ok)
            let page = try await browser.post("/login", ["email": "ANNA@norr.example", "password": TestApp.password(anna)])
            #expect(page.status == .seeOther)
            let line = try #require(page.setCookies.first { $0.hasPrefix("avrop_session=") })
            #expect(line.contains("HttpOnly"))
            #expect(line.contains("SameSite=Lax"))
            #expect(!line.contains("Secure"))
            let secret = try #require(browser.cookies["avrop_session"])
            #expect(secret != "planted-by-someone-else")
            // Only the hash is stored.
            let stored = try await accounts.owner.withConnection { try await $0.query("SELECT count(*) AS n FROM avrop.web_session WHERE convert_to(\(secret), 'UTF8') = id_hash OR encode(id_hash, 'escape') = \(secret)") }
            #expect(try stored.first?.decode("n", as: Int.self) == 0)

            let account = try await browser.get("/account")
            #expect(account.status == .ok)
            #expect(account.html.contains("Region Norr"))
            #expect(account.html.contains("Upphandlare"))
        }
    }

    @Test func cookiesAreSecureBehindATLSProxy() async throws {
        try await TestApp.with { client, _ in
            let browser = Browser(client)
            browser.extraHeaders[HTTPField.Name("X-Forwarded-Proto")!] = "https"
            let form = try await browser.get("/login")
            #expect(form.setCookies.allSatisfy { $0.contains("Secure") })
            let page = try await browser.post("/login", ["email": anna, "password": TestApp.password(anna)])
            #expect(page.setCookies.contains { $0.hasPrefix("avrop_session=") && $0.contains("Secure") })
        }
    }

    @Test func formsWithoutTheRightCSRFTokenAreRefused() async throws {
        try await TestApp.with { client, _ in
            let browser = Browser(client)
            try await browser.get("/login")
            for token in ["", "forged"] {
                let page = try await browser.post("/login", ["email": anna, "password": TestApp.password(anna)], csrf: token)
                #expect(page.status == .forbidden)
                #expect(page.html.contains("Formuläret har gått ut"))
                #expect(browser.cookies["avrop_session"] == nil)
            }
            try await signIn(browser, anna)
            let anonymousToken = browser.cookies["avrop_csrf"] ?? ""
            // Signed in, forms need the session's token: the anonymous one, or none, is refused everywhere.
            for path in ["/account/tokens", "/account/password", "/logout", "/language"] {
                for token in ["", anonymousToken, "forged"] {
                    let page = try await browser.post(path, ["name": "x", "current": "a", "new": "b", "repeated": "b", "language": "en"], csrf: token)
                    #expect(page.status == .forbidden, "\(path) with \(token.isEmpty ? "no token" : token)")
                }
            }
            #expect(try await browser.get("/account").status == .ok)
        }
    }

    @Test func wrongPasswordsShowAnErrorThenAreThrottledWith429() async throws {
        try await TestApp.with { client, _ in
            let browser = Browser(client)
            try await browser.get("/login")
            for _ in 0..<PasswordLogin.failuresPerAccount {
                let page = try await browser.post("/login", ["email": anna, "password": "fel lösenord helt och hållet"])
                #expect(page.status == .unauthorized)
                #expect(page.html.contains("E-postadressen eller lösenordet är fel."))
                #expect(page.html.contains(#"value="anna@norr.example""#))
            }
            let page = try await browser.post("/login", ["email": anna, "password": TestApp.password(anna)])
            #expect(page.status == .tooManyRequests)
            #expect(page.headers[.retryAfter] == String(PasswordLogin.throttleWindow.components.seconds))
            #expect(browser.cookies["avrop_session"] == nil)
        }
    }

    @Test func logoutEndsTheSessionOnTheServer() async throws {
        try await TestApp.with { client, _ in
            let browser = Browser(client)
            try await signIn(browser, anna)
            let secret = try #require(browser.cookies["avrop_session"])
            try await browser.get("/account")
            let page = try await browser.post("/logout")
            #expect(page.status == .seeOther)
            #expect(browser.cookies["avrop_session"] == nil)
            // The old cookie, sent again, opens nothing.
            browser.cookies["avrop_session"] = secret
            let account = try await browser.get("/account")
            #expect(account.status == .seeOther)
            #expect(account.location == "/login")
        }
    }

    @Test func sessionsEndWhenIdleAndAtTheirAbsoluteExpiry() async throws {
        try await TestApp.with { client, accounts in
            let browser = Browser(client)
            try await signIn(browser, anna)
            #expect(try await browser.get("/account").status == .ok)
            // 31 minutes without a request: idle timeout (30 minutes).
            try await accounts.owner.withConnection { try await $0.execute("UPDATE avrop.web_session SET last_seen_at = now() - interval '31 minutes'") }
            #expect(try await browser.get("/account").location == "/login")

            let second = Browser(client)
            try await signIn(second, anna)
            #expect(try await second.get("/account").status == .ok)
            try await accounts.owner.withConnection { try await $0.execute("UPDATE avrop.web_session SET expires_at = now() - interval '1 second' WHERE ended_at IS NULL") }
            #expect(try await second.get("/account").location == "/login")
        }
    }

    @Test func apiTokensAreCreatedShownOnceListedAndRevokedFromTheAccountPage() async throws {
        try await TestApp.with { client, _ in
            let browser = Browser(client)
            try await signIn(browser, anna)
            try await browser.get("/account")
            #expect(try await browser.post("/account/tokens", ["name": "  "]).status == .unprocessableContent)
            let created = try await browser.post("/account/tokens", ["name": "Ekonomisystemet"])
            #expect(created.status == .created)
            #expect(created.headers[.cacheControl] == "no-store")
            let range = try #require(created.html.range(of: #"<code class="secret">"#))
            let secret = String(created.html[range.upperBound...].prefix { $0 != "<" })
            #expect(secret.hasPrefix("avr_"))
            try await client.execute(uri: "/api/v1/me", method: .get, headers: [.authorization: "Bearer \(secret)"]) { response in
                #expect(response.status == .ok)
            }
            let listed = try await browser.get("/account")
            #expect(listed.html.contains("Ekonomisystemet"))
            #expect(!listed.html.contains(secret))
            let action = try #require(listed.html.range(of: #"action="/account/tokens/"#))
            let id = String(listed.html[action.upperBound...].prefix { $0 != "/" })
            let revoked = try await browser.post("/account/tokens/\(id)/revoke")
            #expect(revoked.status == .seeOther)
            try await client.execute(uri: "/api/v1/me", method: .get, headers: [.authorization: "Bearer \(secret)"]) { response in
                #expect(response.status == .unauthorized)
            }
            #expect(try await browser.get("/account").html.contains("Återkallad"))
            // Someone else's token, or one that does not exist: 404.
            let other = Browser(client)
            try await signIn(other, "bo@syd.example")
            try await other.get("/account")
            #expect(try await other.post("/account/tokens/\(id)/revoke").status == .notFound)
            #expect(try await other.post("/account/tokens/\(UUID().uuidString)/revoke").status == .notFound)
        }
    }

    /// And R23: the change is in the organisation's audit trail, without the password.
    @Test func r23ChangingThePasswordChecksTheCurrentOneEndsOtherSessionsAndIsAudited() async throws {
        try await TestApp.with { client, accounts in
            let phone = Browser(client)
            try await signIn(phone, anna)
            let browser = Browser(client)
            try await signIn(browser, anna)
            try await browser.get("/account")
            let newPassword = "ett nytt och mycket längre lösenord"
            let mismatch = try await browser.post("/account/password", ["current": TestApp.password(anna), "new": newPassword, "repeated": "något annat"])
            #expect(mismatch.status == .unprocessableContent)
            #expect(mismatch.html.contains("De två nya lösenorden är inte lika."))
            let weak = try await browser.post("/account/password", ["current": TestApp.password(anna), "new": "kort", "repeated": "kort"])
            #expect(weak.status == .unprocessableContent)
            let wrong = try await browser.post("/account/password", ["current": "inte det nuvarande lösenordet", "new": newPassword, "repeated": newPassword])
            #expect(wrong.status == .unprocessableContent)
            #expect(wrong.html.contains("Det nuvarande lösenordet är fel."))
            let changed = try await browser.post("/account/password", ["current": TestApp.password(anna), "new": newPassword, "repeated": newPassword])
            #expect(changed.status == .ok)
            #expect(changed.html.contains("Lösenordet är bytt."))
            #expect(try await browser.get("/account").status == .ok)
            #expect(try await phone.get("/account").location == "/login")
            let again = Browser(client)
            try await again.get("/login")
            #expect(try await again.post("/login", ["email": anna, "password": TestApp.password(anna)]).status == .unauthorized)
            #expect(try await again.post("/login", ["email": anna, "password": newPassword]).status == .seeOther)
            let audited = try await accounts.owner.withConnection { connection in
                try await connection.query("SELECT data::text AS data FROM avrop.audit_event WHERE action = 'user.passwordChanged'")
                    .map { try $0.decode("data", as: String.self) }
            }
            #expect(audited.count == 1, "one change went through")
            #expect(audited.allSatisfy { !$0.contains(newPassword) && !$0.contains("$2") })
        }
    }

    @Test func pagesAreSwedishByDefaultAndEnglishOnRequest() async throws {
        try await TestApp.with { client, _ in
            let browser = Browser(client)
            let swedish = try await browser.get("/login")
            #expect(swedish.html.contains(#"<html lang="sv">"#))
            #expect(swedish.html.contains("Logga in"))
            browser.extraHeaders[.acceptLanguage] = "en-GB,en;q=0.9,sv;q=0.5"
            let english = try await browser.get("/login")
            #expect(english.html.contains(#"<html lang="en">"#))
            #expect(english.html.contains("Sign in"))
            // The switch wins over the header, and comes back to the page it was used on.
            let switched = try await browser.post("/language", ["language": "sv", "back": "/login"])
            #expect(switched.status == .seeOther)
            #expect(switched.location == "/login")
            #expect(try await browser.get("/login").html.contains(#"<html lang="sv">"#))
            // Never a redirect to another site.
            #expect(try await browser.post("/language", ["language": "en", "back": "//evil.example/"]).location == "/")
            #expect(try await browser.post("/language", ["language": "en", "back": "https://evil.example/"]).location == "/")
        }
    }

    @Test func errorsArePagesForPeopleAndProblemsForTheAPI() async throws {
        try await TestApp.with { client, _ in
            let browser = Browser(client)
            let missing = try await browser.get("/no-such-page")
            #expect(missing.status == .notFound)
            #expect(missing.headers[.contentType] == "text/html; charset=utf-8")
            #expect(missing.html.contains("Sidan finns inte"))
            try await client.execute(uri: "/api/v1/no-such-thing", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(response.headers[.contentType]?.hasPrefix("application/problem+json") == true)
                #expect(String(buffer: response.body).contains("https://avrop.se/problems/not-found"))
            }
            // A form body in the wrong format, or too large.
            try await browser.get("/login")
            let json = try await client.execute(uri: "/login", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: "{}")) { $0.status }
            #expect(json == .unsupportedMediaType)
            let huge = String(repeating: "a", count: 70 * 1024)
            let tooLarge = try await browser.post("/login", ["email": huge, "password": "x"])
            #expect(tooLarge.status == .contentTooLarge)
        }
    }
}

@Suite("Pages: notifications and the language preference")
struct NotificationPageTests {
    @Test func notificationsAreListedAndMarkedReadOnTheirPage() async throws {
        try await TestApp.with { client, _ in
            let browser = Browser(client)
            try await browser.get("/login")
            _ = try await browser.post("/login", ["email": "anna@norr.example", "password": TestApp.password("anna@norr.example")])
            #expect(try await browser.get("/notifications").html.contains("Du har inga notiser."))
            try await browser.get("/account")
            _ = try await browser.post("/account/tokens", ["name": "Ekonomisystemet"])
            let page = try await browser.get("/notifications")
            #expect(page.html.contains("En ny API-nyckel, &quot;Ekonomisystemet&quot;, skapades för ditt konto."))
            let action = try #require(page.html.range(of: #"action="/notifications/"#))
            let id = String(page.html[action.upperBound...].prefix { $0 != "/" })
            #expect(try await browser.post("/notifications/\(id)/read").status == .seeOther)
            let after = try await browser.get("/notifications")
            #expect(!after.html.contains(#"class="unread""#))
            // Not someone else's.
            let other = Browser(client)
            try await other.get("/login")
            _ = try await other.post("/login", ["email": "bo@syd.example", "password": TestApp.password("bo@syd.example")])
            try await other.get("/notifications")
            #expect(try await other.post("/notifications/\(id)/read").status == .notFound)
            #expect(try await other.get("/notifications").html.contains("Du har inga notiser."))
        }
    }

    @Test func theLanguagePreferenceIsSavedForPagesAndEMailAndGuardsAgainstStaleForms() async throws {
        try await TestApp.with { client, accounts in
            let browser = Browser(client)
            try await browser.get("/login")
            _ = try await browser.post("/login", ["email": "anna@norr.example", "password": TestApp.password("anna@norr.example")])
            let form = try await browser.get("/account")
            let range = try #require(form.html.range(of: #"name="version" value=""#))
            let version = String(form.html[range.upperBound...].prefix { $0 != "\"" })
            #expect(try await browser.post("/account/language", ["language": "en", "version": version]).status == .seeOther)
            #expect(try await browser.get("/account").html.contains(#"<html lang="en">"#))
            let stored = try await accounts.owner.withConnection {
                try await $0.query("SELECT language FROM avrop.app_user WHERE email = 'anna@norr.example'").first?.decode("language", as: String.self)
            }
            #expect(stored == "en")
            // A form read before that change does not overwrite it.
            #expect(try await browser.post("/account/language", ["language": "sv", "version": version]).status == .conflict)
        }
    }
}

@Suite("Pages: the organisation page of admins, and tokens from a browser session")
struct OrganizationPageTests {
    @Test func adminsManageWebhooksOnTheOrganizationPageAndOthersGet404() async throws {
        try await TestApp.with { client, accounts in
            let administration = IdentityAdministration(pool: accounts.owner, passwords: PasswordPolicy(cost: 4))
            _ = try await administration.addUser(email: "admin@innovera.example", displayName: "Admin", password: TestApp.password("admin@innovera.example"))
            try await administration.grant(.admin, email: "admin@innovera.example", organizationNumber: "5567037485")
            let admin = Browser(client)
            try await admin.get("/login")
            _ = try await admin.post("/login", ["email": "admin@innovera.example", "password": TestApp.password("admin@innovera.example")])
            let page = try await admin.get("/organization")
            #expect(page.status == .ok)
            #expect(page.html.contains(#"href="/organization""#), "admins have it in their navigation")
            #expect(try await admin.post("/organization/webhooks", ["url": "ftp://x.example"]).status == .unprocessableContent)
            let registered = try await admin.post("/organization/webhooks", ["url": "https://hooks.innovera.example/avrop"])
            #expect(registered.status == .created)
            #expect(registered.html.contains("whsec_"))
            let listed = try await admin.get("/organization")
            #expect(listed.html.contains("https://hooks.innovera.example/avrop"))
            #expect(!listed.html.contains("whsec_"), "the secret is shown once")
            let action = try #require(listed.html.range(of: #"action="/organization/webhooks/"#))
            let id = String(listed.html[action.upperBound...].prefix { $0 != "/" })

            // A member without the admin role: no navigation entry, and the page and its forms are 404.
            let member = Browser(client)
            try await member.get("/login")
            _ = try await member.post("/login", ["email": "eva@innovera.example", "password": TestApp.password("eva@innovera.example")])
            #expect(!(try await member.get("/account").html.contains(#"href="/organization""#)))
            #expect(try await member.get("/organization").status == .notFound)
            try await member.get("/account")
            #expect(try await member.post("/organization/webhooks/\(id)/disable").status == .notFound)
            #expect(try await member.post("/organization/webhooks", ["url": "https://evil.example/"]).status == .notFound)

            #expect(try await admin.post("/organization/webhooks/\(id)/disable").status == .seeOther)
            #expect(try await admin.get("/organization").html.contains("Avstängd"))
        }
    }

    @Test func aSignedInBrowserCreatesATokenThroughTheAPIOnlyWithItsCSRFToken() async throws {
        try await TestApp.with { client, _ in
            let browser = Browser(client)
            try await browser.get("/login")
            _ = try await browser.post("/login", ["email": "anna@norr.example", "password": TestApp.password("anna@norr.example")])
            try await browser.get("/account")
            let csrf = browser.csrfToken()
            let cookie = "avrop_session=\(try #require(browser.cookies["avrop_session"]))"
            let body = ByteBuffer(string: #"{"name":"från webbläsaren"}"#)
            func post(_ headers: HTTPFields) async throws -> HTTPResponse.Status {
                var all = headers
                all[.contentType] = "application/json"
                return try await client.execute(uri: "/api/v1/tokens", method: .post, headers: all, body: body) { $0.status }
            }
            #expect(try await post([.cookie: cookie]) == .unauthorized, "a cookie alone, as a cross-site form would send it")
            #expect(try await post([.cookie: cookie, HTTPField.Name("X-CSRF-Token")!: "forged"]) == .unauthorized)
            #expect(try await post([.cookie: cookie, HTTPField.Name("X-CSRF-Token")!: csrf]) == .created)
            // A bearer token cannot mint further tokens without the password.
            let secret = try await client.execute(uri: "/api/v1/tokens", method: .post,
                                                  headers: [.cookie: cookie, HTTPField.Name("X-CSRF-Token")!: csrf, .contentType: "application/json"],
                                                  body: body) { response in
                let json = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
                return try #require(json?["token"] as? String)
            }
            #expect(try await post([.authorization: "Bearer \(secret)"]) == .unauthorized)
        }
    }
}
