import Postgres
import PostgresTesting
import Testing

@Suite("The pool lends connections fairly and replaces broken ones")
struct ConnectionPoolTests {
    @Test func manyMoreTasksThanConnectionsAllComplete() async throws {
        try await TestCluster.withDatabase { configuration in
            let pool = ConnectionPool(configuration: configuration, maximumConnections: 4)
            let sum = try await withThrowingTaskGroup(of: Int.self) { group in
                for value in 1...100 {
                    group.addTask {
                        try await pool.withConnection { connection in
                            try await connection.query("SELECT \(value) AS value, pg_backend_pid() AS pid").first?.decode("value", as: Int.self) ?? 0
                        }
                    }
                }
                return try await group.reduce(0, +)
            }
            #expect(sum == 5050)
            // Never more than four sessions were opened for the pool.
            let sessions = try await pool.withConnection { connection in
                try await connection.query("SELECT count(*)::int8 AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'avrop'")
                    .first?.decode("n", as: Int.self)
            }
            #expect(try #require(sessions) <= 4)
            await pool.close()
        }
    }

    @Test func aConnectionLeftInATransactionOrKilledIsNotLentAgain() async throws {
        try await TestCluster.withDatabase { configuration in
            let pool = ConnectionPool(configuration: configuration, maximumConnections: 1)
            let firstPID = try await pool.withConnection { connection in
                try await connection.query("SELECT pg_backend_pid() AS pid").first?.decode("pid", as: Int32.self)
            }
            // Its backend is terminated from outside, as by a server restart.
            let admin = try await Connection.connect(configuration)
            try await admin.execute("SELECT pg_terminate_backend(\(try #require(firstPID)))")
            await admin.close()
            // The next caller fails at most once, then gets a fresh connection.
            _ = try? await pool.withConnection { try await $0.query("SELECT 1 AS one") }
            let secondPID = try await pool.withConnection { connection in
                try await connection.query("SELECT pg_backend_pid() AS pid").first?.decode("pid", as: Int32.self)
            }
            #expect(secondPID != nil && secondPID != firstPID)
            await pool.close()
        }
    }

    @Test func transactionCommitsAndRollsBack() async throws {
        struct Refused: Error {}
        try await TestCluster.withDatabase { configuration in
            let pool = ConnectionPool(configuration: configuration, maximumConnections: 2)
            try await pool.withConnection { try await $0.execute("CREATE TABLE tender (supplier text)") }
            try await pool.withTransaction { try await $0.execute("INSERT INTO tender VALUES (\("A"))") }
            await #expect(throws: Refused.self) {
                try await pool.withTransaction { connection in
                    try await connection.execute("INSERT INTO tender VALUES (\("B"))")
                    throw Refused()
                }
            }
            let suppliers = try await pool.withConnection { connection in
                try await connection.query("SELECT supplier FROM tender").map { try $0.decode("supplier", as: String.self) }
            }
            #expect(suppliers == ["A"])
            await pool.close()
        }
    }
}
