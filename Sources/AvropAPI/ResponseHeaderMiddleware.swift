import Foundation
import Hummingbird
import HTTPTypes

/// Gives back the headers that OpenAPIRuntime percent-encodes. The generated code writes every header
/// value in URI "simple" style (`"7"` becomes `%227%22`), which is right for URI-like values and wrong
/// for `ETag` (a quoted string) and `Content-Disposition` (whose `filename*` is percent-encoded already).
/// The runtime encodes exactly once, so decoding once restores what the handler set.
struct ResponseHeaderMiddleware: RouterMiddleware {
    typealias Context = AvropRequestContext

    static let restored: [HTTPField.Name] = [.eTag, .contentDisposition]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        for name in Self.restored {
            if let value = response.headers[name], let decoded = value.removingPercentEncoding {
                response.headers[name] = decoded
            }
        }
        return response
    }
}
