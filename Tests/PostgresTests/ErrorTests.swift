import Foundation
import Postgres
import PostgresTesting
import Testing

@Suite("Errors name what went wrong and leak nothing")
struct ErrorTests {
    @Test func wrongTypeNamesTheColumn() async throws {
        try await TestCluster.withConnection { connection in
            let row = try #require(try await connection.query("SELECT 'abc'::text AS title").first)
            let error = try #require(throws: PostgresDecodingError.self) { try row.decode("title", as: Int.self) }
            #expect(error.column == "title")
            #expect(error.reason == .typeMismatch(postgresTypeOID: PostgresType.text.rawValue))
            #expect(error.description.contains("title"))
            #expect(!error.description.contains("abc"))
        }
    }

    @Test func unexpectedNullNamesTheColumn() async throws {
        try await TestCluster.withConnection { connection in
            let row = try #require(try await connection.query("SELECT NULL::int8 AS ceiling_value").first)
            let error = try #require(throws: PostgresDecodingError.self) { try row.decode("ceiling_value", as: Int.self) }
            #expect(error.column == "ceiling_value")
            #expect(error.reason == .unexpectedNull)
            let missing = try #require(throws: PostgresDecodingError.self) { try row.decode("nope", as: Int?.self) }
            #expect(missing.reason == .missingColumn)
        }
    }

    @Test func uniqueViolationMapsToItsSQLSTATEAndConstraint() async throws {
        try await TestCluster.withConnection { connection in
            try await connection.execute("CREATE TABLE organization (number text CONSTRAINT organization_number_key UNIQUE)")
            try await connection.execute("INSERT INTO organization VALUES (\("5566778899"))")
            let error = await #expect(throws: PostgresError.self) {
                try await connection.execute("INSERT INTO organization VALUES (\("5566778899"))")
            }
            #expect(error?.kind == .server)
            #expect(error?.code == .uniqueViolation)
            #expect(error?.constraint == "organization_number_key")
            // The detail quotes the value; the description must not.
            #expect(error?.detail?.contains("5566778899") == true)
            #expect(error?.description.contains("5566778899") == false)
            #expect(error?.description.contains("INSERT") == false)
            // The connection is still usable after a statement error.
            #expect(try await connection.query("SELECT 1 AS one").count == 1)
        }
    }

    @Test func transactionRollsBackOnAThrownError() async throws {
        struct Abort: Error {}
        try await TestCluster.withConnection { connection in
            try await connection.execute("CREATE TABLE award (id int)")
            await #expect(throws: Abort.self) {
                try await connection.withTransaction { transaction in
                    try await transaction.execute("INSERT INTO award VALUES (1)")
                    throw Abort()
                }
            }
            try await connection.withTransaction { transaction in
                try await transaction.execute("INSERT INTO award VALUES (2)")
            }
            let ids = try await connection.query("SELECT id FROM award ORDER BY id").map { try $0.decode("id", as: Int.self) }
            #expect(ids == [2])
            #expect(await connection.isReusable)
        }
    }

    @Test func connectionFailureIsAConnectionError() async throws {
        let error = await #expect(throws: PostgresError.self) {
            _ = try await Connection.connect(.unixSocket(directory: "/nonexistent-avrop", user: "nobody", database: "nothing"))
        }
        #expect(error?.kind == .connection)
    }
}
