import Crypto
public import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

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
        var request = URLRequest(url: target, timeoutInterval: timeoutSeconds)
        request.httpMethod = "POST"
        request.httpBody = body
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.setValue("Avrop", forHTTPHeaderField: "User-Agent")
        request.setValue(String(deliveryID), forHTTPHeaderField: "Avrop-Delivery")
        request.setValue(Self.signature(secret: secret, timestamp: Int(now.timeIntervalSince1970), body: body), forHTTPHeaderField: "Avrop-Signature")
        let status = try await Self.send(request)
        guard (200..<300).contains(status) else { throw Failure(description: "the webhook answered HTTP \(status)") }
    }

    /// Sends `request` and returns the HTTP status. Not `URLSession.data(for:)`: on Linux, cancelling the
    /// task that awaits it (the outbox worker stopping) calls `URLSessionTask.cancel()` under the task's
    /// status lock, which deadlocks against the session's queue resuming the same task. Here the task's
    /// cancellation does not reach the request, which ends by itself within `timeoutInterval`.
    private static func send(_ request: URLRequest) async throws -> Int {
        try await withCheckedThrowingContinuation { continuation in
            URLSession.shared.dataTask(with: request) { _, response, error in
                if let error {
                    continuation.resume(throwing: error)
                } else {
                    continuation.resume(returning: (response as? HTTPURLResponse)?.statusCode ?? 0)
                }
            }.resume()
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
