public import Hummingbird
import AvropHTTP
import FrameworkAgreements
import Identity
import Logging

/// Turns errors of page requests into readable pages in the person's language: 404 for what does not
/// exist or may not be seen, 403 for a form without its CSRF token, 413, 415, 400, and 500 for the rest
/// (logged with its type, never its message, which could hold tender text). API paths are left alone.
public struct PageErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    let renderer = PageRenderer.embedded

    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard !request.uri.path.hasPrefix("/api/") else { return try await next(request, context) }
        do {
            return try await next(request, context)
        } catch is SignInRequired {
            return WebPages.redirect("/login")
        } catch IdentityError.notFound, AgreementError.notFound {
            // What a service will not show the caller is a page that does not exist, as for the API (DESIGN §4).
            return renderer.problem(.notFound, message: "error_not_found")
        } catch let error as HTTPError {
            switch error.status {
            case .notFound: return renderer.problem(.notFound, message: "error_not_found")
            case .forbidden: return renderer.problem(.forbidden, message: "error_csrf")
            case .contentTooLarge: return renderer.problem(.contentTooLarge, message: "error_too_large")
            case .unsupportedMediaType: return renderer.problem(.unsupportedMediaType, message: "error_media_type")
            case .methodNotAllowed: return renderer.problem(.methodNotAllowed, message: "error_method", headers: error.headers)
            case let status where status.code < 500: return renderer.problem(status, message: "error_bad_request")
            default: throw error
            }
        } catch where isDatabaseBusy(error) {
            // Answered with 503 and Retry-After by the middleware outside.
            throw error
        } catch {
            context.logger.error("page failed", metadata: ["error.type": "\(type(of: error))"])
            return renderer.problem(.internalServerError, message: "error_internal")
        }
    }

}
