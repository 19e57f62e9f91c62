import AvropApp
import AvropCore
import CallOffs
import Foundation
import FrameworkAgreements
import Identity
import Postgres
import PostgresTesting
import Testing

@Suite("Call-offs against PostgreSQL: drafting, publication, invitations, visibility, audit")
struct CallOffServiceTests {
    struct World {
        let owner: ConnectionPool
        let service: CallOffService
        let buyer: Actor
        let auditor: Actor
        /// The framework manager of the agreement's central purchasing body.
        let manager: Actor
        /// A buyer at an authority the agreement does not admit.
        let outsideBuyer: Actor
        let suppliers: [Organization]
        let supplierActors: [Actor]
        let agreement: FrameworkAgreement
        /// Renewed competition, minimum tender period 10 days; three suppliers, the third suspended.
        let competitionLot: Lot
        /// A cascade of the same three suppliers, ranked 1, 2, 3.
        let cascadeLot: Lot
        let price: Requirement
        let innovation: Requirement
        let security: Requirement
    }

    func withWorld(_ body: @Sendable (World) async throws -> Void) async throws {
        try await TestCluster.withDatabase(template: "avrop", migrations: try AvropSchema.migrations()) { configuration in
            let owner = ConnectionPool(configuration: configuration, maximumConnections: 2)
            let app = ConnectionPool(configuration: configuration.with("user", "avrop_app"), maximumConnections: 4)
            let administration = IdentityAdministration(pool: owner, passwords: PasswordPolicy(cost: 4))
            let cpb = try await administration.addOrganization(kind: .centralPurchasingBody, name: "Inköpscentralen", number: "202100-6255")
            let authority = try await administration.addOrganization(kind: .contractingAuthority, name: "Region Norr", number: "212000-0142")
            let outside = try await administration.addOrganization(kind: .contractingAuthority, name: "Kommun Syd", number: "212000-1355")
            var suppliers: [Organization] = []
            for (name, number) in [("Innovera AB", "556703-7485"), ("Klimatdata AB", "556036-0793"), ("Vårdteknik AB", "556016-0680")] {
                suppliers.append(try await administration.addOrganization(kind: .supplier, name: name, number: number))
            }
            func actor(_ organization: Organization, _ role: Role, _ email: String) async throws -> Actor {
                let user = try await administration.addUser(email: email, displayName: email, password: "ett långt lösenord för testet")
                try await administration.grant(role, email: email, organizationNumber: organization.number.digits)
                return Actor(userID: user.id, organizationID: organization.id, roles: [role])
            }
            let manager = try await actor(cpb, .frameworkManager, "frida@ic.example")
            let agreements = AgreementService(pool: app)
            let agreement = try await agreements.create(.init(
                reference: "IC-2026-01", title: "Innovativa lösningar", validFrom: try #require(CalendarDay("2026-01-01")),
                validTo: try #require(CalendarDay("2029-12-31")), ceilingOre: 50_000_000_00, eligibility: .authorities([authority.id])
            ), by: manager)
            let competition = try await agreements.addLot(to: agreement.id, number: 1, title: "Digitala tjänster", method: .renewedCompetition,
                                                          minimumTenderDays: 10, by: manager)
            let cascade = try await agreements.addLot(to: agreement.id, number: 2, title: "Logistik", method: .rankedCascade, by: manager)
            for (rank, supplier) in suppliers.enumerated() {
                try await agreements.addSupplier(supplier.id, to: competition.id, rank: nil, by: manager)
                try await agreements.addSupplier(supplier.id, to: cascade.id, rank: rank + 1, by: manager)
            }
            let security = try await agreements.addRequirement(to: agreement.id, lotID: nil, code: "K1", text: "Informationssäkerhet",
                                                               kind: .mandatory, category: .informationSecurity, by: manager)
            let price = try await agreements.addRequirement(to: agreement.id, lotID: competition.id, code: "U1", text: "Pris",
                                                            kind: .weighted(minimum: 30, maximum: 70), category: .quality, by: manager)
            let innovation = try await agreements.addRequirement(to: agreement.id, lotID: competition.id, code: "U2", text: "Innovationseffekt",
                                                                 kind: .weighted(minimum: 30, maximum: 70), category: .innovationEffect, by: manager)
            _ = try await agreements.addRequirement(to: agreement.id, lotID: cascade.id, code: "U3", text: "Leveranstid",
                                                    kind: .weighted(minimum: 0, maximum: 100), category: .delivery, by: manager)
            let active = try await agreements.activate(agreement.id, by: manager)
            try await agreements.setSupplierStatus(suppliers[2].id, on: competition.id, to: .suspended(reason: "utredning", until: nil), by: manager)
            let world = World(
                owner: owner, service: CallOffService(pool: app),
                buyer: try await actor(authority, .buyer, "karin@norr.example"),
                auditor: try await actor(authority, .auditor, "ali@norr.example"),
                manager: manager,
                outsideBuyer: try await actor(outside, .buyer, "sven@syd.example"),
                suppliers: suppliers,
                supplierActors: [
                    try await actor(suppliers[0], .supplierRepresentative, "sara@innovera.example"),
                    try await actor(suppliers[1], .supplierRepresentative, "kim@klimatdata.example"),
                    try await actor(suppliers[2], .supplierRepresentative, "vera@vardteknik.example"),
                ],
                agreement: active, competitionLot: competition, cascadeLot: cascade, price: price, innovation: innovation, security: security
            )
            do {
                try await body(world)
                await app.close()
                await owner.close()
            } catch {
                await app.close()
                await owner.close()
                throw error
            }
        }
    }

    func days(_ count: Double) -> TimeInterval { count * 86_400 }

    @Test func r3OnlyABuyerOfAnAdmittedAuthorityDraftsAndReferencesCountPerAuthorityAndYear() async throws {
        try await withWorld { world in
            let draft = CallOffService.Draft(lotID: world.competitionLot.id, title: "Digital bokning", estimatedValueOre: 300_000_000)
            await #expect(throws: CallOffError.authorityNotEligible) { try await world.service.createDraft(draft, by: world.outsideBuyer) }
            await #expect(throws: CallOffError.notFound) { try await world.service.createDraft(draft, by: world.auditor) }
            await #expect(throws: CallOffError.notFound) { try await world.service.createDraft(draft, by: world.supplierActors[0]) }
            let first = try await world.service.createDraft(draft, by: world.buyer)
            let second = try await world.service.createDraft(draft, by: world.buyer)
            let year = CalendarDay(Date()).year
            #expect(first.reference == CallOffReference(year: year, number: 1))
            #expect(second.reference == CallOffReference(year: year, number: 2))
            #expect(first.status == .draft && first.method == nil)
            #expect(try await world.service.find(first.id, for: world.auditor).title == "Digital bokning")
        }
    }

    /// DESIGN §4 and the database's wall: a draft exists only for its authority.
    @Test func aDraftIsInvisibleOutsideItsAuthorityInTheServiceAndInPostgres() async throws {
        try await withWorld { world in
            let draft = try await world.service.createDraft(
                .init(lotID: world.competitionLot.id, title: "Digital bokning", estimatedValueOre: 300_000_000), by: world.buyer
            )
            for outsider in [world.outsideBuyer] + world.supplierActors {
                await #expect(throws: CallOffError.notFound) { try await world.service.find(draft.id, for: outsider) }
            }
            // Even an actor whose roles the service would accept reads no row under another organisation's settings.
            let rows = try await world.owner.withTransaction { connection in
                try await connection.execute("SET LOCAL ROLE avrop_app")
                try await connection.execute("SELECT set_config('avrop.org_id', \(world.suppliers[0].id.uuidString.lowercased()), true)")
                return try await connection.query("SELECT count(*)::int8 AS n FROM avrop.call_off").first?.decode("n", as: Int.self)
            }
            #expect(rows == 0)
        }
    }

    /// Row-level security checks the pair (issue 18): the organisation set for a transaction counts only when
    /// its user is a member of it. A supplier's user under the authority's organisation reads none of its
    /// call-offs; the authority's own buyer under the same settings reads its draft.
    @Test func aUserPairedWithAnOrganisationItIsNotAMemberOfReadsNothingInPostgres() async throws {
        try await withWorld { world in
            _ = try await world.service.createDraft(
                .init(lotID: world.competitionLot.id, title: "Digital bokning", estimatedValueOre: 300_000_000), by: world.buyer
            )
            func count(user: UUID, organization: UUID) async throws -> Int? {
                try await world.owner.withTransaction { connection in
                    try await connection.execute("SET LOCAL ROLE avrop_app")
                    try await connection.execute("SELECT set_config('avrop.user_id', \(user.uuidString.lowercased()), true)")
                    try await connection.execute("SELECT set_config('avrop.org_id', \(organization.uuidString.lowercased()), true)")
                    return try await connection.query("SELECT count(*)::int8 AS n FROM avrop.call_off").first?.decode("n", as: Int.self)
                }
            }
            let authority = world.buyer.organizationID
            #expect(try await count(user: world.buyer.userID, organization: authority) == 1)
            #expect(try await count(user: world.supplierActors[0].userID, organization: authority) == 0)
        }
    }

    /// DESIGN §4: the agreement's framework manager reads the metadata of the call-offs published under it
    /// (reference, authority, lot, method, status, value), in the service and in PostgreSQL; never a draft,
    /// never the call-off's own row, title or criteria. Nobody else reads the register.
    @Test func aFrameworkManagerReadsOnlyTheMetadataOfPublishedCallOffsUnderItsAgreement() async throws {
        try await withWorld { world in
            var callOff = try await world.service.createDraft(
                .init(lotID: world.competitionLot.id, title: "Hemlig rubrik", estimatedValueOre: 300_000_000), by: world.buyer
            )
            #expect(try await world.service.register(ofAgreement: world.agreement.id, for: world.manager).isEmpty, "a draft is the authority's alone")
            callOff = try await world.service.setCriteria(callOff.id, weights: [world.price.id: 60, world.innovation.id: 40],
                                                          ifVersion: callOff.version, by: world.buyer)
            let published = try await world.service.publish(
                callOff.id, timetable: CallOffTimetable(questionsDeadline: Date() + days(5), tenderDeadline: Date() + days(14)),
                ifVersion: callOff.version, by: world.buyer
            )
            let register = try await world.service.register(ofAgreement: world.agreement.id, for: world.manager)
            #expect(register.map(\.id) == [published.id])
            #expect(register.first?.reference == published.reference && register.first?.authorityName == "Region Norr")
            #expect(register.first?.method == .renewedCompetition && register.first?.status == .open)
            #expect(register.first?.estimatedValueOre == 300_000_000 && register.first?.lotID == world.competitionLot.id)
            for outsider in [world.buyer, world.auditor, world.outsideBuyer] + world.supplierActors {
                await #expect(throws: CallOffError.notFound) { try await world.service.register(ofAgreement: world.agreement.id, for: outsider) }
            }
            // The database's wall: as the manager, the call-off's own row and its criteria do not exist.
            let rows = try await world.owner.withTransaction { connection in
                try await connection.execute("SET LOCAL ROLE avrop_app")
                try await connection.execute("SELECT set_config('avrop.user_id', \(world.manager.userID.uuidString.lowercased()), true)")
                try await connection.execute("SELECT set_config('avrop.org_id', \(world.manager.organizationID.uuidString.lowercased()), true)")
                return try await connection.query("""
                    SELECT (SELECT count(*) FROM avrop.call_off)::int8 AS call_offs, (SELECT count(*) FROM avrop.call_off_criterion)::int8 AS criteria,
                           (SELECT count(*) FROM avrop.call_off_register)::int8 AS register
                    """).first.map { [try $0.decode("call_offs", as: Int.self), try $0.decode("criteria", as: Int.self), try $0.decode("register", as: Int.self)] }
            }
            #expect(rows == [0, 0, 1])
        }
    }

    /// R5, R6, R8, R2, R3, R23 in one journey: a renewed competition is published with valid weights, invites
    /// every active supplier but the suspended one and the excluded one, and only they see it.
    @Test func r6PublishingARenewedCompetitionInvitesEveryActiveSupplierAndAudits() async throws {
        try await withWorld { world in
            var callOff = try await world.service.createDraft(
                .init(lotID: world.competitionLot.id, title: "Digital bokning", estimatedValueOre: 300_000_000), by: world.buyer
            )
            let timetable = CallOffTimetable(questionsDeadline: Date() + days(5), tenderDeadline: Date() + days(14))
            // R8: publication needs weights in the framework's ranges, from the framework only.
            await #expect(throws: CallOffError.weightOutOfRange(code: "U1", minimum: 30, maximum: 70)) {
                try await world.service.publish(callOff.id, timetable: timetable, ifVersion: callOff.version, by: world.buyer)
            }
            await #expect(throws: CallOffError.notAFrameworkRequirement(world.agreement.id)) {
                try await world.service.setCriteria(callOff.id, weights: [world.agreement.id: 50], ifVersion: callOff.version, by: world.buyer)
            }
            callOff = try await world.service.setCriteria(callOff.id, weights: [world.price.id: 60, world.innovation.id: 40],
                                                          ifVersion: callOff.version, by: world.buyer)
            // R6: a tender period under the lot's ten days is refused.
            await #expect(throws: CallOffError.tenderPeriodTooShort(minimumDays: 10)) {
                try await world.service.publish(callOff.id, timetable: .init(questionsDeadline: Date() + days(2), tenderDeadline: Date() + days(7)),
                                                ifVersion: callOff.version, by: world.buyer)
            }
            await #expect(throws: CallOffError.exclusionWithoutReason(world.suppliers[1].id)) {
                try await world.service.publish(callOff.id, timetable: timetable, exclusions: [world.suppliers[1].id: ""],
                                                ifVersion: callOff.version, by: world.buyer)
            }
            await #expect(throws: CallOffError.versionMismatch(current: callOff.version)) {
                try await world.service.publish(callOff.id, timetable: timetable, ifVersion: callOff.version - 1, by: world.buyer)
            }
            let published = try await world.service.publish(callOff.id, timetable: timetable, exclusions: [world.suppliers[1].id: "Jäv"],
                                                             ifVersion: callOff.version, by: world.buyer)
            #expect(published.status == .open && published.method == .renewedCompetition)
            await #expect(throws: CallOffError.notDraft) {
                try await world.service.publish(callOff.id, timetable: timetable, ifVersion: published.version, by: world.buyer)
            }
            let invitations = try await world.service.invitations(of: callOff.id, for: world.buyer)
            #expect(invitations.map(\.supplierID) == [world.suppliers[0].id, world.suppliers[1].id])
            #expect(invitations[0].invitedAt != nil && invitations[1].invitedAt == nil && invitations[1].excludedReason == "Jäv")
            // The invited supplier sees the call-off and only its own invitation; the excluded and the suspended see nothing.
            #expect(try await world.service.find(callOff.id, for: world.supplierActors[0]).reference == published.reference)
            #expect(try await world.service.invitations(of: callOff.id, for: world.supplierActors[0]).map(\.supplierID) == [world.suppliers[0].id])
            for outsider in [world.supplierActors[1], world.supplierActors[2], world.outsideBuyer] {
                await #expect(throws: CallOffError.notFound) { try await world.service.find(callOff.id, for: outsider) }
            }
            // The invited supplier's people are told, with the deadlines in Swedish time; the excluded are not.
            let told = try await world.owner.withConnection { connection in
                try await connection.query("""
                    SELECT n.user_id, n.data->>'reference' AS reference FROM avrop.notification n WHERE n.kind = 'callOff.invited'
                    """).map { (try $0.decode("user_id", as: UUID.self), try $0.decode("reference", as: String.self)) }
            }
            #expect(told.map(\.0) == [world.supplierActors[0].userID])
            #expect(told.first?.1 == published.reference.description)
            // R23: each change wrote its event to the call-off's stream, in order.
            let actions = try await world.owner.withConnection { connection in
                try await connection.query("""
                    SELECT action FROM avrop.audit_event WHERE stream = \("call-off/\(callOff.id.uuidString.lowercased())") ORDER BY sequence
                    """).map { try $0.decode("action", as: String.self) }
            }
            #expect(actions == ["callOff.drafted", "callOff.criteriaSet", "callOff.published"])
        }
    }

    /// R5: a cascade goes to rank 1 only; rank 2 and 3 wait their turn and see nothing yet. It needs no weights.
    @Test func r5PublishingACascadeInvitesRankOneAndKeepsTheOthersWaiting() async throws {
        try await withWorld { world in
            let callOff = try await world.service.createDraft(
                .init(lotID: world.cascadeLot.id, title: "Varudistribution", estimatedValueOre: 50_000_000), by: world.buyer
            )
            await #expect(throws: CallOffError.methodNotAllowed(requested: .renewedCompetition, lotMethod: .rankedCascade)) {
                try await world.service.publish(callOff.id, timetable: .init(questionsDeadline: Date() + days(2), tenderDeadline: Date() + days(5)),
                                                method: .renewedCompetition, ifVersion: callOff.version, by: world.buyer)
            }
            let published = try await world.service.publish(
                callOff.id, timetable: .init(questionsDeadline: Date() + days(2), tenderDeadline: Date() + days(5)),
                ifVersion: callOff.version, by: world.buyer
            )
            #expect(published.method == .rankedCascade)
            let invitations = try await world.service.invitations(of: callOff.id, for: world.buyer)
            #expect(invitations.map(\.supplierID) == world.suppliers.map(\.id))
            #expect(invitations.map { $0.invitedAt != nil } == [true, false, false])
            #expect(try await world.service.find(callOff.id, for: world.supplierActors[0]).status == .open)
            // R10: the server's clock closes it at the deadline, not a job (avrop.call_off_status).
            try await world.owner.withConnection { connection in
                try await connection.execute("""
                    UPDATE avrop.call_off SET questions_deadline = now() - interval '2 days', tender_deadline = now() WHERE id = \(callOff.id)
                    """)
            }
            #expect(try await world.service.find(callOff.id, for: world.buyer).status == .closed, "at the deadline, no longer open")
            await #expect(throws: CallOffError.notFound) { try await world.service.find(callOff.id, for: world.supplierActors[1]) }
        }
    }

    /// R2: the tender deadline must leave the award before the agreement ends.
    @Test func r2APublicationWhoseDeadlineOutlastsTheAgreementIsRefused() async throws {
        try await withWorld { world in
            let callOff = try await world.service.createDraft(
                .init(lotID: world.cascadeLot.id, title: "Varudistribution", estimatedValueOre: 50_000_000), by: world.buyer
            )
            let late = try #require(CalendarDay("2030-01-15"))
            let deadline = try #require(Calendar(identifier: .gregorian).date(from: DateComponents(
                timeZone: TimeZone(identifier: "Europe/Stockholm"), year: late.year, month: late.month, day: late.day, hour: 12)))
            await #expect(throws: CallOffError.deadlineAfterAgreementEnds(validTo: world.agreement.terms.validTo)) {
                try await world.service.publish(callOff.id, timetable: .init(questionsDeadline: Date() + days(2), tenderDeadline: deadline),
                                                ifVersion: callOff.version, by: world.buyer)
            }
        }
    }
}
