import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import Identity
import NIOCore

/// `Idempotency-Key` on authenticated POSTs: the first request with a key runs and its answer is kept for
/// 24 hours; a repeat with the same key and the same request gets that answer again (with
/// `Idempotent-Replayed: true`), one with another request gets 422, and one while the first still runs
/// gets 409. Server errors are not kept, so the client may retry them with the same key. Keys belong to
/// the user (row-level security), so two people's keys never meet.
struct IdempotencyMiddleware: RouterMiddleware {
    typealias Context = AvropRequestContext
    let store: IdempotencyStore
    /// The largest body any operation accepts (a document upload); the body limit has refused larger ones.
    let maximumBodyBytes: Int

    static let header = HTTPField.Name("Idempotency-Key")
    static let replayed = HTTPField.Name("Idempotent-Replayed")
    /// Responses that carry a secret shown once are never stored (and so never replayed).
    static let uncachedPaths: Set<String> = ["/api/v1/tokens", "/api/v1/webhooks"]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.method == .post, let name = Self.header, let key = request.headers[name],
              let actor = APIRequest.actor, !Self.uncachedPaths.contains(request.uri.path)
        else {
            return try await next(request, context)
        }
        guard (1...255).contains(key.count) else {
            return ProblemResponse.make(status: .badRequest, type: "bad-request", title: "The request is not valid", detail: "Idempotency-Key must have 1 to 255 characters")
        }
        // The body limit has bounded the body already (1 MiB of JSON, or a document's limit).
        var request = request
        let body = try await request.body.collect(upTo: maximumBodyBytes)
        request.body = RequestBody(buffer: body)
        var hasher = SHA256()
        hasher.update(data: Data("\(request.method.rawValue) \(request.uri.path)?\(request.uri.query ?? "")\n".utf8))
        hasher.update(data: Data(buffer: body))
        let digest = Data(hasher.finalize())

        switch try await store.claim(key, digest: digest, for: actor) {
        case .claimed:
            break
        case .reusedForAnotherRequest:
            return ProblemResponse.make(status: .unprocessableContent, type: "idempotency-key-reused", title: "This Idempotency-Key was used for another request")
        case .inProgress:
            return ProblemResponse.make(status: .conflict, type: "request-in-progress", title: "A request with this Idempotency-Key is still running")
        case .answered(let status, let contentType, let stored):
            var headers: HTTPFields = [:]
            if let contentType { headers[.contentType] = contentType }
            if let replayed = Self.replayed { headers[replayed] = "true" }
            return Response(status: .init(code: status), headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: stored)))
        }

        let response: Response
        do {
            response = try await next(request, context)
        } catch {
            try? await store.release(key, for: actor)
            throw error
        }
        guard response.status.code < 500 else {
            try? await store.release(key, for: actor)
            return response
        }
        // Keep the answer, then send the same bytes.
        let collector = CollectingWriter()
        let copy = response
        try await copy.body.write(collector.writer())
        let bytes = collector.buffer.bytes
        try await store.keep(key, status: response.status.code, contentType: response.headers[.contentType], body: Data(bytes), for: actor)
        var answer = response
        answer.body = .init(byteBuffer: ByteBuffer(bytes: bytes))
        return answer
    }
}

/// Gathers a response body into memory (API answers are small JSON documents).
struct CollectingWriter {
    final class Box: @unchecked Sendable {
        var bytes: [UInt8] = []
    }

    let buffer = Box()

    func writer() -> some ResponseBodyWriter {
        Writer(box: buffer)
    }

    struct Writer: ResponseBodyWriter {
        let box: Box

        mutating func write(_ buffer: ByteBuffer) async throws {
            box.bytes += buffer.readableBytesView
        }

        consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
    }
}
