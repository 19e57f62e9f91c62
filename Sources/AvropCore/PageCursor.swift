public import Foundation

/// A position in a keyset-paged list: the sort keys of the last row given and its id, as one opaque text
/// for `cursor` parameters. Every list of the service pages with this one encoding; a context names what
/// its keys mean (a creation time, a score) in a small type of its own built on this one.
///
/// Keys are whole numbers so that they round-trip exactly: a time as microseconds since 1970 (PostgreSQL's
/// precision), a score as its IEEE bit pattern.
public struct PageCursor: Sendable, Equatable {
    public let keys: [Int64]
    public let id: UUID

    public init(keys: [Int64], id: UUID) {
        self.keys = keys
        self.id = id
    }

    /// `k1_k2_…_<uuid>`, base64url: opaque to clients.
    public var encoded: String {
        Base64URL.encode(Data((keys.map(String.init) + [id.uuidString.lowercased()]).joined(separator: "_").utf8))
    }

    /// A cursor with `keyCount` keys from `encoded`; nil for anything this service did not give out.
    public init?(encoded: String, keyCount: Int) {
        guard encoded.utf8.count < 400, let data = Base64URL.decode(encoded) else { return nil }
        let parts = String(decoding: data, as: UTF8.self).split(separator: "_", omittingEmptySubsequences: false)
        guard parts.count == keyCount + 1, let id = UUID(uuidString: String(parts[keyCount])) else { return nil }
        var keys: [Int64] = []
        for part in parts.prefix(keyCount) {
            guard let key = Int64(part) else { return nil }
            keys.append(key)
        }
        self.init(keys: keys, id: id)
    }

    /// A time as whole microseconds since 1970, the key PostgreSQL's timestamps compare exactly on.
    public static func microseconds(_ time: Date) -> Int64 {
        Int64((time.timeIntervalSince1970 * 1_000_000).rounded())
    }

    /// The time `microseconds` since 1970.
    public static func time(microseconds: Int64) -> Date {
        Date(timeIntervalSince1970: Double(microseconds) / 1_000_000)
    }
}
