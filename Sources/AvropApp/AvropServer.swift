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
        let migrator = try AvropSchema.migrator()
        var cluster: LocalCluster?
        let runtime: PostgresConfiguration
        if let url = configuration.databaseURL {
            runtime = PostgresConfiguration(url: url)
            try await Connection.withConnection(runtime, logger: logger) { connection in
                if case .outdated(let pending) = try await migrator.status(connection) {
                    guard configuration.migrate else { throw Failure.outdatedSchema(pending: pending) }
                    let applied = try await migrator.migrate(connection)
                    logger.info("applied migrations", metadata: ["versions": "\(applied)"])
                }
            }
            if configuration.demo { try await seedDemo(runtime, logger: logger) }
        } else {
            let embedded = try LocalCluster(directory: configuration.dataDirectory + "/postgres")
            logger.info("starting the embedded PostgreSQL", metadata: ["directory": "\(embedded.directory)"])
            try await embedded.start()
            cluster = embedded
            do {
                try await prepareEmbeddedDatabase(embedded, migrator: migrator, logger: logger)
                if configuration.demo { try await seedDemo(embedded.configuration(database: embeddedDatabase), logger: logger) }
            } catch {
                try? await embedded.stop()
                throw error
            }
            runtime = embedded.configuration(database: embeddedDatabase, user: runtimeRole)
        }

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
        if let cluster {
            logger.info("stopping the embedded PostgreSQL")
            try await cluster.stop()
        }
        if let failure { throw failure }
    }

    /// Applies pending migrations: to the given database, or to the embedded one (started and stopped here).
    public static func migrate(_ configuration: AppConfiguration, logger: Logger) async throws -> [Int] {
        let migrator = try AvropSchema.migrator()
        if let url = configuration.databaseURL {
            return try await Connection.withConnection(PostgresConfiguration(url: url), logger: logger) { connection in
                try await migrator.migrate(connection)
            }
        }
        return try await withEmbeddedCluster(configuration, logger: logger) { cluster in
            try await prepareEmbeddedDatabase(cluster, migrator: migrator, logger: logger)
        }
    }

    /// Runs `body` with a pool of the database owner's connections to a current schema: the given database
    /// (refused when outdated), or the embedded one (started for the duration, unless it runs already, and
    /// migrated). For the command line's administration, which acts as the owner.
    public static func withOwnerPool<T>(
        _ configuration: AppConfiguration,
        logger: Logger,
        _ body: (ConnectionPool) async throws -> T
    ) async throws -> T {
        let migrator = try AvropSchema.migrator()
        if let url = configuration.databaseURL {
            let pool = ConnectionPool(configuration: PostgresConfiguration(url: url), maximumConnections: 2, logger: logger)
            return try await pool.closing { pool in
                if case .outdated(let pending) = try await pool.withConnection({ try await migrator.status($0) }) {
                    throw Failure.outdatedSchema(pending: pending)
                }
                return try await body(pool)
            }
        }
        return try await withEmbeddedCluster(configuration, logger: logger) { cluster in
            try await prepareEmbeddedDatabase(cluster, migrator: migrator, logger: logger)
            let pool = ConnectionPool(configuration: cluster.configuration(database: embeddedDatabase), maximumConnections: 2, logger: logger)
            return try await pool.closing(after: body)
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

    /// Runs `body` with the embedded cluster running; stops it afterwards if it was not running before.
    private static func withEmbeddedCluster<T>(
        _ configuration: AppConfiguration,
        logger: Logger,
        _ body: (LocalCluster) async throws -> T
    ) async throws -> T {
        let embedded = try LocalCluster(directory: configuration.dataDirectory + "/postgres")
        let wasRunning = embedded.serverProcessID != nil
        try await embedded.start()
        do {
            let value = try await body(embedded)
            if !wasRunning { try await embedded.stop() }
            return value
        } catch {
            if !wasRunning { try? await embedded.stop() }
            throw error
        }
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
