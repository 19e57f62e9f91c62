public import Postgres

/// The service's view of its database: the runtime pool (role `avrop_app`) and the schema it expects.
public struct AppDatabase: Sendable {
    public let pool: ConnectionPool
    public let migrator: Migrator

    public init(pool: ConnectionPool, migrator: Migrator) {
        self.pool = pool
        self.migrator = migrator
    }

    /// Whether the database answers and its schema is the one this program carries. A saturated pool is
    /// not an answer either way: its `PoolTimeoutError` is thrown (and becomes 503 with `Retry-After`).
    public func isReady() async throws -> Bool {
        do {
            return try await pool.withConnection { try await migrator.status($0) } == .current
        } catch let error as PoolTimeoutError {
            throw error
        } catch {
            return false
        }
    }
}
