import FrameworkAgreements
import Foundation

/// The public catalogue in memory, as one generation of the database shows it on one day: every visible
/// solution's words (the lexemes and positions of its `search_vector`, stemmed by PostgreSQL), facets and
/// sort keys, so that a search scores, counts and pages all of its matches in microseconds.
///
/// Why in memory: PostgreSQL answers `@@` through its GIN index quickly, but the ranking and the facet counts
/// need every matching row from the heap (a common word matches tens of thousands), which took 100–300 ms
/// per search over 100,000 solutions (p95 1.5 s at 8 clients). Here the matching set is a bitset over
/// posting lists, the facets are counted by each match's combination of values, and only the page's rows
/// come from the database: about 1 ms per search in process, p95 9–13 ms over HTTP at 8 clients (see
/// `bench/run catalogue`). A whole index of 100,000 solutions builds in about 1.5–2 s.
///
/// Relevance is the sum, over the query's words found in the solution, of the weights of where they occur
/// (name 1.0, summary 0.4, description 0.2, tags 0.1, PostgreSQL's default weights), divided by
/// log2(1 + the solution's length in words), as `ts_rank` with normalisation 1 does.
final class CatalogueIndex: Sendable {
    /// The generation and day this index shows.
    struct Stamp: Equatable, Sendable {
        let generation: Int64
        let day: String
    }

    struct Lot: Sendable {
        let id: UUID
        let agreement: Int32
        let number: Int
        let title: String
    }

    struct Named: Sendable {
        let id: UUID
        let name: String
    }

    /// What a search needs of a document, all plain values in one place (the loop over the matches reads
    /// them for every match).
    struct Facts {
        /// Positions in `lots`, `agreements`, `suppliers` and `types`.
        let lot: Int32
        let agreement: Int32
        let supplier: Int32
        let type: UInt8
        /// Position in `steps`.
        let step: UInt8
        let trl: UInt8
        /// Microseconds since 1970.
        let decided: Int64
        /// 1 / log2(1 + the document's length in words).
        let norm: Double
        /// The uuid's bytes as two big-endian numbers: PostgreSQL orders uuids by their bytes.
        let idHigh: UInt64
        let idLow: UInt64
    }

    /// The values of all facets in one row: agreements, lots, suppliers, innovation types, TRL bands,
    /// innovation steps.
    struct FacetLayout: Sendable {
        let lot: Int
        let supplier: Int
        let type: Int
        let band: Int
        let step: Int
        let count: Int

        init(agreements: Int, lots: Int, suppliers: Int) {
            lot = agreements
            supplier = lot + lots
            type = supplier + suppliers
            band = type + CatalogueIndex.types.count
            step = band + 3
            count = step + CatalogueIndex.steps.count
        }

        static func band(of trl: UInt8) -> Int { trl <= 3 ? 0 : trl <= 6 ? 1 : 2 }

        func values(of fact: Facts) -> [Int] {
            [Int(fact.agreement), lot + Int(fact.lot), supplier + Int(fact.supplier), type + Int(fact.type), band + Self.band(of: fact.trl),
             step + Int(fact.step)]
        }
    }

    /// A visible solution, as read to build the index.
    struct Entry {
        let id: UUID
        let lot: UUID
        let supplier: UUID
        let innovationType: Solution.InnovationType
        let innovationStep: InnovationStep
        let trl: Int
        /// Microseconds since 1970, as the cursor keeps them.
        let decided: Int64
        /// `search_vector::text`.
        let vector: String
    }

    let stamp: Stamp
    let lots: [Lot]
    let agreements: [Named]
    let suppliers: [Named]
    // One element per document.
    let ids: [UUID]
    let facts: [Facts]
    /// Where each facet's values lie in `facetSets`, and for each value the documents that have it.
    let facetLayout: FacetLayout
    let facetSets: [Bitset]
    /// The distinct combinations of facet values (their six positions in `facetSets`), and each
    /// document's: counting a match once, by its combination, is cheaper than counting it six times.
    let combinations: [[Int32]]
    let combinationOf: [Int32]
    /// Each facet's values and labels, in the order of `agreements`, `lots` and `suppliers`.
    let facetChoices: (agreements: [(value: String, label: String)], lots: [(value: String, label: String)], suppliers: [(value: String, label: String)])
    let lexemes: [String: Int32]
    let lexemeNames: [String]
    let postings: PostingStore
    /// For similar spellings: each trigram's lexemes (by number), and each lexeme's trigrams in order.
    let lexemesWithTrigram: [Trigrams.Trigram: [Int32]]
    let trigramsOf: [[Trigrams.Trigram]]

    var count: Int { ids.count }

    static let types = Solution.InnovationType.allCases
    static let steps = InnovationStep.allCases

    /// Builds the index of `entries`; entries whose lot or supplier is not among `lots` or `suppliers` are
    /// left out (they are not visible).
    init(stamp: Stamp, lots lotRows: [(id: UUID, agreement: UUID, agreementTitle: String, number: Int, title: String)],
         suppliers supplierRows: [Named], entries: [Entry]) {
        self.stamp = stamp
        var agreements: [Named] = []
        var agreementIndex: [UUID: Int32] = [:]
        var lots: [Lot] = []
        var lotIndex: [UUID: Int32] = [:]
        for row in lotRows {
            let agreement = agreementIndex[row.agreement] ?? {
                agreements.append(Named(id: row.agreement, name: row.agreementTitle))
                agreementIndex[row.agreement] = Int32(agreements.count - 1)
                return Int32(agreements.count - 1)
            }()
            lotIndex[row.id] = Int32(lots.count)
            lots.append(Lot(id: row.id, agreement: agreement, number: row.number, title: row.title))
        }
        var supplierIndex: [UUID: Int32] = [:]
        for (position, supplier) in supplierRows.enumerated() { supplierIndex[supplier.id] = Int32(position) }

        var ids: [UUID] = []
        var facts: [Facts] = []
        var lexemes: [String: Int32] = [:]
        var postings: [PostingStore.List] = []
        // Newest first: then a page of the newest is the first documents of the matching set.
        let newestFirst = entries.map { (key: ($0.decided, Self.key(of: $0.id).0, Self.key(of: $0.id).1), entry: $0) }
            .sorted { $0.key > $1.key }.map(\.entry)
        for entry in newestFirst {
            guard let lot = lotIndex[entry.lot], let supplier = supplierIndex[entry.supplier] else { continue }
            let document = Int32(ids.count)
            var length = 0
            TSVectorText.forEachLexeme(in: entry.vector) { lexeme, positions, weight in
                let id = lexemes[lexeme] ?? {
                    postings.append(PostingStore.List())
                    lexemes[lexeme] = Int32(postings.count - 1)
                    return Int32(postings.count - 1)
                }()
                postings[Int(id)].append(document, weight: weight, positions: positions)
                length += max(positions.count, 1)
            }
            ids.append(entry.id)
            let key = Self.key(of: entry.id)
            facts.append(Facts(lot: lot, agreement: lots[Int(lot)].agreement, supplier: supplier,
                               type: UInt8(Self.types.firstIndex(of: entry.innovationType) ?? 0),
                               step: UInt8(Self.steps.firstIndex(of: entry.innovationStep) ?? 0), trl: UInt8(clamping: entry.trl),
                               decided: entry.decided, norm: length > 0 ? 1 / log2(Double(length) + 1) : 1, idHigh: key.0, idLow: key.1))
        }
        self.agreements = agreements
        self.lots = lots
        facetChoices = (agreements.map { ($0.id.uuidString.lowercased(), $0.name) },
                        lots.map { ($0.id.uuidString.lowercased(), "\($0.number) \($0.title)") },
                        supplierRows.map { ($0.id.uuidString.lowercased(), $0.name) })
        self.suppliers = supplierRows
        self.ids = ids
        self.facts = facts
        let layout = FacetLayout(agreements: agreements.count, lots: lots.count, suppliers: supplierRows.count)
        var facetSets = [Bitset](repeating: Bitset(count: facts.count, filled: false), count: layout.count)
        var combinations: [[Int32]] = []
        var combinationIndex: [[Int32]: Int32] = [:]
        var combinationOf: [Int32] = []
        for (document, fact) in facts.enumerated() {
            let values = layout.values(of: fact)
            for value in values { facetSets[value].insert(Int32(document)) }
            let combination = values.map(Int32.init)
            combinationOf.append(combinationIndex[combination] ?? {
                combinations.append(combination)
                combinationIndex[combination] = Int32(combinations.count - 1)
                return Int32(combinations.count - 1)
            }())
        }
        self.combinations = combinations
        self.combinationOf = combinationOf
        facetLayout = layout
        self.facetSets = facetSets
        self.lexemes = lexemes
        self.postings = PostingStore(postings)
        var trigramsOf = [[Trigrams.Trigram]](repeating: [], count: postings.count)
        var lexemeNames = [String](repeating: "", count: postings.count)
        var lexemesWithTrigram: [Trigrams.Trigram: [Int32]] = [:]
        for (lexeme, id) in lexemes {
            let trigrams = Trigrams.ordered(lexeme)
            trigramsOf[Int(id)] = trigrams
            lexemeNames[Int(id)] = lexeme
            for trigram in Set(trigrams) { lexemesWithTrigram[trigram, default: []].append(id) }
        }
        self.trigramsOf = trigramsOf
        self.lexemeNames = lexemeNames
        self.lexemesWithTrigram = lexemesWithTrigram
    }

    static func key(of id: UUID) -> (UInt64, UInt64) {
        let bytes = id.uuid
        let high = [bytes.0, bytes.1, bytes.2, bytes.3, bytes.4, bytes.5, bytes.6, bytes.7].reduce(0) { $0 << 8 | UInt64($1) }
        let low = [bytes.8, bytes.9, bytes.10, bytes.11, bytes.12, bytes.13, bytes.14, bytes.15].reduce(0) { $0 << 8 | UInt64($1) }
        return (high, low)
    }
}

/// Reads PostgreSQL's text form of a `tsvector`: `'lexeme':1A,5 'other':3B`, with `''` for a quote and
/// `\\` for a backslash inside a lexeme, weight A, B or C after a position (D is written as nothing).
enum TSVectorText {
    /// PostgreSQL's default weights of D, C, B and A.
    static let weights: [Float] = [0.1, 0.2, 0.4, 1.0]

    /// Calls `body` with each lexeme, its positions and the sum of the weights of its positions.
    static func forEachLexeme(in text: String, _ body: (String, [UInt16], Float) -> Void) {
        var text = text
        text.withUTF8 { bytes in
            var at = 0
            var lexeme: [UInt8] = []
            var positions: [UInt16] = []
            while at < bytes.count {
                guard bytes[at] == UInt8(ascii: "'") else { at += 1; continue }
                at += 1
                lexeme.removeAll(keepingCapacity: true)
                guard QuotedLexeme.read(bytes, at: &at, into: &lexeme) else { return }
                positions.removeAll(keepingCapacity: true)
                var weight: Float = 0
                if at < bytes.count, bytes[at] == UInt8(ascii: ":") {
                    at += 1
                    while at < bytes.count {
                        var position = 0
                        while at < bytes.count, bytes[at] >= UInt8(ascii: "0"), bytes[at] <= UInt8(ascii: "9") {
                            position = position * 10 + Int(bytes[at] - UInt8(ascii: "0"))
                            at += 1
                        }
                        var weightClass = 0
                        if at < bytes.count {
                            switch bytes[at] {
                            case UInt8(ascii: "A"): weightClass = 3; at += 1
                            case UInt8(ascii: "B"): weightClass = 2; at += 1
                            case UInt8(ascii: "C"): weightClass = 1; at += 1
                            case UInt8(ascii: "D"): at += 1
                            default: break
                            }
                        }
                        positions.append(UInt16(clamping: position))
                        weight += weights[weightClass]
                        guard at < bytes.count, bytes[at] == UInt8(ascii: ",") else { break }
                        at += 1
                    }
                } else {
                    // A lexeme without positions (a stripped vector) counts once, at the lowest weight.
                    weight = weights[0]
                }
                body(String(decoding: lexeme, as: UTF8.self), positions, weight)
            }
        }
    }
}
