public import Hummingbird
import OpenAPIHummingbird
import Foundation
public import AvropHTTP

/// The JSON API under `/api/v1`, described by `openapi.yaml`, which is also served there.
public enum AvropAPI {
    /// The OpenAPI document the API was generated from.
    public static var document: String {
        String(decoding: PackageResources.openapi_yaml, as: UTF8.self)
    }

    /// Adds the API's routes, its authentication and the document to `router`.
    /// The operations are recorded in `routes` (for 405 answers). `documents` carries the upload limit.
    public static func register(on router: Router<AvropRequestContext>, services: Services, routes: APIRouteTable) throws {
        router.add(middleware: APIAuthenticationMiddleware(tokens: services.tokens, sessions: services.sessions))
        router.add(middleware: IdempotencyMiddleware(store: services.idempotency, maximumBodyBytes: services.documents.maximumBytes))
        router.add(middleware: ResponseHeaderMiddleware())
        router.get("/api/v1/openapi.yaml") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "application/yaml; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: document))
            )
        }
        guard let serverURL = URL(string: "/api/v1") else { return }
        let handlers = APIHandlers(services: services)
        let catalogueRoute = CatalogueSearchRoute(handlers: handlers)
        let transport = RecordingTransport(router: router, table: routes, handwritten: [
            "GET /api/v1/catalogue": { request, _ in try await catalogueRoute.respond(to: request) },
        ])
        // Compact JSON, keys in declaration order: the runtime's default sorts keys and pretty-prints,
        // work and bytes that no client reads.
        try handlers.registerHandlers(
            on: transport, serverURL: serverURL,
            configuration: .init(dateTranscoder: RFC3339DateTranscoder(), jsonEncodingOptions: [.withoutEscapingSlashes]),
            middlewares: [ThrownProblemMiddleware()]
        )
    }
}
