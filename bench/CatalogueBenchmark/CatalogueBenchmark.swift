import AvropApp
import BenchSupport
import Foundation
import FrameworkAgreements
import CatalogueSearch
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Logging
import Postgres

/// `bench/run catalogue` (issue 4): 100,000 verified solutions over 20 active agreements, searched over HTTP
/// (`GET /api/v1/catalogue`) by 8 concurrent clients with a mix of one word, two words, a phrase and a
/// misspelling, with and without facets; the load comes from wrk (bench/catalogue/mix.lua). Every search is computed in full (the service keeps no results,
/// only its index of the catalogue). Prints the time to build that index (the first search, and the first
/// after a change), each query alone, throughput and latency of the mix, `catalogue search p95 ms: X` last.
@main
struct CatalogueBenchmark {
    static let solutions = Int(ProcessInfo.processInfo.environment["BENCH_SOLUTIONS"] ?? "") ?? 100_000
    static let seconds = Double(ProcessInfo.processInfo.environment["BENCH_SECONDS"] ?? "") ?? 10
    static let clients = 8
    static let inProcessSearches = Int(ProcessInfo.processInfo.environment["BENCH_IN_PROCESS_SEARCHES"] ?? "") ?? 200

    static let queries = [
        "q=digital", "q=digitala%20tj%C3%A4nster", "q=%22digital%20tj%C3%A4nst%22", "q=varudistrubution",
        "q=klimat&trl=7-9", "q=tolk&type=service", "q=sensorer%20or%20robot", "trl=4-6&sort=newest",
    ]

    static func main() async throws {
        let directory = "/tmp/avrop-bench-catalogue-\(getpid())"
        let cluster = try LocalCluster(directory: directory, settings: [("max_connections", "50"), ("shared_buffers", "256MB")])
        try await cluster.running(run)
        try? FileManager.default.removeItem(atPath: directory)
    }

    static func run(_ cluster: LocalCluster) async throws {
        let admin = try await Connection.connect(cluster.configuration())
        try await admin.simpleQuery("CREATE DATABASE avrop_bench")
        await admin.close()
        let owner = cluster.configuration(database: "avrop_bench")
        let started = ContinuousClock.now
        try await Connection.withConnection(owner) { connection in
            _ = try await AvropSchema.migrator().migrate(connection)
            try await connection.simpleQuery(generation)
            try await connection.simpleQuery("VACUUM ANALYZE avrop.solution")
            // The generated rows' dirty pages are written now, not by a checkpoint in the middle of the load.
            try await connection.simpleQuery("CHECKPOINT")
        }
        print("generated \(solutions) solutions over 20 agreements in \(format(BenchSupport.seconds(ContinuousClock.now - started))) s")

        let pool = ConnectionPool(configuration: owner.with("user", "avrop_app"), maximumConnections: 8)
        // The service's own cost, without HTTP: one search after another in this process.
        let before = residentMiB()
        let catalogue = Catalogue(pool: pool)
        for text in ["digital", "sensorer or robot", "\"digital tjänst\""] {
            _ = try await catalogue.search(.init(text: text))
            let begin = ContinuousClock.now
            for _ in 0..<inProcessSearches { _ = try await catalogue.search(.init(text: text)) }
            print("in process, one at a time: \(text) \(format(BenchSupport.seconds(ContinuousClock.now - begin) * 1000 / Double(inProcessSearches))) ms per search")
        }
        print("resident memory: \(format(before)) MiB before the index, \(format(residentMiB())) MiB with it")
        let p95 = try await measure(pool: pool, owner: owner)
        print("catalogue search p95 ms: \(format(p95))")
        await pool.close()
    }

    /// Runs the service on `pool`, times the index builds and each query alone, then the mix at `clients`;
    /// prints the figures and returns the p95 in ms.
    static func measure(pool: ConnectionPool, owner: PostgresConfiguration) async throws -> Double {
        var logger = Logger(label: "bench")
        logger.logLevel = .critical
        let (stream, continuation) = AsyncStream<String>.makeStream()
        let app = buildApplication(
            configuration: AppConfiguration(port: 0),
            database: AppDatabase(pool: pool, migrator: try AvropSchema.migrator()), logger: logger
        ) { url in continuation.yield(url) }
        let server = Task { try await app.runService() }
        var iterator = stream.makeAsyncIterator()
        guard let base = await iterator.next() else { return 0 }

        let session = URLSession(configuration: .ephemeral)
        func timed(_ query: String) async throws -> Double {
            guard let url = URL(string: base + "api/v1/catalogue?" + query) else { return 0 }
            let begin = ContinuousClock.now
            _ = try await session.data(from: url)
            return BenchSupport.seconds(ContinuousClock.now - begin) * 1000
        }
        print("first search (builds the index): \(format(try await timed("q=digital"))) ms")
        // Any change to the catalogue's tables moves its generation: the next search builds a new index.
        try await Connection.withConnection(owner) { _ = try await $0.execute("UPDATE avrop.lot SET title = title") }
        print("first search after a change (builds the index again): \(format(try await timed("q=digital"))) ms")
        // One of each, timed alone, to see which kind costs what.
        for query in queries {
            print("  alone: \(query) \(format(try await timed(query))) ms")
        }
        // The mix from wrk (C, two threads), so that the load generator takes little of the two cores that
        // the service and PostgreSQL share: first to warm up, then measured.
        let paths = queries.map { "/api/v1/catalogue?" + $0 }
        _ = try wrk(base, paths, seconds: 2)
        let figures = try wrk(base, paths, seconds: Int(seconds))
        guard let requests = figures["requests"], let duration = figures["duration_us"], figures["errors"] == 0 else {
            throw BenchmarkFailure(reason: "wrk reported errors or nothing: \(figures)")
        }
        let elapsed = duration / 1_000_000
        func ms(_ name: String) -> Double { (figures[name] ?? 0) / 1000 }
        print("  \(Int(requests)) requests in \(format(elapsed)) s at \(clients) clients: \(format(requests / elapsed)) requests/s")
        print("  p50 ms: \(format(ms("p50_us"))), p95 ms: \(format(ms("p95_us"))), p99 ms: \(format(ms("p99_us")))")
        server.cancel()
        _ = try? await server.value
        return ms("p95_us")
    }

    /// Runs wrk with `clients` connections for `seconds` over `paths` in turn (bench/catalogue/mix.lua).
    static func wrk(_ base: String, _ paths: [String], seconds: Int) throws -> [String: Double] {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../catalogue/mix.lua").standardized.path
        return try Wrk.run(script: script, base: base, clients: clients, seconds: seconds, arguments: paths)
    }

    /// This process's resident memory (VmRSS), in MiB.
    static func residentMiB() -> Double {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return (Double(line.split(separator: " ").dropFirst().first ?? "") ?? 0) / 1024
    }


    /// The data, in SQL: a central purchasing body, 50 suppliers, 20 active agreements of 3 lots with 5
    /// suppliers each, and the solutions built from Swedish word lists, all verified.
    static var generation: String {
        """
        INSERT INTO avrop.organization (id, kind, name, organization_number)
        VALUES ('00000000-0000-0000-0000-000000000001', 'centralPurchasingBody', 'Bänkcentralen', '2021001231');
        INSERT INTO avrop.organization (id, kind, name, organization_number)
        SELECT ('00000000-0000-0000-0001-' || lpad(i::text, 12, '0'))::uuid, 'supplier', 'Leverantör ' || i || ' AB', lpad((5560000000 + i)::text, 10, '0')
        FROM generate_series(1, 50) AS i;
        INSERT INTO avrop.framework_agreement (id, owner_id, reference, title, valid_from, valid_to, ceiling_ore)
        SELECT ('00000000-0000-0000-0002-' || lpad(i::text, 12, '0'))::uuid, '00000000-0000-0000-0000-000000000001',
               'B-' || i, 'Ramavtal ' || i, current_date - 30, current_date + 700, 100000000
        FROM generate_series(1, 20) AS i;
        INSERT INTO avrop.lot (id, agreement_id, number, title, call_off_method)
        SELECT ('00000000-0000-0000-0003-' || lpad((a * 10 + n)::text, 12, '0'))::uuid,
               ('00000000-0000-0000-0002-' || lpad(a::text, 12, '0'))::uuid, n, 'Område ' || n, 'renewedCompetition'
        FROM generate_series(1, 20) AS a, generate_series(1, 3) AS n;
        INSERT INTO avrop.lot_supplier (lot_id, supplier_id, rank)
        SELECT l.id, ('00000000-0000-0000-0001-' || lpad((1 + (l.number * 7 + k * 11 + a) % 50)::text, 12, '0'))::uuid, k
        FROM avrop.lot l, generate_series(1, 5) AS k, LATERAL (SELECT right(l.agreement_id::text, 2)::int AS a) x
        ON CONFLICT DO NOTHING;
        UPDATE avrop.framework_agreement SET activated_at = now();
        WITH pairs AS (
            SELECT array_agg(lot_id ORDER BY lot_id, supplier_id) AS lots, array_agg(supplier_id ORDER BY lot_id, supplier_id) AS suppliers,
                   count(*)::int AS n
            FROM avrop.lot_supplier
        ), words AS (
            SELECT ARRAY['Digital', 'Smart', 'Automatiserad', 'Klimatsmart', 'Mobil', 'Säker', 'Öppen', 'Tillgänglig', 'Elektrifierad', 'Samordnad'] AS a,
                   ARRAY['tjänst', 'plattform', 'tolkning', 'varudistribution', 'tillsyn', 'bokning', 'sensorer', 'robot', 'e-tjänst', 'logistik',
                         'journalföring', 'planering', 'parkering', 'laddning', 'snöröjning'] AS b,
                   ARRAY['för kommuner', 'i vården', 'för invånare', 'i hemtjänsten', 'i stadskärnan', 'för skolor', 'på landsbygden'] AS c
        )
        INSERT INTO avrop.solution (id, supplier_id, lot_id, name, summary, description, innovation_type, innovation_step, trl, tags, status, submitted_at,
                                    decided_at, verification_method, decision_reasons, valid_until)
        SELECT gen_random_uuid(), p.suppliers[1 + i % p.n], p.lots[1 + i % p.n],
               w.a[1 + i % 10] || ' ' || w.b[1 + (i / 10) % 15] || ' ' || w.c[1 + (i / 150) % 7],
               'Lösningen ger ' || w.b[1 + (i / 7) % 15] || ' ' || w.c[1 + i % 7] || ' med mätbara resultat från pilot nummer ' || i || '.',
               'Prövad i verklig verksamhet. ' || w.a[1 + (i / 3) % 10] || ' ' || w.b[1 + (i / 11) % 15] || ' minskar handläggningstiden och utsläppen.',
               (ARRAY['product', 'service', 'process', 'organisational'])[1 + i % 4], (ARRAY['deploy', 'introduce', 'initiate'])[1 + i % 3], 1 + i % 9,
               ARRAY[lower(w.b[1 + i % 15]), 'innovation'], 'verified', now(), now() - i * interval '1 minute', 'pilot', 'Verifierad i pilot',
               current_date + 365
        FROM generate_series(1, \(solutions)) AS i, words w, pairs p;
        """
    }
}
