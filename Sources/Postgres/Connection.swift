import CLibPQ
import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
public import Logging

/// One connection to PostgreSQL through libpq.
///
/// libpq's calls block, so every call on a connection runs on the connection's own serial dispatch queue,
/// never on a SwiftNIO event loop or the Swift concurrency pool; callers suspend until it is done. A
/// connection serves one caller at a time (the pool hands it out exclusively).
///
/// `@unchecked Sendable`: the `PGconn` is touched only on `queue`, which serialises all access.
public final class Connection: @unchecked Sendable {
    private let queue: DispatchQueue
    /// Only read or written on `queue`.
    private var handle: OpaquePointer?
    private let logger: Logger

    private init(handle: OpaquePointer, queue: DispatchQueue, logger: Logger) {
        self.handle = handle
        self.queue = queue
        self.logger = logger
    }

    deinit {
        if let handle { PQfinish(handle) }
    }

    /// Opens a connection. Every session runs in UTC with ISO dates, so timestamps travel unambiguously.
    public static func connect(_ configuration: PostgresConfiguration, logger: Logger = Logger(label: "avrop.postgres")) async throws -> Connection {
        let queue = DispatchQueue(label: "avrop.postgres.connection")
        let handle: OpaqueHandle = try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result { try OpaqueHandle(open(configuration)) })
            }
        }
        let connection = Connection(handle: handle.pointer, queue: queue, logger: logger)
        try await connection.simpleQuery("SET TIME ZONE 'UTC'; SET DateStyle TO 'ISO, YMD'; SET application_name TO 'avrop'")
        return connection
    }

    private static func open(_ configuration: PostgresConfiguration) throws -> OpaquePointer {
        let keywords = configuration.parameters.map { strdup($0.keyword) } + [nil]
        let values = configuration.parameters.map { strdup($0.value) } + [nil]
        defer {
            keywords.forEach { free($0) }
            values.forEach { free($0) }
        }
        let handle = keywords.map { UnsafePointer($0) }.withUnsafeBufferPointer { keywordPointers in
            values.map { UnsafePointer($0) }.withUnsafeBufferPointer { valuePointers in
                PQconnectdbParams(keywordPointers.baseAddress, valuePointers.baseAddress, configuration.expandsDatabaseName ? 1 : 0)
            }
        }
        guard let handle else { throw PostgresError(kind: .connection, message: "libpq could not allocate a connection") }
        guard PQstatus(handle) == CONNECTION_OK else {
            let message = String(cString: PQerrorMessage(handle)).trimmingTrailingWhitespace
            PQfinish(handle)
            throw PostgresError(kind: .connection, message: message)
        }
        // libpq prints notices (e.g. "relation already exists, skipping") to stderr by default; they are
        // not errors, and stderr is the service's log.
        PQsetNoticeProcessor(handle, { _, _ in }, nil)
        return handle
    }

    /// Runs `sql` and returns its rows.
    @discardableResult
    public func query(_ sql: SQL) async throws -> Rows {
        try await run { handle in try Self.execute(sql, on: handle) }
    }

    /// Runs `sql` and returns how many rows it affected.
    @discardableResult
    public func execute(_ sql: SQL) async throws -> Int {
        try await query(sql).affectedRows
    }

    /// Runs one or more statements without parameters (simple query protocol), e.g. a migration file.
    public func simpleQuery(_ text: String) async throws {
        try await run { handle in
            guard let result = PQexec(handle, text) else { throw Self.connectionError(handle) }
            _ = try Self.check(result, handle)
        }
    }

    /// Runs `body` in a transaction: commits when it returns, rolls back when it throws (and rethrows).
    @discardableResult
    public func withTransaction<T>(_ body: (Connection) async throws -> T) async throws -> T {
        try await simpleQuery("BEGIN")
        let value: T
        do {
            value = try await body(self)
        } catch {
            do {
                try await simpleQuery("ROLLBACK")
            } catch let rollbackError {
                logger.warning("rollback failed", metadata: ["error": "\(rollbackError)"])
            }
            throw error
        }
        try await simpleQuery("COMMIT")
        return value
    }

    /// Whether the connection is open and idle outside a transaction, i.e. fit to hand to the next caller.
    public var isReusable: Bool {
        get async {
            (try? await run { handle in
                PQstatus(handle) == CONNECTION_OK && PQtransactionStatus(handle) == PQTRANS_IDLE
            }) ?? false
        }
    }

    /// Closes the connection; later calls throw `.closed`.
    public func close() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            queue.async {
                if let handle = self.handle { PQfinish(handle) }
                self.handle = nil
                continuation.resume()
            }
        }
    }

    // MARK: - libpq on the connection's queue

    private func run<T: Sendable>(_ work: @escaping @Sendable (OpaquePointer) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                guard let handle = self.handle else {
                    continuation.resume(throwing: PostgresError(kind: .closed, message: "the connection is closed"))
                    return
                }
                continuation.resume(with: Result { try work(handle) })
            }
        }
    }

    private static func execute(_ sql: SQL, on handle: OpaquePointer) throws -> Rows {
        let binds = sql.binds
        // Every parameter's bytes live in one buffer; text values get a NUL terminator (libpq reads them as
        // C strings), binary values are read by length.
        var buffer: [UInt8] = []
        var offsets: [Int?] = []
        for bind in binds {
            if let bytes = bind.bytes {
                offsets.append(buffer.count)
                buffer.append(contentsOf: bytes)
                buffer.append(0)
            } else {
                offsets.append(nil)
            }
        }
        let types = binds.map { $0.type.rawValue }
        let lengths = binds.map { Int32($0.bytes?.count ?? 0) }
        let formats = binds.map { $0.format.rawValue }
        let result = buffer.withUnsafeBufferPointer { bufferPointer in
            let base = UnsafeRawPointer(bufferPointer.baseAddress)
            let values: [UnsafePointer<CChar>?] = offsets.map { offset in
                offset.flatMap { base?.advanced(by: $0).assumingMemoryBound(to: CChar.self) }
            }
            return PQexecParams(handle, sql.text, Int32(binds.count), types, values, lengths, formats, PostgresFormat.text.rawValue)
        }
        guard let result else { throw connectionError(handle) }
        return try check(result, handle)
    }

    /// Turns a finished result into rows, or its error into a `PostgresError` (freeing the result).
    private static func check(_ result: OpaquePointer, _ handle: OpaquePointer) throws -> Rows {
        switch PQresultStatus(result) {
        case PGRES_TUPLES_OK, PGRES_COMMAND_OK, PGRES_EMPTY_QUERY:
            let affected = Int(String(cString: PQcmdTuples(result))) ?? 0
            return Rows(storage: ResultStorage(result: result), affectedRows: affected)
        default:
            defer { PQclear(result) }
            func field(_ code: Character) -> String? {
                guard let ascii = code.asciiValue, let value = PQresultErrorField(result, Int32(ascii)) else { return nil }
                return String(cString: value)
            }
            guard let state = field("C") else { throw connectionError(handle) }
            throw PostgresError(
                kind: .server,
                code: PostgresError.Code(rawValue: state),
                constraint: field("n"),
                message: field("M") ?? "",
                detail: field("D")
            )
        }
    }

    private static func connectionError(_ handle: OpaquePointer) -> PostgresError {
        let message = String(cString: PQerrorMessage(handle)).trimmingTrailingWhitespace
        return PostgresError(kind: PQstatus(handle) == CONNECTION_OK ? .client : .connection, message: message)
    }
}

/// Carries a fresh `PGconn` from the opening queue to its `Connection`; nothing else holds it meanwhile.
private struct OpaqueHandle: @unchecked Sendable {
    let pointer: OpaquePointer
    init(_ pointer: OpaquePointer) { self.pointer = pointer }
}

extension String {
    var trimmingTrailingWhitespace: String {
        var text = self
        while let last = text.last, last.isWhitespace { text.removeLast() }
        return text
    }
}
