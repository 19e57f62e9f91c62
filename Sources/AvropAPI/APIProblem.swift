import Foundation
import HTTPTypes
import OpenAPIRuntime

/// A refusal a handler throws instead of returning it, for checks that every operation makes alike (an
/// update's `If-Match`): `ThrownProblemMiddleware` answers it as `application/problem+json`, with the same
/// `type`, title and detail as the problems the handlers return. openapi.yaml documents its status on each
/// operation that can throw it.
struct APIProblem: Error, Sendable {
    let status: HTTPResponse.Status
    let name: String
    let title: String
    var detail: String?

    /// 428: an update without `If-Match`.
    static let preconditionRequired = APIProblem(
        status: .preconditionRequired, name: "precondition-required", title: "Send If-Match with the ETag you read"
    )
    /// 412: an `If-Match` that is not the resource's current version.
    static let preconditionFailed = APIProblem(
        status: .preconditionFailed, name: "precondition-failed", title: "The resource has changed since you read it"
    )

    var body: Data {
        var object: [String: Any] = ["type": Problems.type(name), "title": title, "status": status.code]
        if let detail { object["detail"] = detail }
        return (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
    }
}

/// Answers an `APIProblem` thrown by a handler; passes every other error on (a busy database becomes 503
/// further out).
struct ThrownProblemMiddleware: ServerMiddleware {
    func intercept(
        _ request: HTTPRequest, body: HTTPBody?, metadata: ServerRequestMetadata, operationID: String,
        next: @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        do {
            return try await next(request, body, metadata)
        } catch let error as ServerError {
            guard let problem = error.underlyingError as? APIProblem else { throw error }
            var fields = HTTPFields()
            fields[.contentType] = "application/problem+json; charset=utf-8"
            return (HTTPResponse(status: problem.status, headerFields: fields), HTTPBody(problem.body))
        }
    }
}

/// A page's size, as every list takes it: `limit` from 1 to 200 (openapi.yaml's bounds), 50 when not given.
enum PageLimit {
    static func read(_ value: Int?, default fallback: Int = 50, maximum: Int = 200) throws(APIProblem) -> Int {
        guard let value else { return fallback }
        guard (1...maximum).contains(value) else {
            throw APIProblem(status: .badRequest, name: "bad-request", title: "The request is not valid", detail: "limit: from 1 to \(maximum)")
        }
        return value
    }
}

/// Versions as ETags: every update names the version it read in `If-Match`, every answer carries the new one.
enum IfMatch {
    /// A strong ETag from a version: `"7"`.
    static func etag(_ version: Int) -> String { "\"\(version)\"" }

    /// The version `header` names: `APIProblem.preconditionRequired` without one, `.preconditionFailed` for
    /// one we never gave (then nothing can match).
    static func version(_ header: String?) throws(APIProblem) -> Int {
        guard let header else { throw .preconditionRequired }
        let value = header.trimmingCharacters(in: .whitespaces)
        guard value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 3, let version = Int(value.dropFirst().dropLast()) else {
            throw .preconditionFailed
        }
        return version
    }
}
