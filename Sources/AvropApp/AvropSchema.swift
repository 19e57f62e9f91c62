public import Postgres

/// The migrations of Avrop's schema: the files of the package's top-level `sql/` directory, embedded into
/// the binary at build time by the `EmbedMigrations` plugin, so the program finds them wherever it runs.
public enum AvropSchema {
    /// Every migration, in version order.
    public static func migrations() throws -> [Migration] {
        try embeddedMigrationFiles.map { file in
            guard let migration = Migration(fileName: file.name, sql: file.sql) else {
                throw AvropSchemaError.badFileName(file.name)
            }
            return migration
        }
    }

    /// A migrator for Avrop's schema.
    public static func migrator() throws -> Migrator {
        try Migrator(migrations: migrations())
    }
}

/// A file in `sql/` whose name is not `NNNN_name.sql`.
public enum AvropSchemaError: Error, CustomStringConvertible {
    case badFileName(String)

    public var description: String {
        switch self {
        case .badFileName(let name): "sql/\(name) is not named NNNN_name.sql"
        }
    }
}
