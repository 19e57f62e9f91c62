public import Logging
import Synchronization

/// A bounded pool of connections, handed out first come, first served.
///
/// - A caller that finds every connection busy waits in line; after `acquireTimeout` it gets
///   `PoolTimeoutError` (the HTTP layer answers 503 with `Retry-After`). Cancelling the waiting task takes
///   it out of the line.
/// - A connection goes back to the pool only when it is open, idle outside a transaction, and was not
///   cancelled; anything else is closed, and its slot is offered to the next caller. Since the health check
///   reads what the server sent meanwhile, connections that a server restart closed are found and replaced:
///   the service recovers without a restart.
/// - `withTransaction` retries serialization failures and deadlocks a bounded number of times.
public final class ConnectionPool: Sendable {
    /// A snapshot of the pool, for metrics.
    public struct Statistics: Sendable, Equatable {
        public var open: Int
        public var idle: Int
        public var waiting: Int
        public var inUse: Int { open - idle }
    }

    private enum Lease {
        case connection(Connection)
        case openNew
    }

    private struct Waiter {
        let id: UInt64
        let continuation: CheckedContinuation<Lease, any Error>
        /// Fails the waiter after the acquire timeout; cancelled when the waiter is served first.
        var timeout: Task<Void, Never>?

        func serve(_ lease: Lease) {
            timeout?.cancel()
            continuation.resume(returning: lease)
        }
    }

    private struct State {
        var idle: [Connection] = []
        var open = 0
        var waiters: [Waiter] = []
        var nextWaiterID: UInt64 = 0
        var closed = false
    }

    public let configuration: PostgresConfiguration
    public let maximumConnections: Int
    public let acquireTimeout: Duration
    private let logger: Logger
    private let waitObserver: @Sendable (Duration) -> Void
    private let state = Mutex(State())

    /// A pool of at most `maximumConnections` connections to `configuration`; connections open lazily.
    ///
    /// - Parameter waitObserver: told how long each caller waited for a connection (for metrics).
    public init(
        configuration: PostgresConfiguration,
        maximumConnections: Int = 8,
        acquireTimeout: Duration = .seconds(10),
        logger: Logger = Logger(label: "avrop.postgres.pool"),
        waitObserver: @escaping @Sendable (Duration) -> Void = { _ in }
    ) {
        precondition(maximumConnections > 0, "a pool needs room for at least one connection")
        self.configuration = configuration
        self.maximumConnections = maximumConnections
        self.acquireTimeout = acquireTimeout
        self.logger = logger
        self.waitObserver = waitObserver
    }

    /// The pool's current size and line.
    public var statistics: Statistics {
        state.withLock { Statistics(open: $0.open, idle: $0.idle.count, waiting: $0.waiters.count) }
    }

    /// Lends a connection to `body` and takes it back afterwards.
    @discardableResult
    public func withConnection<T>(_ body: (Connection) async throws -> T) async throws -> T {
        let connection = try await acquire()
        do {
            // The body runs on the connection's thread, so its statements need no thread hop.
            let value = try await connection.withExecutor { try await body(connection) }
            await release(connection)
            return value
        } catch {
            await release(connection)
            throw error
        }
    }

    /// Runs `body` in a transaction on a pooled connection: commit on return, rollback on throw. A
    /// serialization failure or deadlock runs the whole transaction again, at most `attempts` times in all,
    /// so `body` must be safe to repeat (it is, when all it does is talk to the database).
    @discardableResult
    public func withTransaction<T>(
        isolation: IsolationLevel = .readCommitted,
        settings: [(name: String, value: String)] = [],
        attempts: Int = 3,
        _ body: (Connection) async throws -> T
    ) async throws -> T {
        var attempt = 1
        while true {
            do {
                return try await withConnection { connection in
                    try await connection.withTransaction(isolation: isolation, settings: settings, body)
                }
            } catch let error as PostgresError where error.isTransient && attempt < attempts {
                logger.debug("retrying transaction", metadata: ["sqlstate": "\(error.code?.rawValue ?? "")", "attempt": "\(attempt)"])
                attempt += 1
                // A short, growing, jittered pause lets the competing transaction finish.
                try await Task.sleep(for: .milliseconds(Int.random(in: 1...10) * attempt))
            }
        }
    }

    /// Closes idle connections and refuses new leases; connections in use close when they come back.
    public func close() async {
        let (idle, waiters) = state.withLock { state in
            state.closed = true
            defer { state.idle = []; state.waiters = [] }
            state.open -= state.idle.count
            return (state.idle, state.waiters)
        }
        for waiter in waiters {
            waiter.timeout?.cancel()
            waiter.continuation.resume(throwing: PostgresError(kind: .closed, message: "the pool is closed"))
        }
        for connection in idle { await connection.close() }
    }

    // MARK: - Leasing

    private func acquire() async throws -> Connection {
        let started = ContinuousClock.now
        let lease = try await waitForLease()
        waitObserver(ContinuousClock.now - started)
        switch lease {
        case .connection(let connection):
            // An idle connection may have lost its server meanwhile (restart, terminated backend); that shows
            // without a round trip. Replace it in the same slot.
            if await connection.isReusable { return connection }
            await connection.close()
            fallthrough
        case .openNew:
            do {
                return try await Connection.connect(configuration, logger: logger)
            } catch {
                giveBackSlot()
                throw error
            }
        }
    }

    private func waitForLease() async throws -> Lease {
        let id = state.withLock { state -> UInt64 in
            state.nextWaiterID += 1
            return state.nextWaiterID
        }
        let timeout = acquireTimeout
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Lease, any Error>) in
                let queued = state.withLock { state -> Bool in
                    if state.closed {
                        continuation.resume(throwing: PostgresError(kind: .closed, message: "the pool is closed"))
                    } else if state.waiters.isEmpty, let connection = state.idle.popLast() {
                        continuation.resume(returning: .connection(connection))
                    } else if state.waiters.isEmpty, state.open < maximumConnections {
                        state.open += 1
                        continuation.resume(returning: .openNew)
                    } else {
                        state.waiters.append(Waiter(id: id, continuation: continuation))
                        return true
                    }
                    return false
                }
                if queued {
                    let timer = Task { [weak self] in
                        guard (try? await Task.sleep(for: timeout)) != nil else { return }
                        self?.abandon(id, with: PoolTimeoutError(waited: timeout))
                    }
                    state.withLock { state in
                        if let index = state.waiters.firstIndex(where: { $0.id == id }) {
                            state.waiters[index].timeout = timer
                        } else {
                            timer.cancel()
                        }
                    }
                }
            }
        } onCancel: {
            abandon(id, with: CancellationError())
        }
    }

    /// Takes waiter `id` out of the line (if it is still waiting) and fails it with `error`.
    private func abandon(_ id: UInt64, with error: any Error) {
        let waiter = state.withLock { state -> Waiter? in
            guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
            return state.waiters.remove(at: index)
        }
        waiter?.timeout?.cancel()
        waiter?.continuation.resume(throwing: error)
    }

    private func release(_ connection: Connection) async {
        guard await connection.isReusable else {
            await connection.close()
            giveBackSlot()
            return
        }
        let closeIt = state.withLock { state -> Bool in
            if state.closed {
                state.open -= 1
                return true
            }
            if state.waiters.isEmpty {
                state.idle.append(connection)
            } else {
                state.waiters.removeFirst().serve(.connection(connection))
            }
            return false
        }
        if closeIt { await connection.close() }
    }

    /// A connection is gone: let the first waiter open a new one in its place.
    private func giveBackSlot() {
        state.withLock { state in
            if !state.closed, !state.waiters.isEmpty {
                state.waiters.removeFirst().serve(.openNew)
            } else {
                state.open -= 1
            }
        }
    }
}

/// No connection became free within the pool's acquire timeout.
public struct PoolTimeoutError: Error, Sendable, CustomStringConvertible {
    public let waited: Duration
    public var description: String { "no database connection became free within \(waited)" }
}
