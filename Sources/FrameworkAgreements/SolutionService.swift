public import AvropCore
import Audit
import Notifications
public import Foundation
public import Identity
public import Postgres

/// The use cases of verified innovative solutions: suppliers draft, edit, submit and withdraw their own;
/// the agreement's framework managers verify or reject what was submitted. Every decision is audited (in
/// the solution's stream) and told to the supplier.
public struct SolutionService: Sendable {
    public let pool: ConnectionPool
    let environment: ServiceEnvironment

    public init(pool: ConnectionPool, environment: ServiceEnvironment = .system) {
        self.pool = pool
        self.environment = environment
    }

    /// Drafts a solution on a lot where the actor's organisation is an active supplier.
    public func create(on lotID: UUID, _ description: Solution.Description, by actor: Actor) async throws -> Solution {
        guard actor.roles.contains(.supplierRepresentative) else { throw AgreementError.notFound }
        let description = try Self.validated(description)
        let id = environment.newID()
        return try await pool.withTransaction(settings: actor.transactionSettings) { connection in
            guard try await !openLots(for: actor, only: lotID, on: connection).isEmpty else { throw AgreementError.notFound }
            try await connection.execute("""
                INSERT INTO avrop.solution (id, supplier_id, lot_id, name, summary, description, innovation_type, innovation_step, innovation_note, trl, tags)
                VALUES (\(id), \(actor.organizationID), \(lotID), \(description.name), \(description.summary), \(description.text),
                    \(description.innovationType.rawValue), \(description.innovationStep.rawValue), \(description.innovationNote),
                    \(description.trl), \(description.tags))
                """)
            try await audit(id, actor.organizationID, "solution.created", ["name": description.name], on: connection)
            return try await load(id, on: connection)
        }
    }

    /// A lot where a supplier may draft solutions, as its people choose it.
    public struct OpenLot: Sendable, Equatable {
        public let id: UUID
        public let agreementTitle: String
        public let number: Int
        public let title: String
    }

    /// The lots where the actor's organisation is an active supplier of an active agreement.
    public func openLots(for actor: Actor) async throws -> [OpenLot] {
        guard actor.roles.contains(.supplierRepresentative) else { return [] }
        return try await pool.withTransaction(settings: actor.transactionSettings) { connection in
            try await openLots(for: actor, only: nil, on: connection)
        }
    }

    private func openLots(for actor: Actor, only lotID: UUID?, on connection: Connection) async throws -> [OpenLot] {
        try await connection.query("""
            SELECT l.id, a.title AS agreement_title, l.number, l.title
            FROM avrop.lot_supplier s JOIN avrop.lot l ON l.id = s.lot_id JOIN avrop.framework_agreement a ON a.id = l.agreement_id
            WHERE s.supplier_id = \(actor.organizationID) AND s.status = 'active' AND avrop.framework_agreement_status(a) = 'active'
              AND (\(lotID) IS NULL OR l.id = \(lotID))
            ORDER BY a.title, l.number
            """).map { row in
            OpenLot(id: try row.decode("id", as: UUID.self), agreementTitle: try row.decode("agreement_title", as: String.self),
                    number: try row.decode("number", as: Int.self), title: try row.decode("title", as: String.self))
        }
    }

    /// Changes a draft, if it is still at `version`.
    public func edit(_ id: UUID, _ description: Solution.Description, ifVersion version: Int, by actor: Actor) async throws -> Solution {
        let description = try Self.validated(description)
        return try await asSupplier(id, actor) { solution, connection in
            guard solution.status == .draft else { throw AgreementError.notDraft }
            let changed = try await connection.execute("""
                UPDATE avrop.solution SET name = \(description.name), summary = \(description.summary), description = \(description.text),
                    innovation_type = \(description.innovationType.rawValue), innovation_step = \(description.innovationStep.rawValue),
                    innovation_note = \(description.innovationNote),
                    trl = \(description.trl), tags = \(description.tags), version = version + 1
                WHERE id = \(id) AND version = \(version)
                """)
            guard changed == 1 else { throw AgreementError.versionMismatch(current: solution.version) }
            try await audit(id, actor.organizationID, "solution.edited", ["name": description.name], on: connection)
        }
    }

    /// Sends a draft to the agreement's framework managers for verification.
    public func submit(_ id: UUID, by actor: Actor) async throws -> Solution {
        try await asSupplier(id, actor) { solution, connection in
            guard solution.status == .draft else { throw AgreementError.notDraft }
            try await connection.execute("UPDATE avrop.solution SET status = 'submitted', submitted_at = now(), version = version + 1 WHERE id = \(id)")
            try await audit(id, actor.organizationID, "solution.submitted", [:], on: connection)
        }
    }

    /// Takes a solution out of the catalogue (or out of the verification queue).
    public func withdraw(_ id: UUID, by actor: Actor) async throws -> Solution {
        try await asSupplier(id, actor) { solution, connection in
            guard solution.mayBeWithdrawn else { throw AgreementError.notDraft }
            try await connection.execute("UPDATE avrop.solution SET status = 'withdrawn', version = version + 1 WHERE id = \(id)")
            try await audit(id, actor.organizationID, "solution.withdrawn", [:], on: connection)
        }
    }

    /// Verifies a submitted solution: how (pilot, test bed, …), why, and until when it stands.
    public func verify(_ id: UUID, method: Solution.VerificationMethod, reasons: String, validUntil: CalendarDay, by actor: Actor) async throws -> Solution {
        let reasons = try Self.reasons(reasons)
        guard validUntil >= CalendarDay(environment.now()) else { throw AgreementError.invalid(field: "validUntil", reason: "today or later") }
        return try await asVerifier(id, actor) { solution, connection in
            try await connection.execute("""
                UPDATE avrop.solution SET status = 'verified', verification_method = \(method.rawValue), decision_reasons = \(reasons),
                    valid_until = \(validUntil.description)::date, decided_at = now(), decided_by = \(actor.userID), version = version + 1
                WHERE id = \(id)
                """)
            try await decided(solution, "solution.verified", ["method": method.rawValue, "validUntil": validUntil.description], actor, on: connection)
        }
    }

    /// Rejects a submitted solution, with the reasons.
    public func reject(_ id: UUID, reasons: String, by actor: Actor) async throws -> Solution {
        let reasons = try Self.reasons(reasons)
        return try await asVerifier(id, actor) { solution, connection in
            try await connection.execute("""
                UPDATE avrop.solution SET status = 'rejected', decision_reasons = \(reasons), decided_at = now(), decided_by = \(actor.userID),
                    version = version + 1
                WHERE id = \(id)
                """)
            try await decided(solution, "solution.rejected", [:], actor, on: connection)
        }
    }

    /// One solution, if the caller may see it: its supplier always, the agreement's owner once submitted,
    /// everyone while verified and unexpired on an active agreement (row-level security decides).
    public func solution(_ id: UUID, for actor: Actor?) async throws -> Solution {
        try await pool.withTransaction(settings: actor?.transactionSettings ?? []) { connection in
            try await load(id, on: connection)
        }
    }

    /// The caller's organisation's own solutions (a supplier's list), newest first.
    public func own(by actor: Actor) async throws -> [Solution] {
        try await pool.withTransaction(settings: actor.transactionSettings) { connection in
            try await connection.query("""
                SELECT \(Self.columns) FROM avrop.solution s WHERE s.supplier_id = \(actor.organizationID) ORDER BY s.created_at DESC LIMIT 500
                """).map(Self.solution)
        }
    }

    /// Submitted solutions awaiting a decision by the actor's organisation (the verification queue).
    public func queue(by actor: Actor) async throws -> [Solution] {
        guard actor.roles.contains(.frameworkManager) else { throw AgreementError.notFound }
        return try await pool.withTransaction(settings: actor.transactionSettings) { connection in
            try await connection.query("""
                SELECT \(Self.columns) FROM avrop.solution s
                WHERE s.status = 'submitted' AND avrop.lot_owner(s.lot_id) = \(actor.organizationID)
                ORDER BY s.submitted_at LIMIT 500
                """).map(Self.solution)
        }
    }

    // MARK: Plumbing

    private func asSupplier(_ id: UUID, _ actor: Actor, _ body: @Sendable (Solution, Connection) async throws -> Void) async throws -> Solution {
        guard actor.roles.contains(.supplierRepresentative) else { throw AgreementError.notFound }
        return try await pool.withTransaction(settings: actor.transactionSettings) { connection in
            let solution = try await load(id, forUpdate: true, on: connection)
            guard solution.supplierID == actor.organizationID else { throw AgreementError.notFound }
            try await body(solution, connection)
            return try await load(id, on: connection)
        }
    }

    private func asVerifier(_ id: UUID, _ actor: Actor, _ body: @Sendable (Solution, Connection) async throws -> Void) async throws -> Solution {
        guard actor.roles.contains(.frameworkManager) else { throw AgreementError.notFound }
        return try await pool.withTransaction(settings: actor.transactionSettings) { connection in
            let solution = try await load(id, forUpdate: true, on: connection)
            let owner = try await connection.query("SELECT avrop.lot_owner(\(solution.lotID)) AS owner").first?.decode("owner", as: UUID?.self)
            guard owner == actor.organizationID else { throw AgreementError.notFound }
            guard solution.status == .submitted else { throw AgreementError.notDraft }
            try await body(solution, connection)
            return try await load(id, on: connection)
        }
    }

    private func decided(_ solution: Solution, _ action: String, _ facts: [String: String], _ actor: Actor, on connection: Connection) async throws {
        try await audit(solution.id, solution.supplierID, action, facts.merging(["name": solution.description.name]) { $1 }, on: connection)
        try await Notifier.notify(
            organization: solution.supplierID, kind: action,
            data: ["solution": solution.id.uuidString.lowercased(), "name": solution.description.name], on: connection
        )
    }

    private func audit(_ id: UUID, _ organizationID: UUID, _ action: String, _ facts: [String: String], on connection: Connection) async throws {
        try await AuditLog.append(stream: "solution/\(id.uuidString.lowercased())", organizationID: organizationID, action: action,
                                  data: AuditFacts(facts), on: connection)
    }

    private func load(_ id: UUID, forUpdate: Bool = false, on connection: Connection) async throws -> Solution {
        let lock: SQL = forUpdate ? " FOR UPDATE" : ""
        guard let row = try await connection.query("SELECT \(Self.columns) FROM avrop.solution s WHERE s.id = \(id)\(lock)").first else {
            throw AgreementError.notFound
        }
        return try Self.solution(row)
    }

    static let columns: SQL = """
        s.id, s.supplier_id, s.lot_id, s.name, s.summary, s.description, s.innovation_type, s.innovation_step, s.innovation_note, s.trl, s.tags,
        avrop.solution_status(s) AS status, s.verification_method, s.decision_reasons, s.valid_until::text AS valid_until, s.decided_at, s.version
        """

    static func solution(_ row: Row) throws -> Solution {
        guard let type = Solution.InnovationType(rawValue: try row.decode("innovation_type", as: String.self)),
              let step = InnovationStep(rawValue: try row.decode("innovation_step", as: String.self)),
              let status = Solution.Status(rawValue: try row.decode("status", as: String.self))
        else { throw PostgresDecodingError(column: "status", swiftType: "Solution.Status", reason: .invalidValue) }
        let decision = try row.decode("decided_at", as: Date?.self).map { decidedAt in
            Solution.Decision(
                method: try row.decode("verification_method", as: String?.self).flatMap(Solution.VerificationMethod.init(rawValue:)),
                reasons: try row.decode("decision_reasons", as: String?.self) ?? "",
                validUntil: try row.decode("valid_until", as: String?.self).flatMap(CalendarDay.init), decidedAt: decidedAt
            )
        }
        return Solution(
            id: try row.decode("id", as: UUID.self), supplierID: try row.decode("supplier_id", as: UUID.self), lotID: try row.decode("lot_id", as: UUID.self),
            description: .init(
                name: try row.decode("name", as: String.self), summary: try row.decode("summary", as: String.self),
                text: try row.decode("description", as: String.self), innovationType: type,
                innovationStep: step, innovationNote: try row.decode("innovation_note", as: String.self), trl: try row.decode("trl", as: Int.self),
                tags: try row.decode("tags", as: [String].self)
            ),
            status: status, decision: decision, version: try row.decode("version", as: Int.self)
        )
    }

    static func validated(_ description: Solution.Description) throws -> Solution.Description {
        var description = description
        description.name = description.name.trimmingCharacters(in: .whitespacesAndNewlines)
        description.summary = description.summary.trimmingCharacters(in: .whitespacesAndNewlines)
        description.tags = Array(Set(description.tags.map { $0.trimmingCharacters(in: .whitespacesAndNewlines).lowercased() }.filter { !$0.isEmpty })).sorted()
        guard (1...200).contains(description.name.count) else { throw AgreementError.invalid(field: "name", reason: "1 to 200 characters") }
        guard (1...500).contains(description.summary.count) else { throw AgreementError.invalid(field: "summary", reason: "1 to 500 characters") }
        guard description.text.count <= 20000 else { throw AgreementError.invalid(field: "description", reason: "at most 20000 characters") }
        guard description.innovationNote.count <= 5000 else { throw AgreementError.invalid(field: "innovationNote", reason: "at most 5000 characters") }
        guard (1...9).contains(description.trl) else { throw AgreementError.invalid(field: "trl", reason: "1 to 9") }
        guard description.tags.count <= 20, description.tags.allSatisfy({ $0.count <= 50 }) else {
            throw AgreementError.invalid(field: "tags", reason: "at most 20, each at most 50 characters")
        }
        return description
    }

    static func reasons(_ text: String) throws -> String {
        let reasons = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...5000).contains(reasons.count) else { throw AgreementError.invalid(field: "reasons", reason: "give the reasons (at most 5000 characters)") }
        return reasons
    }
}
