import Audit
public import AvropCore
public import Foundation
public import Identity
public import Postgres

/// The use cases of framework agreements. Each runs in one transaction: authorise → load → decide → write
/// → audit (stream `framework-agreement/<id>`, R23).
public struct AgreementService: Sendable {
    public let pool: ConnectionPool
    let store = AgreementStore()
    let newID: @Sendable () -> UUID

    public init(pool: ConnectionPool, environment: ServiceEnvironment = .system) {
        self.pool = pool
        self.newID = environment.newID
    }

    // MARK: Reading

    /// The agreements `actor` (or the public, for `nil`) may see, newest first.
    public func list(for actor: Actor?) async throws -> [FrameworkAgreement] {
        try await pool.withTransaction(settings: actor?.transactionSettings ?? []) { connection in
            let onIt = try await supplied(by: actor, on: connection)
            return try await store.list(on: connection).filter { AgreementPolicy.mayRead(actor, $0, supplierOnIt: onIt.contains($0.id)) }
        }
    }

    /// One agreement with its lots, suppliers and requirements; `notFound` when the caller may not see it.
    public func details(_ id: UUID, for actor: Actor?) async throws -> AgreementDetails {
        try await pool.withTransaction(settings: actor?.transactionSettings ?? []) { connection in
            guard let agreement = try await store.find(id, on: connection) else { throw AgreementError.notFound }
            guard AgreementPolicy.mayRead(actor, agreement, supplierOnIt: try await supplied(by: actor, on: connection).contains(id)) else { throw AgreementError.notFound }
            return try await details(agreement, on: connection)
        }
    }

    /// The agreements the actor's organisation is (or was) a supplier on; none for the public.
    private func supplied(by actor: Actor?, on connection: Connection) async throws -> Set<UUID> {
        guard let actor, actor.roles.contains(.supplierRepresentative) else { return [] }
        return try await store.agreements(withSupplier: actor.organizationID, on: connection)
    }

    private func details(_ agreement: FrameworkAgreement, on connection: Connection) async throws -> AgreementDetails {
        AgreementDetails(
            agreement: agreement,
            lots: try await store.lots(of: agreement.id, on: connection),
            suppliers: try await store.suppliers(of: agreement.id, on: connection),
            requirements: try await store.requirements(of: agreement.id, on: connection)
        )
    }

    // MARK: Drafting

    /// Drafts a new agreement owned by the actor's organisation (a central purchasing body's framework managers).
    public func create(_ terms: FrameworkAgreement.Terms, by actor: Actor) async throws -> FrameworkAgreement {
        guard actor.roles.contains(.frameworkManager) else { throw AgreementError.notFound }
        let terms = try Self.validated(terms)
        let id = newID()
        return try await pool.withTransaction(settings: actor.transactionSettings) { connection in
            try await store.insert(id: id, ownerID: actor.organizationID, terms: terms, on: connection)
            try await audit(id, actor.organizationID, "agreement.created", ["reference": terms.reference, "title": terms.title], on: connection)
            guard let created = try await store.find(id, on: connection) else { throw AgreementError.notFound }
            return created
        }
    }

    /// Changes a draft's terms, if it is still at `version`.
    public func update(_ id: UUID, terms: FrameworkAgreement.Terms, ifVersion version: Int, by actor: Actor) async throws -> FrameworkAgreement {
        let terms = try Self.validated(terms)
        return try await change(id, by: actor) { agreement, connection in
            guard agreement.status == .draft else { throw AgreementError.notDraft }
            guard try await store.update(id: id, terms: terms, ifVersion: version, on: connection) else {
                throw AgreementError.versionMismatch(current: agreement.version)
            }
            try await audit(id, agreement.ownerID, "agreement.updated", ["reference": terms.reference, "title": terms.title], on: connection)
        }
    }

    /// Adds a lot to a draft.
    public func addLot(
        to agreementID: UUID, number: Int, title: String, description: String = "", region: String = "", method: Lot.CallOffMethod,
        combinedThresholdOre: Int64? = nil, dialogueAllowed: Bool = true, minimumTenderDays: Int = 10, by actor: Actor
    ) async throws -> Lot {
        let lot = Lot(
            id: newID(), agreementID: agreementID, number: number, title: title.trimmingCharacters(in: .whitespacesAndNewlines),
            description: description, region: region, method: method, combinedThresholdOre: method == .combined ? combinedThresholdOre : nil,
            dialogueAllowed: dialogueAllowed, minimumTenderDays: minimumTenderDays
        )
        guard (1...999).contains(number) else { throw AgreementError.invalid(field: "number", reason: "1 to 999") }
        guard (1...300).contains(lot.title.count) else { throw AgreementError.invalid(field: "title", reason: "1 to 300 characters") }
        guard (1...365).contains(minimumTenderDays) else { throw AgreementError.invalid(field: "minimumTenderDays", reason: "1 to 365") }
        if method == .combined, (combinedThresholdOre ?? 0) <= 0 {
            throw AgreementError.invalid(field: "combinedThreshold", reason: "the combined method needs a threshold above zero")
        }
        _ = try await change(agreementID, by: actor) { agreement, connection in
            guard agreement.status == .draft else { throw AgreementError.notDraft }
            try await store.insert(lot, on: connection)
            try await audit(agreementID, agreement.ownerID, "lot.added", ["lot": String(number), "title": lot.title, "method": method.rawValue], on: connection)
        }
        return lot
    }

    /// Puts a supplier on a lot of a draft. R3: an activated agreement takes no new supplier.
    public func addSupplier(_ supplierID: UUID, to lotID: UUID, rank: Int?, by actor: Actor) async throws {
        if let rank, !(1...999).contains(rank) { throw AgreementError.invalid(field: "rank", reason: "1 to 999") }
        try await changeLot(lotID, by: actor) { agreement, lot, connection in
            guard agreement.status == .draft else { throw AgreementError.closedSystem }
            guard let supplier = try await OrganizationStore().find(id: supplierID, on: connection), supplier.kind == .supplier else {
                throw AgreementError.invalid(field: "supplier", reason: "not a supplier organisation")
            }
            try await store.insertSupplier(lotID: lotID, supplierID: supplierID, rank: rank, on: connection)
            try await audit(agreement.id, agreement.ownerID, "supplier.added",
                            ["lot": String(lot.number), "supplier": supplier.name, "rank": rank.map(String.init) ?? ""], on: connection)
        }
    }

    /// Suspends (with a reason and optionally until a day), removes (with a reason) or reinstates a supplier
    /// on a lot, in a draft or an active agreement.
    /// Takes a lot out of a draft, with its suppliers and its requirements (to correct it, add it anew).
    public func removeLot(_ lotID: UUID, by actor: Actor) async throws {
        try await changeLot(lotID, by: actor) { agreement, lot, connection in
            guard agreement.status == .draft else { throw AgreementError.notDraft }
            try await store.deleteLot(lotID, on: connection)
            try await audit(agreement.id, agreement.ownerID, "lot.removed", ["lot": String(lot.number), "title": lot.title], on: connection)
        }
    }

    /// Takes a requirement out of a draft.
    public func removeRequirement(_ requirementID: UUID, from agreementID: UUID, by actor: Actor) async throws {
        _ = try await change(agreementID, by: actor) { agreement, connection in
            guard agreement.status == .draft else { throw AgreementError.notDraft }
            guard let code = try await store.deleteRequirement(requirementID, of: agreementID, on: connection) else { throw AgreementError.notFound }
            try await audit(agreementID, agreement.ownerID, "requirement.removed", ["code": code], on: connection)
        }
    }

    /// Adds the supplier with Swedish organisation number `number` (as people write it, "556801-1232").
    public func addSupplier(numbered number: String, to lotID: UUID, rank: Int?, by actor: Actor) async throws {
        guard let parsed = try? OrganizationNumber(number) else { throw AgreementError.invalid(field: "supplier", reason: "a Swedish organisation number") }
        let supplier = try await pool.withTransaction(settings: actor.transactionSettings) { connection in
            try await OrganizationStore().find(number: parsed, on: connection)
        }
        guard let supplier, supplier.kind == .supplier else { throw AgreementError.invalid(field: "supplier", reason: "not a supplier organisation") }
        try await addSupplier(supplier.id, to: lotID, rank: rank, by: actor)
    }

    public func setSupplierStatus(_ supplierID: UUID, on lotID: UUID, to status: LotSupplier.Status, by actor: Actor) async throws {
        switch status {
        case .suspended(let reason, _), .removed(let reason):
            guard !reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                throw AgreementError.invalid(field: "reason", reason: "give the reason")
            }
        case .active: break
        }
        try await changeLot(lotID, by: actor) { agreement, lot, connection in
            guard agreement.status == .draft || agreement.status == .active else { throw AgreementError.notDraft }
            guard try await store.setSupplierStatus(lotID: lotID, supplierID: supplierID, status, on: connection) else {
                throw AgreementError.notFound
            }
            var facts = ["lot": String(lot.number), "supplier": supplierID.uuidString.lowercased(), "status": status.name]
            switch status {
            case .suspended(let reason, let until):
                facts["reason"] = reason
                facts["until"] = until?.description ?? ""
            case .removed(let reason): facts["reason"] = reason
            case .active: break
            }
            try await audit(agreement.id, agreement.ownerID, "supplier.\(status.name)", facts, on: connection)
        }
    }

    /// Adds a requirement to a draft, for the whole agreement or one of its lots.
    public func addRequirement(
        to agreementID: UUID, lotID: UUID?, code: String, text: String, kind: Requirement.Kind, category: Requirement.Category,
        indicator: String? = nil, followUpMethod: String = "", followUpFrequency: Requirement.Frequency = .none, by actor: Actor
    ) async throws -> Requirement {
        let requirement = Requirement(
            id: newID(), agreementID: agreementID, lotID: lotID, code: code.trimmingCharacters(in: .whitespaces),
            text: text.trimmingCharacters(in: .whitespacesAndNewlines), kind: kind, category: category,
            indicator: indicator.flatMap { $0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ? nil : $0 },
            followUpMethod: followUpMethod, followUpFrequency: followUpFrequency
        )
        guard (1...5000).contains(requirement.text.count) else { throw AgreementError.invalid(field: "text", reason: "1 to 5000 characters") }
        if case .weighted(let low, let high) = kind, !(0...100).contains(low) || !(1...100).contains(high) || low > high {
            throw AgreementError.invalid(field: "weight", reason: "a range within 0 to 100, the lower end first")
        }
        _ = try await change(agreementID, by: actor) { agreement, connection in
            guard agreement.status == .draft else { throw AgreementError.notDraft }
            if let lotID, try await store.lots(of: agreementID, on: connection).contains(where: { $0.id == lotID }) == false {
                throw AgreementError.notFound
            }
            try await store.insert(requirement, on: connection)
            try await audit(agreementID, agreement.ownerID, "requirement.added", ["code": requirement.code, "category": category.rawValue], on: connection)
        }
        return requirement
    }

    // MARK: Lifecycle

    /// Activates a complete draft: at least one lot, an active supplier on each, unique ranks on cascade
    /// lots, weight ranges that can sum to 100, and R1. Otherwise `incomplete` with every problem.
    public func activate(_ id: UUID, by actor: Actor) async throws -> FrameworkAgreement {
        try await change(id, by: actor) { agreement, connection in
            guard agreement.status == .draft else { throw AgreementError.notDraft }
            let problems = ActivationCheck.problems(try await details(agreement, on: connection))
            guard problems.isEmpty else { throw AgreementError.incomplete(problems) }
            try await store.markActivated(id, on: connection)
            try await audit(id, agreement.ownerID, "agreement.activated", [:], on: connection)
        }
    }

    /// Ends an activated agreement early, with the reason.
    public func terminate(_ id: UUID, reason: String, by actor: Actor) async throws -> FrameworkAgreement {
        let reason = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...2000).contains(reason.count) else { throw AgreementError.invalid(field: "reason", reason: "give the reason (at most 2000 characters)") }
        return try await change(id, by: actor) { agreement, connection in
            guard agreement.status == .active || agreement.status == .expired else { throw AgreementError.notDraft }
            try await store.markTerminated(id, reason: reason, on: connection)
            try await audit(id, agreement.ownerID, "agreement.terminated", ["reason": reason], on: connection)
        }
    }

    // MARK: Plumbing

    /// Runs `body` on the locked agreement if the actor may manage it, moves its version, and returns it as it is after.
    @discardableResult
    private func change(
        _ id: UUID, by actor: Actor, _ body: @Sendable (FrameworkAgreement, Connection) async throws -> Void
    ) async throws -> FrameworkAgreement {
        try await pool.withTransaction(settings: actor.transactionSettings) { connection in
            guard let agreement = try await store.find(id, forUpdate: true, on: connection),
                  AgreementPolicy.mayManage(actor, ownerID: agreement.ownerID)
            else { throw AgreementError.notFound }
            try await body(agreement, connection)
            try await store.touch(id, on: connection)
            guard let changed = try await store.find(id, on: connection) else { throw AgreementError.notFound }
            return changed
        }
    }

    private func changeLot(
        _ lotID: UUID, by actor: Actor, _ body: @Sendable (FrameworkAgreement, Lot, Connection) async throws -> Void
    ) async throws {
        let agreementID = try await pool.withTransaction(settings: actor.transactionSettings) { connection in
            try await connection.query("SELECT agreement_id FROM avrop.lot WHERE id = \(lotID)").first?.decode("agreement_id", as: UUID.self)
        }
        guard let agreementID else { throw AgreementError.notFound }
        try await change(agreementID, by: actor) { agreement, connection in
            guard let lot = try await store.lots(of: agreementID, on: connection).first(where: { $0.id == lotID }) else { throw AgreementError.notFound }
            try await body(agreement, lot, connection)
        }
    }

    private func audit(_ id: UUID, _ ownerID: UUID, _ action: String, _ facts: [String: String], on connection: Connection) async throws {
        try await AuditLog.append(
            stream: "framework-agreement/\(id.uuidString.lowercased())", organizationID: ownerID, action: action,
            data: AuditFacts(facts), on: connection
        )
    }

    /// Terms trimmed and checked field by field; R1 is checked here and again by the database.
    static func validated(_ terms: FrameworkAgreement.Terms) throws -> FrameworkAgreement.Terms {
        var terms = terms
        terms.reference = terms.reference.trimmingCharacters(in: .whitespacesAndNewlines)
        terms.title = terms.title.trimmingCharacters(in: .whitespacesAndNewlines)
        terms.longValidityJustification = terms.longValidityJustification.flatMap {
            let text = $0.trimmingCharacters(in: .whitespacesAndNewlines)
            return text.isEmpty ? nil : text
        }
        guard (1...50).contains(terms.reference.count) else { throw AgreementError.invalid(field: "reference", reason: "1 to 50 characters") }
        guard (1...300).contains(terms.title.count) else { throw AgreementError.invalid(field: "title", reason: "1 to 300 characters") }
        guard terms.description.count <= 20000 else { throw AgreementError.invalid(field: "description", reason: "at most 20000 characters") }
        guard terms.validFrom <= terms.validTo else { throw AgreementError.invalid(field: "validTo", reason: "not before validFrom") }
        if let extended = terms.maxExtendedTo, extended < terms.validTo {
            throw AgreementError.invalid(field: "maxExtendedTo", reason: "not before validTo")
        }
        guard terms.ceilingOre > 0 else { throw AgreementError.invalid(field: "ceiling", reason: "above zero") }
        guard ActivationCheck.validityAllowed(terms) else { throw AgreementError.validityTooLong }
        return terms
    }
}
