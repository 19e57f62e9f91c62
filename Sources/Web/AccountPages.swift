import Foundation
import Hummingbird
import AvropHTTP
import Identity

/// The account pages of a signed-in user: who they are, their password, their API tokens.
struct AccountPages: Sendable {
    let services: Services
    let renderer: PageRenderer
    var sessions: SessionAuthentication { services.sessions }
    var tokens: TokenAuthentication { services.tokens }

    func register<Context: RemoteAddressRequestContext>(on router: Router<Context>) {
        router.get("/account") { _, _ in
            let session = try WebRequest.signedIn()
            return try await account(session)
        }
        router.post("/account/password") { request, context in
            let form = try await Form.read(request, context, as: Form.PasswordChange.self)
            guard let session = WebRequest.current.session, let secret = WebRequest.current.sessionSecret else { return WebPages.redirect("/login") }
            guard form.new == form.repeated else {
                return try await account(session, status: .unprocessableContent, values: ["passwordError": renderer.text("error_password_mismatch")])
            }
            do {
                try await sessions.changePassword(
                    of: session.actor, current: form.current, new: form.new, keeping: secret,
                    address: context.remoteAddress?.ipAddress ?? "unknown"
                )
            } catch IdentityError.weakPassword {
                return try await account(session, status: .unprocessableContent, values: ["passwordError": renderer.text("error_password_weak")])
            } catch IdentityError.invalidCredentials {
                return try await account(session, status: .unprocessableContent, values: ["passwordError": renderer.text("error_password_current")])
            } catch IdentityError.throttled(let wait) {
                return try await account(session, status: .tooManyRequests, values: ["passwordError": renderer.text("error_throttled")],
                                         headers: [.retryAfter: String(wait.components.seconds)])
            }
            return try await account(session, values: ["passwordChanged": true])
        }
        router.post("/account/tokens") { request, context in
            let form = try await Form.read(request, context, as: Form.NewToken.self)
            let session = try WebRequest.signedIn()
            do {
                let issued = try await tokens.issue(for: session.actor, name: form.name)
                // Shown this once; the page is not cached (PageRenderer sets no-store).
                return try await account(session, status: .created, values: ["newToken": issued.secret])
            } catch IdentityError.invalidName {
                return try await account(session, status: .unprocessableContent, values: ["tokenError": renderer.text("error_token_name")])
            }
        }
        router.post("/account/language") { request, context in
            let form = try await Form.read(request, context, as: Form.LanguageChoice.self)
            let session = try WebRequest.signedIn()
            guard let language = Language(rawValue: form.language) else { throw HTTPError(.badRequest) }
            // The version read with the form: a change made meanwhile elsewhere is not overwritten unseen.
            do {
                _ = try await services.profiles.update(
                    of: session.actor, ifVersion: Int(form.version) ?? -1, displayName: nil, language: language.rawValue
                )
            } catch IdentityError.versionMismatch {
                return try await account(session, status: .conflict, values: ["languageError": renderer.text("error_changed_meanwhile")])
            }
            var response = WebPages.redirect("/account")
            response.setCookie(WebCookies.make(WebCookies.language, language.rawValue, secure: WebCookies.isSecure(request), maxAge: 365 * 24 * 3600))
            return response
        }
        router.post("/account/totp/start") { request, context in
            _ = try await Form.read(request, context, as: Form.Empty.self)
            let session = try WebRequest.signedIn()
            let enrolment = try await services.secondFactor.start(for: session.actor)
            return try await account(session, values: ["enrolment": ["url": enrolment.authenticatorURL, "secret": enrolment.secret]])
        }
        router.post("/account/totp/confirm") { request, context in
            let form = try await Form.read(request, context, as: Form.Code.self)
            let session = try WebRequest.signedIn()
            do {
                try await services.secondFactor.confirm(for: session.actor, code: form.code)
            } catch IdentityError.invalidCredentials {
                return try await account(session, status: .unprocessableContent, values: ["totpError": renderer.text("error_code_wrong")])
            }
            return WebPages.redirect("/account")
        }
        router.post("/account/totp/remove") { request, context in
            let form = try await Form.read(request, context, as: Form.Code.self)
            let session = try WebRequest.signedIn()
            do {
                try await services.secondFactor.remove(for: session.actor, code: form.code)
            } catch IdentityError.invalidCredentials, IdentityError.secondFactorRequired {
                return try await account(session, status: .unprocessableContent, values: ["totpError": renderer.text("error_code_wrong")])
            } catch IdentityError.secondFactorEnforced {
                return try await account(session, status: .unprocessableContent, values: ["totpError": renderer.text("error_totp_enforced")])
            }
            return WebPages.redirect("/account")
        }
        router.post("/account/organization/second-factor") { request, context in
            let form = try await Form.read(request, context, as: Form.Requirement.self)
            let session = try WebRequest.signedIn()
            try await services.secondFactor.setRequired(form.required == "yes", by: session.actor)
            return WebPages.redirect("/account")
        }
        router.post("/account/tokens/{id}/revoke") { request, context in
            _ = try await Form.read(request, context, as: Form.Empty.self)
            let session = try WebRequest.signedIn()
            let id = try context.pathID()
            try await tokens.revoke(id, by: session.actor)
            return WebPages.redirect("/account")
        }
    }

    private func account(
        _ session: SessionAuthentication.Session, status: HTTPResponse.Status = .ok, values: [String: Any] = [:], headers: HTTPFields = [:]
    ) async throws -> Response {
        let language = WebRequest.current.language
        let listed = try await tokens.list(for: session.actor)
        let rows: [[String: Any]] = listed.map { token in
            var row: [String: Any] = [
                "id": token.id.uuidString.lowercased(), "name": token.name,
                "created": DateText.day(token.createdAt, language), "expires": DateText.day(token.expiresAt, language),
                "lastUsed": token.lastUsedAt.map { DateText.minute($0, language) } ?? renderer.text("account_token_never_used"),
            ]
            if token.revokedAt != nil { row["revoked"] = true } else if token.expiresAt < Date() { row["expired"] = true } else { row["active"] = true }
            return row
        }
        let factor = try await services.secondFactor.status(of: session.actor)
        let profile = try await services.profiles.profile(of: session.actor)
        var context = values
        context["profileVersion"] = profile.version
        context["languages"] = Language.allCases.map { language -> [String: Any] in
            ["code": language.rawValue, "label": renderer.text("language_\(language.rawValue)"), "selected": language.rawValue == profile.language]
        }
        context["totpEnabled"] = factor.enabled
        context["totpRequired"] = factor.required
        context["mustEnrol"] = factor.required && !factor.enabled
        context["isAdmin"] = Policy.allows(session.actor, .manageOrganizationSecurity(organizationID: session.actor.organizationID))
        context["tokens"] = rows
        context["hasTokens"] = !rows.isEmpty
        context["roles"] = session.actor.roles.map { renderer.text("role_\($0.rawValue)") }.sorted()
        return renderer.page("account", title: "account_title", status: status, values: context, headers: headers)
    }
}

/// Dates as people read them: Swedish time, in the page's language.
enum DateText {
    static func day(_ date: Date, _ language: Language) -> String {
        format(date, language, "yyyy-MM-dd")
    }

    static func minute(_ date: Date, _ language: Language) -> String {
        format(date, language, "yyyy-MM-dd HH:mm")
    }

    private static func format(_ date: Date, _ language: Language, _ pattern: String) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: language == .sv ? "sv_SE" : "en_GB")
        formatter.timeZone = TimeZone(identifier: "Europe/Stockholm")
        formatter.dateFormat = pattern
        return formatter.string(from: date)
    }
}
