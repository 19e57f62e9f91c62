public import HTTPTypes
public import Hummingbird
import OpenAPIHummingbird
public import OpenAPIRuntime
import Synchronization

/// The API's operations by path template and method, recorded as the generated code registers them, so
/// that a known path with another method can be answered 405 with `Allow` (the router alone says 404).
public final class APIRouteTable: Sendable {
    private let routes = Mutex<[(method: HTTPRequest.Method, segments: [Substring])]>([])

    public init() {}

    func add(_ method: HTTPRequest.Method, _ path: String) {
        routes.withLock { $0.append((method, path.split(separator: "/"))) }
    }

    /// Every operation the router serves, as `(method, "/api/v1/…/{id}")`, in the order registered: what
    /// the isolation matrix walks, so that a new route cannot stay out of it.
    public var operations: [(method: HTTPRequest.Method, path: String)] {
        routes.withLock { $0.map { ($0.method, "/" + $0.segments.joined(separator: "/")) } }
    }

    /// The methods of the operations whose template matches `path`; empty for a path the API lacks.
    public func methods(for path: String) -> [HTTPRequest.Method] {
        let segments = path.split(separator: "/")
        return routes.withLock { routes in
            routes.filter { route in
                route.segments.count == segments.count
                    && zip(route.segments, segments).allSatisfy { template, segment in
                        (template.hasPrefix("{") && template.hasSuffix("}")) || template == segment
                    }
            }.map(\.method)
        }
    }
}

/// Registers the generated operations on the router and records them in a route table. An operation in
/// `handwritten` (by method and path, e.g. `GET /api/v1/catalogue`) is served by its own responder
/// instead of the generated one.
struct RecordingTransport<Context: RequestContext>: ServerTransport {
    let router: Router<Context>
    let table: APIRouteTable
    var handwritten: [String: @Sendable (Request, Context) async throws -> Response] = [:]

    func register(
        _ handler: @escaping @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?),
        method: HTTPRequest.Method,
        path: String
    ) throws {
        table.add(method, path)
        if let responder = handwritten["\(method.rawValue) \(path)"] {
            router.on(RouterPath(path), method: method, use: responder)
        } else {
            router.register(handler, method: method, path: path)
        }
    }
}
