import Foundation
import Postgres
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// These tests run clusters of their own (not the shared test cluster), since they stop and kill them.
@Suite("LocalCluster runs a private PostgreSQL", .serialized)
struct LocalClusterTests {
    /// A short, fresh directory: socket paths must stay under 107 bytes.
    private func makeDirectory() -> String {
        "/tmp/avrop-lc-\(getpid())-\(UInt16.random(in: 0...UInt16.max))"
    }

    private func answers(_ cluster: LocalCluster) async -> Bool {
        guard let connection = try? await Connection.connect(cluster.configuration()) else { return false }
        defer { Task { await connection.close() } }
        return (try? await connection.query("SELECT 1 AS one").count) == 1
    }

    @Test func startsStopsAndStartsAgainAfterKillNine() async throws {
        let directory = makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let cluster = try LocalCluster(directory: directory, settings: [("fsync", "off")])

        try await cluster.start()
        #expect(await answers(cluster))
        // Only a Unix socket, inside the cluster's private directory.
        #expect(FileManager.default.fileExists(atPath: directory + "/.s.PGSQL.5432"))
        var info = stat()
        #expect(stat(directory, &info) == 0)
        #expect(info.st_mode & 0o077 == 0, "the socket's directory must be private to the cluster's user")
        let connection = try await Connection.connect(cluster.configuration())
        let listen = try #require(try await connection.query("SELECT current_setting('listen_addresses') AS value").first)
        #expect(try listen.decode("value", as: String.self) == "")
        await connection.close()

        try await cluster.stop()
        #expect(cluster.serverProcessID == nil)
        #expect(await answers(cluster) == false)

        try await cluster.start()
        #expect(await answers(cluster))

        // kill -9 leaves postmaster.pid behind; start must cope with it.
        let pid = try #require(cluster.serverProcessID)
        #expect(kill(pid, SIGKILL) == 0)
        for _ in 0..<100 where kill(pid, 0) == 0 { try await Task.sleep(for: .milliseconds(50)) }
        #expect(FileManager.default.fileExists(atPath: cluster.dataDirectory + "/postmaster.pid"))
        #expect(cluster.serverProcessID == nil)
        try await cluster.start()
        #expect(await answers(cluster))

        try await cluster.stop()
        #expect(cluster.serverProcessID == nil)
    }

    @Test func startingARunningClusterIsHarmless() async throws {
        let directory = makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let cluster = try LocalCluster(directory: directory, settings: [("fsync", "off")])
        try await cluster.start()
        let pid = cluster.serverProcessID
        try await cluster.start()
        #expect(cluster.serverProcessID == pid)
        try await cluster.stop()
    }

    @Test func refusesASocketPathTooLongForUnixSockets() {
        let long = "/tmp/" + String(repeating: "a", count: 110)
        #expect(throws: LocalCluster.Failure.self) { try LocalCluster(directory: long) }
    }
}

@Suite("The pool recovers from a server restart")
struct RestartRecoveryTests {
    @Test func theNextRequestAfterPgCtlRestartSucceeds() async throws {
        let directory = "/tmp/avrop-rr-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let cluster = try LocalCluster(directory: directory, settings: [("fsync", "off")])
        try await cluster.start()
        let pool = ConnectionPool(configuration: cluster.configuration(), maximumConnections: 4)
        do {
            // Fill the pool with idle connections that the restart will break.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        _ = try await pool.withConnection { try await $0.execute("SELECT pg_sleep(0.05)") }
                    }
                }
                try await group.waitForAll()
            }
            #expect(pool.statistics.idle == 4)
            try await cluster.restart()
            // Every one of the next requests succeeds at its first try: no service restart, no error.
            for _ in 0..<6 {
                let one = try await pool.withConnection { try await $0.query("SELECT 1 AS one").first?.decode("one", as: Int.self) }
                #expect(one == 1)
            }
            await pool.close()
            try await cluster.stop()
        } catch {
            await pool.close()
            try? await cluster.stop()
            throw error
        }
    }
}
