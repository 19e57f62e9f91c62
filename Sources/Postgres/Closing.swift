public import Logging

extension Connection {
    /// Opens a connection, runs `body` with it, and closes it afterwards, also when `body` throws.
    public static func withConnection<T>(
        _ configuration: PostgresConfiguration,
        logger: Logger = Logger(label: "avrop.postgres"),
        _ body: (Connection) async throws -> T
    ) async throws -> T {
        let connection = try await connect(configuration, logger: logger)
        do {
            let value = try await body(connection)
            await connection.close()
            return value
        } catch {
            await connection.close()
            throw error
        }
    }
}

extension ConnectionPool {
    /// Runs `body` with the pool and closes the pool afterwards, also when `body` throws.
    public func closing<T>(after body: (ConnectionPool) async throws -> T) async throws -> T {
        do {
            let value = try await body(self)
            await close()
            return value
        } catch {
            await close()
            throw error
        }
    }
}
