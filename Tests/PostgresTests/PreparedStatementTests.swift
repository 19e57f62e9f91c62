import Postgres
import PostgresTesting
import Testing

@Suite("Repeated statements run prepared")
struct PreparedStatementTests {
    @Test func aRepeatedStatementIsPreparedOnceAndReused() async throws {
        try await TestCluster.withConnection { connection in
            for id in 1...5 {
                let row = try #require(try await connection.query("SELECT \(id)::int8 + 1 AS next").first)
                #expect(try row.decode("next", as: Int.self) == id + 1)
            }
            let prepared = try await connection.query("""
                SELECT count(*)::int8 AS n FROM pg_prepared_statements WHERE statement = 'SELECT $1::int8 + 1 AS next'
                """).first?.decode("n", as: Int.self)
            #expect(prepared == 1)
        }
    }

    @Test func aSchemaChangeUnderAPreparedStatementIsPreparedAfresh() async throws {
        try await TestCluster.withConnection { connection in
            try await connection.execute("CREATE TABLE lot (id int8, title text)")
            try await connection.execute("INSERT INTO lot VALUES (1, 'Lot 1')")
            let select: SQL = "SELECT * FROM lot WHERE id = \(1)"
            #expect(try await connection.query(select).count == 1)
            try await connection.execute("ALTER TABLE lot ADD COLUMN region text")
            // Outside a transaction the caller never sees the server's refusal of the old plan.
            let row = try #require(try await connection.query(select).first)
            #expect(try row.decode("region", as: String?.self) == nil)
            // Inside one, the refusal aborts the transaction; the next use works again.
            try await connection.execute("ALTER TABLE lot ADD COLUMN lot_number int8")
            await #expect(throws: PostgresError.self) {
                try await connection.withTransaction { try await $0.query(select) }
            }
            #expect(try await connection.query(select).first?.decode("lot_number", as: Int?.self) == nil)
        }
    }

    @Test func preparedStatementsCanBeTurnedOff() async throws {
        try await TestCluster.withDatabase { configuration in
            var unprepared = configuration
            unprepared.preparedStatements = false
            let connection = try await Connection.connect(unprepared)
            for _ in 0..<3 { try await connection.execute("SELECT \(1) AS one") }
            let count = try await connection.query("SELECT count(*)::int8 AS n FROM pg_prepared_statements").first?.decode("n", as: Int.self)
            #expect(count == 0)
            await connection.close()
        }
    }
}
