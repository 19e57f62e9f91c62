import Foundation
import Postgres
import PostgresTesting
import Testing

struct RequirementSnapshot: PostgresJSON, Equatable {
    var code: String
    var text: String
    var weight: Int?
    var categories: [String]
}

@Suite("Arrays, jsonb, Int16 and Float round-trip")
struct ArrayAndJSONTests {
    @Test func arraysOfEveryScalarRoundTrip() async throws {
        try await TestCluster.withConnection { connection in
            let uuids = [UUID(), UUID()]
            let dates = [Date(timeIntervalSince1970: 1_700_000_000.5), Date(timeIntervalSince1970: 0)]
            let row = try #require(try await connection.query("""
                SELECT \([true, false]) AS bools, \([Int16(-3), 7]) AS smalls, \([Int32(1), -2]) AS ints,
                       \([Int64.max, 0]) AS bigs, \([1, 2, 3]) AS ints8, \([Float(1.5), -0.25]) AS floats,
                       \([0.1, 1e300]) AS doubles, \(["a", "", "med \"citat\" och \\ snedstreck", "NULL", "å,ä;ö {}"]) AS texts,
                       \(uuids) AS uuids, \(dates) AS dates, \([Data([0, 255]), Data()]) AS blobs, \([String]()) AS empty
                """).first)
            #expect(try row.decode("bools", as: [Bool].self) == [true, false])
            #expect(try row.decode("smalls", as: [Int16].self) == [-3, 7])
            #expect(try row.decode("ints", as: [Int32].self) == [1, -2])
            #expect(try row.decode("bigs", as: [Int64].self) == [Int64.max, 0])
            #expect(try row.decode("ints8", as: [Int].self) == [1, 2, 3])
            #expect(try row.decode("floats", as: [Float].self) == [1.5, -0.25])
            #expect(try row.decode("doubles", as: [Double].self) == [0.1, 1e300])
            #expect(try row.decode("texts", as: [String].self) == ["a", "", "med \"citat\" och \\ snedstreck", "NULL", "å,ä;ö {}"])
            #expect(try row.decode("uuids", as: [UUID].self) == uuids)
            #expect(try row.decode("dates", as: [Date].self) == dates)
            #expect(try row.decode("blobs", as: [Data].self) == [Data([0, 255]), Data()])
            #expect(try row.decode("empty", as: [String].self) == [])
        }
    }

    @Test func arrayErrorsNameTheColumn() async throws {
        try await TestCluster.withConnection { connection in
            let row = try #require(try await connection.query("SELECT ARRAY[1, NULL]::int8[] AS ranks, ARRAY['x'] AS tags").first)
            let null = try #require(throws: PostgresDecodingError.self) { try row.decode("ranks", as: [Int].self) }
            #expect(null.column == "ranks")
            #expect(null.reason == .unexpectedNull)
            let mismatch = try #require(throws: PostgresDecodingError.self) { try row.decode("tags", as: [Int].self) }
            #expect(mismatch.column == "tags")
        }
    }

    @Test func codableValuesRoundTripAsJSONB() async throws {
        try await TestCluster.withConnection { connection in
            let value = RequirementSnapshot(code: "K4.2", text: "Leverantören ska följa WCAG 2.1 AA", weight: nil, categories: ["tillgänglighet"])
            try await connection.execute("CREATE TABLE snapshot (data jsonb NOT NULL)")
            try await connection.execute("INSERT INTO snapshot VALUES (\(value))")
            let row = try #require(try await connection.query("SELECT data, data->>'code' AS code, jsonb_typeof(data) AS kind FROM snapshot").first)
            #expect(try row.decode("data", as: RequirementSnapshot.self) == value)
            #expect(try row.decode("code", as: String.self) == "K4.2")
            #expect(try row.decode("kind", as: String.self) == "object")
            let bad = try #require(try await connection.query("SELECT '{\"code\": 1}'::jsonb AS data").first)
            let error = try #require(throws: PostgresDecodingError.self) { try bad.decode("data", as: RequirementSnapshot.self) }
            #expect(error.reason == .invalidValue)
        }
    }

    @Test func int16AndFloatRoundTripWithTheirLimits() async throws {
        try await TestCluster.withConnection { connection in
            let row = try #require(try await connection.query("""
                SELECT \(Int16.min) AS small, \(Float.greatestFiniteMagnitude) AS big, \(Float(0.1)) AS tenth, \(Float.infinity) AS inf
                """).first)
            #expect(try row.decode("small", as: Int16.self) == .min)
            #expect(try row.decode("big", as: Float.self) == .greatestFiniteMagnitude)
            #expect(try row.decode("tenth", as: Float.self) == 0.1)
            #expect(try row.decode("inf", as: Float.self) == .infinity)
        }
    }
}
