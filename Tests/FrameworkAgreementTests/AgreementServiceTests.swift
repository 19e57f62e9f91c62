import AvropCore
import Audit
import AvropApp
import Foundation
import Identity
import Postgres
import PostgresTesting
import Testing
@testable import FrameworkAgreements

@Suite("Framework agreements against PostgreSQL: drafting, activation, R1, R3, visibility, audit")
struct AgreementServiceTests {
    struct World {
        let owner: ConnectionPool
        let app: ConnectionPool
        let service: AgreementService
        let manager: Actor
        let otherManager: Actor
        let buyer: Actor
        let suppliers: [Organization]
        let supplierActor: Actor
    }

    func withWorld(_ body: @Sendable (World) async throws -> Void) async throws {
        try await TestCluster.withDatabase(template: "avrop", migrations: try AvropSchema.migrations()) { configuration in
            let owner = ConnectionPool(configuration: configuration, maximumConnections: 2)
            let app = ConnectionPool(configuration: configuration.with("user", "avrop_app"), maximumConnections: 4)
            let administration = IdentityAdministration(pool: owner, passwords: PasswordPolicy(cost: 4))
            let cpb = try await administration.addOrganization(kind: .centralPurchasingBody, name: "Inköpscentralen", number: "202100-6255")
            let otherCPB = try await administration.addOrganization(kind: .centralPurchasingBody, name: "Regionernas inköp", number: "232100-0016")
            let authority = try await administration.addOrganization(kind: .contractingAuthority, name: "Region Norr", number: "212000-0142")
            var suppliers: [Organization] = []
            for (name, number) in [("Innovera AB", "556703-7485"), ("Klimatdata AB", "556036-0793"), ("Vårdteknik AB", "556016-0680")] {
                suppliers.append(try await administration.addOrganization(kind: .supplier, name: name, number: number))
            }
            // Real users, each with one role: decisions name who made them.
            func actor(_ organization: Organization, _ role: Role, _ email: String) async throws -> Actor {
                let user = try await administration.addUser(email: email, displayName: email, password: "ett långt lösenord för testet")
                try await administration.grant(role, email: email, organizationNumber: organization.number.digits)
                return Actor(userID: user.id, organizationID: organization.id, roles: [role])
            }
            let world = World(
                owner: owner, app: app, service: AgreementService(pool: app),
                manager: try await actor(cpb, .frameworkManager, "frida@ic.example"),
                otherManager: try await actor(otherCPB, .frameworkManager, "olof@regioner.example"),
                buyer: try await actor(authority, .buyer, "karin@norr.example"), suppliers: suppliers,
                supplierActor: try await actor(suppliers[0], .supplierRepresentative, "sara@innovera.example")
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

    func terms(_ reference: String = "IC-2026-01", to: String = "2029-12-31", justification: String? = nil) -> FrameworkAgreement.Terms {
        .init(reference: reference, title: "Innovativa lösningar för offentlig verksamhet", description: "Ramavtal för innovation",
              validFrom: CalendarDay("2026-01-01")!, validTo: CalendarDay(to)!, longValidityJustification: justification,
              ceilingOre: 50_000_000_00, innovationStep: .deploy, innovationNote: "Lösningar som prövats i pilot")
    }

    /// A draft with one cascade lot, two ranked suppliers and two weighted requirements.
    func completeDraft(_ world: World) async throws -> (FrameworkAgreement, Lot) {
        let agreement = try await world.service.create(terms(), by: world.manager)
        let lot = try await world.service.addLot(to: agreement.id, number: 1, title: "Digitala tjänster", method: .rankedCascade, by: world.manager)
        try await world.service.addSupplier(world.suppliers[0].id, to: lot.id, rank: 1, by: world.manager)
        try await world.service.addSupplier(world.suppliers[1].id, to: lot.id, rank: 2, by: world.manager)
        _ = try await world.service.addRequirement(to: agreement.id, lotID: nil, code: "K1", text: "Tillgänglighet enligt EN 301 549",
                                                  kind: .mandatory, category: .accessibility, by: world.manager)
        _ = try await world.service.addRequirement(to: agreement.id, lotID: lot.id, code: "U1", text: "Pris", kind: .weighted(minimum: 30, maximum: 70),
                                                  category: .quality, by: world.manager)
        _ = try await world.service.addRequirement(to: agreement.id, lotID: lot.id, code: "U2", text: "Innovationseffekt",
                                                  kind: .weighted(minimum: 30, maximum: 70), category: .innovationEffect,
                                                  indicator: "minskad handläggningstid i procent", followUpMethod: "Rapport", followUpFrequency: .quarterly,
                                                  by: world.manager)
        return (agreement, lot)
    }

    @Test func onlyFrameworkManagersDraftAndOnlyTheOwnersSeeDrafts() async throws {
        try await withWorld { world in
            await #expect(throws: AgreementError.notFound) { try await world.service.create(terms(), by: world.buyer) }
            let draft = try await world.service.create(terms(), by: world.manager)
            #expect(draft.status == .draft)
            let read = try await world.service.details(draft.id, for: world.manager).agreement.terms
            #expect(read.title == "Innovativa lösningar för offentlig verksamhet")
            #expect(read.innovationStep == .deploy && read.innovationNote == "Lösningar som prövats i pilot")
            for outsider in [world.buyer, world.otherManager, world.supplierActor] {
                await #expect(throws: AgreementError.notFound) { try await world.service.details(draft.id, for: outsider) }
                #expect(try await world.service.list(for: outsider).isEmpty)
                await #expect(throws: AgreementError.notFound) {
                    try await world.service.addLot(to: draft.id, number: 1, title: "Intrång", method: .renewedCompetition, by: outsider)
                }
            }
            await #expect(throws: AgreementError.notFound) { try await world.service.details(draft.id, for: nil) }
            // The second wall: another organisation's settings read no row of the draft.
            let rows = try await world.app.withTransaction(settings: world.otherManager.transactionSettings) { connection in
                try await connection.query("SELECT count(*) AS n FROM avrop.framework_agreement").first?.decode("n", as: Int.self)
            }
            #expect(rows == 0)
            await #expect(throws: AgreementError.duplicate("an agreement with reference IC-2026-01")) {
                try await world.service.create(terms(), by: world.manager)
            }
        }
    }

    @Test func r1RefusesMoreThanFourYearsWithoutAJustificationInBothWalls() async throws {
        try await withWorld { world in
            await #expect(throws: AgreementError.validityTooLong) { try await world.service.create(terms(to: "2030-01-02"), by: world.manager) }
            let justified = try await world.service.create(
                terms("IC-2026-02", to: "2031-12-31", justification: "Tunga investeringar som kräver längre avskrivningstid"), by: world.manager
            )
            #expect(justified.terms.validTo.description == "2031-12-31")
            // R1 in the database too: a row that breaks it is refused whoever writes it.
            await #expect(throws: PostgresError.self) {
                try await world.owner.withConnection { connection in
                    try await connection.execute("""
                        UPDATE avrop.framework_agreement SET long_validity_justification = NULL WHERE id = \(justified.id)
                        """)
                }
            }
        }
    }

    @Test func activationNamesEveryGapThenActivatesAComplete() async throws {
        try await withWorld { world in
            let empty = try await world.service.create(terms("IC-TOM"), by: world.manager)
            await #expect(throws: AgreementError.incomplete([.noLots])) { try await world.service.activate(empty.id, by: world.manager) }
            let (agreement, lot) = try await completeDraft(world)
            let second = try await world.service.addLot(to: agreement.id, number: 2, title: "Klimat", method: .rankedCascade, by: world.manager)
            try await world.service.addSupplier(world.suppliers[2].id, to: second.id, rank: nil, by: world.manager)
            await #expect(throws: AgreementError.incomplete([.ranksNotUnique(lot: 2)])) { try await world.service.activate(agreement.id, by: world.manager) }
            try await world.service.setSupplierStatus(world.suppliers[2].id, on: second.id, to: .removed(reason: "Dubbelregistrerad"), by: world.manager)
            await #expect(throws: AgreementError.incomplete([.noActiveSupplier(lot: 2)])) { try await world.service.activate(agreement.id, by: world.manager) }
            try await world.service.setSupplierStatus(world.suppliers[2].id, on: second.id, to: .active, by: world.manager)
            let third = try await world.service.addLot(to: agreement.id, number: 3, title: "Vård", method: .renewedCompetition, by: world.manager)
            try await world.service.addSupplier(world.suppliers[2].id, to: third.id, rank: nil, by: world.manager)
            _ = try await world.service.addRequirement(to: agreement.id, lotID: second.id, code: "U9", text: "Kvalitet",
                                                      kind: .weighted(minimum: 0, maximum: 10), category: .quality, by: world.manager)
            // Lot 2: ranks fixed? No: its only active supplier has no rank, and its weights cannot reach 100.
            await #expect(throws: AgreementError.incomplete([.ranksNotUnique(lot: 2), .weightsCannotSumTo100(lot: 2)])) {
                try await world.service.activate(agreement.id, by: world.manager)
            }
            _ = lot
        }
    }

    @Test func r3NoSupplierJoinsAnActivatedAgreementButSuspensionAndRemovalWork() async throws {
        try await withWorld { world in
            let (agreement, lot) = try await completeDraft(world)
            let active = try await world.service.activate(agreement.id, by: world.manager)
            #expect(active.status == .active)
            #expect(active.version > agreement.version)
            await #expect(throws: AgreementError.closedSystem) {
                try await world.service.addSupplier(world.suppliers[2].id, to: lot.id, rank: 3, by: world.manager)
            }
            // R3 in the database too: the trigger refuses even the owner role.
            await #expect(throws: PostgresError.self) {
                try await world.owner.withConnection { connection in
                    try await connection.execute("INSERT INTO avrop.lot_supplier (lot_id, supplier_id, rank) VALUES (\(lot.id), \(world.suppliers[2].id), 3)")
                }
            }
            await #expect(throws: AgreementError.notDraft) {
                try await world.service.addLot(to: agreement.id, number: 9, title: "Sent", method: .renewedCompetition, by: world.manager)
            }
            await #expect(throws: AgreementError.invalid(field: "reason", reason: "give the reason")) {
                try await world.service.setSupplierStatus(world.suppliers[1].id, on: lot.id, to: .suspended(reason: " ", until: nil), by: world.manager)
            }
            try await world.service.setSupplierStatus(world.suppliers[1].id, on: lot.id,
                                                      to: .suspended(reason: "Utredning om skatteskulder", until: CalendarDay("2026-06-30")), by: world.manager)
            try await world.service.setSupplierStatus(world.suppliers[0].id, on: lot.id, to: .removed(reason: "Hävt avtal"), by: world.manager)
            let details = try await world.service.details(agreement.id, for: world.buyer)
            #expect(details.suppliers(of: lot.id).map(\.status) == [.removed(reason: "Hävt avtal"),
                                                                    .suspended(reason: "Utredning om skatteskulder", until: CalendarDay("2026-06-30"))])
            // Every change is in the agreement's audit stream (R23), and the chain holds.
            let actions = try await world.owner.withConnection { connection in
                try await connection.query("""
                    SELECT action FROM avrop.audit_event WHERE stream = \("framework-agreement/\(agreement.id.uuidString.lowercased())") ORDER BY sequence
                    """).map { try $0.decode("action", as: String.self) }
            }
            #expect(actions == ["agreement.created", "lot.added", "supplier.added", "supplier.added", "requirement.added", "requirement.added",
                                "requirement.added", "agreement.activated", "supplier.suspended", "supplier.removed"])
            let report = try await world.owner.withConnection { try await AuditVerifier.verify(on: $0) }
            #expect(report.isIntact)
        }
    }

    @Test func activeAgreementsArePublicAndTerminatedOnesOnlyForSignedInPeople() async throws {
        try await withWorld { world in
            let (agreement, _) = try await completeDraft(world)
            _ = try await world.service.activate(agreement.id, by: world.manager)
            #expect(try await world.service.list(for: nil).map(\.id) == [agreement.id])
            let forSupplier = try await world.service.details(agreement.id, for: world.supplierActor)
            #expect(forSupplier.requirements.map(\.code) == ["K1", "U1", "U2"])
            await #expect(throws: AgreementError.invalid(field: "reason", reason: "give the reason (at most 2000 characters)")) {
                try await world.service.terminate(agreement.id, reason: "", by: world.manager)
            }
            await #expect(throws: AgreementError.notFound) { try await world.service.terminate(agreement.id, reason: "x", by: world.otherManager) }
            let ended = try await world.service.terminate(agreement.id, reason: "Leverantörsmarknaden har förändrats", by: world.manager)
            #expect(ended.status == .terminated)
            #expect(try await world.service.list(for: nil).isEmpty)
            #expect(try await world.service.details(agreement.id, for: world.buyer).agreement.terminationReason == "Leverantörsmarknaden har förändrats")
        }
    }

    @Test func aDraftsLotsAndRequirementsComeOutAgainButNothingOnceActive() async throws {
        try await withWorld { world in
            let (agreement, lot) = try await completeDraft(world)
            let before = try await world.service.details(agreement.id, for: world.manager)
            let u2 = try #require(before.requirements.first { $0.code == "U2" })
            await #expect(throws: AgreementError.notFound) { try await world.service.removeRequirement(u2.id, from: agreement.id, by: world.otherManager) }
            await #expect(throws: AgreementError.notFound) { try await world.service.removeLot(lot.id, by: world.otherManager) }
            try await world.service.removeRequirement(u2.id, from: agreement.id, by: world.manager)
            await #expect(throws: AgreementError.notFound) { try await world.service.removeRequirement(u2.id, from: agreement.id, by: world.manager) }
            try await world.service.removeLot(lot.id, by: world.manager)
            let after = try await world.service.details(agreement.id, for: world.manager)
            #expect(after.lots.isEmpty)
            #expect(after.suppliers.isEmpty, "the lot's suppliers went with it")
            #expect(after.requirements.map(\.code) == ["K1"], "and its requirements; the agreement's own stay")
            let actions = try await world.owner.withConnection { connection in
                try await connection.query("""
                    SELECT action FROM avrop.audit_event WHERE stream = \("framework-agreement/\(agreement.id.uuidString.lowercased())") ORDER BY sequence
                    """).map { try $0.decode("action", as: String.self) }
            }
            #expect(actions.suffix(2) == ["requirement.removed", "lot.removed"])

            // Once active: refused by the service, and by row-level security on its own.
            let second = try await world.service.create(terms("IC-2026-02"), by: world.manager)
            let secondLot = try await world.service.addLot(to: second.id, number: 1, title: "Område", method: .renewedCompetition, by: world.manager)
            try await world.service.addSupplier(world.suppliers[0].id, to: secondLot.id, rank: nil, by: world.manager)
            let k1 = try await world.service.addRequirement(to: second.id, lotID: nil, code: "K1", text: "Krav", kind: .mandatory,
                                                          category: .quality, by: world.manager)
            _ = try await world.service.activate(second.id, by: world.manager)
            await #expect(throws: AgreementError.notDraft) { try await world.service.removeRequirement(k1.id, from: second.id, by: world.manager) }
            await #expect(throws: AgreementError.notDraft) { try await world.service.removeLot(secondLot.id, by: world.manager) }
            let deleted = try await world.app.withTransaction(settings: world.manager.transactionSettings) { connection in
                try await connection.execute("DELETE FROM avrop.requirement WHERE id = \(k1.id)")
            }
            #expect(deleted == 0)
        }
    }

    /// DESIGN §4: an ended agreement is read by its owner, by authorities and by the suppliers that were on
    /// it; another central purchasing body and a supplier that was not on it get 404, in both walls.
    @Test func anEndedAgreementIsReadByAuthoritiesAndItsOwnSuppliersOnly() async throws {
        try await withWorld { world in
            let (agreement, _) = try await completeDraft(world)
            _ = try await world.service.activate(agreement.id, by: world.manager)
            let administration = IdentityAdministration(pool: world.owner, passwords: PasswordPolicy(cost: 4))
            let user = try await administration.addUser(email: "vera@vardteknik.example", displayName: "Vera", password: "ett långt lösenord för testet")
            try await administration.grant(.supplierRepresentative, email: user.email, organizationNumber: world.suppliers[2].number.digits)
            let outsider = Actor(userID: user.id, organizationID: world.suppliers[2].id, roles: [.supplierRepresentative])
            // While active, everyone reads it.
            #expect(try await world.service.details(agreement.id, for: outsider).agreement.id == agreement.id)
            _ = try await world.service.terminate(agreement.id, reason: "Avslutat i förtid", by: world.manager)
            for reader in [world.manager, world.buyer, world.supplierActor] {
                #expect(try await world.service.details(agreement.id, for: reader).agreement.status == .terminated)
                #expect(try await world.service.list(for: reader).map(\.id) == [agreement.id])
            }
            for stranger in [outsider, world.otherManager] {
                await #expect(throws: AgreementError.notFound) { try await world.service.details(agreement.id, for: stranger) }
                #expect(try await world.service.list(for: stranger).isEmpty)
            }
            // The database alone draws the same line (row-level security, without the service's policy).
            func rows(_ actor: Actor) async throws -> Int {
                try await world.app.withTransaction(settings: actor.transactionSettings) { connection in
                    try await connection.query("SELECT count(*)::int8 AS n FROM avrop.framework_agreement").first?.decode("n", as: Int.self) ?? -1
                }
            }
            #expect(try await rows(outsider) == 0)
            #expect(try await rows(world.otherManager) == 0)
            #expect(try await rows(world.supplierActor) == 1)
            #expect(try await rows(world.buyer) == 1)
        }
    }
}
