import CLibPQ
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The libpq calls behind `Connection`, as plain functions on a `PGconn`. Only ever called on the
/// connection's queue.
enum LibPQ {
    static func open(_ configuration: PostgresConfiguration) throws -> OpaquePointer {
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

    /// Runs `sql`, blocking until the result is complete: as a named prepared statement from `statements`
    /// when it has room (prepared on first use), else with `PQexecParams`.
    static func execute(_ sql: SQL, on handle: OpaquePointer, statements: StatementCache?) throws -> Rows {
        let result = try withParameters(sql) { count, types, values, lengths, formats -> OpaquePointer? in
            if let statements, let name = try statements.name(for: sql.text, types: UnsafeBufferPointer(start: types, count: Int(count)), prepare: { name in
                guard let prepared = PQprepare(handle, name, sql.text, count, types) else { throw connectionError(handle) }
                _ = try check(prepared, handle)
            }) {
                return PQexecPrepared(handle, name, count, values, lengths, formats, PostgresFormat.text.rawValue)
            }
            return PQexecParams(handle, sql.text, count, types, values, lengths, formats, PostgresFormat.text.rawValue)
        }
        guard let result else { throw connectionError(handle) }
        do {
            return try check(result, handle)
        } catch let error as PostgresError where error.code == .featureNotSupported && statements != nil {
            // "cached plan must not change result type": the schema changed under a prepared statement.
            // Forget it; outside a transaction, prepare it afresh and run it again at once. Inside one, the
            // transaction is aborted, and the next use prepares it afresh.
            statements?.forget(sql.text)
            guard PQtransactionStatus(handle) == PQTRANS_IDLE else { throw error }
            return try execute(sql, on: handle, statements: statements)
        }
    }

    /// Calls `body` with libpq's parameter arrays for `sql`: count, types, values, lengths, formats. They live
    /// in temporary (usually stack) memory for the call: text values with a NUL terminator (libpq reads them
    /// as C strings), binary values read by length.
    static func withParameters<R>(
        _ sql: SQL,
        _ body: (Int32, UnsafePointer<UInt32>?, UnsafePointer<UnsafePointer<CChar>?>?, UnsafePointer<Int32>?, UnsafePointer<Int32>?) throws -> R
    ) rethrows -> R {
        let binds = sql.binds
        let count = binds.count
        var byteCount = 0
        for bind in binds { byteCount += (bind.bytes?.count ?? -1) + 1 }
        return try withUnsafeTemporaryAllocation(of: UInt8.self, capacity: max(byteCount, 1)) { buffer in
            try withUnsafeTemporaryAllocation(of: UnsafePointer<CChar>?.self, capacity: max(count, 1)) { values in
                try withUnsafeTemporaryAllocation(of: UInt32.self, capacity: max(count, 1)) { types in
                    try withUnsafeTemporaryAllocation(of: Int32.self, capacity: max(count * 2, 1)) { sizes in
                        var offset = 0
                        for (index, bind) in binds.enumerated() {
                            types[index] = bind.type.rawValue
                            sizes[count + index] = bind.format.rawValue
                            guard let bytes = bind.bytes, let base = buffer.baseAddress else {
                                values[index] = nil
                                sizes[index] = 0
                                continue
                            }
                            let start = base + offset
                            bytes.withUnsafeBufferPointer { source in
                                if let from = source.baseAddress { start.update(from: from, count: source.count) }
                            }
                            start[bytes.count] = 0
                            values[index] = UnsafeRawPointer(start).assumingMemoryBound(to: CChar.self)
                            sizes[index] = Int32(bytes.count)
                            offset += bytes.count + 1
                        }
                        return try body(
                            Int32(count), UnsafePointer(types.baseAddress), UnsafePointer(values.baseAddress),
                            UnsafePointer(sizes.baseAddress), sizes.baseAddress.map { UnsafePointer($0 + count) }
                        )
                    }
                }
            }
        }
    }

    /// Turns a finished result into rows, or its error into a `PostgresError` (freeing the result).
    static func check(_ result: OpaquePointer, _ handle: OpaquePointer) throws -> Rows {
        switch PQresultStatus(result) {
        case PGRES_TUPLES_OK, PGRES_COMMAND_OK, PGRES_EMPTY_QUERY:
            return Rows(storage: ResultStorage(result: result))
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

    static func connectionError(_ handle: OpaquePointer) -> PostgresError {
        let message = String(cString: PQerrorMessage(handle)).trimmingTrailingWhitespace
        return PostgresError(kind: PQstatus(handle) == CONNECTION_OK ? .client : .connection, message: message)
    }
}

extension String {
    var trimmingTrailingWhitespace: String {
        var text = self
        while let last = text.last, last.isWhitespace { text.removeLast() }
        return text
    }
}
