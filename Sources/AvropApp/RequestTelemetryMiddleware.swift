import AvropAPI
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Metrics

/// For every request: a request id (the caller's `X-Request-ID` when it is sane, else a new one, echoed in
/// the response), a counter and a latency histogram by route, method and status, and one structured log
/// line. Probes and scrapes log at debug level so that they do not drown the requests people make.
struct RequestTelemetryMiddleware<Context: RequestContext>: RouterMiddleware {
    let telemetry: AppTelemetry
    static var quietRoutes: Set<String> { ["/healthz", "/readyz", "/metrics"] }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        let requestID = Self.requestID(from: request.headers[.xRequestID])
        var context = context
        context.logger[metadataKey: "request_id"] = .string(requestID)
        do {
            var response = try await next(request, context)
            response.headers[.xRequestID] = requestID
            record(request, context, response.status, since: started)
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status ?? .internalServerError
            record(request, context, status, since: started)
            // The error's own response is built later by Hummingbird; carry the id on it too.
            throw RequestFailure(underlying: error, requestID: requestID)
        }
    }

    /// The caller's id when it is short printable ASCII without spaces, else a new UUID.
    static func requestID(from header: String?) -> String {
        if let header, !header.isEmpty, header.utf8.count <= 128,
           header.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7f }) {
            return header
        }
        return UUID().uuidString.lowercased()
    }

    private func record(_ request: Request, _ context: Context, _ status: HTTPResponse.Status, since started: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - started
        // The route pattern, never the raw path: ids in paths would make one series per resource. Hummingbird
        // names unmatched requests "NotFound".
        let route = context.endpointPath ?? "NotFound"
        let dimensions = [("route", route), ("method", request.method.rawValue), ("status", String(status.code))]
        Counter(label: "avrop_http_requests_total", dimensions: dimensions, factory: telemetry.factory).increment()
        Timer(label: "avrop_http_request_duration_seconds", dimensions: [("route", route), ("method", request.method.rawValue)], factory: telemetry.factory)
            .recordNanoseconds(elapsed.nanoseconds)
        context.logger.log(
            level: Self.quietRoutes.contains(route) ? .debug : .info,
            "request",
            metadata: [
                "method": .string(request.method.rawValue),
                "route": .string(route),
                // The path without its query: a query string may carry what must not be logged.
                "path": .string(request.uri.path),
                "status": .stringConvertible(status.code),
                "duration_ms": .string(String(format: "%.2f", Double(elapsed.nanoseconds) / 1_000_000)),
            ]
        )
    }
}

/// An error that passed the telemetry middleware: answers like the error it wraps, plus the request id.
struct RequestFailure: HTTPResponseError {
    let underlying: any Error
    let requestID: String

    var status: HTTPResponse.Status { (underlying as? any HTTPResponseError)?.status ?? .internalServerError }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var response: Response
        if let responder = underlying as? any HTTPResponseError {
            response = try responder.response(from: request, context: context)
        } else {
            // Never the error's text: it may hold SQL or data. The log has the detail.
            response = ProblemResponse.make(status: .internalServerError, type: "internal-error", title: "Internal server error")
        }
        response.headers[.xRequestID] = requestID
        return response
    }
}

extension HTTPField.Name {
    static var xRequestID: Self { Self("X-Request-ID")! }
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
