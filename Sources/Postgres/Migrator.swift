/// Applies migrations in version order, each in its own transaction, and records each in
/// `public.schema_migrations` with a SHA-256 checksum of its text (computed by PostgreSQL, so the checksum
/// needs no crypto library here).
///
/// A session-level advisory lock serialises migrators, so several instances starting at once apply each
/// migration exactly once.
public struct Migrator: Sendable {
    public let migrations: [Migration]

    /// Arbitrary, fixed key of the advisory lock that serialises migrators.
    private static let lockKey: Int64 = 0x4176_726F_7000

    public init(migrations: [Migration]) throws {
        let sorted = migrations.sorted { $0.version < $1.version }
        for (previous, next) in zip(sorted, sorted.dropFirst()) where previous.version == next.version {
            throw MigrationError.duplicateVersion(next.version)
        }
        self.migrations = sorted
    }

    /// Applies every pending migration and returns the versions it applied (empty when the schema was current).
    @discardableResult
    public func migrate(_ connection: Connection) async throws -> [Int] {
        try await connection.simpleQuery("""
            CREATE TABLE IF NOT EXISTS public.schema_migrations (
                version integer PRIMARY KEY,
                name text NOT NULL,
                checksum text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            )
            """)
        try await connection.execute("SELECT pg_advisory_lock(\(Self.lockKey))")
        do {
            let pending = try await pendingMigrations(connection)
            for migration in pending {
                try await connection.withTransaction { connection in
                    try await connection.simpleQuery(migration.sql)
                    let checksum = try await Self.checksum(of: migration, on: connection)
                    try await connection.execute("""
                        INSERT INTO public.schema_migrations (version, name, checksum)
                        VALUES (\(migration.version), \(migration.name), \(checksum))
                        """)
                }
            }
            try await connection.execute("SELECT pg_advisory_unlock(\(Self.lockKey))")
            return pending.map(\.version)
        } catch {
            _ = try? await connection.execute("SELECT pg_advisory_unlock(\(Self.lockKey))")
            throw error
        }
    }

    /// Whether the schema is current; throws when it cannot be used at all (a changed or unknown migration).
    public func status(_ connection: Connection) async throws -> SchemaStatus {
        let exists = try await connection.query("SELECT to_regclass('public.schema_migrations') IS NOT NULL AS exists")
        guard let row = exists.first, try row.decode("exists", as: Bool.self) else {
            return .outdated(pending: migrations.map(\.version))
        }
        let pending = try await pendingMigrations(connection)
        return pending.isEmpty ? .current : .outdated(pending: pending.map(\.version))
    }

    /// Checks every applied migration against ours and returns the ones not applied yet. One round trip:
    /// the server hashes our texts next to its records (readiness probes call this often).
    private func pendingMigrations(_ connection: Connection) async throws -> [Migration] {
        let applied = try await connection.query("""
            SELECT m.version, m.name, m.checksum,
                   encode(sha256(convert_to(ours.sql, 'UTF8')), 'hex') AS ours
            FROM public.schema_migrations m
            LEFT JOIN unnest(\(migrations.map(\.version)), \(migrations.map(\.sql))) AS ours(version, sql)
                ON ours.version = m.version
            ORDER BY m.version
            """)
        var appliedVersions: Set<Int> = []
        for row in applied {
            let version = try row.decode("version", as: Int.self)
            guard let ours = try row.decode("ours", as: String?.self) else { throw MigrationError.unknownVersion(version) }
            guard ours == (try row.decode("checksum", as: String.self)) else {
                throw MigrationError.checksumMismatch(version: version, name: try row.decode("name", as: String.self))
            }
            appliedVersions.insert(version)
        }
        return migrations.filter { !appliedVersions.contains($0.version) }
    }

    private static func checksum(of migration: Migration, on connection: Connection) async throws -> String {
        let rows = try await connection.query("SELECT encode(sha256(convert_to(\(migration.sql), 'UTF8')), 'hex') AS checksum")
        guard let row = rows.first else { throw PostgresError(kind: .client, message: "no checksum returned") }
        return try row.decode("checksum", as: String.self)
    }
}
