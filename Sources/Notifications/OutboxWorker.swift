import Audit
public import Foundation
public import Logging
public import Postgres

/// Delivers the outbox inside `avrop serve`: claims due messages (several workers or service instances side
/// by side never take the same one), sends e-mails through the SMTP relay and webhooks over HTTP, marks
/// them delivered, or schedules a retry with exponential backoff and dead-letters after `maximumAttempts`.
/// Without a relay, e-mails wait in the outbox until one is configured.
public struct OutboxWorker: Sendable {
    public let pool: ConnectionPool
    public let mailer: SMTPMailer?
    public let webhooks: WebhookSender
    public let batchSize: Int
    /// How long a claimed message is this worker's before another may take it (a crashed worker's).
    public let lease: Duration
    public let maximumAttempts: Int
    public let pollInterval: Duration
    /// The wait before attempt `n + 1` after `n` failed ones.
    public let backoff: @Sendable (Int) -> Duration
    let logger: Logger

    public init(
        pool: ConnectionPool, mailer: SMTPMailer?, webhooks: WebhookSender = WebhookSender(), batchSize: Int = 20,
        lease: Duration = .seconds(120), maximumAttempts: Int = 8, pollInterval: Duration = .seconds(1),
        backoff: @escaping @Sendable (Int) -> Duration = { attempts in .seconds(min(1 << min(attempts, 12), 3600)) },
        logger: Logger
    ) {
        self.pool = pool
        self.mailer = mailer
        self.webhooks = webhooks
        self.batchSize = batchSize
        self.lease = lease
        self.maximumAttempts = maximumAttempts
        self.pollInterval = pollInterval
        self.backoff = backoff
        self.logger = logger
    }

    /// Delivers until the task is cancelled; a database failure is logged and tried again next round.
    /// With `wakeUps` (the database's `avrop_outbox` channel), a round starts as soon as messages are
    /// committed; the poll remains for retries that fall due and for notifications missed in a reconnect.
    public func run(wakeUps: NotificationListener? = nil) async {
        let wake = WakeSignal()
        let listening = wakeUps.map { listener in
            Task {
                for await _ in listener.events() { wake.signal() }
            }
        }
        defer { listening?.cancel() }
        while !Task.isCancelled {
            do {
                if try await deliverDue() == batchSize { continue }
            } catch is CancellationError {
                return
            } catch {
                logger.warning("outbox round failed", metadata: ["error.type": "\(type(of: error))"])
            }
            await wake.wait(atMost: pollInterval)
        }
    }

    /// The channel on which the database tells that the outbox has new messages.
    public static let channel = "avrop_outbox"

    /// One round: claims up to `batchSize` due messages and delivers them; returns how many it claimed.
    @discardableResult
    public func deliverDue() async throws -> Int {
        let channels = mailer == nil ? ["webhook"] : ["email", "webhook"]
        let claimed = try await pool.withConnection { connection in
            try await connection.query("""
                SELECT * FROM avrop.outbox_claim(\(batchSize)::integer, \("\(lease.components.seconds) seconds")::interval, \(channels))
                """).map(Message.init)
        }
        await withTaskGroup(of: Void.self) { group in
            for message in claimed {
                group.addTask { await deliver(message) }
            }
        }
        return claimed.count
    }

    struct Message: Sendable {
        let id: Int
        let channel: String
        let kind: String
        let data: [String: String]
        let attempts: Int
        let email: String?
        let displayName: String?
        let language: String?
        let url: String?
        let secret: String?

        init(_ row: Row) throws {
            id = try row.decode("id", as: Int.self)
            channel = try row.decode("channel", as: String.self)
            kind = try row.decode("kind", as: String.self)
            data = try row.decode("data", as: AuditFacts.self).values
            attempts = try row.decode("attempts", as: Int.self)
            email = try row.decode("email", as: String?.self)
            displayName = try row.decode("display_name", as: String?.self)
            language = try row.decode("language", as: String?.self)
            url = try row.decode("url", as: String?.self)
            secret = try row.decode("secret", as: String?.self)
        }
    }

    private func deliver(_ message: Message) async {
        do {
            switch message.channel {
            case "email":
                guard let mailer, let email = message.email else { throw WebhookSender.Failure(description: "no recipient address") }
                let text = EmailText(kind: message.kind, language: message.language ?? "sv", name: message.displayName ?? "", data: message.data)
                try await mailer.send(to: email, subject: text.subject, body: text.body)
            default:
                guard let url = message.url, let secret = message.secret else { throw WebhookSender.Failure(description: "the webhook is gone") }
                let body = try JSONSerialization.data(
                    withJSONObject: ["id": message.id, "kind": message.kind, "data": message.data], options: [.sortedKeys]
                )
                try await webhooks.post(url: url, secret: secret, deliveryID: message.id, body: body)
            }
            try await pool.withConnection { try await $0.execute("SELECT avrop.outbox_delivered(\(message.id))") }
        } catch {
            // The reason is kept for admins; it names the relay's or receiver's answer, never the content.
            let reason = String(describing: error)
            let retry = "\(backoff(message.attempts).components.seconds) seconds"
            logger.info("outbox delivery failed", metadata: ["outbox.id": "\(message.id)", "channel": "\(message.channel)", "attempt": "\(message.attempts)"])
            try? await pool.withConnection { connection in
                try await connection.execute("SELECT avrop.outbox_failed(\(message.id), \(reason), \(retry)::interval, \(maximumAttempts)::integer)")
            }
        }
    }
}
