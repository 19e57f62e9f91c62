import AvropAPI
import Foundation
import Hummingbird
import NIOCore
import OpenAPIRuntime
import AvropHTTP

/// Turns "the database is too busy" into 503 with `Retry-After`, so clients and load balancers back off
/// instead of treating it as a failure of the request.
struct DatabaseBusyMiddleware<Context: RequestContext>: RouterMiddleware {
    /// The API's operations, to tell "no such path" (404) from "not with this method" (405).
    let apiRoutes: APIRouteTable

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error where isDatabaseBusy((error as? ServerError)?.underlyingError ?? error) {
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
            return ProblemResponse.make(status: .badRequest, type: "bad-request", title: "The request is not valid", detail: Self.detail(error))
        }
    }

    /// What was wrong with the request, naming the field or parameter: the decoder's path and complaint
    /// for a body or parameter that did not decode, the runtime's own words (which name the parameter or
    /// header) for one that is missing.
    static func detail(_ error: ServerError) -> String {
        guard let decoding = error.underlyingError as? DecodingError else {
            // A value our own reader refused (a date-time): its words name the value it could not read.
            if let refusal = error.underlyingError as? any CustomStringConvertible & Error, !(refusal is ServerError) {
                return refusal.description
            }
            return error.causeDescription
        }
        func path(_ keys: [any CodingKey]) -> String {
            let names = keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.filter { !$0.isEmpty && $0 != "value1" && $0 != "value2" }
            return names.isEmpty ? "the body" : names.joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
        }
        switch decoding {
        case .keyNotFound(let key, let context):
            return "\(path(context.codingPath + [key])): required, and missing"
        case .typeMismatch(let type, let context):
            return "\(path(context.codingPath)): expected \(Self.name(of: type))"
        case .valueNotFound(let type, let context):
            return "\(path(context.codingPath)): expected \(Self.name(of: type)), found null"
        case .dataCorrupted(let context):
            return "\(path(context.codingPath)): \(context.underlyingError.map { "\($0)" } ?? context.debugDescription)"
        @unknown default:
            return error.causeDescription
        }
    }

    /// A JSON reader's word for a Swift type.
    private static func name(of type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type, is Int64.Type, is Int32.Type: "an integer"
        case is Double.Type: "a number"
        case is Bool.Type: "true or false"
        case is Date.Type: "an RFC 3339 date-time"
        default: "a value of another shape"
        }
    }
}
