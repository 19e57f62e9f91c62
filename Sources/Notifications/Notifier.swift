public import Audit
public import Foundation
public import Postgres

/// Tells people and organisations' systems what happened, in the transaction of the change itself: the
/// in-app notifications exist when it commits, and e-mails and webhooks wait in the outbox for
/// `OutboxWorker`. Nothing is told about a change that rolls back.
public enum Notifier {
    /// Tells `kind` (e.g. `account.passwordChanged`) with `data` to `users` (in-app and by e-mail) and to
    /// the active webhooks of `organizations`. The caller has decided that they may know; `data` holds no
    /// secrets and no sealed contents (it is e-mailed and posted to other systems).
    public static func notify(
        users: [UUID], organizations: [UUID] = [], kind: String, data: [String: String] = [:], on connection: Connection
    ) async throws {
        try await connection.execute("SELECT avrop.notify(\(users), \(organizations), \(kind), \(AuditFacts(data)))")
    }

    /// Tells every member of `organization` and its webhooks, for decisions about what the organisation
    /// submitted, when the deciding actor may not see its members.
    public static func notify(organization: UUID, kind: String, data: [String: String] = [:], on connection: Connection) async throws {
        try await connection.execute("SELECT avrop.notify_organization(\(organization), \(kind), \(AuditFacts(data)))")
    }
}
