import Audit
import AvropApp
import Foundation
import Identity
import Postgres

/// `bench/run audit`: audit appends per second in one stream and across 8 streams (8 concurrent writers,
/// each append its own transaction as the application role), and the login cost of bcrypt at cost 12.
@main
struct AuditBenchmark {
    static let seconds = Double(ProcessInfo.processInfo.environment["BENCH_SECONDS"] ?? "") ?? 5

    static func main() async throws {
        let directory = "/tmp/avrop-bench-audit-\(getpid())"
        let cluster = try LocalCluster(directory: directory, settings: [("max_connections", "50")])
        try await cluster.running(run)
        try? FileManager.default.removeItem(atPath: directory)
    }

    static func run(_ cluster: LocalCluster) async throws {
        let admin = try await Connection.connect(cluster.configuration())
        try await admin.simpleQuery("DROP DATABASE IF EXISTS avrop_bench")
        try await admin.simpleQuery("CREATE DATABASE avrop_bench")
        await admin.close()
        let ownerConfiguration = cluster.configuration(database: "avrop_bench")
        let owner = ConnectionPool(configuration: ownerConfiguration, maximumConnections: 2)
        try await owner.withConnection { try await AvropSchema.migrator().migrate($0) }
        let organization = try await IdentityAdministration(pool: owner, passwords: PasswordPolicy(cost: 4))
            .addOrganization(kind: .contractingAuthority, name: "Bänkmyndigheten", number: "202100-1231")
        await owner.close()

        let app = ConnectionPool(configuration: cluster.configuration(database: "avrop_bench", user: "avrop_app"), maximumConnections: 8)
        let settings = [("avrop.org_id", organization.id.uuidString), ("avrop.user_id", UUID().uuidString)]
        for (label, streams) in [("1 stream, 1 writer", 1), ("1 stream, 8 writers", 1), ("8 streams, 8 writers", 8)] {
            let writers = label.hasSuffix("1 writer") ? 1 : 8
            let names = (0..<streams).map { _ in "bench/\(UUID().uuidString.lowercased())" }
            let deadline = ContinuousClock.now + .seconds(seconds)
            let started = ContinuousClock.now
            let appended = try await withThrowingTaskGroup(of: Int.self) { group in
                for writer in 0..<writers {
                    group.addTask {
                        var count = 0
                        while ContinuousClock.now < deadline {
                            try await app.withTransaction(settings: settings) { connection in
                                _ = try await AuditLog.append(
                                    stream: names[writer % streams], organizationID: organization.id, action: "bench.appended",
                                    data: AuditFacts(["writer": String(writer)]), on: connection
                                )
                            }
                            count += 1
                        }
                        return count
                    }
                }
                return try await group.reduce(0, +)
            }
            let elapsed = ContinuousClock.now - started
            let perSecond = Double(appended) / (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
            print("audit append, \(label): \(Int(perSecond)) events/s")
        }
        await app.close()

        let policy = PasswordPolicy()
        let hash = try policy.hash("en lång och ovanlig fras")
        var times: [Double] = []
        for _ in 0..<7 {
            let started = ContinuousClock.now
            _ = policy.verify("en lång och ovanlig fras", hash: hash)
            let elapsed = ContinuousClock.now - started
            times.append(Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000)
        }
        times.sort()
        print("login password check (bcrypt cost \(policy.cost)) p50 ms: \(String(format: "%.0f", times[3]))")
        let verifier = ConnectionPool(configuration: ownerConfiguration, maximumConnections: 1)
        let started = ContinuousClock.now
        let report = try await verifier.withConnection { try await AuditVerifier.verify(on: $0) }
        let elapsed = ContinuousClock.now - started
        await verifier.close()
        print("audit verify: \(report.events) events in \(elapsed), intact: \(report.isIntact)")
    }
}
