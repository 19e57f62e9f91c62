import Foundation
import Postgres
import PostgresTesting
import Testing

@Suite("Values travel to PostgreSQL and back unchanged")
struct ValueRoundTripTests {
    @Test func everySupportedTypeRoundTrips() async throws {
        try await TestCluster.withConnection { connection in
            let uuid = UUID()
            // Microsecond precision is PostgreSQL's; build the date from whole microseconds.
            let date = Date(timeIntervalSince1970: 1_795_000_123.456789)
            let bytes = Data([0, 1, 2, 0x7f, 0x80, 0xfe, 0xff])
            let rows = try await connection.query("""
                SELECT \(true) AS b, \(Int(-9_007_199_254_740_993)) AS i, \(Int32.max) AS i32, \(Int64.min) AS i64,
                       \(0.1 + 0.2) AS d, \("Kravuppföljning: åäö ÅÄÖ é ✓") AS s, \(uuid) AS u, \(date) AS t,
                       \(bytes) AS bytes
                """)
            let row = try #require(rows.first)
            #expect(try row.decode("b", as: Bool.self) == true)
            #expect(try row.decode("i", as: Int.self) == -9_007_199_254_740_993)
            #expect(try row.decode("i32", as: Int32.self) == Int32.max)
            #expect(try row.decode("i64", as: Int64.self) == Int64.min)
            #expect(try row.decode("d", as: Double.self) == 0.1 + 0.2)
            #expect(try row.decode("s", as: String.self) == "Kravuppföljning: åäö ÅÄÖ é ✓")
            #expect(try row.decode("u", as: UUID.self) == uuid)
            let decodedDate = try row.decode("t", as: Date.self)
            #expect(abs(decodedDate.timeIntervalSince(date)) < 0.000_001)
            #expect(try row.decode("bytes", as: Data.self) == bytes)
        }
    }

    @Test func nullRoundTripsAsNilForEveryType() async throws {
        try await TestCluster.withConnection { connection in
            let rows = try await connection.query("""
                SELECT \(Bool?.none) AS b, \(Int?.none) AS i, \(Int32?.none) AS i32, \(Int64?.none) AS i64,
                       \(Double?.none) AS d, \(String?.none) AS s, \(UUID?.none) AS u, \(Date?.none) AS t,
                       \(Data?.none) AS bytes, \(Optional("ö")) AS present
                """)
            let row = try #require(rows.first)
            #expect(try row.decode("b", as: Bool?.self) == nil)
            #expect(try row.decode("i", as: Int?.self) == nil)
            #expect(try row.decode("i32", as: Int32?.self) == nil)
            #expect(try row.decode("i64", as: Int64?.self) == nil)
            #expect(try row.decode("d", as: Double?.self) == nil)
            #expect(try row.decode("s", as: String?.self) == nil)
            #expect(try row.decode("u", as: UUID?.self) == nil)
            #expect(try row.decode("t", as: Date?.self) == nil)
            #expect(try row.decode("bytes", as: Data?.self) == nil)
            #expect(try row.decode("present", as: String?.self) == "ö")
        }
    }

    @Test func specialDoublesAndEmptyValuesRoundTrip() async throws {
        try await TestCluster.withConnection { connection in
            let rows = try await connection.query("""
                SELECT \(Double.infinity) AS inf, \(-Double.infinity) AS ninf, \(Double.nan) AS nan,
                       \(1e-300) AS tiny, \("") AS empty, \(Data()) AS nobytes
                """)
            let row = try #require(rows.first)
            #expect(try row.decode("inf", as: Double.self) == .infinity)
            #expect(try row.decode("ninf", as: Double.self) == -.infinity)
            #expect(try row.decode("nan", as: Double.self).isNaN)
            #expect(try row.decode("tiny", as: Double.self) == 1e-300)
            #expect(try row.decode("empty", as: String.self) == "")
            #expect(try row.decode("nobytes", as: Data.self) == Data())
        }
    }

    @Test func interpolatedTextIsAValueNeverSQL() async throws {
        try await TestCluster.withConnection { connection in
            try await connection.execute("CREATE TABLE note (body text NOT NULL)")
            let hostile = "x'); DROP TABLE note; --"
            try await connection.execute("INSERT INTO note (body) VALUES (\(hostile))")
            let rows = try await connection.query("SELECT body FROM note")
            #expect(rows.count == 1)
            #expect(try rows[0].decode("body", as: String.self) == hostile)
        }
    }

    @Test func timestampsBeforeTheEpochAndAcrossLeapDaysRoundTrip() async throws {
        try await TestCluster.withConnection { connection in
            for seconds in [-1_000_000_000.25, 951_782_400.5 /* 2000-02-29 */, 0, 4_102_444_799.999999] {
                let date = Date(timeIntervalSince1970: seconds)
                let row = try #require(try await connection.query("SELECT \(date) AS t, \(date)::text AS text").first)
                let decoded = try row.decode("t", as: Date.self)
                let serverText = try row.decode("text", as: String.self)
                #expect(abs(decoded.timeIntervalSince(date)) < 0.000_001, "server wrote \(serverText)")
            }
            // The server's own rendering agrees with ours for a known instant.
            let known = try #require(try await connection.query("SELECT '2024-02-29 23:59:59.5+01'::timestamptz AS t").first)
            #expect(try known.decode("t", as: Date.self) == Date(timeIntervalSince1970: 1_709_247_599.5))
        }
    }
}
