public import Logging
import Synchronization

/// PostgreSQL `LISTEN/NOTIFY` as an `AsyncSequence`, on a connection of its own.
///
/// When the connection is lost (server restart, terminated session), the listener reconnects with backoff,
/// listens again, and yields `.reconnected`: notifications sent meanwhile are lost, so the consumer should
/// reload what it shows from the database.
public struct NotificationListener: Sendable {
    public enum Event: Sendable, Equatable {
        case notification(channel: String, payload: String)
        /// The listener lost its connection and listens again; anything sent in between was missed.
        case reconnected
    }

    public let configuration: PostgresConfiguration
    public let channels: [String]
    private let logger: Logger

    /// A listener on `channels` (letters, digits and underscores; anything else is rejected when listening).
    public init(configuration: PostgresConfiguration, channels: [String], logger: Logger = Logger(label: "avrop.postgres.listen")) {
        self.configuration = configuration
        self.channels = channels
        self.logger = logger
    }

    /// Starts listening; the sequence ends when the consuming task is cancelled or stops iterating. The
    /// listener has subscribed once the first event, or `ready`, has been delivered.
    public func events(ready: @escaping @Sendable () -> Void = {}) -> AsyncStream<Event> {
        let (stream, continuation) = AsyncStream.makeStream(of: Event.self, bufferingPolicy: .bufferingNewest(10_000))
        let task = Task { [self] in
            var backoff: Duration = .milliseconds(50)
            var first = true
            while !Task.isCancelled {
                do {
                    let connection = try await Connection.connect(configuration, logger: logger)
                    for channel in channels {
                        guard !channel.isEmpty, channel.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else {
                            logger.error("refusing to listen on an invalid channel name")
                            continuation.finish()
                            return
                        }
                        try await connection.simpleQuery("LISTEN \(channel)")
                    }
                    if first { ready() } else { continuation.yield(.reconnected) }
                    first = false
                    backoff = .milliseconds(50)
                    do {
                        try await connection.waitForNotifications { channel, payload in
                            continuation.yield(.notification(channel: channel, payload: payload))
                        }
                    } catch {
                        await connection.close()
                        throw error
                    }
                } catch is CancellationError {
                    break
                } catch {
                    logger.warning("listening connection lost; reconnecting", metadata: ["error": "\(error)"])
                    try? await Task.sleep(for: backoff)
                    backoff = min(backoff * 2, .seconds(2))
                }
            }
            continuation.finish()
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }
}
