import Dispatch
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A private PostgreSQL cluster run by this process: the embedded default of `avrop serve`, and the database
/// of the tests.
///
/// Layout under `directory`: `data/` (the cluster), `postgres.log`, and the Unix socket
/// `.s.PGSQL.<port>`. The server listens on that socket only (`listen_addresses = ''`). The directory is
/// private to the cluster's user (0700), so no other local user can reach the socket; that is why local
/// connections may use `trust`.
///
/// PostgreSQL refuses to run as root. When we are root, its programs run as `postgres` through `runuser`,
/// and that user is given the directory and a way through every parent of it.
public struct LocalCluster: Sendable {
    public enum Failure: Error, CustomStringConvertible {
        case programsNotFound
        case socketPathTooLong(String)
        case setup(String)
        case startFailed(logTail: String)
        case stopFailed(logTail: String)

        public var description: String {
            switch self {
            case .programsNotFound:
                return "PostgreSQL's server programs (initdb, pg_ctl) were not found on PATH, by pg_config, or in "
                    + "/usr/lib/postgresql/*/bin. Install PostgreSQL 15 or newer: sudo apt-get install postgresql"
            case .socketPathTooLong(let path):
                return "the socket path \(path) is longer than a Unix socket allows (107 bytes); choose a shorter data directory"
            case .setup(let message):
                return "could not prepare the local PostgreSQL cluster: \(message)"
            case .startFailed(let tail):
                return "PostgreSQL did not start; the end of its log:\n\(tail)"
            case .stopFailed(let tail):
                return "PostgreSQL did not stop; the end of its log:\n\(tail)"
            }
        }
    }

    /// The cluster's own directory (absolute).
    public let directory: String
    /// The port number in the socket's name (no TCP port is opened).
    public let port: Int
    /// Extra `postgresql.conf` settings, e.g. `fsync = off` for tests.
    public let settings: [(name: String, value: String)]
    /// The cluster's superuser.
    public let superuser = "postgres"

    public var dataDirectory: String { directory + "/data" }
    public var socketDirectory: String { directory }
    public var logFile: String { directory + "/postgres.log" }
    private var pidFile: String { dataDirectory + "/postmaster.pid" }

    /// The operating-system user that runs the server: `postgres` when we are root, else ourselves.
    private static var runsAsOtherUser: Bool { geteuid() == 0 }
    private static let serverUser = "postgres"

    public init(directory: String, port: Int = 5432, settings: [(name: String, value: String)] = []) throws {
        let absolute = directory.hasPrefix("/") ? directory : FileManager.default.currentDirectoryPath + "/" + directory
        self.directory = URL(fileURLWithPath: absolute).standardizedFileURL.path
        self.port = port
        self.settings = settings
        let socket = self.directory + "/.s.PGSQL.\(port)"
        guard socket.utf8.count < 108 else { throw Failure.socketPathTooLong(socket) }
    }

    /// How to connect to `database` as `user` (the superuser unless given) over the cluster's socket.
    public func configuration(database: String = "postgres", user: String? = nil) -> PostgresConfiguration {
        .unixSocket(directory: socketDirectory, port: port, user: user ?? superuser, database: database)
    }

    /// The server's process id, if a server of this data directory is running.
    public var serverProcessID: Int32? {
        guard let text = ChildProcess.readFile(pidFile),
              let first = text.split(separator: "\n").first, let pid = Int32(first), pid > 0,
              kill(pid, 0) == 0 || errno == EPERM
        else { return nil }
        // A reused pid of an unrelated process is not our server.
        guard let command = ChildProcess.readFile("/proc/\(pid)/cmdline") else { return pid }
        return command.contains("postgres") ? pid : nil
    }

    /// Creates the cluster if needed and starts it, unless it is running already; returns once it accepts
    /// connections. A `postmaster.pid` left by a killed server is removed first.
    public func start() async throws {
        try await Self.offloaded { try startBlocking() }
    }

    /// Stops the server (fast shutdown: open sessions are ended) and waits until it is gone.
    public func stop() async throws {
        try await Self.offloaded { try stopBlocking() }
    }

    /// Starts the cluster, runs `body`, and stops the cluster afterwards, also when `body` throws.
    public func running<T>(_ body: (LocalCluster) async throws -> T) async throws -> T {
        try await start()
        do {
            let value = try await body(self)
            try await stop()
            return value
        } catch {
            try? await stop()
            throw error
        }
    }

    /// Restarts the server (fast shutdown, then start), as an operator's `pg_ctl restart` would.
    public func restart() async throws {
        try await Self.offloaded {
            let programs = try Self.locatePrograms()
            let status = try ChildProcess.run(
                asServerUser([programs.pgCtl, "-D", dataDirectory, "-l", logFile, "-m", "fast", "-w", "-t", "60", "restart"]),
                outputFile: logFile
            )
            if status != 0 { throw Failure.startFailed(logTail: logTail()) }
        }
    }

    /// Stops the server at once (immediate shutdown), blocking the calling thread: for exit handlers, where
    /// nothing asynchronous can run any more.
    public func stopImmediately() {
        guard serverProcessID != nil, let programs = try? Self.locatePrograms() else { return }
        _ = try? ChildProcess.run(
            asServerUser([programs.pgCtl, "-D", dataDirectory, "-m", "immediate", "-w", "-t", "30", "stop"]),
            outputFile: logFile
        )
    }

    // MARK: - Blocking work, run off the Swift concurrency pool

    private static func offloaded(_ work: @escaping @Sendable () throws -> Void) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            DispatchQueue.global().async { continuation.resume(with: Result { try work() }) }
        }
    }

    private func startBlocking() throws {
        let programs = try Self.locatePrograms()
        try prepareDirectory()
        if !FileManager.default.fileExists(atPath: dataDirectory + "/PG_VERSION") {
            try initialize(programs.initdb)
        }
        try writeSettings()
        if serverProcessID != nil { return }
        // A killed server leaves its pid file (and for a moment its children) behind; the server refuses to
        // start while its old shared memory is still attached, so try again for a few seconds.
        let stale = FileManager.default.fileExists(atPath: pidFile)
        if stale { try? FileManager.default.removeItem(atPath: pidFile) }
        var attempts = stale ? 20 : 1
        while true {
            let status = try ChildProcess.run(
                asServerUser([programs.pgCtl, "-D", dataDirectory, "-l", logFile, "-w", "-t", "60", "start"]),
                outputFile: logFile
            )
            if status == 0 { return }
            attempts -= 1
            if attempts == 0 { throw Failure.startFailed(logTail: logTail()) }
            usleep(500_000)
            try? FileManager.default.removeItem(atPath: pidFile)
        }
    }

    private func stopBlocking() throws {
        guard serverProcessID != nil else { return }
        let programs = try Self.locatePrograms()
        let status = try ChildProcess.run(
            asServerUser([programs.pgCtl, "-D", dataDirectory, "-m", "fast", "-w", "-t", "60", "stop"]),
            outputFile: logFile
        )
        if status != 0, serverProcessID != nil { throw Failure.stopFailed(logTail: logTail()) }
    }

    private func initialize(_ initdb: String) throws {
        let status = try ChildProcess.run(
            asServerUser([
                initdb, "-D", dataDirectory, "-U", superuser, "--encoding=UTF8", "--no-locale",
                "--auth-local=trust", "--auth-host=scram-sha-256", "--no-instructions",
            ]),
            outputFile: logFile
        )
        guard status == 0 else { throw Failure.setup("initdb failed:\n\(logTail())") }
        // Our settings live in their own file, rewritten at every start; the main file only includes it.
        let include = "\n# Written by Avrop's LocalCluster\ninclude_if_exists = 'avrop.conf'\n"
        guard let handle = FileHandle(forWritingAtPath: dataDirectory + "/postgresql.conf") else {
            throw Failure.setup("cannot open postgresql.conf")
        }
        defer { try? handle.close() }
        handle.seekToEndOfFile()
        handle.write(Data(include.utf8))
    }

    private func writeSettings() throws {
        var lines = [
            "listen_addresses = ''",
            "unix_socket_directories = '\(socketDirectory)'",
            "unix_socket_permissions = 0700",
            "port = \(port)",
        ]
        lines += settings.map { "\($0.name) = \($0.value)" }
        let path = dataDirectory + "/avrop.conf"
        do {
            try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: false, encoding: .utf8)
        } catch {
            throw Failure.setup("cannot write \(path): \(error)")
        }
        try giveToServerUser(path, mode: 0o600)
    }

    /// Creates `directory` (0700) for the server's user, and lets that user pass through every parent.
    private func prepareDirectory() throws {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw Failure.setup("cannot create \(directory): \(error)")
        }
        try giveToServerUser(directory, mode: 0o700)
        // One log for our commands' output and the server's: created here so that both may append to it.
        if !FileManager.default.fileExists(atPath: logFile) {
            _ = FileManager.default.createFile(atPath: logFile, contents: nil)
        }
        try giveToServerUser(logFile, mode: 0o600)
        guard Self.runsAsOtherUser else { return }
        var parent = URL(fileURLWithPath: directory).deletingLastPathComponent()
        while parent.path != "/" {
            var info = stat()
            if stat(parent.path, &info) == 0, info.st_mode & S_IXOTH == 0 {
                // e.g. a `mktemp -d` directory (0700 root): add search permission only, no listing or writing.
                chmod(parent.path, (info.st_mode & 0o7777) | S_IXOTH)
            }
            parent = parent.deletingLastPathComponent()
        }
    }

    private func giveToServerUser(_ path: String, mode: mode_t) throws {
        chmod(path, mode)
        guard Self.runsAsOtherUser else { return }
        guard let user = getpwnam(Self.serverUser) else {
            throw Failure.setup("we run as root, and PostgreSQL needs the user '\(Self.serverUser)' to run as (apt-get install postgresql creates it)")
        }
        guard chown(path, user.pointee.pw_uid, user.pointee.pw_gid) == 0 else {
            throw Failure.setup("cannot give \(path) to \(Self.serverUser)")
        }
    }

    private func asServerUser(_ arguments: [String]) -> [String] {
        Self.runsAsOtherUser ? ["runuser", "-u", Self.serverUser, "--"] + arguments : arguments
    }

    private func logTail() -> String {
        let text = ChildProcess.readFile(logFile) ?? ""
        return text.split(separator: "\n", omittingEmptySubsequences: false).suffix(15).joined(separator: "\n")
    }

    /// The path of one of PostgreSQL's programs (e.g. `pgbench`), looked for where `initdb` is looked for.
    public static func program(_ name: String) throws -> String {
        for directory in programDirectories() where access(directory + "/" + name, X_OK) == 0 {
            return directory + "/" + name
        }
        throw Failure.programsNotFound
    }

    /// `initdb` and `pg_ctl` from the first directory that has both.
    static func locatePrograms() throws -> (initdb: String, pgCtl: String) {
        for directory in programDirectories() {
            let initdb = directory + "/initdb", pgCtl = directory + "/pg_ctl"
            if access(initdb, X_OK) == 0, access(pgCtl, X_OK) == 0 { return (initdb, pgCtl) }
        }
        throw Failure.programsNotFound
    }

    /// Where PostgreSQL's programs may be: PATH, then `pg_config --bindir`, then the newest
    /// `/usr/lib/postgresql/*/bin` (Debian keeps them off PATH).
    private static func programDirectories() -> [String] {
        var candidates: [String] = []
        if let path = ProcessInfo.processInfo.environment["PATH"] {
            candidates += path.split(separator: ":").map(String.init)
        }
        if let bindir = ChildProcess.output(["pg_config", "--bindir"])?.trimmingTrailingWhitespace, !bindir.isEmpty {
            candidates.append(bindir)
        }
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
        candidates += versions.compactMap(Int.init).sorted(by: >).map { "/usr/lib/postgresql/\($0)/bin" }
        return candidates
    }
}
