import AvropAPI
import Hummingbird
import NIOCore
import OpenAPIRuntime
import Postgres

/// Turns "the database is too busy" into 503 with `Retry-After`, so clients and load balancers back off
/// instead of treating it as a failure of the request.
struct DatabaseBusyMiddleware<Context: RequestContext>: RouterMiddleware {
    /// The API's operations, to tell "no such path" (404) from "not with this method" (405).
    let apiRoutes: APIRouteTable

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error where rootCause(of: error) is PoolTimeoutError {
            context.logger.warning("no database connection became free in time")
            return ProblemResponse.make(
                status: .serviceUnavailable, type: "database-busy", title: "The service is busy; try again shortly",
                headers: [.retryAfter: "1"]
            )
        } catch let error as HTTPError where request.uri.path.hasPrefix("/api/") {
            // The router's own refusals (no such route, wrong method, body too large) in the API's format.
            let allowed = error.status == .notFound ? apiRoutes.methods(for: request.uri.path) : []
            if !allowed.isEmpty {
                return ProblemResponse.make(
                    status: .methodNotAllowed, type: "method-not-allowed", title: "This method is not allowed here",
                    headers: [.allow: allowed.map(\.rawValue).sorted().joined(separator: ", ")]
                )
            }
            let (type, title): (String, String) = switch error.status {
            case .notFound: ("not-found", "Not found")
            case .methodNotAllowed: ("method-not-allowed", "This method is not allowed here")
            case .contentTooLarge: ("payload-too-large", "The request body is too large")
            case .unsupportedMediaType: ("unsupported-media-type", "The request body has an unsupported media type")
            case .badRequest: ("bad-request", "The request is not valid")
            default: ("http-\(error.status.code)", error.status.reasonPhrase)
            }
            return ProblemResponse.make(status: error.status, type: type, title: title, headers: error.headers)
        } catch let error as ServerError where error.operationInput == nil {
            // The generated API could not read the request (bad JSON, a missing or malformed parameter): the
            // failure came before there was an input for the handler.
            return ProblemResponse.make(status: .badRequest, type: "bad-request", title: "The request is not valid")
        }
    }

    /// The error behind the OpenAPI runtime's wrapper, if any.
    private func rootCause(of error: any Error) -> any Error {
        (error as? ServerError)?.underlyingError ?? error
    }
}
