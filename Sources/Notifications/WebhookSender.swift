import AsyncHTTPClient
import Crypto
public import Foundation
import NIOCore

/// Posts a notification as JSON to an organisation's webhook, signed so the receiver can tell it came
/// from Avrop and was not replayed: `Avrop-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`
/// keyed with the webhook's secret. `Avrop-Delivery` carries the outbox id, the same on every retry, so a
/// receiver can drop a repeat.
public struct WebhookSender: Sendable {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public let timeoutSeconds: Double

    public init(timeoutSeconds: Double = 10) {
        self.timeoutSeconds = timeoutSeconds
    }

    public func post(url: String, secret: String, deliveryID: Int, body: Data, now: Date = Date()) async throws {
        guard let target = URL(string: url), ["http", "https"].contains(target.scheme ?? "") else {
            throw Failure(description: "the webhook URL is not http(s)")
        }
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "Avrop")
        request.headers.add(name: "Avrop-Delivery", value: String(deliveryID))
        request.headers.add(name: "Avrop-Signature", value: Self.signature(secret: secret, timestamp: Int(now.timeIntervalSince1970), body: body))
        request.body = .bytes(ByteBuffer(bytes: body))
        // swift-server/async-http-client (its shared client: a connection pool on its own event loops). A
        // cancelled task (the outbox worker stopping) cancels the request cleanly, which URLSession on
        // Linux could not do without deadlocking.
        let response = try await HTTPClient.shared.execute(request, timeout: .milliseconds(Int64(timeoutSeconds * 1000)))
        // The receiver's answer is not read beyond its status; drain it so the connection can be reused.
        _ = try? await response.body.collect(upTo: 64 * 1024)
        guard (200..<300).contains(response.status.code) else {
            throw Failure(description: "the webhook answered HTTP \(response.status.code)")
        }
    }

    /// The `Avrop-Signature` header value.
    public static func signature(secret: String, timestamp: Int, body: Data) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data("\(timestamp).".utf8) + body, using: SymmetricKey(data: Data(secret.utf8)))
        return "t=\(timestamp),v1=" + mac.map { String(format: "%02x", $0) }.joined()
    }

    /// Whether `header` is a valid signature of `body` with `secret`, made at most `tolerance` seconds
    /// from `now`: what a receiver checks (and the tests' receiver does).
    public static func verify(header: String, secret: String, body: Data, now: Date = Date(), tolerance: Int = 300) -> Bool {
        var timestamp: Int?
        var signature: String?
        for part in header.split(separator: ",") {
            let pair = part.split(separator: "=", maxSplits: 1).map(String.init)
            guard pair.count == 2 else { continue }
            if pair[0] == "t" { timestamp = Int(pair[1]) } else if pair[0] == "v1" { signature = pair[1] }
        }
        guard let timestamp, let signature, abs(Int(now.timeIntervalSince1970) - timestamp) <= tolerance else { return false }
        let expected = Self.signature(secret: secret, timestamp: timestamp, body: body)
        let given = "t=\(timestamp),v1=\(signature)"
        guard expected.utf8.count == given.utf8.count else { return false }
        return zip(expected.utf8, given.utf8).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
