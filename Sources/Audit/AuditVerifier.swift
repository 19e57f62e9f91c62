public import Postgres

/// Recomputes the audit log's hash chains (`avrop audit verify`).
public enum AuditVerifier {
    /// The outcome of a verification.
    public struct Report: Sendable, Equatable {
        public var streams: Int
        public var events: Int
        /// The first place where a chain is broken: an event changed, removed or inserted, or a stream head
        /// that does not match its last event.
        public var firstBreak: Break?

        public var isIntact: Bool { firstBreak == nil }
    }

    public struct Break: Sendable, Equatable, CustomStringConvertible {
        public var stream: String
        public var sequence: Int
        public var reason: String

        public var description: String { "stream \(stream), sequence \(sequence): \(reason)" }
    }

    /// Checks every chain, or only `stream`'s, twice: in SQL with the database's canonical form, and again in
    /// Swift with its own (`AuditChainCheck`). Must run with a role that reads every event (the owner).
    public static func verify(stream: String? = nil, on connection: Connection) async throws -> Report {
        // Per event: its number follows the previous one, it names the previous hash, and its own hash is
        // SHA-256 over that hash and its canonical text.
        let broken = try await connection.query("""
            WITH checked AS (
                SELECT e.stream, e.sequence,
                       e.sequence = row_number() OVER w AS gapless,
                       e.previous_hash = coalesce(lag(e.hash) OVER w, '\\x'::bytea) AS linked,
                       e.hash = sha256(e.previous_hash || avrop.audit_canonical(
                           e.stream, e.sequence, e.occurred_at, e.organization_id, e.actor_user_id,
                           e.actor_organization_id, e.action, e.data)) AS intact
                FROM avrop.audit_event e
                WHERE \(stream) IS NULL OR e.stream = \(stream)
                WINDOW w AS (PARTITION BY e.stream ORDER BY e.sequence)
            )
            SELECT stream, sequence,
                   CASE WHEN NOT gapless THEN 'a sequence number is missing before this event'
                        WHEN NOT linked THEN 'the previous hash does not match the previous event'
                        ELSE 'the event was changed: its hash does not match its contents' END AS reason
            FROM checked
            WHERE NOT (gapless AND linked AND intact)
            ORDER BY stream, sequence
            LIMIT 1
            """)
        // The head of each stream must be its last event, or events were removed from the end.
        let heads = try await connection.query("""
            SELECT s.stream, s.last_sequence AS sequence
            FROM avrop.audit_stream s
            LEFT JOIN LATERAL (
                SELECT e.sequence, e.hash FROM avrop.audit_event e
                WHERE e.stream = s.stream ORDER BY e.sequence DESC LIMIT 1
            ) last ON true
            WHERE (\(stream) IS NULL OR s.stream = \(stream))
              AND (last.sequence IS DISTINCT FROM s.last_sequence OR last.hash IS DISTINCT FROM s.last_hash)
            ORDER BY s.stream
            LIMIT 1
            """)
        let counts = try await connection.query("""
            SELECT count(DISTINCT stream)::int8 AS streams, count(*)::int8 AS events
            FROM avrop.audit_event WHERE \(stream) IS NULL OR stream = \(stream)
            """)
        var report = Report(
            streams: try counts.first?.decode("streams", as: Int.self) ?? 0,
            events: try counts.first?.decode("events", as: Int.self) ?? 0,
            firstBreak: nil
        )
        if let row = broken.first {
            report.firstBreak = Break(
                stream: try row.decode("stream", as: String.self),
                sequence: try row.decode("sequence", as: Int.self),
                reason: try row.decode("reason", as: String.self)
            )
        } else if let mismatch = try await AuditChainCheck.firstMismatch(stream: stream, on: connection) {
            report.firstBreak = mismatch
        } else if let row = heads.first {
            report.firstBreak = Break(
                stream: try row.decode("stream", as: String.self),
                sequence: try row.decode("sequence", as: Int.self),
                reason: "the stream's last event is missing or changed"
            )
        }
        return report
    }
}
