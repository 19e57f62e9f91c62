public import Audit
public import Postgres

/// Reading the audit trail (DESIGN §4): an organisation's framework managers, buyers, contract managers,
/// auditors and admins read its streams; suppliers never. A stream the caller may not read is `notFound`,
/// like one that does not exist.
public struct AuditTrail: Sendable {
    public let pool: ConnectionPool
    let store = AuditEventStore()

    public init(pool: ConnectionPool) {
        self.pool = pool
    }

    /// Up to `limit` events of `stream` after sequence number `after`, in order.
    public func events(of stream: String, after: Int64, limit: Int, for actor: Actor) async throws -> [AuditEvent] {
        try await pool.withTransaction(settings: actor.transactionSettings) { connection in
            // Row-level security shows only the actor's organisation's streams; the policy then decides by role.
            guard let organizationID = try await store.owner(of: stream, on: connection),
                  Policy.allows(actor, .readAuditTrail(organizationID: organizationID))
            else { throw IdentityError.notFound }
            return try await store.events(of: stream, after: after, limit: limit, on: connection)
        }
    }
}
