import AvropCore
public import Foundation
public import Postgres

/// Framework agreements and their parts in PostgreSQL. What a caller may see is decided by row-level
/// security (the transaction's actor) and, on top, by `AgreementService`.
public struct AgreementStore: Sendable {
    public init() {}

    static let columns: SQL = """
        a.id, a.owner_id, a.reference, a.title, a.description, a.valid_from::text AS valid_from, a.valid_to::text AS valid_to,
        a.max_extended_to::text AS max_extended_to, a.long_validity_justification, a.ceiling_ore, a.all_authorities_eligible,
        a.innovation_step, a.innovation_note, a.activated_at, a.terminated_at, a.termination_reason, a.version,
        avrop.framework_agreement_status(a) AS status,
        ARRAY(SELECT e.authority_id FROM avrop.agreement_eligible_authority e WHERE e.agreement_id = a.id ORDER BY e.authority_id) AS eligible
        """

    public func insert(id: UUID, ownerID: UUID, terms: FrameworkAgreement.Terms, on connection: Connection) async throws {
        do {
            try await connection.execute("""
                INSERT INTO avrop.framework_agreement (id, owner_id, reference, title, description, valid_from, valid_to, max_extended_to,
                    long_validity_justification, ceiling_ore, all_authorities_eligible, innovation_step, innovation_note)
                VALUES (\(id), \(ownerID), \(terms.reference), \(terms.title), \(terms.description), \(terms.validFrom.description)::date,
                    \(terms.validTo.description)::date, \(terms.maxExtendedTo?.description)::date, \(terms.longValidityJustification),
                    \(terms.ceilingOre), \(terms.eligibility == .allAuthorities), \(terms.innovationStep?.rawValue), \(terms.innovationNote))
                """)
        } catch let error as PostgresError where error.constraint == "framework_agreement_reference_key" {
            throw AgreementError.duplicate("an agreement with reference \(terms.reference)")
        }
        try await replaceEligibility(id, terms.eligibility, on: connection)
    }

    /// Writes new terms if the agreement is still at `version`; false when it is not (or not visible).
    public func update(id: UUID, terms: FrameworkAgreement.Terms, ifVersion version: Int, on connection: Connection) async throws -> Bool {
        let changed = try await connection.execute("""
            UPDATE avrop.framework_agreement SET reference = \(terms.reference), title = \(terms.title), description = \(terms.description),
                valid_from = \(terms.validFrom.description)::date, valid_to = \(terms.validTo.description)::date,
                max_extended_to = \(terms.maxExtendedTo?.description)::date, long_validity_justification = \(terms.longValidityJustification),
                ceiling_ore = \(terms.ceilingOre), all_authorities_eligible = \(terms.eligibility == .allAuthorities),
                innovation_step = \(terms.innovationStep?.rawValue), innovation_note = \(terms.innovationNote), version = version + 1
            WHERE id = \(id) AND version = \(version)
            """)
        guard changed == 1 else { return false }
        try await replaceEligibility(id, terms.eligibility, on: connection)
        return true
    }

    private func replaceEligibility(_ id: UUID, _ eligibility: FrameworkAgreement.Eligibility, on connection: Connection) async throws {
        try await connection.execute("DELETE FROM avrop.agreement_eligible_authority WHERE agreement_id = \(id)")
        if case .authorities(let list) = eligibility, !list.isEmpty {
            try await connection.execute("""
                INSERT INTO avrop.agreement_eligible_authority (agreement_id, authority_id)
                SELECT \(id), o.id FROM avrop.organization o WHERE o.id = ANY (\(list)) AND o.kind = 'contractingAuthority'
                """)
        }
    }

    /// The agreement, locked for the rest of the transaction when `forUpdate` (changes to it and its parts
    /// then happen one after the other).
    public func find(_ id: UUID, forUpdate: Bool = false, on connection: Connection) async throws -> FrameworkAgreement? {
        let lock: SQL = forUpdate ? " FOR UPDATE OF a" : ""
        return try await connection.query("SELECT \(Self.columns) FROM avrop.framework_agreement a WHERE a.id = \(id)\(lock)")
            .first.map(Self.agreement)
    }

    /// Every agreement the transaction's actor may see (row-level security), newest first.
    public func list(on connection: Connection) async throws -> [FrameworkAgreement] {
        try await connection.query("SELECT \(Self.columns) FROM avrop.framework_agreement a ORDER BY a.valid_from DESC, a.reference LIMIT 500")
            .map(Self.agreement)
    }

    /// Deletes a lot; its suppliers and requirements go with it (foreign keys cascade).
    public func deleteLot(_ id: UUID, on connection: Connection) async throws {
        try await connection.execute("DELETE FROM avrop.lot WHERE id = \(id)")
    }

    /// Deletes a requirement of the agreement; its code, or nil when there is none such.
    public func deleteRequirement(_ id: UUID, of agreementID: UUID, on connection: Connection) async throws -> String? {
        try await connection.query("DELETE FROM avrop.requirement WHERE id = \(id) AND agreement_id = \(agreementID) RETURNING code")
            .first?.decode("code", as: String.self)
    }

    /// The agreements with `supplierID` on one of their lots, in any standing.
    public func agreements(withSupplier supplierID: UUID, on connection: Connection) async throws -> Set<UUID> {
        Set(try await connection.query("""
            SELECT DISTINCT l.agreement_id FROM avrop.lot_supplier s JOIN avrop.lot l ON l.id = s.lot_id WHERE s.supplier_id = \(supplierID)
            """).map { try $0.decode("agreement_id", as: UUID.self) })
    }

    public func markActivated(_ id: UUID, on connection: Connection) async throws {
        try await connection.execute("UPDATE avrop.framework_agreement SET activated_at = now(), version = version + 1 WHERE id = \(id)")
    }

    public func markTerminated(_ id: UUID, reason: String, on connection: Connection) async throws {
        try await connection.execute("""
            UPDATE avrop.framework_agreement SET terminated_at = now(), termination_reason = \(reason), version = version + 1 WHERE id = \(id)
            """)
    }

    /// A change to a part (lot, supplier, requirement) is a change of the agreement: its version moves.
    public func touch(_ id: UUID, on connection: Connection) async throws {
        try await connection.execute("UPDATE avrop.framework_agreement SET version = version + 1 WHERE id = \(id)")
    }

    public func insert(_ lot: Lot, on connection: Connection) async throws {
        do {
            try await connection.execute("""
                INSERT INTO avrop.lot (id, agreement_id, number, title, description, region, call_off_method, combined_threshold_ore,
                    dialogue_allowed, minimum_tender_days)
                VALUES (\(lot.id), \(lot.agreementID), \(lot.number), \(lot.title), \(lot.description), \(lot.region), \(lot.method.rawValue),
                    \(lot.combinedThresholdOre), \(lot.dialogueAllowed), \(lot.minimumTenderDays))
                """)
        } catch let error as PostgresError where error.constraint == "lot_number_key" {
            throw AgreementError.duplicate("lot \(lot.number)")
        }
    }

    public func lots(of agreementID: UUID, on connection: Connection) async throws -> [Lot] {
        try await connection.query("""
            SELECT id, agreement_id, number, title, description, region, call_off_method, combined_threshold_ore, dialogue_allowed,
                minimum_tender_days
            FROM avrop.lot WHERE agreement_id = \(agreementID) ORDER BY number
            """).map { row in
            guard let method = Lot.CallOffMethod(rawValue: try row.decode("call_off_method", as: String.self)) else {
                throw PostgresDecodingError(column: "call_off_method", swiftType: "Lot.CallOffMethod", reason: .invalidValue)
            }
            return Lot(
                id: try row.decode("id", as: UUID.self), agreementID: try row.decode("agreement_id", as: UUID.self),
                number: try row.decode("number", as: Int.self), title: try row.decode("title", as: String.self),
                description: try row.decode("description", as: String.self), region: try row.decode("region", as: String.self),
                method: method, combinedThresholdOre: try row.decode("combined_threshold_ore", as: Int64?.self),
                dialogueAllowed: try row.decode("dialogue_allowed", as: Bool.self), minimumTenderDays: try row.decode("minimum_tender_days", as: Int.self)
            )
        }
    }

    public func insertSupplier(lotID: UUID, supplierID: UUID, rank: Int?, on connection: Connection) async throws {
        do {
            try await connection.execute("""
                INSERT INTO avrop.lot_supplier (lot_id, supplier_id, rank) VALUES (\(lotID), \(supplierID), \(rank))
                """)
        } catch let error as PostgresError where error.constraint == "lot_supplier_pkey" {
            throw AgreementError.duplicate("the supplier on this lot")
        } catch let error as PostgresError where error.constraint == "lot_supplier_closed_system" {
            throw AgreementError.closedSystem
        }
    }

    public func setSupplierStatus(lotID: UUID, supplierID: UUID, _ status: LotSupplier.Status, on connection: Connection) async throws -> Bool {
        let (reason, until): (String?, String?) = switch status {
        case .active: (nil, nil)
        case .suspended(let reason, let until): (reason, until?.description)
        case .removed(let reason): (reason, nil)
        }
        return try await connection.execute("""
            UPDATE avrop.lot_supplier SET status = \(status.name), status_reason = \(reason), suspended_until = \(until)::date
            WHERE lot_id = \(lotID) AND supplier_id = \(supplierID)
            """) == 1
    }

    public func suppliers(of agreementID: UUID, on connection: Connection) async throws -> [LotSupplier] {
        try await connection.query("""
            SELECT s.lot_id, s.supplier_id, o.name, s.rank, s.status, s.status_reason, s.suspended_until::text AS suspended_until
            FROM avrop.lot_supplier s JOIN avrop.lot l ON l.id = s.lot_id JOIN avrop.organization o ON o.id = s.supplier_id
            WHERE l.agreement_id = \(agreementID)
            ORDER BY l.number, s.rank NULLS LAST, o.name
            """).map { row in
            let reason = try row.decode("status_reason", as: String?.self) ?? ""
            let status: LotSupplier.Status = switch try row.decode("status", as: String.self) {
            case "suspended": .suspended(reason: reason, until: try row.decode("suspended_until", as: String?.self).flatMap(CalendarDay.init))
            case "removed": .removed(reason: reason)
            default: .active
            }
            return LotSupplier(
                lotID: try row.decode("lot_id", as: UUID.self), supplierID: try row.decode("supplier_id", as: UUID.self),
                supplierName: try row.decode("name", as: String.self), rank: try row.decode("rank", as: Int?.self), status: status
            )
        }
    }

    public func insert(_ requirement: Requirement, on connection: Connection) async throws {
        let (kind, low, high): (String, Int?, Int?) = switch requirement.kind {
        case .mandatory: ("mandatory", nil, nil)
        case .weighted(let low, let high): ("weighted", low, high)
        }
        do {
            try await connection.execute("""
                INSERT INTO avrop.requirement (id, agreement_id, lot_id, code, text, kind, weight_min, weight_max, category, indicator,
                    follow_up_method, follow_up_frequency)
                VALUES (\(requirement.id), \(requirement.agreementID), \(requirement.lotID), \(requirement.code), \(requirement.text), \(kind),
                    \(low), \(high), \(requirement.category.rawValue), \(requirement.indicator), \(requirement.followUpMethod),
                    \(requirement.followUpFrequency.rawValue))
                """)
        } catch let error as PostgresError where error.constraint == "requirement_code_key" {
            throw AgreementError.duplicate("requirement \(requirement.code)")
        } catch let error as PostgresError where error.constraint == "requirement_code_check" {
            throw AgreementError.invalid(field: "code", reason: "letters, digits, dots and dashes, at most 20")
        }
    }

    public func requirements(of agreementID: UUID, on connection: Connection) async throws -> [Requirement] {
        try await connection.query("""
            SELECT r.id, r.agreement_id, r.lot_id, r.code, r.text, r.kind, r.weight_min, r.weight_max, r.category, r.indicator,
                r.follow_up_method, r.follow_up_frequency
            FROM avrop.requirement r LEFT JOIN avrop.lot l ON l.id = r.lot_id
            WHERE r.agreement_id = \(agreementID)
            ORDER BY l.number NULLS FIRST, r.code
            """).map { row in
            let kind: Requirement.Kind = try row.decode("kind", as: String.self) == "weighted"
                ? .weighted(minimum: try row.decode("weight_min", as: Int?.self) ?? 0, maximum: try row.decode("weight_max", as: Int?.self) ?? 0)
                : .mandatory
            guard let category = Requirement.Category(rawValue: try row.decode("category", as: String.self)),
                  let frequency = Requirement.Frequency(rawValue: try row.decode("follow_up_frequency", as: String.self))
            else { throw PostgresDecodingError(column: "category", swiftType: "Requirement.Category", reason: .invalidValue) }
            return Requirement(
                id: try row.decode("id", as: UUID.self), agreementID: try row.decode("agreement_id", as: UUID.self),
                lotID: try row.decode("lot_id", as: UUID?.self), code: try row.decode("code", as: String.self),
                text: try row.decode("text", as: String.self), kind: kind, category: category,
                indicator: try row.decode("indicator", as: String?.self), followUpMethod: try row.decode("follow_up_method", as: String.self),
                followUpFrequency: frequency
            )
        }
    }

    static func agreement(_ row: Row) throws -> FrameworkAgreement {
        func day(_ column: String) throws -> CalendarDay? {
            guard let text = try row.decode(column, as: String?.self) else { return nil }
            guard let day = CalendarDay(text) else {
                throw PostgresDecodingError(column: column, swiftType: "CalendarDay", reason: .invalidValue)
            }
            return day
        }
        guard let validFrom = try day("valid_from"), let validTo = try day("valid_to") else {
            throw PostgresDecodingError(column: "valid_from", swiftType: "CalendarDay", reason: .invalidValue)
        }
        guard let status = FrameworkAgreement.Status(rawValue: try row.decode("status", as: String.self)) else {
            throw PostgresDecodingError(column: "status", swiftType: "FrameworkAgreement.Status", reason: .invalidValue)
        }
        let all = try row.decode("all_authorities_eligible", as: Bool.self)
        let terms = FrameworkAgreement.Terms(
            reference: try row.decode("reference", as: String.self), title: try row.decode("title", as: String.self),
            description: try row.decode("description", as: String.self), validFrom: validFrom, validTo: validTo,
            maxExtendedTo: try day("max_extended_to"), longValidityJustification: try row.decode("long_validity_justification", as: String?.self),
            ceilingOre: try row.decode("ceiling_ore", as: Int64.self),
            eligibility: all ? .allAuthorities : .authorities(try row.decode("eligible", as: [UUID].self)),
            innovationStep: try row.decode("innovation_step", as: String?.self).flatMap(InnovationStep.init(rawValue:)),
            innovationNote: try row.decode("innovation_note", as: String.self)
        )
        return FrameworkAgreement(
            id: try row.decode("id", as: UUID.self), ownerID: try row.decode("owner_id", as: UUID.self), terms: terms, status: status,
            activatedAt: try row.decode("activated_at", as: Date?.self), terminatedAt: try row.decode("terminated_at", as: Date?.self),
            terminationReason: try row.decode("termination_reason", as: String?.self), version: try row.decode("version", as: Int.self)
        )
    }
}
