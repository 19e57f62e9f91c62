import AvropAPI
import Hummingbird
import NIOCore

/// The API's request bodies: JSON only (415 otherwise) and at most `maximumBytes` (413 beyond), checked
/// before any handler decodes them, so a client cannot make the service buffer an unbounded body.
/// Document uploads are bytes of any kind up to `documentBytes`; their handler bounds what it reads.
struct APIBodyLimitMiddleware<Context: RequestContext>: RouterMiddleware {
    /// 1 MiB (issue 3).
    static var maximumBytes: Int { 1 << 20 }
    let documentBytes: Int
    /// The API's operations: a method the path lacks is 405 (further out), whatever its body's type.
    let apiRoutes: APIRouteTable

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.uri.path.hasPrefix("/api/"), [.post, .put, .patch].contains(request.method) else {
            return try await next(request, context)
        }
        if Self.isDocumentUpload(request) {
            if let length = request.headers[.contentLength].flatMap(Int.init), length > documentBytes {
                throw HTTPError(.contentTooLarge)
            }
            return try await next(request, context)
        }
        if let length = request.headers[.contentLength].flatMap(Int.init), length > Self.maximumBytes {
            throw HTTPError(.contentTooLarge)
        }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: Self.maximumBytes)
        } catch is NIOTooManyBytesError {
            throw HTTPError(.contentTooLarge)
        }
        if buffer.readableBytes > 0, apiRoutes.methods(for: request.uri.path).contains(request.method) {
            let type = request.headers[.contentType]?.lowercased() ?? ""
            guard type.hasPrefix("application/json") || type.hasPrefix("application/merge-patch+json") else {
                throw HTTPError(.unsupportedMediaType)
            }
        }
        var limited = request
        limited.body = RequestBody(buffer: buffer)
        return try await next(limited, context)
    }

    /// `POST /api/v1/solutions/{id}/documents`.
    static func isDocumentUpload(_ request: Request) -> Bool {
        let segments = request.uri.path.split(separator: "/")
        return request.method == .post && segments.count == 5 && segments[0] == "api" && segments[1] == "v1" && segments[2] == "solutions"
            && segments[4] == "documents"
    }
}
