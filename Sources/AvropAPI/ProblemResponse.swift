public import Hummingbird
import Foundation
import NIOCore

/// `application/problem+json` (RFC 9457) answers made outside the generated handlers: by middleware (busy
/// database, router refusals, idempotency), in the same words as a thrown `APIProblem`. The `type` is `https://avrop.se/problems/<name>`, stable per kind
/// of error; nothing of the request, SQL or stack goes in.
public enum ProblemResponse {
    public static func make(
        status: HTTPResponse.Status, type name: String, title: String, detail: String? = nil, headers: HTTPFields = [:]
    ) -> Response {
        var fields = headers
        fields[.contentType] = "application/problem+json; charset=utf-8"
        let problem = APIProblem(status: status, name: name, title: title, detail: detail)
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: problem.body)))
    }
}
