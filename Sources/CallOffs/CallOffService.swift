import Audit
import Notifications
public import AvropCore
public import Foundation
import FrameworkAgreements
public import Identity
public import Postgres

/// The use cases of call-offs. Each runs in one transaction as its actor (row-level security applies):
/// authorise → load → decide (the pure rules) → write → audit (stream `call-off/<id>`, R23).
public struct CallOffService: Sendable {
    public let pool: ConnectionPool
    /// The service's clock, for checks made before the database's clock has the last word (R10).
    let now: @Sendable () -> Date
    let newID: @Sendable () -> UUID
    let store = CallOffStore()
    let agreements = AgreementStore()
    let organizations = OrganizationStore()

    public init(pool: ConnectionPool, environment: ServiceEnvironment = .system) {
        self.pool = pool
        self.now = environment.now
        self.newID = environment.newID
    }

    /// What a buyer writes to start a call-off.
    public struct Draft: Sendable, Equatable {
        public var lotID: UUID
        public var title: String
        public var need: String
        public var estimatedValueOre: Int64

        public init(lotID: UUID, title: String, need: String = "", estimatedValueOre: Int64) {
            self.lotID = lotID
            self.title = title
            self.need = need
            self.estimatedValueOre = estimatedValueOre
        }
    }

    // MARK: Reading

    /// One call-off; `notFound` when the caller may not see it (DESIGN §4: a draft only within its
    /// authority, a published one also for the suppliers it invited).
    public func find(_ id: UUID, for actor: Actor) async throws -> CallOff {
        try await pool.withTransaction(settings: actor.transactionSettings) { connection in
            guard let callOff = try await store.find(id, on: connection), Self.mayRead(actor, callOff) else { throw CallOffError.notFound }
            return callOff
        }
    }

    /// The call-offs the caller may see, newest first, `limit` at a time after `cursor`: its authority's for
    /// buyers, contract managers and auditors; the published ones it was invited to for a supplier (row-level
    /// security draws that line).
    public func list(for actor: Actor, after cursor: CallOffCursor? = nil, limit: Int = 50) async throws -> [CallOff] {
        guard !actor.roles.isDisjoint(with: [.buyer, .contractManager, .auditor, .supplierRepresentative]) else { return [] }
        return try await pool.withTransaction(settings: actor.transactionSettings) { connection in
            try await store.list(after: cursor, limit: max(1, min(limit, 200)), on: connection).filter { Self.mayRead(actor, $0) }
        }
    }

    /// The invitations of a call-off: all of them for its authority, its own for an invited supplier.
    public func invitations(of id: UUID, for actor: Actor) async throws -> [Invitation] {
        try await pool.withTransaction(settings: actor.transactionSettings) { connection in
            guard let callOff = try await store.find(id, on: connection), Self.mayRead(actor, callOff) else { throw CallOffError.notFound }
            return try await store.invitations(of: id, on: connection)
        }
    }

    /// The call-offs published under an agreement, as its framework managers read them (DESIGN §4: metadata
    /// only). Anyone else, and an agreement that is not the caller's, is `notFound`.
    public func register(ofAgreement agreementID: UUID, for actor: Actor) async throws -> [CallOffRegisterEntry] {
        guard actor.roles.contains(.frameworkManager) else { throw CallOffError.notFound }
        return try await pool.withTransaction(settings: actor.transactionSettings) { connection in
            guard try await agreements.find(agreementID, on: connection)?.ownerID == actor.organizationID else { throw CallOffError.notFound }
            return try await store.register(ofAgreement: agreementID, on: connection)
        }
    }

    /// The database already narrows to the caller's organisation and invitations; the roles narrow further.
    static func mayRead(_ actor: Actor, _ callOff: CallOff) -> Bool {
        if callOff.authorityID == actor.organizationID {
            return !actor.roles.isDisjoint(with: [.buyer, .contractManager, .auditor])
        }
        return callOff.status != .draft && actor.roles.contains(.supplierRepresentative)
    }

    // MARK: Drafting

    /// Drafts a call-off under a lot, numbered within the authority and year.
    ///
    /// - R2: only under an active agreement (publication checks again).
    /// - R3: only a buyer at a contracting authority that the agreement admits.
    public func createDraft(_ draft: Draft, by actor: Actor) async throws -> CallOff {
        guard actor.roles.contains(.buyer) else { throw CallOffError.notFound }
        let title = draft.title.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !title.isEmpty, title.count <= 300 else { throw CallOffError.invalid(field: "title", reason: "1 to 300 characters") }
        guard draft.estimatedValueOre > 0 else { throw CallOffError.invalid(field: "estimatedValue", reason: "above zero") }
        let id = newID()
        let today = CalendarDay(now())
        return try await pool.withTransaction(settings: actor.transactionSettings) { connection in
            guard try await organizations.find(id: actor.organizationID, on: connection)?.kind == .contractingAuthority else {
                throw CallOffError.authorityNotEligible
            }
            guard let agreementID = try await store.agreement(ofLot: draft.lotID, on: connection),
                  let agreement = try await agreements.find(agreementID, on: connection)
            else { throw CallOffError.notFound }
            guard agreement.status == .active else { throw CallOffError.agreementNotActive }
            guard Self.admits(agreement, actor.organizationID) else { throw CallOffError.authorityNotEligible }
            let reference = try await store.nextReference(of: actor.organizationID, year: today.year, on: connection)
            try await store.insert(
                id: id, authorityID: actor.organizationID, lotID: draft.lotID, reference: reference, title: title, need: draft.need,
                estimatedValueOre: draft.estimatedValueOre, createdBy: actor.userID, on: connection
            )
            try await audit(id, actor.organizationID, "callOff.drafted", ["reference": reference.description, "title": title], on: connection)
            guard let created = try await store.find(id, on: connection) else { throw CallOffError.notFound }
            return created
        }
    }

    /// Sets a draft's award criteria: weights of the framework's weighted requirements (R8, checked in full
    /// at publication, when every weight is in).
    public func setCriteria(_ id: UUID, weights: [UUID: Int], ifVersion version: Int, by actor: Actor) async throws -> CallOff {
        try await change(id, ifVersion: version, by: actor) { callOff, connection in
            let requirements = try await agreements.requirements(of: callOff.agreementID, on: connection)
                .filter { $0.lotID == nil || $0.lotID == callOff.lotID }
            for requirementID in weights.keys where !requirements.contains(where: { $0.id == requirementID }) {
                throw CallOffError.notAFrameworkRequirement(requirementID)
            }
            try await store.replaceCriteria(of: id, weights, on: connection)
            try await audit(id, callOff.authorityID, "callOff.criteriaSet",
                            ["weights": requirements.compactMap { r in weights[r.id].map { "\(r.code)=\($0)" } }.sorted().joined(separator: ",")],
                            on: connection)
        }
    }

    /// Publishes a draft: fixes its method and deadlines and invites the suppliers.
    ///
    /// - R2: the agreement is active and the tender deadline falls before it ends.
    /// - R3, R5, R6, R7: the method follows the lot and the value; only active suppliers are invited; a
    ///   cascade invites rank 1 and keeps the rest in order; a renewed competition invites all, an exclusion
    ///   needs a reason, and the tender period is at least the lot's minimum.
    /// - R8: a renewed competition's weights come from the framework, stay in range and sum to 100.
    public func publish(
        _ id: UUID, timetable: CallOffTimetable, method requested: CallOffMethod? = nil, exclusions: [UUID: String] = [:],
        ifVersion version: Int, by actor: Actor
    ) async throws -> CallOff {
        let moment = now()
        return try await change(id, ifVersion: version, by: actor) { callOff, connection in
            guard let agreement = try await agreements.find(callOff.agreementID, on: connection),
                  let lot = try await agreements.lots(of: callOff.agreementID, on: connection).first(where: { $0.id == callOff.lotID })
            else { throw CallOffError.notFound }
            guard Self.admits(agreement, callOff.authorityID) else { throw CallOffError.authorityNotEligible }
            let method = try CallOffMethod.resolve(lot: lot, estimatedValueOre: callOff.estimatedValueOre, requested: requested)
            try timetable.validateForPublication(at: moment, method: method, agreement: agreement, lot: lot)
            if method == .renewedCompetition {
                let requirements = try await agreements.requirements(of: callOff.agreementID, on: connection)
                try AwardCriteria.validate(try await store.criteria(of: id, on: connection), requirements: requirements, lotID: lot.id)
            }
            let suppliers = try await agreements.suppliers(of: callOff.agreementID, on: connection)
            let plan = try InvitationPlan.make(method: method, lotID: lot.id, suppliers: suppliers, exclusions: exclusions)
            guard try await store.markPublished(id, method: method, timetable: timetable, at: moment, on: connection) else {
                throw CallOffError.notDraft
            }
            try await store.insertInvitations(of: id, plan, at: moment, on: connection)
            // The invited hear of it when the publication commits (e-mail and webhooks through the outbox);
            // a cascade's later ranks only when their turn comes.
            let authority = try await organizations.find(id: callOff.authorityID, on: connection)?.name ?? ""
            for supplier in plan.invited {
                try await Notifier.notify(organization: supplier, kind: "callOff.invited", data: [
                    "callOff": id.uuidString.lowercased(), "reference": callOff.reference.description, "title": callOff.title,
                    "authority": authority, "questionsDeadline": Self.swedishTime(timetable.questionsDeadline),
                    "tenderDeadline": Self.swedishTime(timetable.tenderDeadline),
                ], on: connection)
            }
            try await audit(id, callOff.authorityID, "callOff.published", [
                "method": method.rawValue, "tenderDeadline": ISO8601DateFormatter().string(from: timetable.tenderDeadline),
                "invited": plan.invited.map { $0.uuidString.lowercased() }.joined(separator: ","),
                "excluded": plan.excluded.map { "\($0.key.uuidString.lowercased()): \($0.value)" }.sorted().joined(separator: "; "),
            ], on: connection)
        }
    }

    // MARK: Helpers

    /// A moment as Swedish readers expect it in a message: `2026-12-16 12:00`, Swedish time.
    static func swedishTime(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Europe/Stockholm") ?? .gmt
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: date)
        return String(format: "%04d-%02d-%02d %02d:%02d", c.year ?? 0, c.month ?? 0, c.day ?? 0, c.hour ?? 0, c.minute ?? 0)
    }

    /// R3: whether the agreement admits the authority.
    static func admits(_ agreement: FrameworkAgreement, _ authorityID: UUID) -> Bool {
        switch agreement.terms.eligibility {
        case .allAuthorities: true
        case .authorities(let list): list.contains(authorityID)
        }
    }

    /// Runs `work` on a draft of the actor's own authority at `version`, locked, moves its version, and
    /// returns it afterwards.
    private func change(
        _ id: UUID, ifVersion version: Int, by actor: Actor, _ work: (CallOff, Connection) async throws -> Void
    ) async throws -> CallOff {
        guard actor.roles.contains(.buyer) else { throw CallOffError.notFound }
        return try await pool.withTransaction(settings: actor.transactionSettings) { connection in
            guard let callOff = try await store.find(id, forUpdate: true, on: connection), callOff.authorityID == actor.organizationID else {
                throw CallOffError.notFound
            }
            guard callOff.status == .draft else { throw CallOffError.notDraft }
            guard callOff.version == version else { throw CallOffError.versionMismatch(current: callOff.version) }
            try await connection.execute("UPDATE avrop.call_off SET version = version + 1 WHERE id = \(id)")
            try await work(callOff, connection)
            guard let changed = try await store.find(id, on: connection) else { throw CallOffError.notFound }
            return changed
        }
    }

    private func audit(_ id: UUID, _ authorityID: UUID, _ action: String, _ facts: [String: String], on connection: Connection) async throws {
        try await AuditLog.append(
            stream: "call-off/\(id.uuidString.lowercased())", organizationID: authorityID, action: action,
            data: AuditFacts(facts), on: connection
        )
    }
}
