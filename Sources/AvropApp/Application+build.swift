public import Hummingbird
public import Logging
public import AvropAPI
public import AvropCore
import AvropHTTP
import NIOCore
import Web

/// Builds the HTTP application: the composition root that `avrop serve` and the tests share.
///
/// - Parameters:
///   - configuration: where to listen.
///   - database: the runtime pool and the expected schema.
///   - apiRoutes: where the API's operations are recorded as they register (tests read it).
///   - onServerRunning: called with the URL once the server listens (the port is known then, also for 0).
public func buildApplication(
    configuration: AppConfiguration,
    database: AppDatabase,
    telemetry: AppTelemetry = AppTelemetry(),
    apiRoutes: APIRouteTable = APIRouteTable(),
    logger: Logger,
    onServerRunning: @escaping @Sendable (String) async -> Void = { _ in }
) -> some ApplicationProtocol {
    let router = buildRouter(configuration: configuration, database: database, telemetry: telemetry, apiRoutes: apiRoutes)
    let host = configuration.host
    return Application(
        router: router,
        configuration: .init(address: .hostname(host, port: configuration.port), serverName: "avrop"),
        onServerRunning: { channel in
            let port = channel.localAddress?.port ?? configuration.port
            await onServerRunning("http://\(host.contains(":") ? "[\(host)]" : host):\(port)/")
        },
        logger: logger
    )
}

/// The router alone, for tests that drive it without a socket; `configuration` gives its limits.
public func buildRouter(
    configuration: AppConfiguration = AppConfiguration(), database: AppDatabase, telemetry: AppTelemetry,
    environment: ServiceEnvironment = .system, apiRoutes: APIRouteTable = APIRouteTable()
) -> Router<AvropRequestContext> {
    let maximumDocumentBytes = configuration.maximumDocumentBytes
    let router = Router(context: AvropRequestContext.self)
    router.add(middleware: RequestTelemetryMiddleware(telemetry: telemetry))
    router.add(middleware: SecurityHeadersMiddleware())
    router.add(middleware: DatabaseBusyMiddleware(apiRoutes: apiRoutes))
    router.add(middleware: APIBodyLimitMiddleware(documentBytes: maximumDocumentBytes, apiRoutes: apiRoutes))
    // Every service, once: the API and the pages call these same ones.
    let services = Services(pool: database.pool, maximumDocumentBytes: maximumDocumentBytes, environment: environment)
    router.add(middleware: WebSessionMiddleware(sessions: services.sessions))
    router.add(middleware: PageErrorMiddleware())
    // The process runs: no dependency is consulted, so an orchestrator restarts only a wedged process.
    router.get("/healthz") { _, _ in "ok\n" }
    // The database answers and has the schema this program expects: safe to send traffic here.
    router.get("/readyz") { _, _ -> Response in
        let ready = try await database.isReady()
        return Response(
            status: ready ? .ok : .serviceUnavailable,
            headers: [.contentType: "text/plain; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: ready ? "ready\n" : "not ready: database unreachable or schema not current\n"))
        )
    }
    router.get("/metrics") { _, _ -> Response in
        telemetry.recordPool(database.pool.statistics)
        var text: [UInt8] = []
        telemetry.registry.emit(into: &text)
        return Response(
            status: .ok,
            headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: text))
        )
    }
    // The API's problems: a route that cannot register is a programming error found by every test run.
    do {
        try AvropAPI.register(on: router, services: services, routes: apiRoutes)
    } catch {
        preconditionFailure("the API's routes did not register: \(error)")
    }
    WebPages(services: services).register(on: router)
    return router
}
