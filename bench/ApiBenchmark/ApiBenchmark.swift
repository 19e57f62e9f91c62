import AvropApp
import BenchSupport
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Identity
import Logging
import Postgres

/// `bench/run api` (issue 18): the cost of one authenticated read through the whole service. The demo data,
/// a call-off drafted by the demo buyer over the API, then `GET /api/v1/call-offs/{id}` as that buyer with a
/// bearer token, from wrk at 1 and at 8 concurrent clients, 20 s each after a warm-up. Prints, per level,
/// throughput, p50 and p99, and the CPU time per request of the service (this process) and of PostgreSQL
/// (the postmaster and its children); `call-off read throughput req/s: X` (at 8 clients) last.
@main
struct ApiBenchmark {
    static let seconds = Int(ProcessInfo.processInfo.environment["BENCH_SECONDS"] ?? "") ?? 20
    static let password = "bänkens-demo-lösenord-2026"

    static func main() async throws {
        let directory = "/tmp/avrop-bench-api-\(getpid())"
        let cluster = try LocalCluster(directory: directory, settings: [("max_connections", "50")])
        try await cluster.running(run)
        try? FileManager.default.removeItem(atPath: directory)
    }

    static func run(_ cluster: LocalCluster) async throws {
        let admin = try await Connection.connect(cluster.configuration())
        try await admin.simpleQuery("CREATE DATABASE avrop_bench")
        await admin.close()
        let owner = cluster.configuration(database: "avrop_bench")
        try await Connection.withConnection(owner) { _ = try await AvropSchema.migrator().migrate($0) }
        try await ConnectionPool(configuration: owner, maximumConnections: 1).closing { pool in
            _ = try await DemoData.seed(pool: pool, password: password, passwords: PasswordPolicy(cost: 4))
        }

        // The service as `avrop serve` runs it: its default pool, as avrop_app.
        let configuration = AppConfiguration(port: 0)
        let pool = ConnectionPool(configuration: owner.with("user", "avrop_app"), maximumConnections: configuration.maximumConnections)
        var logger = Logger(label: "bench")
        logger.logLevel = .critical
        let (stream, continuation) = AsyncStream<String>.makeStream()
        let app = buildApplication(
            configuration: configuration, database: AppDatabase(pool: pool, migrator: try AvropSchema.migrator()), logger: logger
        ) { url in continuation.yield(url) }
        let server = Task { try await app.runService() }
        var iterator = stream.makeAsyncIterator()
        guard let base = await iterator.next() else { throw BenchmarkFailure(reason: "the server did not start") }

        let token = try await string(base, "POST", "api/v1/tokens", body: [
            "email": "upphandlare@demo.avrop.se", "password": password, "name": "bench",
        ], key: "token")
        let agreements = try await request(base, "GET", "api/v1/framework-agreements", token: token)
        guard let items = agreements["items"] as? [[String: Any]], let agreementID = items.first?["id"] as? String else {
            throw BenchmarkFailure(reason: "no agreement in the demo data")
        }
        let details = try await request(base, "GET", "api/v1/framework-agreements/\(agreementID)", token: token)
        guard let lotID = (details["lots"] as? [[String: Any]])?.first?["id"] as? String else { throw BenchmarkFailure(reason: "no lot") }
        let callOffID = try await string(base, "POST", "api/v1/call-offs", body: [
            "lotId": lotID, "title": "Bänkens avrop", "estimatedValueOre": 50_000_000,
        ], token: token, key: "id")
        let path = "/api/v1/call-offs/\(callOffID)"
        guard try await request(base, "GET", String(path.dropFirst()), token: token)["id"] as? String == callOffID else {
            throw BenchmarkFailure(reason: "the call-off does not read back")
        }

        var last = 0.0
        for clients in [1, 8] {
            _ = try wrk(base, path, token: token, clients: clients, seconds: 2)
            let service = cpuSeconds(of: [getpid()])
            let database = cpuSeconds(of: postgresProcesses(cluster))
            let figures = try wrk(base, path, token: token, clients: clients, seconds: seconds)
            let serviceCPU = cpuSeconds(of: [getpid()]) - service
            let databaseCPU = cpuSeconds(of: postgresProcesses(cluster)) - database
            guard let requests = figures["requests"], requests > 0, let duration = figures["duration_us"], figures["errors"] == 0 else {
                throw BenchmarkFailure(reason: "wrk reported errors or nothing: \(figures)")
            }
            let throughput = requests / (duration / 1_000_000)
            func ms(_ name: String) -> String { format((figures[name] ?? 0) / 1000) }
            print("\(clients) client\(clients == 1 ? "" : "s"): \(format(throughput)) requests/s, p50 ms: \(ms("p50_us")), p99 ms: \(ms("p99_us")), "
                  + "CPU per request µs: service \(format(serviceCPU / requests * 1e6)), PostgreSQL \(format(databaseCPU / requests * 1e6))")
            last = throughput
        }
        print("call-off read throughput req/s: \(format(last))")
        server.cancel()
        _ = try? await server.value
        await pool.close()
    }

    /// User and system CPU of the processes `pids`, in seconds (from /proc; the load generator is not among them).
    static func cpuSeconds(of pids: [Int32]) -> Double {
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        return pids.reduce(0) { total, pid in
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let end = stat.lastIndex(of: ")") else { return total }
            // After the command's closing parenthesis: state is field 3, utime 14 and stime 15.
            let fields = stat[stat.index(after: end)...].split(separator: " ")
            guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return total }
            return total + (user + system) / ticks
        }
    }

    /// The cluster's postmaster and every process it started (backends, writer, WAL writer, checkpointer).
    static func postgresProcesses(_ cluster: LocalCluster) -> [Int32] {
        guard let postmaster = cluster.serverProcessID else { return [] }
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return [postmaster] + entries.compactMap(Int32.init).filter { pid in
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let end = stat.lastIndex(of: ")") else { return false }
            let fields = stat[stat.index(after: end)...].split(separator: " ")
            return fields.count > 1 && Int32(fields[1]) == postmaster
        }
    }

    static func request(_ base: String, _ method: String, _ path: String, body: [String: Any]? = nil, token: String? = nil) async throws -> [String: Any] {
        guard let url = URL(string: base + path) else { throw BenchmarkFailure(reason: "bad URL \(path)") }
        var request = URLRequest(url: url)
        request.httpMethod = method
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        if let body {
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.httpBody = try JSONSerialization.data(withJSONObject: body)
        }
        let (data, _) = try await URLSession.shared.data(for: request)
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else { throw BenchmarkFailure(reason: "\(path) answered no object") }
        return object
    }

    static func string(_ base: String, _ method: String, _ path: String, body: [String: Any], token: String? = nil, key: String) async throws -> String {
        let object = try await request(base, method, path, body: body, token: token)
        guard let value = object[key] as? String else { throw BenchmarkFailure(reason: "\(path) answered without \(key): \(object)") }
        return value
    }

    /// Runs wrk with bench/api/read.lua on `path` with the token.
    static func wrk(_ base: String, _ path: String, token: String, clients: Int, seconds: Int) throws -> [String: Double] {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../api/read.lua").standardized.path
        return try Wrk.run(script: script, base: base, clients: clients, seconds: seconds, arguments: [path], environment: ["AVROP_TOKEN": token])
    }
}
