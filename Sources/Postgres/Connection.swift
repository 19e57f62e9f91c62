import CLibPQ
import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
public import Logging

/// One connection to PostgreSQL through libpq.
///
/// libpq's calls block, so every connection has a thread of its own (`ConnectionExecutor`) and all of its
/// libpq calls run there, never on a SwiftNIO event loop or a thread of the Swift concurrency pool. The pool
/// makes that thread the task's executor for the whole of `withConnection`, so a statement costs no thread
/// hop; called from elsewhere, a statement hops to the thread and back. Repeated statements run as named
/// prepared statements (`StatementCache`); results arrive in text format.
///
/// Why this design — `bench/run postgres` on this 2-core machine, throughput against pgbench in the same
/// protocol (2026-11-23, 5 s per case):
/// - A Dispatch queue per connection with blocking `PQexecParams`, the caller hopping to it and back for
///   every statement: 0.45 (select, 8 connections) to 0.90 of pgbench.
/// - libpq's non-blocking API (`PQsendQueryParams`, `PQsocket` under a Dispatch read source,
///   `PQconsumeInput`/`PQisBusy`/`PQgetResult`): 0.26 to 0.56 — every statement still crosses threads,
///   twice, and the readiness wake-up adds a third.
/// - This thread per connection running the caller's body, unnamed statements: 0.97 to 1.02 of pgbench
///   `-M extended`; with prepared statements: 0.88 to 1.07 of pgbench `-M prepared`, and 2× the throughput
///   of unnamed statements for a primary-key select at 8 connections (57,300 against 29,100 per second).
/// - The same design, measured again on 2026-12-02 with the benchmark in paired rounds (9 rounds of 2 s per
///   side, the order turned every round, the median of the pair ratios): prepared statements 0.93 (insert,
///   8 connections) to 1.02 (select, 8 connections) of pgbench `-M prepared`; unnamed 0.87 to 0.97 of
///   `-M extended`. Single rounds swing from 0.6 to 1.8 on this VM, which is why the rounds are paired.
/// - Later that day, with 15 rounds, keys from a user-space generator (as pgbench draws them) and one
///   cancellation handler per `withConnection` instead of one per statement: the worst case of prepared
///   statements at 0.952, 0.918 and 0.946 of pgbench in three runs (select, 1 connection: single rounds
///   0.43 to 1.85). The client's system CPU per statement is pgbench's (6.6–8.7 µs at 8 connections, the same
///   send, poll and receive); its user CPU is about 1 µs more (2.4 against 1.4–1.7 µs): Swift's
///   reference counting, the statement's allocations, the cache lookup. The handler per statement had cost
///   0.3 µs of that (2.77 against 2.45 µs in three alternating pairs).
/// - Binary results were not adopted: the rows here are short and decoding text is not where time goes;
///   parameters are text except `String` and `Data`, which travel as bytes.
///
/// Cancelling the calling task cancels the running statement on the server (`PQcancel`): inside
/// `withExecutor` (the pool's `withConnection`) one handler covers every statement of the body, elsewhere
/// each statement installs its own. The statement then fails with SQLSTATE 57014, and the connection is
/// marked `wasCancelled` so that the pool discards it rather than risk a late cancel request hitting its
/// next user's statement.
///
/// `@unchecked Sendable`: the `PGconn` is used by one caller at a time, on the connection's thread (or, while
/// a listener waits for socket readiness, on `queue`); the `PGcancel` object is made for use from other
/// threads; the flags are atomics.
public final class Connection: @unchecked Sendable {
    /// The connection's own thread, where its libpq calls run.
    let executor: ConnectionExecutor
    /// Serial queue for the dispatch sources that wait for socket readiness.
    let queue: DispatchQueue
    /// Used only by the connection's one caller at a time (see the type's comment).
    var handle: OpaquePointer?
    /// libpq's cancel object for this connection; `PQcancel` may be called on it from any thread.
    private let cancelObject: OpaquePointer?
    private let cancelled = Atomic<Bool>(false)
    /// Whether a statement is on its way to the server or running there, for `withExecutor`'s cancellation
    /// handler.
    private let statementRunning = Atomic<Bool>(false)
    /// The task whose `withExecutor` covers this connection's statements with one cancellation handler (its
    /// identity), so that they need none of their own. Only read and written on the connection's thread.
    private var coveringTask: Int?
    /// Named prepared statements of this connection; `nil` when they are turned off.
    private let statements: StatementCache?
    private let logger: Logger

    private init(handle: OpaquePointer, executor: ConnectionExecutor, configuration: PostgresConfiguration, logger: Logger) {
        self.handle = handle
        self.executor = executor
        self.queue = DispatchQueue(label: "avrop.postgres.connection")
        self.cancelObject = PQgetCancel(handle)
        self.statements = configuration.preparedStatements ? StatementCache() : nil
        self.logger = logger
    }

    deinit {
        if let cancelObject { PQfreeCancel(cancelObject) }
        if let handle { PQfinish(handle) }
        executor.shutdown()
    }

    /// Opens a connection. Every session runs in UTC with ISO dates, so timestamps travel unambiguously.
    public static func connect(_ configuration: PostgresConfiguration, logger: Logger = Logger(label: "avrop.postgres")) async throws -> Connection {
        let executor = ConnectionExecutor(name: "avrop-pg-conn")
        let handle: OpaqueHandle
        do {
            handle = try await withCheckedThrowingContinuation { continuation in
                executor.run {
                    continuation.resume(with: Result { try OpaqueHandle(LibPQ.open(configuration)) })
                }
            }
        } catch {
            executor.shutdown()
            throw error
        }
        let connection = Connection(handle: handle.pointer, executor: executor, configuration: configuration, logger: logger)
        try await connection.simpleQuery("SET TIME ZONE 'UTC'; SET DateStyle TO 'ISO, YMD'; SET application_name TO 'avrop'")
        return connection
    }

    /// Runs `sql` and returns its rows.
    @discardableResult
    public func query(_ sql: SQL) async throws -> Rows {
        // The common case, a statement inside the pool's withConnection: no closure to allocate, no handler
        // to install and remove (each took a lock in the task's status), no hop.
        if isCovered {
            return try runCovered { [statements] handle in try LibPQ.execute(sql, on: handle, statements: statements) }
        }
        return try await cancellable {
            try await run { [statements] handle in try LibPQ.execute(sql, on: handle, statements: statements) }
        }
    }

    /// Runs `sql` and returns how many rows it affected.
    @discardableResult
    public func execute(_ sql: SQL) async throws -> Int {
        try await query(sql).affectedRows
    }

    /// Runs one or more statements without parameters (simple query protocol), e.g. a migration file.
    public func simpleQuery(_ text: String) async throws {
        @Sendable func work(_ handle: OpaquePointer) throws {
            guard let result = PQexec(handle, text) else { throw LibPQ.connectionError(handle) }
            _ = try LibPQ.check(result, handle)
        }
        if isCovered { return try runCovered(work) }
        try await cancellable { try await run(work) }
    }

    /// Runs `body` in a transaction: commits when it returns, rolls back when it throws (and rethrows).
    ///
    /// - Parameters:
    ///   - isolation: the transaction's isolation level.
    ///   - settings: run-time parameters set for this transaction only (`set_config(name, value, true)`),
    ///     e.g. the acting user for row-level security.
    @discardableResult
    public func withTransaction<T>(
        isolation: IsolationLevel = .readCommitted,
        settings: [(name: String, value: String)] = [],
        _ body: (Connection) async throws -> T
    ) async throws -> T {
        // Every request's transaction starts with its actor's settings. When they are plain words (names and
        // ids, as the actor's are), BEGIN and the settings travel in one simple query, one round trip: the
        // check on their characters is what makes writing them as literals safe. Anything else is bound.
        let plain = !settings.isEmpty && settings.allSatisfy { Self.isPlainWord($0.name) && Self.isPlainWord($0.value) }
        let begin = "BEGIN ISOLATION LEVEL \(isolation.rawValue)"
        let value: T
        do {
            if plain {
                try await simpleQuery(begin + "; SELECT " + settings.map { "set_config('\($0.name)', '\($0.value)', true)" }.joined(separator: ", "))
            } else {
                try await simpleQuery(begin)
                if !settings.isEmpty {
                    try await execute("""
                        SELECT set_config(name, value, true)
                        FROM unnest(\(settings.map(\.name)), \(settings.map(\.value))) AS setting(name, value)
                        """)
                }
            }
            value = try await body(self)
        } catch {
            do {
                try await run { handle in
                    guard let result = PQexec(handle, "ROLLBACK") else { throw LibPQ.connectionError(handle) }
                    _ = try LibPQ.check(result, handle)
                }
            } catch let rollbackError {
                logger.warning("rollback failed", metadata: ["error": "\(rollbackError)"])
            }
            throw error
        }
        try await simpleQuery("COMMIT")
        return value
    }

    /// Letters, digits, `.`, `_` and `-` only (a setting's name, a UUID): nothing that can end a literal.
    static func isPlainWord(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.count <= 100 && text.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a)
                || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
        }
    }

    /// Whether a cancel request was sent for a statement on this connection.
    public var wasCancelled: Bool { cancelled.load(ordering: .relaxed) }

    /// Whether the connection is open and idle outside a transaction, i.e. fit to hand to the next caller.
    /// Reads whatever the server sent meanwhile without waiting, so a connection whose server went away
    /// (restart, `pg_terminate_backend`) is found broken here instead of failing its next statement.
    public var isReusable: Bool {
        get async {
            guard !wasCancelled else { return false }
            return (try? await run { handle in
                // libpq's socket is non-blocking, so these reads never wait. A terminated session sends its
                // goodbye and closes: the first read takes the message, the second meets the end of stream
                // and marks the connection bad.
                PQconsumeInput(handle) == 1 && PQconsumeInput(handle) == 1
                    && PQstatus(handle) == CONNECTION_OK && PQtransactionStatus(handle) == PQTRANS_IDLE
            }) ?? false
        }
    }

    /// The server process serving this connection.
    public var backendProcessID: Int32 {
        get async { (try? await run { PQbackendPID($0) }) ?? 0 }
    }

    /// Closes the connection; later calls throw `.closed`.
    public func close() async {
        _ = try? await run { handle in PQfinish(handle) }
        handle = nil
        executor.shutdown()
    }

    /// Runs `body` on the connection's thread, as the pool's `withConnection` does with the caller's whole
    /// body: its statements then cost no thread hop, and one cancellation handler covers them all.
    @discardableResult
    public func withExecutor<T>(_ body: () async throws -> T) async throws -> T {
        try await withTaskExecutorPreference(executor) {
            // A caller isolated to an actor does not run here; its statements keep a handler each.
            guard executor.isCurrent, coveringTask == nil, let task = Self.currentTask else { return try await body() }
            coveringTask = task
            defer { coveringTask = nil }
            return try await withTaskCancellationHandler(operation: body) {
                // The statement's side sets `statementRunning` before it looks at the task's cancellation, and
                // this side runs after the task is marked cancelled: either the statement sees the
                // cancellation and does not start, or this sees the statement and cancels it on the server.
                if self.statementRunning.load(ordering: .sequentiallyConsistent) { self.sendCancelRequest() }
            }
        }
    }

    // MARK: - Running libpq calls on the connection's thread

    func run<T: Sendable>(_ work: @escaping @Sendable (OpaquePointer) throws -> T) async throws -> T {
        // Inside the pool's withConnection the task already runs here: call libpq straight away.
        if executor.isCurrent { return try runHere(work) }
        return try await withTaskExecutorPreference(executor) {
            if executor.isCurrent { return try runHere(work) }
            // An actor-isolated caller does not run on the preferred executor: hop explicitly.
            return try await withCheckedThrowingContinuation { continuation in
                executor.run { continuation.resume(with: Result { try self.runHere(work) }) }
            }
        }
    }

    /// Whether the current task runs here inside `withExecutor`, whose cancellation handler covers its
    /// statements.
    private var isCovered: Bool {
        executor.isCurrent && coveringTask != nil && coveringTask == Self.currentTask
    }

    private static var currentTask: Int? {
        withUnsafeCurrentTask { $0?.hashValue }
    }

    /// Runs `work` here, for a task that `isCovered`.
    private func runCovered<T>(_ work: (OpaquePointer) throws -> T) throws -> T {
        guard let handle else { throw PostgresError(kind: .closed, message: "the connection is closed") }
        statementRunning.store(true, ordering: .sequentiallyConsistent)
        defer { statementRunning.store(false, ordering: .sequentiallyConsistent) }
        try Task.checkCancellation()
        return try work(handle)
    }

    private func runHere<T>(_ work: (OpaquePointer) throws -> T) throws -> T {
        guard let handle else { throw PostgresError(kind: .closed, message: "the connection is closed") }
        return try work(handle)
    }

    /// Runs `work`; if the calling task is cancelled meanwhile, asks the server to cancel the statement.
    private func cancellable<T>(_ work: () async throws -> T) async throws -> T {
        try Task.checkCancellation()
        return try await withTaskCancellationHandler(operation: work) {
            self.sendCancelRequest()
        }
    }

    private func sendCancelRequest() {
        guard let cancelObject else { return }
        cancelled.store(true, ordering: .relaxed)
        var message = [CChar](repeating: 0, count: 256)
        if PQcancel(cancelObject, &message, Int32(message.count)) == 0 {
            let text = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            logger.warning("cancel request failed", metadata: ["error": "\(text)"])
        }
    }
}

/// A transaction isolation level.
public enum IsolationLevel: String, Sendable {
    case readCommitted = "READ COMMITTED"
    case repeatableRead = "REPEATABLE READ"
    case serializable = "SERIALIZABLE"
}

/// Carries a `PGconn` from one thread to the next; only the connection's one caller uses it meanwhile.
struct OpaqueHandle: @unchecked Sendable {
    let pointer: OpaquePointer
    init(_ pointer: OpaquePointer) { self.pointer = pointer }
}
