import AvropApp
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Postgres
import PostgresTesting
import Prometheus
import Testing

@Suite("Health, readiness, metrics and the start page over the real router")
struct HTTPTests {
    private func withApp(
        _ configuration: PostgresConfiguration,
        framework: TestingSetup = .router,
        pool makePool: (PostgresConfiguration) -> ConnectionPool = { ConnectionPool(configuration: $0, maximumConnections: 2) },
        _ body: @Sendable (any TestClientProtocol, ConnectionPool) async throws -> Void
    ) async throws {
        let pool = makePool(configuration.with("user", "avrop_app"))
        let app = buildApplication(
            configuration: AppConfiguration(port: 0),
            database: AppDatabase(pool: pool, migrator: try AvropSchema.migrator()),
            logger: Logger(label: "test")
        )
        do {
            try await app.test(framework) { client in try await body(client, pool) }
            await pool.close()
        } catch {
            await pool.close()
            throw error
        }
    }

    @Test func healthzAndReadyzAnswerWhenTheDatabaseIsCurrent() async throws {
        try await TestCluster.withDatabase(template: "avrop", migrations: try AvropSchema.migrations()) { configuration in
            try await withApp(configuration) { client, _ in
                try await client.execute(uri: "/healthz", method: .get) { response in
                    #expect(response.status == .ok)
                }
                try await client.execute(uri: "/readyz", method: .get) { response in
                    #expect(response.status == .ok)
                    #expect(String(buffer: response.body) == "ready\n")
                }
            }
        }
    }

    @Test func readyzIs503WhileTheSchemaIsOutdated() async throws {
        try await TestCluster.withDatabase { configuration in
            // A database without Avrop's migrations; connect as the superuser, since avrop_app may not exist.
            let pool = ConnectionPool(configuration: configuration, maximumConnections: 1)
            let app = buildApplication(
                configuration: AppConfiguration(port: 0),
                database: AppDatabase(pool: pool, migrator: try AvropSchema.migrator()),
                logger: Logger(label: "test")
            )
            try await app.test(.router) { client in
                try await client.execute(uri: "/readyz", method: .get) { response in
                    #expect(response.status == .serviceUnavailable)
                }
                try await client.execute(uri: "/healthz", method: .get) { response in
                    #expect(response.status == .ok)
                }
            }
            await pool.close()
        }
    }

    @Test func readyzIs503WithTheDatabaseStoppedAnd200AgainAfterARestart() async throws {
        // A cluster of its own, since this test stops it.
        let directory = "/tmp/avrop-rz-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let cluster = try LocalCluster(directory: directory, settings: [("fsync", "off")])
        try await cluster.start()
        let admin = try await Connection.connect(cluster.configuration())
        try await admin.simpleQuery("CREATE DATABASE avrop")
        await admin.close()
        let owner = try await Connection.connect(cluster.configuration(database: "avrop"))
        try await AvropSchema.migrator().migrate(owner)
        await owner.close()

        do {
            try await withApp(cluster.configuration(database: "avrop")) { client, _ in
                try await client.execute(uri: "/readyz", method: .get) { #expect($0.status == .ok) }
                try await cluster.stop()
                try await client.execute(uri: "/readyz", method: .get) { #expect($0.status == .serviceUnavailable) }
                try await client.execute(uri: "/healthz", method: .get) { #expect($0.status == .ok) }
                try await cluster.start()
                // The pool drops the connection the restart broke and opens a new one: no service restart.
                var status = HTTPResponse.Status.serviceUnavailable
                for _ in 0..<3 where status != .ok {
                    status = try await client.execute(uri: "/readyz", method: .get) { $0.status }
                }
                #expect(status == .ok)
            }
            try await cluster.stop()
        } catch {
            try? await cluster.stop()
            throw error
        }
    }

    @Test func metricsCountRequestsByRouteAndStatus() async throws {
        try await TestCluster.withDatabase(template: "avrop", migrations: try AvropSchema.migrations()) { configuration in
            try await withApp(configuration) { client, _ in
                for _ in 0..<3 { try await client.execute(uri: "/healthz", method: .get) { _ in } }
                try await client.execute(uri: "/no-such-page/123", method: .get) { #expect($0.status == .notFound) }
                try await client.execute(uri: "/metrics", method: .get) { response in
                    #expect(response.status == .ok)
                    #expect(response.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
                    let text = String(buffer: response.body)
                    #expect(text.contains("# TYPE avrop_http_requests_total counter"))
                    #expect(text.contains(#"avrop_http_requests_total{route="/healthz",method="GET",status="200"} 3"#))
                    // Unmatched paths share Hummingbird's one series: no path (or id in it) becomes a label.
                    #expect(text.contains(#"route="NotFound",method="GET",status="404""#))
                    #expect(!text.contains("no-such-page"))
                    #expect(text.contains(#"avrop_http_request_duration_seconds_bucket{route="/healthz",method="GET",le="0.005"}"#))
                    #expect(text.contains(#"avrop_http_request_duration_seconds_count{route="/healthz",method="GET"} 3"#))
                    #expect(text.contains(#"avrop_db_pool_connections{state="idle"}"#))
                    #expect(text.contains(#"avrop_db_pool_connections{state="in_use"}"#))
                    #expect(text.contains("avrop_db_pool_waiting 0"))
                }
            }
        }
    }

    @Test func theStartPageSaysInSwedishWhatAvropIs() async throws {
        try await TestCluster.withDatabase(template: "avrop", migrations: try AvropSchema.migrations()) { configuration in
            try await withApp(configuration) { client, _ in
                try await client.execute(uri: "/", method: .get) { response in
                    #expect(response.status == .ok)
                    #expect(response.headers[.contentType] == "text/html; charset=utf-8")
                    let html = String(buffer: response.body)
                    #expect(html.contains(#"<html lang="sv">"#))
                    #expect(html.contains("ramavtal"))
                    #expect(html.contains("avrop"))
                }
            }
        }
    }

    @Test func requestIDsAreEchoedOrMade() async throws {
        try await TestCluster.withDatabase(template: "avrop", migrations: try AvropSchema.migrations()) { configuration in
            try await withApp(configuration) { client, _ in
                try await client.execute(uri: "/healthz", method: .get, headers: [.init("X-Request-ID")!: "abc-123"]) { response in
                    #expect(response.headers[.init("X-Request-ID")!] == "abc-123")
                }
                try await client.execute(uri: "/healthz", method: .get, headers: [.init("X-Request-ID")!: "bad id with spaces"]) { response in
                    let id = try #require(response.headers[.init("X-Request-ID")!])
                    #expect(UUID(uuidString: id) != nil)
                }
                try await client.execute(uri: "/missing", method: .get) { response in
                    #expect(response.status == .notFound)
                    #expect(response.headers[.init("X-Request-ID")!] != nil)
                }
            }
        }
    }

    @Test func aSaturatedPoolAnswers503WithRetryAfter() async throws {
        try await TestCluster.withDatabase(template: "avrop", migrations: try AvropSchema.migrations()) { configuration in
            try await withApp(configuration, pool: {
                ConnectionPool(configuration: $0, maximumConnections: 1, acquireTimeout: .milliseconds(100))
            }) { client, pool in
                let busy = Task { try await pool.withConnection { try await $0.execute("SELECT pg_sleep(1)") } }
                while pool.statistics.inUse == 0 { try await Task.sleep(for: .milliseconds(10)) }
                try await client.execute(uri: "/readyz", method: .get) { response in
                    #expect(response.status == .serviceUnavailable)
                    #expect(response.headers[.retryAfter] == "1")
                    #expect(response.headers[.contentType]?.hasPrefix("application/problem+json") == true)
                    #expect(String(buffer: response.body).contains("database-busy"))
                }
                _ = try await busy.value
            }
        }
    }

    /// No event loop blocks on the database: with every connection busy, the process still answers. The bound
    /// is one only the failure can break: a loop blocked behind a sleeper answers when its 10 s are over, and
    /// a loaded machine has made a free loop take over a second. How fast it answers is `bench/`'s business.
    @Test func healthzAnswersWhileEveryConnectionSleeps() async throws {
        try await TestCluster.withDatabase(template: "avrop", migrations: try AvropSchema.migrations()) { configuration in
            try await withApp(configuration, framework: .live, pool: {
                ConnectionPool(configuration: $0, maximumConnections: 4)
            }) { client, pool in
                let sleepers = (0..<4).map { _ in
                    Task { try await pool.withConnection { try await $0.execute("SELECT pg_sleep(10)") } }
                }
                while pool.statistics.inUse < 4 { try await Task.sleep(for: .milliseconds(10)) }
                try await Task.sleep(for: .milliseconds(100))
                var times: [Duration] = []
                for _ in 0..<5 {
                    let started = ContinuousClock.now
                    try await client.execute(uri: "/healthz", method: .get) { #expect($0.status == .ok) }
                    times.append(ContinuousClock.now - started)
                }
                #expect(times.allSatisfy { $0 < .seconds(5) }, "/healthz took \(times)")
                #expect(pool.statistics.inUse == 4, "the sleepers were still running")
                for sleeper in sleepers { _ = try await sleeper.value }
            }
        }
    }
}
