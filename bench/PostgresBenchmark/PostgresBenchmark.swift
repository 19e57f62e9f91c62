import Foundation
import Postgres

/// Our `Postgres` module against PostgreSQL's own `pgbench`, on one private cluster, with the same
/// statements over the same protocol: (a) a primary-key SELECT of one row, (b) a single-row INSERT in its
/// own transaction; each at 1 and 8 concurrent connections. Prints one line per case and, last, the worst
/// ratio of our throughput to pgbench's.
@main
struct PostgresBenchmark {
    static let rows = 100_000
    /// Seconds per round of one side: whole seconds, as pgbench's `-T` takes them.
    static let seconds = Double(max(1, Int(ProcessInfo.processInfo.environment["BENCH_SECONDS"] ?? "") ?? 2))
    /// Rounds per case and protocol; odd, so that the median is one of them.
    static let rounds = max(1, Int(ProcessInfo.processInfo.environment["BENCH_ROUNDS"] ?? "") ?? 15) | 1

    struct Case {
        let name: String
        let clients: Int
        let sql: @Sendable (Int) -> SQL
        let pgbenchScript: String
    }

    static func main() async throws {
        let directory = "/tmp/avrop-bench-\(getpid())"
        let cluster = try LocalCluster(directory: directory, settings: [("max_connections", "50"), ("shared_buffers", "256MB")])
        try await cluster.running(run)
        try? FileManager.default.removeItem(atPath: directory)
    }

    static func run(_ cluster: LocalCluster) async throws {
        let admin = try await Connection.connect(cluster.configuration())
        try await admin.simpleQuery("""
            DROP TABLE IF EXISTS bench_item, bench_log;
            CREATE TABLE bench_item (id int8 PRIMARY KEY, name text NOT NULL, value int8 NOT NULL);
            INSERT INTO bench_item SELECT i, 'artikel ' || i, i * 7 FROM generate_series(1, \(rows)) AS i;
            CREATE TABLE bench_log (id bigserial PRIMARY KEY, item_id int8 NOT NULL, note text NOT NULL);
            """)
        // VACUUM cannot run in the implicit transaction of a multi-statement query.
        try await admin.simpleQuery("VACUUM ANALYZE bench_item")
        await admin.close()

        let cases: [Case] = [1, 8].flatMap { clients in [
            Case(
                name: "select-pk", clients: clients,
                sql: { id in "SELECT id, name, value FROM bench_item WHERE id = \(id)" },
                pgbenchScript: "\\set id random(1, \(rows))\nSELECT id, name, value FROM bench_item WHERE id = :id;\n"
            ),
            Case(
                name: "insert", clients: clients,
                sql: { id in "INSERT INTO bench_log (item_id, note) VALUES (\(id), \("anteckning"))" },
                pgbenchScript: "\\set id random(1, \(rows))\nINSERT INTO bench_log (item_id, note) VALUES (:id, 'anteckning');\n"
            ),
        ] }

        var worst = Double.infinity
        let only = ProcessInfo.processInfo.environment["BENCH_ONLY"]
        for benchCase in cases where only == nil || only == "\(benchCase.name)-\(benchCase.clients)" {
            var line = "\(benchCase.name) c=\(benchCase.clients):"
            // Each protocol against pgbench in the same one: prepared statements (our default), and
            // unnamed statements with bound parameters (PQexecParams). This VM's speed drifts by a third
            // within seconds (steal time), so the sides run in short rounds, in pairs, the order turned
            // every round; each pair gives a ratio and the median of the ratios counts. The throughputs
            // shown are each side's median.
            for prepared in [true, false] {
                let mode = prepared ? "prepared" : "extended"
                var configuration = cluster.configuration()
                configuration.preparedStatements = prepared
                var theirs: [(throughput: Double, cpu: CPUTime)] = []
                var ours: [(throughput: Double, p50: Double, p99: Double, cpu: CPUTime)] = []
                var ratios: [Double] = []
                for round in 0..<rounds {
                    if round % 2 == 0 {
                        theirs.append(try pgbench(cluster, benchCase, mode: mode))
                        ours.append(try await measure(configuration, benchCase))
                    } else {
                        ours.append(try await measure(configuration, benchCase))
                        theirs.append(try pgbench(cluster, benchCase, mode: mode))
                    }
                    ratios.append(ours[round].throughput / theirs[round].throughput)
                }
                let ratio = median(ratios)
                let reference = theirs.sorted { $0.throughput < $1.throughput }[rounds / 2]
                let own = ours.sorted { $0.throughput < $1.throughput }[rounds / 2]
                line += " [\(mode)] pgbench \(format(reference.throughput)) tps, ours \(format(own.throughput)) tps"
                    + " (p50 \(format(own.p50)) ms, p99 \(format(own.p99)) ms), ratio \(format(ratio))"
                    + " (rounds \(format(ratios.min() ?? 0))–\(format(ratios.max() ?? 0))),"
                    + " client CPU µs/statement (user+system) pgbench \(reference.cpu) ours \(own.cpu);"
                if prepared == PostgresConfiguration.environment.preparedStatements { worst = min(worst, ratio) }
            }
            print(line)
        }
        print("postgres-module/pgbench throughput ratio: \(format(worst))")
    }

    /// Our side: `clients` tasks, each with its own pooled connection, looping for the duration.
    /// The CPU time spent by the client: ours the process's own, pgbench's collected with the child.
    static func measure(_ configuration: PostgresConfiguration, _ benchCase: Case) async throws -> (throughput: Double, p50: Double, p99: Double, cpu: CPUTime) {
        let pool = ConnectionPool(configuration: configuration, maximumConnections: benchCase.clients)
        // Open every connection before the clock starts, as pgbench's figure excludes connection time.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<benchCase.clients {
                group.addTask { _ = try await pool.withConnection { try await $0.execute("SELECT pg_sleep(0.01)") } }
            }
            try await group.waitForAll()
        }
        let deadline = ContinuousClock.now + .seconds(seconds)
        let cpuBefore = CPUTime(RUSAGE_SELF)
        let started = ContinuousClock.now
        let latencies = try await withThrowingTaskGroup(of: [Double].self) { group in
            for client in 0..<benchCase.clients {
                group.addTask {
                    var own: [Double] = []
                    own.reserveCapacity(100_000)
                    // A user-space generator, as pgbench's: the system's makes a getrandom(2) call per
                    // number (about 0.3 µs here), which would be charged to the module.
                    var generator = SplitMix64(seed: UInt64(client) &+ 1)
                    try await pool.withConnection { connection in
                        while ContinuousClock.now < deadline {
                            let id = Int.random(in: 1...rows, using: &generator)
                            let begin = ContinuousClock.now
                            try await connection.execute(benchCase.sql(id))
                            own.append(milliseconds(ContinuousClock.now - begin))
                        }
                    }
                    return own
                }
            }
            var all: [Double] = []
            for try await own in group { all += own }
            return all
        }
        let elapsed = ContinuousClock.now - started
        let cpu = CPUTime(RUSAGE_SELF) - cpuBefore
        await pool.close()
        let sorted = latencies.sorted()
        func percentile(_ p: Double) -> Double { sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))] }
        let perStatement = cpu.perStatement(sorted.count)
        return (Double(sorted.count) / (milliseconds(elapsed) / 1000), percentile(0.5), percentile(0.99), perStatement)
    }

    /// pgbench's throughput for the same statement in protocol `mode` (`prepared` or `extended`), without
    /// connection time.
    static func pgbench(_ cluster: LocalCluster, _ benchCase: Case, mode: String) throws -> (throughput: Double, cpu: CPUTime) {
        let script = "/tmp/avrop-bench-\(getpid())-\(benchCase.name).sql"
        try benchCase.pgbenchScript.write(toFile: script, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: script) }
        let arguments = [
            try LocalCluster.program("pgbench"),
            "-h", cluster.socketDirectory, "-p", String(cluster.port), "-U", cluster.superuser, "-n", "-M", mode,
            "-c", String(benchCase.clients), "-j", String(benchCase.clients), "-T", String(Int(seconds)), "-f", script, "postgres",
        ]
        // Not Foundation's Process: it starts children with the signals of its thread blocked, and pgbench's
        // -T runs on SIGALRM.
        let cpuBefore = CPUTime(RUSAGE_CHILDREN)
        let text = ChildProcess.output(arguments) ?? ""
        let cpu = CPUTime(RUSAGE_CHILDREN) - cpuBefore
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("tps = ") }),
              let value = Double(line.dropFirst("tps = ".count).prefix { $0 != " " })
        else {
            throw BenchmarkError(message: "pgbench printed no tps:\n\(text)")
        }
        // pgbench runs for `seconds`; its statements are its throughput times that.
        return (value, cpu.perStatement(Int(value * seconds)))
    }

    static func milliseconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) * 1000 + Double(attoseconds) / 1e15
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.isEmpty ? 0 : sorted[sorted.count / 2]
    }

    static func format(_ value: Double) -> String { String(format: value >= 100 ? "%.0f" : "%.3f", value) }
}

/// User and system CPU time of this process (`RUSAGE_SELF`) or of its reaped children (`RUSAGE_CHILDREN`),
/// in seconds; after `perStatement`, in µs per statement. The split shows whether a difference lies in the
/// client's own code (user) or in the system calls and scheduling both sides share (system).
struct CPUTime: CustomStringConvertible {
    var user: Double
    var system: Double
    /// Context switches: voluntary (waiting) and involuntary (preempted).
    var switches: (voluntary: Double, involuntary: Double)

    init(user: Double, system: Double, switches: (voluntary: Double, involuntary: Double)) {
        self.user = user
        self.system = system
        self.switches = switches
    }

    init(_ who: __rusage_who) {
        var usage = rusage()
        getrusage(who.rawValue, &usage)
        func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
        self.init(
            user: seconds(usage.ru_utime), system: seconds(usage.ru_stime),
            switches: (Double(usage.ru_nvcsw), Double(usage.ru_nivcsw))
        )
    }

    static func - (a: CPUTime, b: CPUTime) -> CPUTime { CPUTime(
        user: a.user - b.user, system: a.system - b.system,
        switches: (a.switches.voluntary - b.switches.voluntary, a.switches.involuntary - b.switches.involuntary)
    ) }

    func perStatement(_ statements: Int) -> CPUTime {
        let scale = statements > 0 ? 1e6 / Double(statements) : 0
        let count = statements > 0 ? 1 / Double(statements) : 0
        return CPUTime(user: user * scale, system: system * scale, switches: (switches.voluntary * count, switches.involuntary * count))
    }

    var description: String { String(format: "%.2f+%.2f (switches %.2f+%.2f)", user, system, switches.voluntary, switches.involuntary) }
}

/// SplitMix64 (Steele, Lea, Flood 2014): fast, and good enough to spread keys over a table.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

struct BenchmarkError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
