import Foundation
public import Postgres

/// One private PostgreSQL cluster per test process, started on first use and stopped when the process
/// exits; each test gets its own database, copied from a template that is migrated once.
///
/// ```swift
/// try await TestCluster.withDatabase { configuration in … }
/// ```
public actor TestCluster {
    /// The cluster of this test process.
    public static let shared = TestCluster()

    private var started: Task<LocalCluster, any Error>?
    private var templates: [String: Task<Void, any Error>] = [:]

    /// Short and per process: the socket path must stay under 107 bytes, and parallel test processes must
    /// not share a cluster.
    static var directory: String { "/tmp/avrop-test-\(getpid())" }

    /// Durability is not needed for test data; turning it off makes database copies and commits cheap.
    static let settings: [(name: String, value: String)] = [
        ("fsync", "off"), ("synchronous_commit", "off"), ("full_page_writes", "off"), ("max_connections", "300"),
    ]

    /// Runs `body` with a fresh database copied from `template` (migrated with `migrations` on first use),
    /// and drops the database afterwards.
    public static func withDatabase<T>(
        template: String = "plain",
        migrations: [Migration] = [],
        _ body: (PostgresConfiguration) async throws -> T
    ) async throws -> T {
        let cluster = try await shared.cluster()
        try await shared.prepareTemplate(template, migrations: migrations, in: cluster)
        let name = "test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16)
        let admin = try await Connection.connect(cluster.configuration())
        try await admin.simpleQuery("CREATE DATABASE \(name) TEMPLATE \(templateName(template)) STRATEGY FILE_COPY")
        do {
            let value = try await body(cluster.configuration(database: name))
            try await admin.simpleQuery("DROP DATABASE \(name) WITH (FORCE)")
            await admin.close()
            return value
        } catch {
            try? await admin.simpleQuery("DROP DATABASE \(name) WITH (FORCE)")
            await admin.close()
            throw error
        }
    }

    /// Runs `body` with a connection to a fresh database copied from `template`.
    public static func withConnection<T>(
        template: String = "plain",
        migrations: [Migration] = [],
        _ body: (Connection) async throws -> T
    ) async throws -> T {
        try await withDatabase(template: template, migrations: migrations) { configuration in
            try await Connection.withConnection(configuration, body)
        }
    }

    /// The running cluster of this process.
    public func cluster() async throws -> LocalCluster {
        if let started { return try await started.value }
        let task = Task {
            let cluster = try LocalCluster(directory: Self.directory, settings: Self.settings)
            try await cluster.start()
            atexit { TestCluster.stopAtExit() }
            return cluster
        }
        started = task
        return try await task.value
    }

    private func prepareTemplate(_ template: String, migrations: [Migration], in cluster: LocalCluster) async throws {
        if let task = templates[template] { return try await task.value }
        let task = Task {
            let name = Self.templateName(template)
            let admin = try await Connection.connect(cluster.configuration())
            try await admin.simpleQuery("DROP DATABASE IF EXISTS \(name)")
            try await admin.simpleQuery("CREATE DATABASE \(name) ENCODING 'UTF8'")
            await admin.close()
            let connection = try await Connection.connect(cluster.configuration(database: name))
            try await Migrator(migrations: migrations).migrate(connection)
            // No session may stay in a template, or copying it fails.
            await connection.close()
        }
        templates[template] = task
        try await task.value
    }

    private static func templateName(_ template: String) -> String {
        "template_" + template.filter { $0.isLetter || $0.isNumber || $0 == "_" }.lowercased()
    }

    /// Stops the cluster without waiting for sessions and removes its directory: the process is ending.
    private static func stopAtExit() {
        guard let cluster = try? LocalCluster(directory: directory) else { return }
        cluster.stopImmediately()
        try? FileManager.default.removeItem(atPath: directory)
    }
}
