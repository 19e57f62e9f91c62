import ArgumentParser
import AvropApp
import Foundation
import Logging

/// The `avrop` command: parses arguments and hands over to `AvropApp`.
@main
struct Avrop: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Avrop: call-offs under framework agreements with verified innovative solutions.",
        subcommands: [Serve.self, Migrate.self, Seed.self, OrganizationCommand.self, UserCommand.self, AuditCommand.self, Version.self],
        defaultSubcommand: Serve.self
    )
}

/// Options shared by the commands that need a database.
struct DatabaseOptions: ParsableArguments {
    @Option(help: "Directory of the embedded PostgreSQL, used when no database URL is given.")
    var dataDir = "./.avrop"

    @Option(help: "An existing PostgreSQL (URI or conninfo); default: $AVROP_DATABASE_URL, else the embedded cluster.")
    var databaseURL: String?

    var resolvedURL: String? {
        databaseURL ?? ProcessInfo.processInfo.environment["AVROP_DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The configuration of a command that only needs the database.
    var configuration: AppConfiguration {
        AppConfiguration(dataDirectory: dataDir, databaseURL: resolvedURL)
    }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the web service.")

    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port to listen on.") var port = 8080
    @OptionGroup var database: DatabaseOptions
    @Flag(help: "Apply pending migrations to the given database instead of refusing to start.") var migrate = false
    @Flag(help: "Create the demo organisations and accounts (once) and print them.") var demo = false
    @Option(help: "The SMTP relay for e-mail notifications (smtp://host:port); default: $AVROP_SMTP_URL, else e-mails wait in the outbox.")
    var smtpURL: String?
    @Option(help: "The largest document an upload may carry, in MiB; default: $AVROP_MAX_DOCUMENT_MIB, else 25.")
    var maxDocumentMib: Int?

    func run() async throws {
        let logger = makeLogger()
        let environment = ProcessInfo.processInfo.environment
        let configuration = AppConfiguration(
            host: host, port: port, dataDirectory: database.dataDir, databaseURL: database.resolvedURL, migrate: migrate,
            demo: demo, smtpURL: smtpURL ?? environment["AVROP_SMTP_URL"].flatMap { $0.isEmpty ? nil : $0 },
            mailFrom: environment["AVROP_MAIL_FROM"].flatMap { $0.isEmpty ? nil : $0 } ?? "Avrop <noreply@avrop.se>",
            maximumDocumentBytes: max(1, maxDocumentMib ?? environment["AVROP_MAX_DOCUMENT_MIB"].flatMap { Int($0) } ?? 25) << 20
        )
        try await AvropServer.serve(configuration, logger: logger)
    }
}

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply pending database migrations.")

    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        let configuration = AppConfiguration(dataDirectory: database.dataDir, databaseURL: database.resolvedURL)
        let applied = try await AvropServer.migrate(configuration, logger: makeLogger())
        print(applied.isEmpty ? "The schema is current." : "Applied migrations: \(applied.map(String.init).joined(separator: ", "))")
    }
}

struct Seed: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create demo data.",
        discussion: "The demo accounts share one password: AVROP_DEMO_PASSWORD, or a generated one that is printed."
    )

    @Flag(help: "The demo organisations and one account per role.") var demo = false
    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        guard demo else { throw ValidationError("say what to seed: --demo") }
        let outcome = try await AvropServer.withOwnerPool(database.configuration, logger: makeLogger()) { pool in
            try await DemoData.seed(pool: pool, password: ProcessInfo.processInfo.environment["AVROP_DEMO_PASSWORD"])
        }
        print(DemoData.describe(outcome))
    }
}

struct Version: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the version.")

    func run() {
        print("avrop \(AvropVersion.current)")
    }
}

func makeLogger() -> Logger {
    let environment = ProcessInfo.processInfo.environment
    let level = environment["AVROP_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
    let json = environment["AVROP_LOG_FORMAT"] == "json"
    LoggingSystem.bootstrap { label in
        if json {
            var handler = JSONLogHandler(label: label)
            handler.logLevel = level
            return handler
        }
        var handler = StreamLogHandler.standardError(label: label)
        handler.logLevel = level
        return handler
    }
    return Logger(label: "avrop")
}
