import Foundation

/// Runs wrk (C, its own threads, so that the load generator takes little of the two cores the service and
/// PostgreSQL share) with one of our Lua scripts, and reads the `name value` lines its `done` prints.
public enum Wrk {
    /// - Parameters:
    ///   - script: the Lua script's path.
    ///   - arguments: what follows `--`, for the script's `init`.
    ///   - environment: added to this process's, for the script (a token, say).
    public static func run(
        script: String, base: String, clients: Int, seconds: Int, arguments: [String], environment: [String: String] = [:]
    ) throws -> [String: Double] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["wrk", "-t\(min(clients, 2))", "-c\(clients)", "-d\(seconds)s", "--timeout", "10s", "-s", script, base, "--"] + arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw BenchmarkFailure(reason: "wrk exited with \(process.terminationStatus)") }
        var figures: [String: Double] = [:]
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
            let parts = line.split(separator: " ")
            if parts.count == 2, let value = Double(parts[1]) { figures[String(parts[0])] = value }
        }
        return figures
    }
}

/// A benchmark could not measure what it set out to.
public struct BenchmarkFailure: Error, CustomStringConvertible {
    public let reason: String
    public init(reason: String) { self.reason = reason }
    public var description: String { reason }
}

/// A duration in seconds.
public func seconds(_ duration: Duration) -> Double {
    let (whole, atto) = duration.components
    return Double(whole) + Double(atto) / 1e18
}

/// A figure as the benchmarks print it: whole above 100, two decimals below.
public func format(_ value: Double) -> String { String(format: value >= 100 ? "%.0f" : "%.2f", value) }
