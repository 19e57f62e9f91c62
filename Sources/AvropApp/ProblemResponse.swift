import Hummingbird
import NIOCore
import OpenAPIRuntime
import Postgres

/// `application/problem+json` (RFC 9457) responses. Issue 3 turns this into the API's full error catalogue.
enum ProblemResponse {
    static func make(status: HTTPResponse.Status, type: String, title: String, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = "application/problem+json; charset=utf-8"
        let body = #"{"type":"https://avrop.se/problems/\#(type)","title":"\#(title)","status":\#(status.code)}"#
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}

/// Turns "the database is too busy" into 503 with `Retry-After`, so clients and load balancers back off
/// instead of treating it as a failure of the request.
struct DatabaseBusyMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error where rootCause(of: error) is PoolTimeoutError {
            context.logger.warning("no database connection became free in time")
            return ProblemResponse.make(
                status: .serviceUnavailable, type: "database-busy", title: "The service is busy; try again shortly",
                headers: [.retryAfter: "1"]
            )
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
