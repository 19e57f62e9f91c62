import CLibPQ
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A finished libpq result, kept as it is (no copy of the values) and freed with its last reference.
/// Immutable after creation and only read through `PQgetvalue` and friends, which libpq allows from any
/// thread; hence `@unchecked Sendable`.
final class ResultStorage: @unchecked Sendable {
    let result: OpaquePointer
    let rowCount: Int
    let columnCount: Int32

    init(result: OpaquePointer) {
        self.result = result
        self.rowCount = Int(PQntuples(result))
        self.columnCount = PQnfields(result)
    }

    deinit { PQclear(result) }

    /// The position of `name` (the first of duplicates). A plain scan over libpq's own names: results have
    /// few columns, and building a dictionary per result would cost more than it saves.
    func column(named name: String) -> Int32? {
        var name = name
        return name.withUTF8 { wanted -> Int32? in
            for column in 0..<columnCount {
                guard let candidate = PQfname(result, column) else { continue }
                guard strlen(candidate) == wanted.count else { continue }
                if wanted.isEmpty { return column }
                if let base = wanted.baseAddress, memcmp(candidate, base, wanted.count) == 0 { return column }
            }
            return nil
        }
    }

    var columnNames: [String] {
        (0..<columnCount).map { String(cString: PQfname(result, $0)) }
    }

    func cell(row: Int, column: Int32, name: String) -> PostgresCell {
        let r = Int32(row)
        var bytes: UnsafeBufferPointer<UInt8>?
        if PQgetisnull(result, r, column) == 0, let value = PQgetvalue(result, r, column) {
            let length = Int(PQgetlength(result, r, column))
            bytes = UnsafeBufferPointer(start: UnsafeRawPointer(value).assumingMemoryBound(to: UInt8.self), count: length)
        }
        return PostgresCell(column: name, type: PostgresType(rawValue: PQftype(result, column)), bytes: bytes)
    }
}

/// One row of a result. Columns are read by name into typed values; a missing column, an unexpected NULL or
/// a type that does not fit throws a `PostgresDecodingError` naming the column.
public struct Row: Sendable {
    let storage: ResultStorage
    let index: Int

    /// The value of `column`, decoded as `type`.
    public func decode<T: PostgresDecodable>(_ column: String, as type: T.Type = T.self) throws -> T {
        guard let position = storage.column(named: column) else {
            throw PostgresDecodingError(column: column, swiftType: String(describing: T.self), reason: .missingColumn)
        }
        // The cell points into the result, which `storage` keeps alive for the duration of this call.
        return try withExtendedLifetime(storage) {
            try T.decode(from: storage.cell(row: index, column: position, name: column))
        }
    }

    /// The column names, in order.
    public var columns: [String] { storage.columnNames }
}

/// The rows of a query, in order, with the number of rows the statement affected.
public struct Rows: RandomAccessCollection, Sendable {
    let storage: ResultStorage

    /// Rows inserted, updated or deleted (from the command tag); 0 for other statements.
    public var affectedRows: Int {
        guard let tag = PQcmdTuples(storage.result) else { return 0 }
        var value = 0
        var pointer = tag
        while pointer.pointee >= 48 && pointer.pointee <= 57 {
            value = value * 10 + Int(pointer.pointee - 48)
            pointer += 1
        }
        return value
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { storage.rowCount }
    public subscript(position: Int) -> Row { Row(storage: storage, index: position) }
}
