public import Logging
import Synchronization

/// A bounded pool of connections, handed out first come, first served.
///
/// A connection goes back to the pool only when it is open and idle outside a transaction; anything else is
/// closed and replaced by a new one on demand, so a server restart costs the callers in flight, not the
/// service. (The production pool — acquire timeouts, health checks, metrics — is issue 10.)
public final class ConnectionPool: Sendable {
    private enum Lease {
        case connection(Connection)
        case openNew
    }

    private struct State {
        var idle: [Connection] = []
        var open = 0
        var waiters: [CheckedContinuation<Lease, any Error>] = []
        var closed = false
    }

    public let configuration: PostgresConfiguration
    public let maximumConnections: Int
    private let logger: Logger
    private let state = Mutex(State())

    /// A pool of at most `maximumConnections` connections to `configuration`; connections open lazily.
    public init(configuration: PostgresConfiguration, maximumConnections: Int = 8, logger: Logger = Logger(label: "avrop.postgres.pool")) {
        precondition(maximumConnections > 0, "a pool needs room for at least one connection")
        self.configuration = configuration
        self.maximumConnections = maximumConnections
        self.logger = logger
    }

    /// Lends a connection to `body` and takes it back afterwards.
    @discardableResult
    public func withConnection<T>(_ body: (Connection) async throws -> T) async throws -> T {
        let connection = try await acquire()
        do {
            let value = try await body(connection)
            await release(connection)
            return value
        } catch {
            await release(connection)
            throw error
        }
    }

    /// Runs `body` in a transaction on a pooled connection: commit on return, rollback on throw.
    @discardableResult
    public func withTransaction<T>(_ body: (Connection) async throws -> T) async throws -> T {
        try await withConnection { connection in try await connection.withTransaction(body) }
    }

    /// Closes idle connections and refuses new leases; connections in use close when they come back.
    public func close() async {
        let (idle, waiters) = state.withLock { state in
            state.closed = true
            defer { state.idle = []; state.waiters = [] }
            state.open -= state.idle.count
            return (state.idle, state.waiters)
        }
        for waiter in waiters { waiter.resume(throwing: PostgresError(kind: .closed, message: "the pool is closed")) }
        for connection in idle { await connection.close() }
    }

    private func acquire() async throws -> Connection {
        let lease = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Lease, any Error>) in
            state.withLock { state in
                if state.closed {
                    continuation.resume(throwing: PostgresError(kind: .closed, message: "the pool is closed"))
                } else if let connection = state.idle.popLast() {
                    continuation.resume(returning: .connection(connection))
                } else if state.open < maximumConnections {
                    state.open += 1
                    continuation.resume(returning: .openNew)
                } else {
                    state.waiters.append(continuation)
                }
            }
        }
        switch lease {
        case .connection(let connection):
            return connection
        case .openNew:
            do {
                return try await Connection.connect(configuration, logger: logger)
            } catch {
                giveBackSlot()
                throw error
            }
        }
    }

    private func release(_ connection: Connection) async {
        let reusable = await connection.isReusable
        if !reusable {
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
                state.waiters.removeFirst().resume(returning: .connection(connection))
            }
            return false
        }
        if closeIt { await connection.close() }
    }

    /// A connection is gone: let the first waiter open a new one in its place.
    private func giveBackSlot() {
        state.withLock { state in
            if !state.closed, !state.waiters.isEmpty {
                state.waiters.removeFirst().resume(returning: .openNew)
            } else {
                state.open -= 1
            }
        }
    }
}
