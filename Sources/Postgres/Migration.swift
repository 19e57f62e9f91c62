/// One numbered, forward-only schema migration (`sql/0001_name.sql`).
public struct Migration: Sendable, Equatable {
    public let version: Int
    public let name: String
    public let sql: String

    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }

    /// A migration from its file name, `NNNN_name.sql`; `nil` for any other name.
    public init?(fileName: String, sql: String) {
        guard fileName.hasSuffix(".sql") else { return nil }
        let stem = fileName.dropLast(4)
        guard let underscore = stem.firstIndex(of: "_"),
              let version = Int(stem[..<underscore]), version > 0
        else { return nil }
        let name = stem[stem.index(after: underscore)...]
        guard !name.isEmpty else { return nil }
        self.init(version: version, name: String(name), sql: sql)
    }
}

/// Why migrations cannot be applied, or the schema cannot be used.
public enum MigrationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// An applied migration's text differs from the one this program carries. Applied files never change.
    case checksumMismatch(version: Int, name: String)
    /// The database has a migration this program does not know: it is older than the schema.
    case unknownVersion(Int)
    /// Two migrations share a version number.
    case duplicateVersion(Int)

    public var description: String {
        switch self {
        case .checksumMismatch(let version, let name):
            "migration \(version) (\(name)) was changed after it was applied; add a new migration instead"
        case .unknownVersion(let version):
            "the database has migration \(version), which this program does not know (is it older than the schema?)"
        case .duplicateVersion(let version):
            "two migrations have version \(version)"
        }
    }
}

/// What the database's schema is, compared with the migrations this program carries.
public enum SchemaStatus: Sendable, Equatable {
    case current
    /// Migrations not yet applied, in order.
    case outdated(pending: [Int])
}
