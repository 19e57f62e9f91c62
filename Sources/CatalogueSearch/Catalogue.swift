public import FrameworkAgreements
import AvropCore
public import Foundation
public import Postgres
import Identity

/// The public catalogue of verified innovative solutions: only verified, unexpired solutions of active
/// agreements, searched in Swedish (`websearch_to_tsquery`: phrases in quotes, `or`, `-word`), with words of
/// similar spelling when plain words find nothing (a misspelling), facets with counts, and keyset pages.
/// Searches are answered from a `CatalogueIndex` of the catalogue in memory, the page's rows and snippets
/// from PostgreSQL; PostgreSQL alone answers what the index cannot (see `databaseSearch`).
public struct Catalogue: Sendable {
    public enum Sort: String, Sendable {
        case relevance, newest
    }

    public enum TRLBand: String, Sendable, CaseIterable {
        case early = "1-3", middle = "4-6", mature = "7-9"

        var range: ClosedRange<Int> {
            switch self {
            case .early: 1...3
            case .middle: 4...6
            case .mature: 7...9
            }
        }
    }

    /// What to look for. Empty text lists everything, newest first.
    public struct Query: Sendable, Hashable {
        public var text: String
        public var agreementID: UUID?
        public var lotID: UUID?
        public var innovationType: Solution.InnovationType?
        public var trl: TRLBand?
        public var innovationStep: InnovationStep?
        public var supplierID: UUID?
        public var sort: Sort
        public var limit: Int
        public var cursor: String?

        public init(text: String = "", agreementID: UUID? = nil, lotID: UUID? = nil, innovationType: Solution.InnovationType? = nil,
                    trl: TRLBand? = nil, innovationStep: InnovationStep? = nil, supplierID: UUID? = nil, sort: Sort = .relevance,
                    limit: Int = 20, cursor: String? = nil) {
            self.text = text
            self.agreementID = agreementID
            self.lotID = lotID
            self.innovationType = innovationType
            self.trl = trl
            self.innovationStep = innovationStep
            self.supplierID = supplierID
            self.sort = sort
            self.limit = limit
            self.cursor = cursor
        }
    }

    public struct Hit: Sendable, Equatable {
        public let id: UUID
        public let name: String
        public let summary: String
        public let supplierName: String
        public let agreementTitle: String
        public let lotNumber: Int
        public let lotTitle: String
        public let innovationType: Solution.InnovationType
        public let innovationStep: InnovationStep
        public let trl: Int
        public let tags: [String]
        /// A piece of the text around the matches: HTML-escaped, matches in `<mark>`.
        public let snippet: String
    }

    public struct Facet: Sendable, Equatable {
        public let value: String
        public let label: String
        public let count: Int
    }

    public struct Result: Sendable {
        public let hits: [Hit]
        /// Whether the words matched nothing and the hits are similar spellings instead.
        public let fuzzy: Bool
        public let total: Int
        public let facets: [String: [Facet]]
        public let next: String?
    }

    public let pool: ConnectionPool
    private let index: CatalogueIndexKeeper
    /// Texts as `websearch_to_tsquery('swedish', …)` reads them: a function of the text alone (for one
    /// text-search configuration), so asking once per text is enough.
    private let parsedWords = BoundedCache<String, String>(capacity: 10_000)

    /// A catalogue with its own in-memory index: make one per process and share it.
    public init(pool: ConnectionPool) {
        self.pool = pool
        self.index = CatalogueIndexKeeper(pool: pool)
    }

    public func search(_ query: Query) async throws -> Result {
        let (text, limit) = Self.normalized(query)
        let cursor = try query.cursor.map(CatalogueCursor.init(encoded:))
        // The index answers when it is of the generation and day that the database shows with the page's
        // rows (one statement, so one snapshot). The newest index is tried first; when the page shows another
        // generation or day, the index of that one answers.
        var knownWords = text.isEmpty ? "" : parsedWords.value(for: text)
        var newest = self.index.current
        tries: for _ in 0..<3 {
            if newest == nil || knownWords == nil {
                let (stamp, read) = try await pool.withConnection { try await Self.stamp(words: text, on: $0) }
                parsedWords.keep(read, for: text)
                knownWords = read
                newest = try await self.index.index(for: stamp)
            }
            guard let index = newest, let words = knownWords else { continue }
            switch try await search(query, text: text, words: words, cursor: cursor, limit: limit, in: index) {
            case .found(let result): return result
            case .changed(let stamp): newest = try await self.index.index(for: stamp)
            case .askDatabase: break tries
            }
        }
        // A query the index does not read, or a catalogue changing under every try: the database answers.
        return try await databaseSearch(query)
    }

    /// The search answered by PostgreSQL alone (ranked by `ts_rank_cd`, so in another order than the
    /// index's), in repeatable read: the search and its counts see one snapshot.
    func databaseSearch(_ query: Query) async throws -> Result {
        let (text, limit) = Self.normalized(query)
        return try await pool.withTransaction(isolation: .repeatableRead) { connection in
            try await search(query, text: text, limit: limit, on: connection)
        }
    }

    /// The query's text without surrounding space and at most 200 characters, and its page size in 1...100.
    private static func normalized(_ query: Query) -> (text: String, limit: Int) {
        (String(query.text.trimmingCharacters(in: .whitespacesAndNewlines).prefix(200)), min(max(query.limit, 1), 100))
    }

    private enum IndexAnswer {
        case found(Result)
        /// The database shows another generation or day (`stamp`) than the index: its index answers.
        case changed(CatalogueIndex.Stamp)
        /// The database answers (a query the index does not read).
        case askDatabase
    }

    /// The search answered from `index`, with the page's rows from the database.
    private func search(_ query: Query, text: String, words: String, cursor: CatalogueCursor?, limit: Int,
                        in index: CatalogueIndex) async throws -> IndexAnswer {
        var parsed: TextQuery.Parsed?
        if !text.isEmpty {
            guard let read = TextQuery.parse(words) else { return .askDatabase }
            if case .some(let tree) = read, !tree.isIndexable { return .askDatabase }
            parsed = read
        }
        let sortByScore = query.sort == .relevance && !text.isEmpty
        var found = index.search(parsed, query, sortByScore: sortByScore, after: cursor, limit: limit)
        var fuzzy = false
        var marked = words
        // Nothing for plain words: perhaps a misspelling. Then the words are looked for in similar spellings,
        // among plain words only: a query with a phrase, `or` or `-word` meant exactly what it said.
        if found.total == 0, case .some(let tree)? = parsed, Self.isPlain(text) {
            fuzzy = true
            // No similar words either: still no answer before the statement below has shown that this index
            // is the database's generation; an older one may lack the words a newer one has.
            if let similar = index.similar(to: tree) {
                found = index.search(.some(similar.query), query, sortByScore: sortByScore, after: cursor, limit: limit, factors: similar.factors)
                marked = similar.query.text
            }
        }
        // The page's rows; the one beyond it only tells that there is a next page.
        let ids = found.page.prefix(limit).map { index.ids[Int($0.document)] }
        let headline: SQL = text.isEmpty
            ? "left(s.summary, 300)"
            : "ts_headline('swedish', avrop.snippet_source(s.name, s.summary, s.description, \(marked)::tsquery), \(marked)::tsquery, \(Self.headlineOptions))"
        // One statement, so one snapshot: the generation and day read with the page are those of its rows.
        let rows = try await pool.withConnection { connection in
            try await connection.query("""
                SELECT c.generation, ((now() AT TIME ZONE 'Europe/Stockholm')::date)::text AS day, p.id, p.name, p.summary, p.tags, p.snippet
                FROM avrop.catalogue_generation c LEFT JOIN LATERAL (
                    SELECT s.id, s.name, s.summary, s.tags, \(headline) AS snippet FROM avrop.catalogue_solution s WHERE s.id = ANY(\(ids))
                ) p ON true
                """)
        }
        guard let first = rows.first else { return .askDatabase }
        let shown = CatalogueIndex.Stamp(generation: try first.decode("generation", as: Int64.self), day: try first.decode("day", as: String.self))
        guard shown == index.stamp else { return .changed(shown) }
        var details: [UUID: Row] = [:]
        for row in rows {
            if let id = try row.decode("id", as: UUID?.self) { details[id] = row }
        }
        var hits: [Hit] = []
        for (document, _) in found.page.prefix(limit) {
            let d = Int(document)
            // Always there, being of the same generation; a change made behind the generation's back is not shown.
            guard let row = details[index.ids[d]] else { continue }
            let facts = index.facts[d]
            let lot = index.lots[Int(facts.lot)]
            hits.append(Hit(
                id: index.ids[d], name: try row.decode("name", as: String.self), summary: try row.decode("summary", as: String.self),
                supplierName: index.suppliers[Int(facts.supplier)].name, agreementTitle: index.agreements[Int(lot.agreement)].name,
                lotNumber: lot.number, lotTitle: lot.title, innovationType: CatalogueIndex.types[Int(facts.type)],
                innovationStep: CatalogueIndex.steps[Int(facts.step)], trl: Int(facts.trl),
                tags: try row.decode("tags", as: [String].self), snippet: Self.markedHTML(try row.decode("snippet", as: String.self))
            ))
        }
        var next: String?
        if found.page.count > limit {
            if let last = found.page.dropLast().last {
                let d = Int(last.document)
                next = CatalogueCursor(score: sortByScore ? last.score : 0, time: Date(timeIntervalSince1970: Double(index.facts[d].decided) / 1_000_000),
                                       id: index.ids[d]).encoded
            }
        }
        return .found(Result(hits: hits, fuzzy: fuzzy, total: found.total, facets: found.facets, next: next))
    }

    /// Whether `text` is plain words: misspellings are looked for only among those, since a query with a
    /// phrase, `or` or `-word` meant exactly what it said.
    static func isPlain(_ text: String) -> Bool {
        !text.contains("\"") && !text.lowercased().contains(" or ") && !text.split(separator: " ").contains { $0.hasPrefix("-") }
    }

    /// The catalogue's generation and today's date in Sweden, as `connection` sees them, with `text` as the
    /// database reads it (`websearch_to_tsquery`).
    static func stamp(words text: String, on connection: Connection) async throws -> (CatalogueIndex.Stamp, String) {
        let row = try await connection.query("""
            SELECT generation, ((now() AT TIME ZONE 'Europe/Stockholm')::date)::text AS day,
                   websearch_to_tsquery('swedish', \(text))::text AS words
            FROM avrop.catalogue_generation
            """).first
        return (CatalogueIndex.Stamp(generation: try row?.decode("generation", as: Int64.self) ?? 0, day: try row?.decode("day", as: String.self) ?? ""),
                try row?.decode("words", as: String.self) ?? "")
    }

    /// The catalogue's generation and today's date in Sweden, as `connection` sees them.
    static func stamp(on connection: Connection) async throws -> CatalogueIndex.Stamp {
        try await stamp(words: "", on: connection).0
    }

    private func search(_ query: Query, text: String, limit: Int, on connection: Connection) async throws -> Result {
        if !text.isEmpty {
            let exact = try await run(query, text: text, fuzzy: false, limit: limit, on: connection)
            if exact.total > 0 || query.cursor != nil || !Self.isPlain(text) { return exact }
            // Similar spellings: a lower bar than pg_trgm's default 0.6, for one or two wrong letters.
            try await connection.execute("SELECT set_config('pg_trgm.word_similarity_threshold', '0.45', true)")
            return try await run(query, text: text, fuzzy: true, limit: limit, on: connection)
        }
        return try await run(query, text: "", fuzzy: false, limit: limit, on: connection)
    }

    private func run(_ query: Query, text: String, fuzzy: Bool, limit: Int, on connection: Connection) async throws -> Result {
        // The matching set: visible solutions, the words (or similar spellings), and the filters.
        let match: SQL
        if text.isEmpty {
            match = "true"
        } else if fuzzy {
            // Names only: a misspelt word is looked for where people look first, through the trigram index.
            match = "\(text) OPERATOR(public.<%) s.name"
        } else {
            match = "s.search_vector @@ websearch_to_tsquery('swedish', \(text))"
        }
        let band = query.trl?.range
        let filters: SQL = """
            \(match)
            AND (\(query.agreementID) IS NULL OR s.lot_id IN (SELECT l.id FROM avrop.catalogue_lot l WHERE l.agreement_id = \(query.agreementID)))
            AND (\(query.lotID) IS NULL OR s.lot_id = \(query.lotID))
            AND (\(query.innovationType?.rawValue) IS NULL OR s.innovation_type = \(query.innovationType?.rawValue))
            AND (\(query.innovationStep?.rawValue) IS NULL OR s.innovation_step = \(query.innovationStep?.rawValue))
            AND (\(band?.lowerBound) IS NULL OR s.trl BETWEEN \(band?.lowerBound) AND \(band?.upperBound))
            AND (\(query.supplierID) IS NULL OR s.supplier_id = \(query.supplierID))
            """
        // The view holds the public rule: verified, unexpired solutions of active agreements. With words, the
        // matching set is computed first (MATERIALIZED: through the full-text index, then ranked), and lots,
        // agreements and suppliers are joined to what is left; without, the planner walks the newest first.
        let from: SQL = "avrop.catalogue_solution s"
        let materialized: SQL = text.isEmpty ? "" : "MATERIALIZED"
        let score: SQL
        if text.isEmpty {
            score = "0::float8"
        } else if fuzzy {
            score = "public.word_similarity(\(text), s.name)::float8"
        } else {
            score = "ts_rank_cd(s.search_vector, websearch_to_tsquery('swedish', \(text)), 1)::float8"
        }
        let sortByScore = query.sort == .relevance && !text.isEmpty
        let after = try query.cursor.map(CatalogueCursor.init(encoded:))
        let keyset: SQL = switch (after, sortByScore) {
        case (nil, _): "true"
        case (let cursor?, true): "(m.score, m.id) < (\(cursor.score), \(cursor.id))"
        case (let cursor?, false): "(m.decided_at, m.id) < (\(cursor.time), \(cursor.id))"
        }
        let order: SQL = sortByScore ? "score DESC, id DESC" : "decided_at DESC, id DESC"
        let headline: SQL = text.isEmpty || fuzzy
            ? "left(page.summary, 300)"
            : "ts_headline('swedish', avrop.snippet_source(page.name, page.summary, page.description, websearch_to_tsquery('swedish', \(text))), websearch_to_tsquery('swedish', \(text)), \(Self.headlineOptions))"
        let rows = try await connection.query("""
            WITH m AS \(materialized) (
                SELECT s.id, s.lot_id, s.supplier_id, s.name, s.summary, s.description, s.innovation_type, s.innovation_step, s.trl, s.tags, s.decided_at,
                       \(score) AS score
                FROM \(from) WHERE \(filters)
            ), page AS (
                SELECT m.* FROM m WHERE \(keyset) ORDER BY \(order) LIMIT \(limit + 1)
            )
            SELECT page.*, l.agreement_title, l.number AS lot_number, l.title AS lot_title, o.name AS supplier_name, \(headline) AS snippet
            FROM page JOIN avrop.catalogue_lot l ON l.id = page.lot_id JOIN avrop.organization o ON o.id = page.supplier_id
            ORDER BY \(order)
            """)
        var hits: [(Hit, Double, Date)] = try rows.map { row in
            let hit = Hit(
                id: try row.decode("id", as: UUID.self), name: try row.decode("name", as: String.self),
                summary: try row.decode("summary", as: String.self), supplierName: try row.decode("supplier_name", as: String.self),
                agreementTitle: try row.decode("agreement_title", as: String.self), lotNumber: try row.decode("lot_number", as: Int.self),
                lotTitle: try row.decode("lot_title", as: String.self),
                innovationType: Solution.InnovationType(rawValue: try row.decode("innovation_type", as: String.self)) ?? .product,
                innovationStep: InnovationStep(rawValue: try row.decode("innovation_step", as: String.self)) ?? .deploy,
                trl: try row.decode("trl", as: Int.self), tags: try row.decode("tags", as: [String].self),
                snippet: Self.markedHTML(try row.decode("snippet", as: String.self))
            )
            return (hit, try row.decode("score", as: Double.self), try row.decode("decided_at", as: Date?.self) ?? Date(timeIntervalSince1970: 0))
        }
        var next: String?
        if hits.count > limit {
            hits.removeLast()
            if let last = hits.last { next = CatalogueCursor(score: last.1, time: last.2, id: last.0.id).encoded }
        }
        let facets = try await self.facets(from: from, materialized: materialized, filters: filters, on: connection)
        return Result(hits: hits.map(\.0), fuzzy: fuzzy, total: facets.total, facets: facets.groups, next: next)
    }

    /// Counts per agreement, lot, innovation type, TRL band and supplier over the whole matching set, in one
    /// statement (GROUPING SETS).
    private func facets(from: SQL, materialized: SQL, filters: SQL, on connection: Connection) async throws -> (total: Int, groups: [String: [Facet]]) {
        let rows = try await connection.query("""
            WITH m AS \(materialized) (
                SELECT s.lot_id, s.supplier_id, s.innovation_type, s.innovation_step,
                       CASE WHEN s.trl <= 3 THEN '1-3' WHEN s.trl <= 6 THEN '4-6' ELSE '7-9' END AS band
                FROM \(from) WHERE \(filters)
            ), g AS (
                SELECT GROUPING(l.agreement_id) AS g_agreement, GROUPING(m.lot_id) AS g_lot, GROUPING(m.innovation_type) AS g_type,
                       GROUPING(m.band) AS g_band, GROUPING(m.supplier_id) AS g_supplier, GROUPING(m.innovation_step) AS g_step,
                       l.agreement_id::text AS agreement, min(l.agreement_title) AS agreement_title, m.lot_id::text AS lot,
                       min(l.number) AS lot_number, min(l.title) AS lot_title, m.innovation_type, m.innovation_step, m.band, m.supplier_id, count(*)::int8 AS n
                FROM m JOIN avrop.catalogue_lot l ON l.id = m.lot_id
                GROUP BY GROUPING SETS ((), (l.agreement_id), (m.lot_id), (m.innovation_type), (m.band), (m.supplier_id), (m.innovation_step))
            )
            SELECT g.*, g.supplier_id::text AS supplier, o.name AS supplier_name FROM g LEFT JOIN avrop.organization o ON o.id = g.supplier_id
            """)
        var total = 0
        var groups: [String: [Facet]] = [:]
        for row in rows {
            let count = try row.decode("n", as: Int.self)
            let flags = try ["g_agreement", "g_lot", "g_type", "g_band", "g_supplier", "g_step"].map { try row.decode($0, as: Int.self) }
            switch flags {
            case [1, 1, 1, 1, 1, 1]: total = count
            case [0, 1, 1, 1, 1, 1]:
                groups["agreement", default: []].append(Facet(value: try row.decode("agreement", as: String.self),
                                                              label: try row.decode("agreement_title", as: String.self), count: count))
            case [1, 0, 1, 1, 1, 1]:
                groups["lot", default: []].append(Facet(value: try row.decode("lot", as: String.self),
                                                        label: "\(try row.decode("lot_number", as: Int.self)) \(try row.decode("lot_title", as: String.self))", count: count))
            case [1, 1, 0, 1, 1, 1]:
                let type = try row.decode("innovation_type", as: String.self)
                groups["type", default: []].append(Facet(value: type, label: type, count: count))
            case [1, 1, 1, 0, 1, 1]:
                let band = try row.decode("band", as: String.self)
                groups["trl", default: []].append(Facet(value: band, label: band, count: count))
            case [1, 1, 1, 1, 1, 0]:
                let step = try row.decode("innovation_step", as: String.self)
                groups["step", default: []].append(Facet(value: step, label: step, count: count))
            case [1, 1, 1, 1, 0, 1]:
                groups["supplier", default: []].append(Facet(value: try row.decode("supplier", as: String.self),
                                                             label: try row.decode("supplier_name", as: String.self), count: count))
            default: break
            }
        }
        for key in groups.keys {
            groups[key]?.sort { ($0.count, $1.label) > ($1.count, $0.label) }
        }
        return (total, groups)
    }

    /// Matches marked with control characters that no solution text contains, so that escaping is ours alone.
    static let headlineOptions = "StartSel=\u{1},StopSel=\u{2},MaxWords=35,MinWords=15,MaxFragments=2,FragmentDelimiter= … "

    /// ts_headline's text with its \u{1}…\u{2} marks: everything escaped for HTML, the marks as <mark>.
    static func markedHTML(_ text: String) -> String {
        var html: [UInt8] = []
        html.reserveCapacity(text.utf8.count + 64)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "&"): html += "&amp;".utf8
            case UInt8(ascii: "<"): html += "&lt;".utf8
            case UInt8(ascii: ">"): html += "&gt;".utf8
            case UInt8(ascii: "\""): html += "&quot;".utf8
            case UInt8(ascii: "'"): html += "&#39;".utf8
            case 1: html += "<mark>".utf8
            case 2: html += "</mark>".utf8
            default: html.append(byte)
            }
        }
        return String(decoding: html, as: UTF8.self)
    }
}

/// A position in a catalogue page: the score (relevance) or decision time (newest), and the id.
struct CatalogueCursor {
    let score: Double
    let time: Date
    let id: UUID

    var encoded: String {
        PageCursor(keys: [Int64(bitPattern: score.bitPattern), PageCursor.microseconds(time)], id: id).encoded
    }

    init(score: Double, time: Date, id: UUID) {
        self.score = score
        self.time = time
        self.id = id
    }

    init(encoded: String) throws {
        guard let cursor = PageCursor(encoded: encoded, keyCount: 2) else {
            throw AgreementError.invalid(field: "cursor", reason: "not one this service gave out")
        }
        score = Double(bitPattern: UInt64(bitPattern: cursor.keys[0]))
        time = PageCursor.time(microseconds: cursor.keys[1])
        id = cursor.id
    }
}
