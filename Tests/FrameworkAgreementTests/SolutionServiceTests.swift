import AvropCore
import Foundation
import Identity
import Postgres
import Testing
@testable import FrameworkAgreements

@Suite("Verified innovative solutions: drafting, submission, verification, visibility")
struct SolutionServiceTests {
    let agreements = AgreementServiceTests()

    private func description(_ name: String = "Digital tolk i vården") -> Solution.Description {
        .init(name: name, summary: "Tolkning på distans med automatisk bokning", text: "Prövad i pilot hos Region Norr under 2025.",
              innovationType: .service, innovationStep: .deploy, innovationNote: "Ny i offentlig sektor", trl: 7, tags: ["Tolk", "vård", "tolk"])
    }

    @Test func aSupplierOnTheLotDraftsSubmitsAndTheOwnerVerifiesThenThePublicSeesIt() async throws {
        try await agreements.withWorld { world in
            let (agreement, lot) = try await agreements.completeDraft(world)
            let service = SolutionService(pool: world.app)
            // Not before the agreement is active, and only by a supplier on the lot.
            await #expect(throws: AgreementError.notFound) { try await service.create(on: lot.id, description(), by: world.supplierActor) }
            _ = try await world.service.activate(agreement.id, by: world.manager)
            let outsider = Actor(userID: UUID(), organizationID: world.suppliers[2].id, roles: [.supplierRepresentative])
            await #expect(throws: AgreementError.notFound) { try await service.create(on: lot.id, description(), by: outsider) }

            let draft = try await service.create(on: lot.id, description(), by: world.supplierActor)
            #expect(draft.status == .draft)
            #expect(draft.description.tags == ["tolk", "vård"])
            #expect(draft.description.innovationStep == .deploy)
            #expect(draft.description.innovationNote == "Ny i offentlig sektor")
            // A draft is the supplier's alone.
            for other in [world.manager, world.buyer, outsider] {
                await #expect(throws: AgreementError.notFound) { try await service.solution(draft.id, for: other) }
            }
            await #expect(throws: AgreementError.notFound) { try await service.solution(draft.id, for: nil) }
            let edited = try await service.edit(draft.id, description("Digital tolk för vård och omsorg"), ifVersion: draft.version, by: world.supplierActor)
            await #expect(throws: AgreementError.versionMismatch(current: edited.version)) {
                try await service.edit(draft.id, description("Gammalt"), ifVersion: draft.version, by: world.supplierActor)
            }
            let submitted = try await service.submit(draft.id, by: world.supplierActor)
            #expect(submitted.status == .submitted)
            #expect(try await service.queue(by: world.manager).map(\.id) == [draft.id])
            #expect(try await service.queue(by: world.otherManager).isEmpty)
            await #expect(throws: AgreementError.notFound) {
                try await service.verify(draft.id, method: .pilot, reasons: "x", validUntil: CalendarDay("2030-01-01")!, by: world.otherManager)
            }
            await #expect(throws: AgreementError.notFound) { try await service.solution(draft.id, for: world.buyer) }
            let verified = try await service.verify(draft.id, method: .pilot, reasons: "Piloten visade 30 % kortare väntetid",
                                                   validUntil: CalendarDay("2030-01-01")!, by: world.manager)
            #expect(verified.status == .verified)
            #expect(verified.decision?.method == .pilot)
            // Now everyone sees it: the public, a buyer, another supplier.
            #expect(try await service.solution(draft.id, for: nil).description.name == "Digital tolk för vård och omsorg")
            #expect(try await service.solution(draft.id, for: world.buyer).status == .verified)
            // The supplier's members were told (in-app), and the decision is in the solution's stream.
            let told = try await world.owner.withConnection { connection in
                try await connection.query("SELECT count(*) AS n FROM avrop.notification WHERE kind = 'solution.verified'").first?.decode("n", as: Int.self)
            }
            #expect(told == 1, "Sara, the supplier's only member")
            let actions = try await world.owner.withConnection { connection in
                try await connection.query("""
                    SELECT action FROM avrop.audit_event WHERE stream = \("solution/\(draft.id.uuidString.lowercased())") ORDER BY sequence
                    """).map { try $0.decode("action", as: String.self) }
            }
            #expect(actions == ["solution.created", "solution.edited", "solution.submitted", "solution.verified"])
            // Expired follows from valid-until; withdrawn takes it out of the catalogue.
            try await world.owner.withConnection { try await $0.execute("UPDATE avrop.solution SET valid_until = current_date - 1 WHERE id = \(draft.id)") }
            await #expect(throws: AgreementError.notFound) { try await service.solution(draft.id, for: nil) }
            #expect(try await service.solution(draft.id, for: world.supplierActor).status == .expired)
            #expect(try await service.withdraw(draft.id, by: world.supplierActor).status == .withdrawn)
        }
    }

    @Test func rejectionsNeedReasonsAndOnlySubmittedSolutionsAreDecided() async throws {
        try await agreements.withWorld { world in
            let (agreement, lot) = try await agreements.completeDraft(world)
            _ = try await world.service.activate(agreement.id, by: world.manager)
            let service = SolutionService(pool: world.app)
            let draft = try await service.create(on: lot.id, description(), by: world.supplierActor)
            await #expect(throws: AgreementError.notFound) { try await service.reject(draft.id, reasons: "Nej", by: world.manager) }
            _ = try await service.submit(draft.id, by: world.supplierActor)
            await #expect(throws: AgreementError.invalid(field: "reasons", reason: "give the reasons (at most 5000 characters)")) {
                try await service.reject(draft.id, reasons: "  ", by: world.manager)
            }
            await #expect(throws: AgreementError.invalid(field: "trl", reason: "1 to 9")) {
                try await service.create(on: lot.id, .init(name: "X", summary: "Y", innovationType: .product, trl: 10), by: world.supplierActor)
            }
            let rejected = try await service.reject(draft.id, reasons: "Verifieringen saknar mätbara resultat", by: world.manager)
            #expect(rejected.status == .rejected)
            #expect(rejected.decision?.reasons == "Verifieringen saknar mätbara resultat")
            await #expect(throws: AgreementError.notDraft) {
                try await service.verify(draft.id, method: .labTest, reasons: "Ändå", validUntil: CalendarDay("2030-01-01")!, by: world.manager)
            }
            #expect(try await service.own(by: world.supplierActor).map(\.status) == [.rejected])
        }
    }
}
