import Crypto
import Foundation
public import Postgres

/// Recomputes the hash chains in Swift, independently of the database's `avrop.audit_canonical`: a
/// superuser who replaced that function (and rewrote events to match it) is caught here.
public enum AuditChainCheck {
    /// The first event whose stored hash differs from SHA-256(previous hash ‖ canonical text), computed here;
    /// `nil` when every chain holds. Reads the log in keyset pages, so its size does not matter.
    public static func firstMismatch(stream: String? = nil, on connection: Connection, pageSize: Int = 5000) async throws -> AuditVerifier.Break? {
        var after = (stream: stream ?? "", sequence: 0)
        var previous: (stream: String, hash: Data)?
        while true {
            let rows = try await connection.query("""
                SELECT stream, sequence,
                       to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS occurred_at,
                       organization_id, actor_user_id, actor_organization_id, action, data::text AS data,
                       previous_hash, hash
                FROM avrop.audit_event
                WHERE (stream, sequence) > (\(after.stream), \(after.sequence))
                  AND (\(stream) IS NULL OR stream = \(stream))
                ORDER BY stream, sequence
                LIMIT \(pageSize)
                """)
            for row in rows {
                let eventStream = try row.decode("stream", as: String.self)
                let sequence = try row.decode("sequence", as: Int.self)
                let previousHash = try row.decode("previous_hash", as: Data.self)
                let expectedPrevious = previous?.stream == eventStream ? previous?.hash ?? Data() : Data()
                let canonical = [
                    eventStream, String(sequence), try row.decode("occurred_at", as: String.self),
                    try row.decode("organization_id", as: UUID?.self).map(lowercased) ?? "",
                    try row.decode("actor_user_id", as: UUID?.self).map(lowercased) ?? "",
                    try row.decode("actor_organization_id", as: UUID?.self).map(lowercased) ?? "",
                    try row.decode("action", as: String.self), try row.decode("data", as: String.self),
                ].joined(separator: "\n")
                let hash = try row.decode("hash", as: Data.self)
                let computed = Data(SHA256.hash(data: expectedPrevious + Data(canonical.utf8)))
                if previousHash != expectedPrevious || hash != computed {
                    return AuditVerifier.Break(stream: eventStream, sequence: sequence, reason: "the hash recomputed outside the database does not match")
                }
                previous = (eventStream, hash)
                after = (eventStream, sequence)
            }
            if rows.count < pageSize { return nil }
        }
    }

    private static func lowercased(_ id: UUID) -> String { id.uuidString.lowercased() }
}
