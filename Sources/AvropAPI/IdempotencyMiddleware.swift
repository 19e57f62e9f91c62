import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import Identity
import NIOCore
import Postgres

/// `Idempotency-Key` on authenticated POSTs: the first request with a key runs and its answer is kept for
/// 24 hours; a repeat with the same key and the same request gets that answer again (with
/// `Idempotent-Replayed: true`), one with another request gets 422, and one while the first still runs
/// gets 409. Server errors are not kept, so the client may retry them with the same key. Keys belong to
/// the user (row-level security), so two people's keys never meet.
struct IdempotencyMiddleware: RouterMiddleware {
    typealias Context = AvropRequestContext
    let pool: ConnectionPool
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

        let existing = try await pool.withTransaction(settings: actor.transactionSettings) { connection -> Row? in
            // A key older than a day is free again.
            try await connection.execute("""
                DELETE FROM avrop.idempotency_key WHERE user_id = \(actor.userID) AND key = \(key) AND created_at < now() - interval '24 hours'
                """)
            let inserted = try await connection.execute("""
                INSERT INTO avrop.idempotency_key (user_id, key, request_hash) VALUES (\(actor.userID), \(key), \(digest))
                ON CONFLICT DO NOTHING
                """)
            if inserted == 1 { return nil }
            return try await connection.query("""
                SELECT request_hash, status, content_type, body FROM avrop.idempotency_key WHERE user_id = \(actor.userID) AND key = \(key)
                """).first
        }
        if let existing {
            guard try existing.decode("request_hash", as: Data.self) == digest else {
                return ProblemResponse.make(status: .unprocessableContent, type: "idempotency-key-reused", title: "This Idempotency-Key was used for another request")
            }
            guard let status = try existing.decode("status", as: Int?.self) else {
                return ProblemResponse.make(status: .conflict, type: "request-in-progress", title: "A request with this Idempotency-Key is still running")
            }
            var headers: HTTPFields = [:]
            if let type = try existing.decode("content_type", as: String?.self) { headers[.contentType] = type }
            if let replayed = Self.replayed { headers[replayed] = "true" }
            let stored = try existing.decode("body", as: Data?.self) ?? Data()
            return Response(status: .init(code: status), headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: stored)))
        }

        let response: Response
        do {
            response = try await next(request, context)
        } catch {
            try? await forget(key, actor)
            throw error
        }
        guard response.status.code < 500 else {
            try? await forget(key, actor)
            return response
        }
        // Keep the answer, then send the same bytes.
        let collector = CollectingWriter()
        let copy = response
        try await copy.body.write(collector.writer())
        let bytes = collector.buffer.bytes
        try await pool.withTransaction(settings: actor.transactionSettings) { connection in
            try await connection.execute("""
                UPDATE avrop.idempotency_key SET status = \(response.status.code), content_type = \(response.headers[.contentType]), body = \(Data(bytes))
                WHERE user_id = \(actor.userID) AND key = \(key)
                """)
        }
        var answer = response
        answer.body = .init(byteBuffer: ByteBuffer(bytes: bytes))
        return answer
    }

    private func forget(_ key: String, _ actor: Actor) async throws {
        try await pool.withTransaction(settings: actor.transactionSettings) { connection in
            try await connection.execute("DELETE FROM avrop.idempotency_key WHERE user_id = \(actor.userID) AND key = \(key)")
        }
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
