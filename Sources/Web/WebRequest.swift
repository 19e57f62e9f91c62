public import Hummingbird
import Foundation
import HTTPTypes
public import Identity

/// What the pages know about the current browser request, set by `WebSessionMiddleware`.
struct WebRequest: Sendable {
    /// The signed-in session, if any.
    var session: SessionAuthentication.Session?
    /// The cookie's secret of that session (needed to keep it when the password changes).
    var sessionSecret: String?
    var language: Language
    /// The token that every state-changing form must send back as `_csrf`: the session's when signed
    /// in, else the anonymous `avrop_csrf` cookie's (double submit).
    var csrfToken: String
    /// The page's path, for the language switch to come back to.
    var path: String = "/"

    @TaskLocal static var current = WebRequest(session: nil, sessionSecret: nil, language: .sv, csrfToken: "")

    /// The signed-in session; without one, `SignInRequired`, which `PageErrorMiddleware` answers with the
    /// way to the login page.
    static func signedIn() throws(SignInRequired) -> SessionAuthentication.Session {
        guard let session = current.session else { throw SignInRequired() }
        return session
    }
}

/// A page that needs a signed-in person was asked for without a session.
struct SignInRequired: Error {}

/// Cookie names and attributes in one place.
enum WebCookies {
    static let session = "avrop_session"
    static let csrf = "avrop_csrf"
    static let language = "avrop_lang"

    /// HttpOnly always; SameSite=Lax so that a link from elsewhere still arrives signed in while forms
    /// from elsewhere do not; Secure when the request came over TLS (directly or through a proxy that says so).
    static func make(_ name: String, _ value: String, secure: Bool, maxAge: Int? = nil) -> Cookie {
        Cookie(name: name, value: value, maxAge: maxAge, path: "/", secure: secure, httpOnly: true, sameSite: .lax)
    }

    private static let forwardedProto = HTTPField.Name("X-Forwarded-Proto")

    static func isSecure(_ request: Request) -> Bool {
        request.uri.scheme == .https || forwardedProto.flatMap { request.headers[$0] } == "https"
    }
}

/// Resolves the session cookie and the language of every page request, and gives a browser without a
/// session its anonymous CSRF cookie. API, probe and static paths skip it (they never use a session).
public struct WebSessionMiddleware<Context: RequestContext>: RouterMiddleware {
    let sessions: SessionAuthentication

    public init(sessions: SessionAuthentication) {
        self.sessions = sessions
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        if path.hasPrefix("/api/") || path.hasPrefix("/static/") || ["/healthz", "/readyz", "/metrics"].contains(path) {
            return try await next(request, context)
        }
        let cookies = request.cookies
        let secret = cookies[WebCookies.session]?.value
        let session = if let secret { try await sessions.authenticate(secret) } else { SessionAuthentication.Session?.none }
        let language = Language.preferred(cookie: cookies[WebCookies.language]?.value, acceptLanguage: request.headers[.acceptLanguage])
        let anonymous = cookies[WebCookies.csrf]?.value.nonEmpty
        let newAnonymous = session == nil && anonymous == nil ? TokenAuthentication.newSecret(prefix: "") : nil
        let web = WebRequest(
            session: session, sessionSecret: session == nil ? nil : secret, language: language,
            csrfToken: session?.csrfToken ?? anonymous ?? newAnonymous ?? "", path: path
        )
        // Until a required second factor is set up, only the account page and leaving are open.
        if session?.mustEnrolSecondFactor == true, !(path.hasPrefix("/account") || path == "/logout" || path == "/language") {
            return Response(status: .seeOther, headers: [.location: "/account"])
        }
        var response = try await WebRequest.$current.withValue(web) { try await next(request, context) }
        if let newAnonymous {
            response.setCookie(WebCookies.make(WebCookies.csrf, newAnonymous, secure: WebCookies.isSecure(request)))
        }
        if secret != nil, session == nil, response.headers[.setCookie] == nil {
            // A cookie of an ended or expired session: forget it.
            response.setCookie(WebCookies.make(WebCookies.session, "", secure: WebCookies.isSecure(request), maxAge: 0))
        }
        return response
    }
}

extension String {
    var nonEmpty: String? { isEmpty ? nil : self }
}

extension RequestContext {
    /// The UUID in path parameter `name`; anything else is a page that does not exist (404).
    func pathID(_ name: String = "id") throws -> UUID {
        guard let id = parameters.get(name).flatMap(UUID.init(uuidString:)) else { throw HTTPError(.notFound) }
        return id
    }
}
