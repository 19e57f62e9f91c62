import Foundation
import Postgres
import Testing
@testable import FrameworkAgreements
@testable import CatalogueSearch

@Suite("The catalogue's index: exactly PostgreSQL's matches, counts and pages")
struct CatalogueIndexTests {
    let agreements = AgreementServiceTests()

    /// An active agreement with 400 verified solutions built from word lists (with stop words, a quote and a
    /// backslash in some texts; three at a time decided in the same instant), and the index of them.
    private func withIndex(_ body: @Sendable (CatalogueIndex, AgreementServiceTests.World) async throws -> Void) async throws {
        try await agreements.withWorld { world in
            let (agreement, lot) = try await agreements.completeDraft(world)
            _ = try await world.service.activate(agreement.id, by: world.manager)
            try await world.owner.withConnection { connection in
                _ = try await connection.execute("""
                    WITH w AS (
                        SELECT ARRAY['Digital', 'Smart', 'Automatiserad', 'Klimatsmart', 'Mobil', 'Säker', 'Öppen'] AS a,
                               ARRAY['tjänst', 'plattform', 'tolkning', 'sensorer', 'robot', 'e-tjänst', 'logistik', 'laddning', 'bokning'] AS b,
                               ARRAY['för kommuner', 'i vården', 'för skolor', 'på landsbygden', 'i stadskärnan'] AS c
                    )
                    INSERT INTO avrop.solution (id, supplier_id, lot_id, name, summary, description, innovation_type, innovation_step, trl, tags, status,
                                                submitted_at, decided_at, verification_method, decision_reasons, valid_until)
                    SELECT gen_random_uuid(), \(world.suppliers[0].id), \(lot.id),
                           w.a[1 + i % 7] || ' ' || w.b[1 + (i / 7) % 9] || ' ' || w.c[1 + (i / 63) % 5],
                           'Lösningen ger ' || w.b[1 + i % 9] || ' ' || w.c[1 + i % 5] || ' enligt pilot ' || i || '.',
                           CASE WHEN i % 13 = 0 THEN 'Prövad av O''Brien, se C:\\pilot\\rapport.' ELSE 'Prövad i verksamheten. ' || w.a[1 + (i / 3) % 7] END,
                           (ARRAY['product', 'service', 'process', 'organisational'])[1 + i % 4], (ARRAY['deploy', 'introduce', 'initiate'])[1 + i % 3],
                           1 + i % 9, ARRAY[lower(w.b[1 + (i / 2) % 9])],
                           'verified', now(), now() - (i / 3) * interval '1 minute', 'pilot', 'Verifierad i pilot', current_date + 100
                    FROM generate_series(1, 400) AS i, w
                    """)
            }
            let stamp = try await world.app.withConnection { try await Catalogue.stamp(on: $0) }
            let index = try await CatalogueIndexKeeper(pool: world.app).index(for: stamp)
            #expect(index.stamp == stamp)
            #expect(index.count == 400)
            try await body(index, world)
        }
    }

    /// What the index matches for `text`, as PostgreSQL reads it.
    private func indexMatches(_ text: String, _ query: Catalogue.Query = .init(), in index: CatalogueIndex, world: AgreementServiceTests.World) async throws -> Set<UUID> {
        let (_, words) = try await world.app.withConnection { try await Catalogue.stamp(words: text, on: $0) }
        let parsed = try #require(TextQuery.parse(words), "the index reads \(words)")
        let found = index.search(parsed, query, sortByScore: true, after: nil, limit: index.count)
        #expect(found.total == found.page.count)
        return Set(found.page.map { index.ids[Int($0.document)] })
    }

    @Test func theIndexMatchesExactlyWhatPostgresMatches() async throws {
        try await withIndex { index, world in
            let queries = [
                "digital", "digitala tjänster", "\"digital tjänst\"", "\"tjänst för kommuner\"", "sensorer or robot", "tjänst -digital",
                "-digital", "\"smart robot\" or laddning", "plattform -\"för skolor\"", "e-tjänst", "o'brien", "c:\\pilot", "pilot 13",
                "\"lösningen ger robot i vården\"", "\"ger robot\" \"i vården\"", "klimatsmart or öppen -landsbygden", "finns inte",
            ]
            for text in queries {
                let expected = try await world.app.withConnection { connection in
                    Set(try await connection.query("""
                        SELECT id FROM avrop.catalogue_solution WHERE search_vector @@ websearch_to_tsquery('swedish', \(text))
                        """).map { try $0.decode("id", as: UUID.self) })
                }
                let found = try await indexMatches(text, in: index, world: world)
                #expect(found.symmetricDifference(expected).isEmpty, "\(text): the index found \(found.count), PostgreSQL \(expected.count)")
            }
            #expect(try await indexMatches("digital", in: index, world: world).count > 50, "the data has broad matches")
            #expect(try await indexMatches("\"tjänst för kommuner\"", in: index, world: world).count > 0, "and phrases with a stop word")
            // Shapes that websearch_to_tsquery does not make but tsquery has: nested phrases and negated groups.
            for raw in ["'ger' <-> ( 'robot' <2> 'vård' )", "( 'ger' <-> 'robot' ) <2> 'vård'", "!( 'digital' | 'smart' ) & 'tjänst'",
                        "'ger' <-> ( 'robot' <-> 'vård' )"] {
                let expected = try await world.app.withConnection { connection in
                    Set(try await connection.query("SELECT id FROM avrop.catalogue_solution WHERE search_vector @@ \(raw)::tsquery")
                        .map { try $0.decode("id", as: UUID.self) })
                }
                guard case .some(let tree)? = TextQuery.parse(raw) else {
                    Issue.record("\(raw) is not read")
                    continue
                }
                var found = Set<UUID>()
                index.matches(tree).forEach { found.insert(index.ids[Int($0)]) }
                #expect(found.symmetricDifference(expected).isEmpty, "\(raw): the index found \(found.count), PostgreSQL \(expected.count)")
                if raw.hasPrefix("'ger' <-> ( 'robot' <2>") { #expect(!expected.isEmpty) }
            }
            // Only stop words: nothing, as in PostgreSQL.
            #expect(TextQuery.parse("") == TextQuery.Parsed.none)
        }
    }

    @Test func countsAndFacetsAreThoseOfTheFilteredMatch() async throws {
        try await withIndex { index, world in
            let (_, words) = try await world.app.withConnection { try await Catalogue.stamp(words: "tjänst", on: $0) }
            let parsed = try #require(TextQuery.parse(words))
            let found = index.search(parsed, .init(innovationType: .service, trl: .middle), sortByScore: true, after: nil, limit: 20)
            let expected = try await world.app.withConnection { connection in
                try await connection.query("""
                    SELECT count(*)::int8 AS n FROM avrop.catalogue_solution
                    WHERE search_vector @@ websearch_to_tsquery('swedish', 'tjänst') AND innovation_type = 'service' AND trl BETWEEN 4 AND 6
                    """).first?.decode("n", as: Int.self)
            }
            #expect(found.total == expected)
            #expect(found.total > 0)
            #expect(found.facets["type"]?.map(\.value) == ["service"])
            #expect(found.facets["trl"]?.map(\.value) == ["4-6"])
            #expect(found.facets["supplier"]?.first?.count == found.total)
        }
    }

    @Test func relevancePagesFollowTheirCursorBestFirstWithoutRepeats() async throws {
        try await withIndex { index, world in
            let (_, words) = try await world.app.withConnection { try await Catalogue.stamp(words: "robot or tjänst", on: $0) }
            let parsed = try #require(TextQuery.parse(words))
            var seen: [UUID] = []
            var scores: [Double] = []
            var cursor: CatalogueCursor?
            var total = 0
            repeat {
                let found = index.search(parsed, .init(), sortByScore: true, after: cursor, limit: 25)
                total = found.total
                let page = found.page.prefix(25)
                seen += page.map { index.ids[Int($0.document)] }
                scores += page.map(\.score)
                // What the service puts in its cursor, read back as it would be.
                cursor = try found.page.count > 25 ? page.last.map {
                    try CatalogueCursor(encoded: CatalogueCursor(score: $0.score, time: Date(), id: index.ids[Int($0.document)]).encoded)
                } : nil
            } while cursor != nil && seen.count <= 400
            #expect(seen.count == total)
            #expect(Set(seen).count == total)
            #expect(scores == scores.sorted(by: >), "best first")
            // A name match outranks a match in the summary only.
            let first = try #require(seen.first)
            let name = try await world.app.withConnection { connection in
                try await connection.query("SELECT name FROM avrop.catalogue_solution WHERE id = \(first)").first?.decode("name", as: String.self)
            }
            #expect(name?.contains("robot") == true || name?.contains("tjänst") == true)
        }
    }

    @Test func similarSpellingsMeasureAsPgTrgmsWordSimilarity() async throws {
        try await withIndex { _, world in
            let pairs = [("varudistrubution", "varudistribution"), ("klimat", "klimatsmart"), ("tolk", "tolkning"), ("word", "two words"),
                         ("robot", "robotar"), ("sensr", "sensor"), ("e-tjänst", "tjänst"), ("plattfrom", "plattform")]
            for (word, other) in pairs {
                let expected = try await world.app.withConnection { connection in
                    try await connection.query("SELECT public.word_similarity(\(word), \(other))::float8 AS s").first?.decode("s", as: Double.self)
                }
                let measured = Trigrams.wordSimilarity(Set(Trigrams.ordered(word)), Trigrams.ordered(other))
                #expect(abs(measured - (expected ?? -1)) < 1e-5, "\(word) ~ \(other): \(measured), pg_trgm \(expected ?? -1)")
            }
            // å, ä and ö are letters, as for pg_trgm under a Swedish or UTF-8 locale (the test cluster runs
            // with the C locale, where they split words): "  ö", " öp", "öpp" of six trigrams each are shared.
            #expect(Trigrams.wordSimilarity(Set(Trigrams.ordered("öppen")), Trigrams.ordered("öppna")) == 0.5)
        }
    }

    @Test func aMisspeltWordFindsItsSimilarSpellingsOnEveryPage() async throws {
        try await withIndex { index, world in
            let (_, words) = try await world.app.withConnection { try await Catalogue.stamp(words: "plattfrom", on: $0) }
            let tree = try #require({ if case .some(let tree)? = TextQuery.parse(words) { tree } else { nil } }())
            #expect(index.search(.some(tree), .init(), sortByScore: true, after: nil, limit: 10).total == 0, "misspelt")
            let similar = try #require(index.similar(to: tree))
            #expect(similar.query.positiveWords.contains("plattform"))
            let all = index.search(.some(similar.query), .init(), sortByScore: true, after: nil, limit: 400, factors: similar.factors)
            let expected = try await world.app.withConnection { connection in
                try await connection.query("SELECT count(*)::int8 AS n FROM avrop.catalogue_solution WHERE search_vector @@ 'plattform'::tsquery")
                    .first?.decode("n", as: Int.self)
            }
            #expect(all.total == expected)
            #expect(all.total > 0)
            // The service's own path: fuzzy, and a second page that continues the first.
            let catalogue = Catalogue(pool: world.app)
            let first = try await catalogue.search(.init(text: "plattfrom", limit: 5))
            #expect(first.fuzzy)
            #expect(first.total == expected)
            #expect(first.hits.first?.snippet.contains("<mark>") == true, "the similar word is marked")
            let second = try await catalogue.search(.init(text: "plattfrom", limit: 5, cursor: first.next))
            #expect(second.fuzzy)
            #expect(second.hits.count == 5)
            #expect(Set(first.hits.map(\.id)).isDisjoint(with: second.hits.map(\.id)))
            // A word like nothing in the catalogue finds nothing.
            #expect(try await catalogue.search(.init(text: "xyzzyqq")).total == 0)
        }
    }

    @Test func facetCountsAreThoseOfPostgresForLargeAndSmallMatches() async throws {
        try await withIndex { index, world in
            // "tjänst" matches hundreds (counted through the values' sets), "o'brien" a few (one by one).
            for text in ["tjänst", "o'brien"] {
                let (_, words) = try await world.app.withConnection { try await Catalogue.stamp(words: text, on: $0) }
                let found = index.search(TextQuery.parse(words), .init(), sortByScore: true, after: nil, limit: 20)
                for facet in ["type", "step"] {
                    let expected = try await world.app.withConnection { connection in
                        try await connection.query("""
                            SELECT CASE WHEN \(facet) = 'type' THEN innovation_type ELSE innovation_step END AS value, count(*)::int8 AS n
                            FROM avrop.catalogue_solution
                            WHERE search_vector @@ websearch_to_tsquery('swedish', \(text)) GROUP BY 1
                            """).map { "\(try $0.decode("value", as: String.self)):\(try $0.decode("n", as: Int.self))" }
                    }
                    #expect(found.facets[facet]?.map { "\($0.value):\($0.count)" }.sorted() == expected.sorted(), "\(text): \(facet)")
                }
                #expect(found.facets["lot"]?.first?.count == found.total)
            }
        }
    }

    @Test func newestPagesFollowPostgresOrderWithTiesBrokenByID() async throws {
        try await withIndex { index, world in
            let expected = try await world.app.withConnection { connection in
                try await connection.query("""
                    SELECT id FROM avrop.catalogue_solution WHERE trl BETWEEN 4 AND 6 ORDER BY decided_at DESC, id DESC
                    """).map { try $0.decode("id", as: UUID.self) }
            }
            var seen: [UUID] = []
            var cursor: CatalogueCursor?
            repeat {
                let found = index.search(nil, .init(trl: .middle), sortByScore: false, after: cursor, limit: 30)
                let page = found.page.prefix(30)
                seen += page.map { index.ids[Int($0.document)] }
                cursor = try found.page.count > 30 ? page.last.map {
                    let micros = index.facts[Int($0.document)].decided
                    return try CatalogueCursor(encoded: CatalogueCursor(score: 0, time: Date(timeIntervalSince1970: Double(micros) / 1_000_000),
                                                                        id: index.ids[Int($0.document)]).encoded)
                } : nil
            } while cursor != nil && seen.count <= 400
            #expect(seen.count > 100)
            #expect(seen == expected)
        }
    }

    @Test func theIndexAndTheDatabaseAloneFindTheSameSolutionsCountsAndFacets() async throws {
        try await withIndex { _, world in
            let catalogue = Catalogue(pool: world.app)
            for query: Catalogue.Query in [
                .init(text: "digitala tjänster", limit: 100), .init(text: "\"ger robot\" -smart", limit: 100),
                .init(text: "sensorer or robot", trl: .mature, limit: 100), .init(innovationType: .process, limit: 100),
                .init(text: "plattfrom", limit: 100),
            ] {
                let indexed = try await catalogue.search(query)
                let alone = try await catalogue.databaseSearch(query)
                #expect(indexed.fuzzy == alone.fuzzy, "\(query.text)")
                #expect(indexed.total > 0, "\(query.text) finds something")
                // Similar spellings differ by design: the index looks among all the catalogue's words, the
                // database (its fallback) among names.
                if indexed.fuzzy { continue }
                #expect(indexed.total == alone.total, "\(query.text)")
                for name in ["agreement", "lot", "supplier", "type", "trl", "step"] {
                    #expect(indexed.facets[name]?.map { "\($0.value):\($0.count)" } == alone.facets[name]?.map { "\($0.value):\($0.count)" },
                            "\(query.text): \(name)")
                }
                if indexed.total <= 100 {
                    #expect(Set(indexed.hits.map(\.id)) == Set(alone.hits.map(\.id)), "\(query.text)")
                }
            }
        }
    }
}
