public import Hummingbird
import Foundation
import Identity
public import AvropHTTP
import FrameworkAgreements
import Logging
import NIOCore

/// The server-rendered pages of the web shell: start, login, logout, account (password, API tokens) and the
/// language switch. Every state-changing form is a POST that carries the CSRF token (`Form.read`).
public struct WebPages: Sendable {
    let services: Services
    var sessions: SessionAuthentication { services.sessions }
    let renderer = PageRenderer.embedded

    public init(services: Services) {
        self.services = services
    }

    /// Adds the pages, their session middleware and the style sheet to `router`.
    public func register<Context: RemoteAddressRequestContext>(on router: Router<Context>) {
        router.get("/static/avrop.css") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "text/css; charset=utf-8", .cacheControl: "public, max-age=3600"],
                body: .init(byteBuffer: ByteBuffer(string: embeddedFiles["static/avrop.css"] ?? ""))
            )
        }
        router.get("/") { _, _ in renderer.page("home", title: "home_title") }
        router.get("/login") { _, _ in
            if WebRequest.current.session != nil { return Self.redirect("/account") }
            return renderer.page("login", title: "login_title")
        }
        router.post("/login") { request, context in try await login(request, context) }
        router.post("/logout") { request, context in
            _ = try await Form.read(request, context, as: Form.Empty.self)
            if let secret = WebRequest.current.sessionSecret { try await sessions.end(secret) }
            var response = Self.redirect("/")
            response.setCookie(WebCookies.make(WebCookies.session, "", secure: WebCookies.isSecure(request), maxAge: 0))
            return response
        }
        router.post("/language") { request, context in
            let form = try await Form.read(request, context, as: Form.Language.self)
            let language = Language(rawValue: form.language) ?? .sv
            var response = Self.redirect(Self.localPath(form.back) ?? "/")
            response.setCookie(WebCookies.make(WebCookies.language, language.rawValue, secure: WebCookies.isSecure(request), maxAge: 365 * 24 * 3600))
            return response
        }
        AccountPages(services: services, renderer: renderer).register(on: router)
        NotificationPages(inbox: services.inbox, renderer: renderer).register(on: router)
        AgreementPages(agreements: services.agreements, renderer: renderer).register(on: router)
        CataloguePages(catalogue: services.catalogue, renderer: renderer).register(on: router)
        SolutionPages(solutions: services.solutions, documents: services.documents, renderer: renderer).register(on: router)
        OrganizationPages(webhooks: services.webhooks, deadLetters: services.deadLetters, renderer: renderer).register(on: router)
    }

    private func login<Context: RemoteAddressRequestContext>(_ request: Request, _ context: Context) async throws -> Response {
        let form = try await Form.read(request, context, as: Form.Login.self)
        let address = context.remoteAddress?.ipAddress ?? "unknown"
        let echo: [String: Any] = ["email": form.email, "organizationNumber": form.organizationNumber ?? ""]
        do {
            let started = try await sessions.login(
                email: form.email, password: form.password, code: form.code, organizationNumber: form.organizationNumber, address: address
            )
            var response = Self.redirect("/account")
            // A new id at every login: an id planted in the browser beforehand never becomes a session.
            response.setCookie(WebCookies.make(WebCookies.session, started.secret, secure: WebCookies.isSecure(request)))
            return response
        } catch let error as IdentityError {
            switch error {
            case .throttled(let wait):
                return renderer.page("login", title: "login_title", status: .tooManyRequests,
                                     values: echo.merging(["error": renderer.text("error_throttled")]) { $1 },
                                     headers: [.retryAfter: String(wait.components.seconds)])
            case .secondFactorRequired:
                return renderer.page("login", title: "login_title", status: .unauthorized,
                                     values: echo.merging(["error": renderer.text("error_code_required"), "askCode": true]) { $1 })
            case .organizationRequired, .notFound:
                return renderer.page("login", title: "login_title", status: .badRequest,
                                     values: echo.merging(["error": renderer.text("error_organization_required")]) { $1 })
            default:
                return renderer.page("login", title: "login_title", status: .unauthorized,
                                     values: echo.merging(["error": renderer.text("error_invalid_credentials")]) { $1 })
            }
        }
    }

    /// 303 See Other: after a POST, the browser fetches the next page with GET.
    static func redirect(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location])
    }

    /// `path` if it stays on this site (a path, not `//host`), for redirects chosen by a form.
    static func localPath(_ path: String?) -> String? {
        guard let path, path.hasPrefix("/"), !path.hasPrefix("//"), !path.contains("\\"), !path.contains("\r"), !path.contains("\n") else { return nil }
        return path
    }
}
