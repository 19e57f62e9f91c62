#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs a program to completion with `posix_spawn` and `waitpid`.
///
/// Not Foundation's `Process`: on Linux its `waitUntilExit()` waits until every process that inherited the
/// child's descriptors has exited, so after `pg_ctl start` it would wait for the server's whole life. Here
/// the child's output goes to a file (or nowhere), its other descriptors are closed, and we wait for the
/// child alone.
public enum ChildProcess {
    public struct Failure: Error, CustomStringConvertible {
        public var program: String
        public var status: Int32
        public var description: String { "\(program) failed with exit status \(status)" }
    }

    /// Runs `arguments` (the first is looked up in `PATH`) and returns its exit status. Output is appended to
    /// `outputFile`, or discarded. Blocks the calling thread: call it off the event loops.
    public static func run(_ arguments: [String], outputFile: String? = nil) throws -> Int32 {
        try wait(spawn(arguments, outputFile: outputFile), program: arguments.first ?? "")
    }

    /// Starts `arguments` (the first is looked up in `PATH`) with output appended to `outputFile` (or
    /// discarded) and returns its process id; `wait` collects it.
    public static func spawn(_ arguments: [String], outputFile: String? = nil) throws -> Int32 {
        guard let program = arguments.first else { throw Failure(program: "", status: -1) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputFile ?? "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // Nothing of ours (sockets, pipes to a test runner) may live on in a daemon the child leaves behind.
        // glibc ignores a close action on a descriptor that is closed by the time the child runs.
        for descriptor in openDescriptors() where descriptor > 2 {
            posix_spawn_file_actions_addclose(&actions, descriptor)
        }

        // The child starts with no signal blocked and default handlers: we may be on a thread that blocks
        // signals (Dispatch's do), and a program such as pgbench, whose -T needs SIGALRM, would never stop.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = argv.withUnsafeBufferPointer { pointers -> Int32 in
            guard let base = pointers.baseAddress else { return EINVAL }
            return posix_spawnp(&pid, program, &actions, &attributes, base, environ)
        }
        guard spawned == 0 else {
            throw Failure(program: program, status: -1)
        }
        return pid
    }

    /// Waits for the child `pid` to end and returns its exit status (128 + signal when killed).
    public static func wait(_ pid: Int32, program: String = "") throws -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 {
            guard errno == EINTR else { throw Failure(program: program, status: -1) }
        }
        // WIFEXITED/WEXITSTATUS are macros Swift cannot import.
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }

    /// Runs `arguments` and returns what it printed (stdout and stderr), or `nil` if it failed.
    public static func output(_ arguments: [String]) -> String? {
        let path = "/tmp/avrop-out-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { unlink(path) }
        guard (try? run(arguments, outputFile: path)) == 0 else { return nil }
        return readFile(path)
    }

    /// The descriptors open in this process (Linux: `/proc/self/fd`; elsewhere none are listed).
    private static func openDescriptors() -> [Int32] {
        guard let directory = opendir("/proc/self/fd") else { return [] }
        defer { closedir(directory) }
        var descriptors: [Int32] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if let descriptor = Int32(name) { descriptors.append(descriptor) }
        }
        return descriptors
    }

    static func readFile(_ path: String) -> String? {
        guard let file = fopen(path, "r") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = fread(&chunk, 1, chunk.count, file)
            if count <= 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
