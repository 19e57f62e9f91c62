import CLibPQ

/// A finished libpq result, kept as it is (no copy of the values) and freed with its last reference.
/// Immutable after creation and only read through `PQgetvalue` and friends, which libpq allows from any
/// thread; hence `@unchecked Sendable`.
final class ResultStorage: @unchecked Sendable {
    let result: OpaquePointer
    let columnNames: [String]
    let columnIndex: [String: Int]
    let columnTypes: [PostgresType]
    let rowCount: Int

    init(result: OpaquePointer) {
        self.result = result
        let columns = Int(PQnfields(result))
        var names: [String] = []
        var types: [PostgresType] = []
        var index: [String: Int] = [:]
        for column in 0..<columns {
            let name = String(cString: PQfname(result, Int32(column)))
            names.append(name)
            types.append(PostgresType(rawValue: PQftype(result, Int32(column))))
            if index[name] == nil { index[name] = column }  // the first of duplicate names wins
        }
        self.columnNames = names
        self.columnIndex = index
        self.columnTypes = types
        self.rowCount = Int(PQntuples(result))
    }

    deinit { PQclear(result) }

    func cell(row: Int, column: Int) -> PostgresCell {
        let r = Int32(row), c = Int32(column)
        var bytes: UnsafeBufferPointer<UInt8>?
        if PQgetisnull(result, r, c) == 0, let value = PQgetvalue(result, r, c) {
            let length = Int(PQgetlength(result, r, c))
            bytes = UnsafeBufferPointer(start: UnsafeRawPointer(value).assumingMemoryBound(to: UInt8.self), count: length)
        }
        return PostgresCell(column: columnNames[column], type: columnTypes[column], bytes: bytes)
    }
}

/// One row of a result. Columns are read by name into typed values; a missing column, an unexpected NULL or
/// a type that does not fit throws a `PostgresDecodingError` naming the column.
public struct Row: Sendable {
    let storage: ResultStorage
    let index: Int

    /// The value of `column`, decoded as `type`.
    public func decode<T: PostgresDecodable>(_ column: String, as type: T.Type = T.self) throws -> T {
        guard let position = storage.columnIndex[column] else {
            throw PostgresDecodingError(column: column, swiftType: String(describing: T.self), reason: .missingColumn)
        }
        // The cell points into the result, which `storage` keeps alive for the duration of this call.
        return try withExtendedLifetime(storage) {
            try T.decode(from: storage.cell(row: index, column: position))
        }
    }

    /// The column names, in order.
    public var columns: [String] { storage.columnNames }
}

/// The rows of a query, in order, with the number of rows the statement affected.
public struct Rows: RandomAccessCollection, Sendable {
    let storage: ResultStorage
    /// Rows inserted, updated or deleted (from the command tag); 0 for other statements.
    public let affectedRows: Int

    public var startIndex: Int { 0 }
    public var endIndex: Int { storage.rowCount }
    public subscript(position: Int) -> Row { Row(storage: storage, index: position) }
}
