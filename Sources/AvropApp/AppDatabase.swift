public import Postgres

/// The service's view of its database: the runtime pool (role `avrop_app`) and the schema it expects.
public struct AppDatabase: Sendable {
    public let pool: ConnectionPool
    public let migrator: Migrator

    public init(pool: ConnectionPool, migrator: Migrator) {
        self.pool = pool
        self.migrator = migrator
    }

    /// Whether the database answers and its schema is the one this program carries.
    public func isReady() async -> Bool {
        do {
            return try await pool.withConnection { try await migrator.status($0) } == .current
        } catch {
            return false
        }
    }
}
