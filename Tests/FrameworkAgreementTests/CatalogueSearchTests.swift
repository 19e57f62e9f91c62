import AvropCore
import Foundation
import Identity
import Postgres
import Testing
@testable import FrameworkAgreements
@testable import CatalogueSearch

@Suite("The catalogue: Swedish full text, misspellings, facets, pages, only verified solutions")
struct CatalogueSearchTests {
    let agreements = AgreementServiceTests()

    /// An active agreement with four solutions of one supplier: three verified, one only submitted.
    private func withCatalogue(_ body: @Sendable (Catalogue, AgreementServiceTests.World) async throws -> Void) async throws {
        try await agreements.withWorld { world in
            let (agreement, lot) = try await agreements.completeDraft(world)
            _ = try await world.service.activate(agreement.id, by: world.manager)
            let solutions = SolutionService(pool: world.app)
            let entries: [(Solution.Description, Bool)] = [
                (.init(name: "Digital tjänst för bygglov", summary: "Invånare söker bygglov på nätet och ser var ärendet står.",
                       text: "Prövad hos Älvdals kommun. <script>alert(1)</script>", innovationType: .service, innovationStep: .deploy, trl: 8,
                       tags: ["e-tjänst"]), true),
                (.init(name: "Tolkning på distans", summary: "Bokning och videotolkning i vården.", text: "Pilot i Region Norr.",
                       innovationType: .service, innovationStep: .introduce, trl: 6, tags: ["vård", "tolk"]), true),
                (.init(name: "Elektrifierad varudistribution", summary: "Eldrivna lastcyklar och mikroterminaler i stadskärnan.",
                       innovationType: .process, innovationStep: .introduce, trl: 5, tags: ["logistik", "klimat"]), true),
                (.init(name: "Digital tjänst för färdtjänst", summary: "Ännu inte verifierad.", innovationType: .service, trl: 3), false),
            ]
            for (description, verify) in entries {
                let draft = try await solutions.create(on: lot.id, description, by: world.supplierActor)
                _ = try await solutions.submit(draft.id, by: world.supplierActor)
                if verify {
                    _ = try await solutions.verify(draft.id, method: .pilot, reasons: "Verifierad i pilot", validUntil: CalendarDay("2030-01-01")!, by: world.manager)
                }
            }
            try await body(Catalogue(pool: world.app), world)
        }
    }

    @Test func swedishStemmingFindsDigitalTjänstForDigitalaTjänster() async throws {
        try await withCatalogue { catalogue, _ in
            let result = try await catalogue.search(.init(text: "digitala tjänster"))
            #expect(result.hits.map(\.name) == ["Digital tjänst för bygglov"], "only verified solutions are found")
            #expect(!result.fuzzy)
            #expect(result.hits.first?.snippet.contains("<mark>") == true)
            #expect(result.hits.first?.snippet.contains("<script>") == false, "the text is escaped; only the marks are HTML")
        }
    }

    @Test func websearchSyntaxAndMisspellings() async throws {
        try await withCatalogue { catalogue, _ in
            #expect(try await catalogue.search(.init(text: "tolkning or lastcyklar")).hits.count == 2)
            #expect(try await catalogue.search(.init(text: "\"tolkning på distans\"")).hits.map(\.name) == ["Tolkning på distans"])
            #expect(try await catalogue.search(.init(text: "tjänst -bygglov")).hits.isEmpty)
            let misspelt = try await catalogue.search(.init(text: "varudistrubution"))
            #expect(misspelt.fuzzy)
            #expect(misspelt.hits.map(\.name) == ["Elektrifierad varudistribution"])
        }
    }

    @Test func facetsCountTheWholeMatchAndFiltersNarrowIt() async throws {
        try await withCatalogue { catalogue, _ in
            let all = try await catalogue.search(.init())
            #expect(all.total == 3)
            #expect(all.facets["trl"]?.map { "\($0.value):\($0.count)" }.sorted() == ["4-6:2", "7-9:1"])
            #expect(all.facets["type"]?.map { "\($0.value):\($0.count)" }.sorted() == ["process:1", "service:2"])
            #expect(all.facets["supplier"]?.map(\.count) == [3])
            // The innovation staircase: counted, and narrowing to one step.
            #expect(all.facets["step"]?.map { "\($0.value):\($0.count)" } == ["introduce:2", "deploy:1"])
            #expect(try await catalogue.search(.init(innovationStep: .introduce)).hits.map(\.name).sorted() == ["Elektrifierad varudistribution", "Tolkning på distans"])
            #expect(try await catalogue.search(.init(text: "tjänst", innovationStep: .deploy)).hits.map(\.innovationStep) == [.deploy])
            #expect(try await catalogue.databaseSearch(.init(innovationStep: .initiate)).total == 0)
            let mature = try await catalogue.search(.init(trl: .mature))
            #expect(mature.hits.map(\.name) == ["Digital tjänst för bygglov"])
            #expect(try await catalogue.search(.init(innovationType: .process)).total == 1)
            // Agreement and lot facets name what they count, and narrow to it.
            let agreement = try #require(all.facets["agreement"]?.first)
            #expect(agreement.count == 3)
            let lot = try #require(all.facets["lot"]?.first)
            #expect(lot.count == 3)
            #expect(try await catalogue.search(.init(agreementID: UUID(uuidString: agreement.value))).total == 3)
            #expect(try await catalogue.search(.init(agreementID: UUID())).total == 0)
            #expect(try await catalogue.search(.init(lotID: UUID(uuidString: lot.value))).total == 3)
        }
    }

    @Test func expiredSolutionsAndEndedAgreementsLeaveTheCatalogue() async throws {
        try await withCatalogue { catalogue, world in
            try await world.owner.withConnection {
                try await $0.execute("UPDATE avrop.solution SET valid_until = current_date - 1 WHERE name = 'Tolkning på distans'")
            }
            #expect(try await catalogue.search(.init()).total == 2)
            try await world.owner.withConnection {
                try await $0.execute("UPDATE avrop.framework_agreement SET terminated_at = now(), termination_reason = 'Avslutat'")
            }
            #expect(try await catalogue.search(.init()).total == 0)
            #expect(try await catalogue.search(.init(text: "bygglov")).hits.isEmpty)
        }
    }

    @Test func theIndexLastsExactlyUntilTheCatalogueChanges() async throws {
        try await withCatalogue { catalogue, world in
            #expect(try await catalogue.search(.init(text: "tolkning")).hits.map(\.name) == ["Tolkning på distans"])
            // A change hidden from the generation (its trigger off) is not seen by the index: it still counts
            // the solution. (Its page rows come through the public view, which no longer shows it.)
            try await world.owner.withConnection {
                try await $0.execute("ALTER TABLE avrop.solution DISABLE TRIGGER solution_catalogue_generation")
                try await $0.execute("UPDATE avrop.solution SET status = 'withdrawn' WHERE name = 'Tolkning på distans'")
                try await $0.execute("ALTER TABLE avrop.solution ENABLE TRIGGER solution_catalogue_generation")
            }
            let hidden = try await catalogue.search(.init(text: "tolkning"))
            #expect(hidden.total == 1)
            #expect(hidden.hits.isEmpty, "the page's rows are read through the public view")
            // Any change to the catalogue's tables moves the generation: the next search builds a new index.
            try await world.owner.withConnection { try await $0.execute("UPDATE avrop.lot SET title = title") }
            #expect(try await catalogue.search(.init(text: "tolkning")).total == 0)
            // Another process (its own index) sees the same.
            #expect(try await Catalogue(pool: catalogue.pool).search(.init()).total == 2)
        }
    }

    /// A supplier's drafts and submissions are never in the catalogue, so changing them must not make every
    /// process rebuild its index; a change to a verified solution, in or out of the catalogue, must.
    @Test func onlyChangesToVerifiedSolutionsMoveTheGeneration() async throws {
        try await withCatalogue { catalogue, world in
            func generation() async throws -> Int64 {
                try await world.owner.withConnection { connection in
                    try #require(try await connection.query("SELECT generation FROM avrop.catalogue_generation").first).decode("generation", as: Int64.self)
                }
            }
            func change(_ sql: SQL) async throws { try await world.owner.withConnection { try await $0.execute(sql) } }
            let start = try await generation()
            try await change("UPDATE avrop.solution SET summary = summary || ' Ny mening.' WHERE status = 'submitted'")
            try await change("INSERT INTO avrop.solution (id, supplier_id, lot_id, name, summary, description, innovation_type, innovation_step, trl, tags) SELECT gen_random_uuid(), supplier_id, lot_id, 'Utkast', 'Ett utkast.', '', 'product', 'initiate', 2, '{}' FROM avrop.solution LIMIT 1")
            try await change("DELETE FROM avrop.solution WHERE name = 'Utkast'")
            #expect(try await generation() == start, "drafts and submissions leave it")
            try await change("UPDATE avrop.solution SET summary = summary WHERE name = 'Tolkning på distans'")
            #expect(try await generation() == start + 1, "a verified solution changed")
            try await change("UPDATE avrop.solution SET status = 'withdrawn' WHERE name = 'Tolkning på distans'")
            #expect(try await generation() == start + 2, "a verified solution left the catalogue")
            #expect(try await catalogue.search(.init(text: "tolkning")).total == 0)
            try await change("UPDATE avrop.solution SET status = 'verified', decided_at = now(), verification_method = 'pilot', decision_reasons = 'Åter', valid_until = '2030-01-01' WHERE name = 'Tolkning på distans'")
            #expect(try await generation() == start + 3, "a solution came (back) into the catalogue")
            // The same search, whose words had no match and no similar spelling in the previous index: it too
            // must see the new generation.
            #expect(try await catalogue.search(.init(text: "tolkning")).total == 1)
        }
    }

    /// A snippet is cut from 2,000 characters of a long description, around the first match, so a page of
    /// long descriptions costs ts_headline no more than a page of short ones and still shows the match.
    @Test func aLongDescriptionsSnippetShowsTheMatchFarIntoIt() async throws {
        try await withCatalogue { catalogue, world in
            let filler = String(repeating: "Lösningen har prövats i flera kommuner under lång tid. ", count: 170)
            let description = filler + "Den bygger på drönare för inspektion av broar. " + filler
            try await world.owner.withConnection {
                try await $0.execute("UPDATE avrop.solution SET description = \(description) WHERE name = 'Tolkning på distans'")
            }
            #expect(description.count > 18_000 && description.count <= 20_000, "well over 2,000 characters before the match and after it")
            for result in [try await catalogue.search(.init(text: "drönarna")), try await catalogue.databaseSearch(.init(text: "drönarna"))] {
                #expect(result.hits.map(\.name) == ["Tolkning på distans"])
                let snippet = try #require(result.hits.first?.snippet)
                #expect(snippet.contains("<mark>drönare</mark>"), "\(snippet)")
                #expect(snippet.count < 1_000)
            }
            // A match at the start of a long description: its start.
            let start = try #require(try await catalogue.search(.init(text: "tolkning")).hits.first?.snippet)
            #expect(start.hasPrefix("<mark>Tolkning</mark> på distans."))
        }
    }

    @Test func pagesFollowTheirCursorWithoutRepeats() async throws {
        try await withCatalogue { catalogue, _ in
            var seen: [String] = []
            var cursor: String?
            repeat {
                let page = try await catalogue.search(.init(sort: .newest, limit: 1, cursor: cursor))
                seen += page.hits.map(\.name)
                cursor = page.next
            } while cursor != nil && seen.count < 10
            #expect(seen.count == 3)
            #expect(Set(seen).count == 3)
            await #expect(throws: AgreementError.self) { try await catalogue.search(.init(cursor: "nonsense")) }
        }
    }
}
