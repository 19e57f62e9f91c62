import Notifications
import Foundation
import Postgres

/// A real SMTP server for tests: Python's aiosmtpd writing each message into a Maildir. `deploy/local/test`
/// installs aiosmtpd from PyPI.
final class SMTPTestServer: @unchecked Sendable {
    let port: Int
    let directory: String
    private let process: pid_t

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    struct Message {
        let to: String
        let subject: String
        let body: String
    }

    init() throws {
        port = try Self.freePort()
        directory = "/tmp/avrop-smtp-\(getpid())-\(port)"
        let arguments = ["/usr/bin/env", "python3", "-m", "aiosmtpd", "-n", "-l", "127.0.0.1:\(port)", "-c", "aiosmtpd.handlers.Mailbox", directory + "/mail"]
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        process = try ChildProcess.spawn(arguments, outputFile: directory + "/server.log")
        // Ready when it accepts connections.
        for _ in 0..<100 {
            if Self.accepts(port) { return }
            usleep(50_000)
        }
        let log = (try? String(contentsOfFile: directory + "/server.log", encoding: .utf8)) ?? ""
        stop()
        throw Failure(description: "aiosmtpd did not start (pip install aiosmtpd): \(log)")
    }

    /// Stops the server without ever blocking for long: SIGTERM, up to two seconds for it to go, then SIGKILL.
    func stop() {
        kill(process, SIGTERM)
        var status: Int32 = 0
        var reaped = false
        for _ in 0..<100 where !reaped {
            reaped = waitpid(process, &status, WNOHANG) != 0
            if !reaped { usleep(20_000) }
        }
        if !reaped {
            kill(process, SIGKILL)
            _ = waitpid(process, &status, 0)
        }
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// The first `count` messages received, waiting up to five seconds for them.
    func messages(count: Int) async throws -> [Message] {
        let folder = directory + "/mail/new"
        for _ in 0..<100 {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
            if names.count >= count {
                return try names.map { try Self.parse(String(contentsOfFile: folder + "/" + $0, encoding: .utf8)) }
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        return []
    }

    /// Headers and base64 body of a message as SMTPMailer writes it.
    static func parse(_ text: String) -> Message {
        let normalized = text.replacingOccurrences(of: "\r\n", with: "\n")
        let parts = normalized.components(separatedBy: "\n\n")
        let headers = parts.first ?? ""
        func header(_ name: String) -> String {
            headers.split(separator: "\n").first { $0.lowercased().hasPrefix(name.lowercased() + ":") }
                .map { String($0.dropFirst(name.count + 1)).trimmingCharacters(in: .whitespaces) } ?? ""
        }
        var subject = header("Subject")
        if subject.hasPrefix("=?UTF-8?B?"), subject.hasSuffix("?="),
           let data = Data(base64Encoded: String(subject.dropFirst(10).dropLast(2))) {
            subject = String(decoding: data, as: UTF8.self)
        }
        let encodedBody = parts.dropFirst().joined(separator: "\n").replacingOccurrences(of: "\n", with: "")
        let body = Data(base64Encoded: encodedBody).map { String(decoding: $0, as: UTF8.self) } ?? ""
        return Message(to: header("To"), subject: subject, body: body)
    }

    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw Failure(description: "no free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    static func accepts(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}
