import AvropApp
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Logging
import Postgres
import PostgresTesting
import Testing

@Suite("avrop serve and migrate")
struct ServeTests {
    /// libpq conninfo for a test database (the values hold no spaces or quotes).
    private func conninfo(_ configuration: PostgresConfiguration) -> String {
        configuration.parameters.map { "\($0.keyword)=\($0.value)" }.joined(separator: " ")
    }

    @Test func serveRefusesAnOutdatedSchemaUnlessToldToMigrate() async throws {
        try await TestCluster.withDatabase { configuration in
            let url = conninfo(configuration)
            let refused = await #expect(throws: AvropServer.Failure.self) {
                try await AvropServer.serve(AppConfiguration(port: 0, databaseURL: url), logger: Logger(label: "test"))
            }
            #expect(refused?.description.contains("avrop migrate") == true)
            let applied = try await AvropServer.migrate(AppConfiguration(databaseURL: url), logger: Logger(label: "test"))
            #expect(applied == (try AvropSchema.migrations()).map(\.version))
            #expect(try await AvropServer.migrate(AppConfiguration(databaseURL: url), logger: Logger(label: "test")) == [])
        }
    }

    /// The built `avrop` sits next to the test bundle.
    private var avropBinary: URL {
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        while directory.pathExtension == "xctest" || directory.lastPathComponent == "Contents" || directory.lastPathComponent == "MacOS" {
            directory.deleteLastPathComponent()
        }
        return directory.appendingPathComponent("avrop")
    }

    /// Processes whose command line mentions `text` (Linux `/proc`).
    private func processes(mentioning text: String) -> [String] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.filter { Int($0) != nil }.compactMap { pid in
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return nil }
            let command = String(decoding: data.map { $0 == 0 ? 32 : $0 }, as: UTF8.self)
            return command.contains(text) ? command : nil
        }
    }

    @Test(.timeLimit(.minutes(2)))
    func serveRunsTheEmbeddedDatabaseAndSIGTERMLeavesNoPostgresBehind() async throws {
        let binary = avropBinary
        try #require(FileManager.default.isExecutableFile(atPath: binary.path), "build avrop first: \(binary.path)")
        let dataDirectory = "/tmp/avrop-sv-\(getpid())"
        let logPath = dataDirectory + ".log"
        defer {
            try? FileManager.default.removeItem(atPath: dataDirectory)
            try? FileManager.default.removeItem(atPath: logPath)
        }
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        let process = Process()
        process.executableURL = binary
        process.arguments = ["serve", "--port", "0", "--data-dir", dataDirectory]
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { process.terminate() } }

        // The one line with the URL to open.
        var url: URL?
        for _ in 0..<600 where url == nil {
            let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
            if let line = text.split(separator: "\n").first(where: { $0.contains("Avrop is running at ") }),
               let range = line.range(of: "http://") {
                url = URL(string: String(line[range.lowerBound...]).trimmingCharacters(in: .whitespaces))
            }
            if url == nil { try await Task.sleep(for: .milliseconds(100)) }
        }
        let base = try #require(url, "no URL logged: \((try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "")")

        let (_, response) = try await URLSession.shared.data(from: base.appendingPathComponent("readyz"))
        #expect((response as? HTTPURLResponse)?.statusCode == 200)
        #expect(!processes(mentioning: dataDirectory + "/postgres/data").isEmpty, "the embedded cluster runs")

        kill(process.processIdentifier, SIGTERM)
        for _ in 0..<300 where process.isRunning { try await Task.sleep(for: .milliseconds(100)) }
        #expect(!process.isRunning)
        #expect(process.terminationStatus == 0)
        #expect(processes(mentioning: dataDirectory + "/postgres/data").isEmpty, "no postgres of this data directory is left")
    }

    /// Runs the built `avrop` to its end; returns its exit status and everything it printed.
    private func runAvrop(_ arguments: [String], input: String? = nil) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = avropBinary
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        let stdin = Pipe()
        process.standardInput = stdin
        try process.run()
        if let input { stdin.fileHandleForWriting.write(Data(input.utf8)) }
        try stdin.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test func r23_auditVerifyExitsNonZeroNamingATamperedRow() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: avropBinary.path), "build avrop first")
        try await TestCluster.withDatabase(template: "avrop", migrations: try AvropSchema.migrations()) { configuration in
            let url = conninfo(configuration)
            let added = try runAvrop(["org", "add", "--kind", "supplier", "--name", "Innovera AB", "--number", "556703-7485", "--database-url", url])
            #expect(added.status == 0, "\(added.output)")
            let user = try runAvrop(["user", "add", "--email", "eva@innovera.example", "--name", "Eva", "--database-url", url],
                                    input: "ett långt och ovanligt lösen\n")
            #expect(user.status == 0, "\(user.output)")
            let intact = try runAvrop(["audit", "verify", "--database-url", url])
            #expect(intact.status == 0)
            #expect(intact.output.contains("intact"))

            let connection = try await Connection.connect(configuration)
            let stream = try #require(try await connection.query(
                "SELECT stream FROM avrop.audit_event WHERE action = 'organization.created'").first?.decode("stream", as: String.self))
            try await connection.execute("UPDATE avrop.audit_event SET data = jsonb_set(data, '{name}', '\"Annat AB\"') WHERE stream = \(stream)")
            await connection.close()

            let broken = try runAvrop(["audit", "verify", "--database-url", url])
            #expect(broken.status == 1)
            #expect(broken.output.contains("stream \(stream), sequence 1"), "\(broken.output)")
        }
    }
}
