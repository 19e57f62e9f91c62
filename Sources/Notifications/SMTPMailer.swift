import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Sends e-mail to a relay over SMTP (`smtp://host:port`, plain, as to a relay on the same host or
/// network; the relay does TLS onwards). Blocking socket calls run on a thread of their own, never on the
/// concurrency pool. UTF-8 throughout: subject as RFC 2047, body as base64.
public struct SMTPMailer: Sendable {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public let host: String
    public let port: Int
    /// The sender, e.g. `Avrop <noreply@avrop.se>`; its address is the envelope sender.
    public let from: String
    public let timeoutSeconds: Int

    /// A mailer for `url` (`smtp://host[:port]`, port 25 by default), or `nil` when it is not one.
    public init?(url: String, from: String = "Avrop <noreply@avrop.se>", timeoutSeconds: Int = 10) {
        guard let components = URLComponents(string: url), components.scheme == "smtp", let host = components.host, !host.isEmpty else { return nil }
        self.host = host
        self.port = components.port ?? 25
        self.from = from
        self.timeoutSeconds = timeoutSeconds
    }

    /// Sends one message to `to`; throws `Failure` with the relay's answer when it refuses.
    public func send(to: String, subject: String, body: String) async throws {
        let message = compose(to: to, subject: subject, body: body)
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let thread = Thread {
                do {
                    try deliver(to: to, message: message)
                    continuation.resume()
                } catch {
                    continuation.resume(throwing: error)
                }
            }
            thread.start()
        }
    }

    static func address(_ mailbox: String) -> String {
        if let open = mailbox.lastIndex(of: "<"), let close = mailbox.lastIndex(of: ">"), open < close {
            return String(mailbox[mailbox.index(after: open)..<close])
        }
        return mailbox
    }

    func compose(to: String, subject: String, body: String) -> String {
        let date = DateFormatter()
        date.locale = Locale(identifier: "en_US_POSIX")
        date.dateFormat = "EEE, dd MMM yyyy HH:mm:ss Z"
        let encodedSubject = "=?UTF-8?B?\(Data(subject.utf8).base64EncodedString())?="
        let base64 = Data(body.replacingOccurrences(of: "\n", with: "\r\n").utf8).base64EncodedString(options: [.lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed])
        let domain = Self.address(from).split(separator: "@").last.map(String.init) ?? "avrop.se"
        return [
            "From: \(from)",
            "To: \(to)",
            "Subject: \(encodedSubject)",
            "Date: \(date.string(from: Date()))",
            "Message-ID: <\(UUID().uuidString.lowercased())@\(domain)>",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=utf-8",
            "Content-Transfer-Encoding: base64",
            "",
            base64,
        ].joined(separator: "\r\n")
    }

    private func deliver(to: String, message: String) throws {
        let socket = try connect()
        defer { close(socket) }
        var reader = LineReader(socket: socket)
        try expect(&reader, 220)
        try command(socket, &reader, "EHLO avrop", 250)
        try command(socket, &reader, "MAIL FROM:<\(Self.address(from))>", 250)
        try command(socket, &reader, "RCPT TO:<\(Self.address(to))>", 250, 251)
        try command(socket, &reader, "DATA", 354)
        // Base64 lines never start with a dot, so no dot-stuffing is needed.
        try write(socket, message + "\r\n.\r\n")
        try expect(&reader, 250)
        try? command(socket, &reader, "QUIT", 221)
    }

    private func connect() throws -> Int32 {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &result) == 0, let first = result else {
            throw Failure(description: "cannot resolve the SMTP relay \(host)")
        }
        defer { freeaddrinfo(result) }
        var candidate: UnsafeMutablePointer<addrinfo>? = first
        while let info = candidate {
            let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype, info.pointee.ai_protocol)
            if fd >= 0 {
                var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
                setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                if Glibc.connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 { return fd }
                close(fd)
            }
            candidate = info.pointee.ai_next
        }
        throw Failure(description: "cannot connect to the SMTP relay \(host):\(port)")
    }

    private func command(_ socket: Int32, _ reader: inout LineReader, _ line: String, _ codes: Int...) throws {
        try write(socket, line + "\r\n")
        try expect(&reader, codes)
    }

    private func expect(_ reader: inout LineReader, _ codes: Int...) throws {
        try expect(&reader, codes)
    }

    private func expect(_ reader: inout LineReader, _ codes: [Int]) throws {
        // A reply may span lines "250-…" before the last "250 …".
        while true {
            guard let line = try reader.next() else { throw Failure(description: "the SMTP relay closed the connection") }
            let code = Int(line.prefix(3)) ?? 0
            if line.count > 3, line[line.index(line.startIndex, offsetBy: 3)] == "-" { continue }
            guard codes.contains(code) else { throw Failure(description: "the SMTP relay answered \(line.prefix(200))") }
            return
        }
    }

    private func write(_ socket: Int32, _ text: String) throws {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let sent = bytes.withUnsafeBytes { Glibc.send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard sent > 0 else { throw Failure(description: "writing to the SMTP relay failed") }
            bytes = bytes.dropFirst(sent)
        }
    }

    /// Reads CRLF-terminated lines from a socket.
    private struct LineReader {
        let socket: Int32
        var buffer: [UInt8] = []

        mutating func next() throws -> String? {
            while true {
                if let end = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                    let line = buffer[..<end].filter { $0 != UInt8(ascii: "\r") }
                    buffer.removeSubrange(...end)
                    return String(decoding: line, as: UTF8.self)
                }
                var chunk = [UInt8](repeating: 0, count: 1024)
                let count = chunk.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
                if count == 0 { return nil }
                guard count > 0 else { throw Failure(description: "reading from the SMTP relay failed or timed out") }
                buffer += chunk[..<count]
            }
        }
    }
}
