public import Hummingbird
import HTTPTypes

/// The headers every response carries (issue 3): a Content-Security-Policy that allows only this origin's
/// style sheet and forms (no inline script or style, no framing), no MIME sniffing, and no referrer to
/// other sites (paths can name a call-off).
public struct SecurityHeadersMiddleware<Context: RequestContext>: RouterMiddleware {
    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        response.headers[.contentSecurityPolicy] = SecurityHeaders.contentSecurityPolicy
        response.headers[.xContentTypeOptions] = "nosniff"
        if let name = SecurityHeaders.referrerPolicy { response.headers[name] = "same-origin" }
        return response
    }
}

enum SecurityHeaders {
    static let contentSecurityPolicy =
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    // Not among HTTPTypes' predefined names.
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")
}
