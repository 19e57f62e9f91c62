/// How `avrop serve` runs: a value built once from the command line and the environment.
public struct AppConfiguration: Sendable {
    /// Address to listen on.
    public var host: String
    /// Port to listen on; 0 picks a free one.
    public var port: Int
    /// Where the embedded database lives (`<dataDirectory>/postgres`) when no database URL is given.
    public var dataDirectory: String
    /// An existing PostgreSQL (URI or conninfo). `nil` runs the embedded cluster.
    public var databaseURL: String?
    /// Apply pending migrations to an existing database at start instead of refusing to run.
    public var migrate: Bool
    /// Most connections the service opens.
    public var maximumConnections: Int
    /// Create the demo organisations and accounts at start (once), and print them.
    public var demo: Bool
    /// The SMTP relay for e-mail notifications (`smtp://host:port`); `nil` leaves e-mails in the outbox.
    public var smtpURL: String?
    /// The sender of e-mail notifications.
    public var mailFrom: String
    /// The largest document an upload may carry (413 beyond).
    public var maximumDocumentBytes: Int

    public init(
        host: String = "127.0.0.1",
        port: Int = 8080,
        dataDirectory: String = "./.avrop",
        databaseURL: String? = nil,
        migrate: Bool = false,
        maximumConnections: Int = 8,
        demo: Bool = false,
        smtpURL: String? = nil,
        mailFrom: String = "Avrop <noreply@avrop.se>",
        maximumDocumentBytes: Int = 25 << 20
    ) {
        self.host = host
        self.port = port
        self.dataDirectory = dataDirectory
        self.databaseURL = databaseURL
        self.migrate = migrate
        self.maximumConnections = maximumConnections
        self.demo = demo
        self.smtpURL = smtpURL
        self.mailFrom = mailFrom
        self.maximumDocumentBytes = maximumDocumentBytes
    }
}
