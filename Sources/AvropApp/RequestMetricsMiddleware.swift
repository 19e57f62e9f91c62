import Hummingbird
import Metrics

/// Counts requests by route, method and status (`avrop_http_requests_total`) in the application's own
/// metrics factory, not the process-global one, so every application instance (and test) has its own.
struct RequestMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let factory: any MetricsFactory

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            let response = try await next(request, context)
            count(request, context, response.status)
            return response
        } catch {
            count(request, context, (error as? any HTTPResponseError)?.status ?? .internalServerError)
            throw error
        }
    }

    private func count(_ request: Request, _ context: Context, _ status: HTTPResponse.Status) {
        // The route pattern, never the raw path: ids in paths would make one series per resource. Hummingbird
        // names unmatched requests "NotFound".
        let route = context.endpointPath ?? "NotFound"
        Counter(
            label: "avrop_http_requests_total",
            dimensions: [("route", route), ("method", request.method.rawValue), ("status", String(status.code))],
            factory: factory
        ).increment()
    }
}
