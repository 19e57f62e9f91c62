import Audit
import Notifications
import Foundation
public import Logging
public import Postgres

/// Runs the service: the database (embedded or given), the schema check, the HTTP server, and an orderly
/// shutdown on SIGINT/SIGTERM (stop accepting, finish requests in flight, close connections, stop the
/// embedded cluster).
public enum AvropServer {
    /// The database of the embedded default, in the embedded cluster.
    static let embeddedDatabase = "avrop"
    static let runtimeRole = "avrop_app"

    public enum Failure: Error, CustomStringConvertible {
        case outdatedSchema(pending: [Int])

        public var description: String {
            switch self {
            case .outdatedSchema(let pending):
                "the database schema is outdated (pending migrations: \(pending.map(String.init).joined(separator: ", "))); "
                    + "run `avrop migrate` or start with --migrate"
            }
        }
    }

    public static func serve(_ configuration: AppConfiguration, logger: Logger) async throws {
        try await withDatabase(configuration, migrate: configuration.migrate, logger: logger) { database in
            if configuration.demo { try await seedDemo(database.owner, logger: logger) }
            try await run(configuration, runtime: database.runtime, migrator: database.migrator, logger: logger)
        }
    }

    /// The HTTP server and the outbox worker over the runtime role's pool, until SIGINT or SIGTERM.
    private static func run(_ configuration: AppConfiguration, runtime: PostgresConfiguration, migrator: Migrator, logger: Logger) async throws {
        let telemetry = AppTelemetry()
        let pool = ConnectionPool(
            configuration: runtime,
            maximumConnections: configuration.maximumConnections,
            logger: logger,
            waitObserver: telemetry.poolWaitObserver
        )
        let app = buildApplication(
            configuration: configuration,
            database: AppDatabase(pool: pool, migrator: migrator),
            telemetry: telemetry,
            logger: logger
        ) { url in
            logger.info("Avrop is running at \(url)")
        }
        let mailer = configuration.smtpURL.flatMap { SMTPMailer(url: $0, from: configuration.mailFrom) }
        if configuration.smtpURL != nil, mailer == nil {
            logger.warning("AVROP_SMTP_URL is not smtp://host[:port]; e-mails wait in the outbox")
        }
        let wakeUps = NotificationListener(configuration: pool.configuration, channels: [OutboxWorker.channel], logger: logger)
        let worker = Task { await OutboxWorker(pool: pool, mailer: mailer, logger: logger).run(wakeUps: wakeUps) }
        var failure: (any Error)?
        do {
            try await app.runService()
        } catch {
            failure = error
        }
        worker.cancel()
        await worker.value
        await pool.close()
        if let failure { throw failure }
    }

    /// Applies pending migrations: to the given database, or to the embedded one (started and stopped here).
    public static func migrate(_ configuration: AppConfiguration, logger: Logger) async throws -> [Int] {
        try await withDatabase(configuration, migrate: true, logger: logger) { $0.applied }
    }

    /// Runs `body` with a pool of the database owner's connections to a current schema: the given database
    /// (refused when outdated), or the embedded one (started for the duration, unless it runs already, and
    /// migrated). For the command line's administration, which acts as the owner.
    public static func withOwnerPool<T>(
        _ configuration: AppConfiguration,
        logger: Logger,
        _ body: (ConnectionPool) async throws -> T
    ) async throws -> T {
        try await withDatabase(configuration, migrate: false, logger: logger) { database in
            try await ConnectionPool(configuration: database.owner, maximumConnections: 2, logger: logger).closing(after: body)
        }
    }

    /// The database as `withDatabase` hands it over: current, with the owner's and the runtime role's
    /// connection settings.
    struct Database {
        /// The owner (migrations, demo data, the command line's administration).
        let owner: PostgresConfiguration
        /// What the service connects as: `avrop_app` in the embedded cluster; the URL's user otherwise.
        let runtime: PostgresConfiguration
        let migrator: Migrator
        /// The migrations applied on the way in.
        let applied: [Int]
    }

    /// The one place that decides between a database given by URL and the embedded default. Runs `body`
    /// with the database reachable and its schema current:
    /// - with a URL, pending migrations are applied when `migrate` is set, else refused (`outdatedSchema`);
    /// - embedded, the cluster in `<data-dir>/postgres` is started (unless it runs already, then it is left
    ///   running afterwards), the database created when absent and always migrated.
    static func withDatabase<T>(
        _ configuration: AppConfiguration, migrate: Bool, logger: Logger, _ body: (Database) async throws -> T
    ) async throws -> T {
        let migrator = try AvropSchema.migrator()
        if let url = configuration.databaseURL {
            let given = PostgresConfiguration(url: url)
            let applied = try await Connection.withConnection(given, logger: logger) { connection -> [Int] in
                guard case .outdated(let pending) = try await migrator.status(connection) else { return [] }
                guard migrate else { throw Failure.outdatedSchema(pending: pending) }
                let applied = try await migrator.migrate(connection)
                logger.info("applied migrations", metadata: ["versions": "\(applied)"])
                return applied
            }
            return try await body(Database(owner: given, runtime: given, migrator: migrator, applied: applied))
        }
        let embedded = try LocalCluster(directory: configuration.dataDirectory + "/postgres")
        let wasRunning = embedded.serverProcessID != nil
        if !wasRunning { logger.info("starting the embedded PostgreSQL", metadata: ["directory": "\(embedded.directory)"]) }
        try await embedded.start()
        do {
            let applied = try await prepareEmbeddedDatabase(embedded, migrator: migrator, logger: logger)
            let value = try await body(Database(
                owner: embedded.configuration(database: embeddedDatabase),
                runtime: embedded.configuration(database: embeddedDatabase, user: runtimeRole),
                migrator: migrator, applied: applied
            ))
            if !wasRunning {
                logger.info("stopping the embedded PostgreSQL")
                try await embedded.stop()
            }
            return value
        } catch {
            if !wasRunning { try? await embedded.stop() }
            throw error
        }
    }

    /// Creates the demo data as the owner (unless present) and prints the accounts.
    private static func seedDemo(_ owner: PostgresConfiguration, logger: Logger) async throws {
        let outcome = try await ConnectionPool(configuration: owner, maximumConnections: 1, logger: logger).closing { pool in
            try await DemoData.seed(pool: pool, password: ProcessInfo.processInfo.environment["AVROP_DEMO_PASSWORD"])
        }
        // Straight to the console (not buffered): the person starting the service needs it now.
        FileHandle.standardOutput.write(Data((DemoData.describe(outcome) + "\n").utf8))
    }

    /// Creates the embedded database when absent and migrates it as the cluster's superuser (the owner).
    @discardableResult
    static func prepareEmbeddedDatabase(_ cluster: LocalCluster, migrator: Migrator, logger: Logger) async throws -> [Int] {
        try await Connection.withConnection(cluster.configuration(database: "postgres"), logger: logger) { admin in
            let exists = try await admin.query("SELECT 1 AS one FROM pg_database WHERE datname = \(embeddedDatabase)")
            if exists.isEmpty {
                try await admin.simpleQuery("CREATE DATABASE \(embeddedDatabase) ENCODING 'UTF8'")
            }
        }
        return try await Connection.withConnection(cluster.configuration(database: embeddedDatabase), logger: logger) { owner in
            let applied = try await migrator.migrate(owner)
            if !applied.isEmpty { logger.info("applied migrations", metadata: ["versions": "\(applied)"]) }
            return applied
        }
    }
}
