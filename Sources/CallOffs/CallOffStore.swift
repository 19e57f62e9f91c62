public import Foundation
public import Postgres

/// The call-off aggregate in PostgreSQL: the call-off, its criteria and its invitations. Every statement runs
/// as the transaction's actor, so row-level security decides what exists.
public struct CallOffStore: Sendable {
    public init() {}

    static let columns: SQL = """
        c.id, c.authority_id, l.agreement_id, c.lot_id, c.reference_year, c.reference_number, c.title, c.need,
        c.estimated_value_ore, c.method, c.questions_deadline, c.tender_deadline, c.published_at, c.version,
        avrop.call_off_status(c) AS status,
        -- Whole microseconds since 1970, exact: the list's keyset cursor compares it with created_at.
        (extract(epoch FROM c.created_at) * 1000000)::int8 AS created_us
        """

    /// The next reference number of `authorityID` in `year`, counted under the counter row's lock.
    public func nextReference(of authorityID: UUID, year: Int, on connection: Connection) async throws -> CallOffReference {
        let rows = try await connection.query("""
            INSERT INTO avrop.call_off_counter AS k (authority_id, year, last_number) VALUES (\(authorityID), \(year), 1)
            ON CONFLICT (authority_id, year) DO UPDATE SET last_number = k.last_number + 1
            RETURNING last_number
            """)
        guard let number = try rows.first?.decode("last_number", as: Int.self) else {
            throw CallOffError.invalid(field: "reference", reason: "no number could be drawn")
        }
        return CallOffReference(year: year, number: number)
    }

    public func insert(
        id: UUID, authorityID: UUID, lotID: UUID, reference: CallOffReference, title: String, need: String, estimatedValueOre: Int64,
        createdBy: UUID, on connection: Connection
    ) async throws {
        try await connection.execute("""
            INSERT INTO avrop.call_off (id, authority_id, lot_id, reference_year, reference_number, title, need, estimated_value_ore, created_by)
            VALUES (\(id), \(authorityID), \(lotID), \(reference.year), \(reference.number), \(title), \(need), \(estimatedValueOre), \(createdBy))
            """)
    }

    /// The call-off, if the actor may see it.
    public func find(_ id: UUID, forUpdate: Bool = false, on connection: Connection) async throws -> CallOff? {
        let lock: SQL = forUpdate ? " FOR UPDATE OF c" : ""
        return try await connection.query("""
            SELECT \(Self.columns) FROM avrop.call_off c JOIN avrop.lot l ON l.id = c.lot_id WHERE c.id = \(id)\(lock)
            """).first.map(Self.callOff)
    }

    /// The call-offs the actor may see, newest first, at most `limit`, after `cursor` (keyset on `created_at,
    /// id`; for an authority, `call_off_authority_idx` serves it).
    public func list(after cursor: CallOffCursor?, limit: Int, on connection: Connection) async throws -> [CallOff] {
        let after: SQL = cursor.map {
            "WHERE (c.created_at, c.id) < ('epoch'::timestamptz + \($0.createdMicroseconds) * interval '1 microsecond', \($0.id))"
        } ?? ""
        return try await connection.query("""
            SELECT \(Self.columns) FROM avrop.call_off c JOIN avrop.lot l ON l.id = c.lot_id
            \(after) ORDER BY c.created_at DESC, c.id DESC LIMIT \(limit)
            """).map(Self.callOff)
    }

    /// Replaces the criteria: requirement id → weight (0 for a mandatory one).
    public func replaceCriteria(of id: UUID, _ weights: [UUID: Int], on connection: Connection) async throws {
        try await connection.execute("DELETE FROM avrop.call_off_criterion WHERE call_off_id = \(id)")
        guard !weights.isEmpty else { return }
        let ids = weights.keys.sorted { $0.uuidString < $1.uuidString }
        try await connection.execute("""
            INSERT INTO avrop.call_off_criterion (call_off_id, requirement_id, weight)
            SELECT \(id), requirement, weight FROM unnest(\(ids), \(ids.map { weights[$0] ?? 0 })) AS criterion(requirement, weight)
            """)
    }

    /// Requirement id → weight.
    public func criteria(of id: UUID, on connection: Connection) async throws -> [UUID: Int] {
        var weights: [UUID: Int] = [:]
        for row in try await connection.query("SELECT requirement_id, weight FROM avrop.call_off_criterion WHERE call_off_id = \(id)") {
            weights[try row.decode("requirement_id", as: UUID.self)] = try row.decode("weight", as: Int.self)
        }
        return weights
    }

    /// Publishes a draft (the caller holds its row lock and has moved its version).
    public func markPublished(_ id: UUID, method: CallOffMethod, timetable: CallOffTimetable, at now: Date, on connection: Connection) async throws -> Bool {
        try await connection.execute("""
            UPDATE avrop.call_off SET method = \(method.rawValue), questions_deadline = \(timetable.questionsDeadline),
                tender_deadline = \(timetable.tenderDeadline), published_at = \(now)
            WHERE id = \(id) AND published_at IS NULL
            """) == 1
    }

    /// Records the plan: the invited (at `now`), a cascade's later ranks, the excluded with their reasons.
    /// A statement per supplier: a lot has a handful.
    public func insertInvitations(of id: UUID, _ plan: InvitationPlan, at now: Date, on connection: Connection) async throws {
        let excluded = plan.excluded.keys.sorted { $0.uuidString < $1.uuidString }
        let rows: [(supplier: UUID, invitedAt: Date?, reason: String?)] =
            plan.invited.map { ($0, now, nil) } + plan.laterRanks.map { ($0, nil, nil) } + excluded.map { ($0, nil, plan.excluded[$0]) }
        for (index, row) in rows.enumerated() {
            try await connection.execute("""
                INSERT INTO avrop.invitation (call_off_id, supplier_id, position, invited_at, excluded_reason)
                VALUES (\(id), \(row.supplier), \(index + 1), \(row.invitedAt), \(row.reason))
                """)
        }
    }

    /// The invitations the actor may see, in position order.
    public func invitations(of id: UUID, on connection: Connection) async throws -> [Invitation] {
        try await connection.query("""
            SELECT supplier_id, position, invited_at, excluded_reason FROM avrop.invitation WHERE call_off_id = \(id) ORDER BY position
            """).map { row in
            Invitation(
                supplierID: try row.decode("supplier_id", as: UUID.self), position: try row.decode("position", as: Int.self),
                invitedAt: try row.decode("invited_at", as: Date?.self), excludedReason: try row.decode("excluded_reason", as: String?.self)
            )
        }
    }

    /// The lot's agreement, for a lot the actor may see.
    public func agreement(ofLot lotID: UUID, on connection: Connection) async throws -> UUID? {
        try await connection.query("SELECT agreement_id FROM avrop.lot WHERE id = \(lotID)").first?.decode("agreement_id", as: UUID.self)
    }

    /// The published call-offs under `agreementID`, newest first, as its owner's register shows them
    /// (`avrop.call_off_register`: empty for anyone but the agreement's owner).
    public func register(ofAgreement agreementID: UUID, on connection: Connection) async throws -> [CallOffRegisterEntry] {
        try await connection.query("""
            SELECT id, authority_id, authority_name, lot_id, reference_year, reference_number, method, estimated_value_ore, published_at, status
            FROM avrop.call_off_register WHERE agreement_id = \(agreementID)
            ORDER BY published_at DESC, id DESC
            """).map { row in
            CallOffRegisterEntry(
                id: try row.decode("id"),
                reference: CallOffReference(year: try row.decode("reference_year"), number: try row.decode("reference_number")),
                authorityID: try row.decode("authority_id"), authorityName: try row.decode("authority_name"), lotID: try row.decode("lot_id"),
                method: try CallOffMethod(rawValue: try row.decode("method", as: String.self))
                    .orThrow(PostgresDecodingError(column: "method", swiftType: "CallOffMethod", reason: .invalidValue)),
                status: try CallOff.Status(rawValue: try row.decode("status", as: String.self))
                    .orThrow(PostgresDecodingError(column: "status", swiftType: "CallOff.Status", reason: .invalidValue)),
                estimatedValueOre: try row.decode("estimated_value_ore"), publishedAt: try row.decode("published_at")
            )
        }
    }

    static func callOff(_ row: Row) throws -> CallOff {
        let method = try row.decode("method", as: String?.self)
        let questions = try row.decode("questions_deadline", as: Date?.self)
        let tenders = try row.decode("tender_deadline", as: Date?.self)
        let status = try row.decode("status", as: String.self)
        return CallOff(
            id: try row.decode("id"), authorityID: try row.decode("authority_id"), agreementID: try row.decode("agreement_id"),
            lotID: try row.decode("lot_id"),
            reference: CallOffReference(year: try row.decode("reference_year"), number: try row.decode("reference_number")),
            title: try row.decode("title"), need: try row.decode("need"), estimatedValueOre: try row.decode("estimated_value_ore"),
            method: try method.map { text in
                guard let value = CallOffMethod(rawValue: text) else { throw PostgresDecodingError(column: "method", swiftType: "CallOffMethod", reason: .invalidValue) }
                return value
            },
            timetable: questions.flatMap { q in tenders.map { CallOffTimetable(questionsDeadline: q, tenderDeadline: $0) } },
            publishedAt: try row.decode("published_at", as: Date?.self),
            status: try CallOff.Status(rawValue: status).orThrow(PostgresDecodingError(column: "status", swiftType: "CallOff.Status", reason: .invalidValue)),
            version: try row.decode("version"),
            cursor: CallOffCursor(createdMicroseconds: try row.decode("created_us"), id: try row.decode("id"))
        )
    }
}

extension Optional {
    fileprivate func orThrow(_ error: @autoclosure () -> any Error) throws -> Wrapped {
        guard let self else { throw error() }
        return self
    }
}
