import Foundation

extension CatalogueIndex {
    /// What a search finds: the page's documents in order (one more than asked when there is a next page),
    /// each with its sort key, and the total and facets over the whole matching set.
    struct Found {
        let page: [(document: Int32, score: Double)]
        let total: Int
        let facets: [String: [Catalogue.Facet]]
    }

    /// The documents matching `words` (`nil`: every document) and the filters of `query`, ordered by
    /// relevance when `sortByScore` or else newest first, after `cursor`, at most `limit + 1` of them. A
    /// word's weights count `factors[word]` times (1 when absent) towards relevance.
    func search(_ words: TextQuery.Parsed?, _ query: Catalogue.Query, sortByScore: Bool, after cursor: CatalogueCursor?, limit: Int,
                factors: [String: Double] = [:]) -> Found {
        let matching: Bitset
        switch words {
        case nil: matching = Bitset(count: count, filled: true)
        case .none?: matching = Bitset(count: count, filled: false)
        case .some(let tree)?: matching = matches(tree)
        }
        // The posting lists that score, walked alongside the matches (both ascend by document).
        var scoring = sortByScore ? self.scoring(words, factors: factors) : []
        let filter = Filter(query, in: self)
        let band = query.trl?.range
        var agreementCounts = [Int](repeating: 0, count: agreements.count)
        var lotCounts = [Int](repeating: 0, count: lots.count)
        var supplierCounts = [Int](repeating: 0, count: suppliers.count)
        var typeCounts = [Int](repeating: 0, count: Self.types.count)
        var bandCounts = [0, 0, 0]
        var total = 0
        let after: (Double, UInt64, UInt64)? = cursor.map {
            (sortByScore ? $0.score : Double(Int64(($0.time.timeIntervalSince1970 * 1_000_000).rounded())), Self.key(of: $0.id).0, Self.key(of: $0.id).1)
        }
        var page = TopList(capacity: limit + 1)
        // The hot loop: every match passes here (100,000 for an empty query), so it reads local copies of the
        // columns and walks the bitset's words itself.
        let (lotOf, agreementOf, supplierOf, typeOf, trlOf, normOf, decidedOf, idKeys) =
            (self.lotOf, self.agreementOf, self.supplierOf, self.typeOf, self.trlOf, self.normOf, self.decidedOf, self.idKeys)
        for (index, word) in matching.words.enumerated() {
            var rest = word
            while rest != 0 {
                let d = index << 6 | rest.trailingZeroBitCount
                rest &= rest - 1
                let lot = Int(lotOf[d])
                let agreement = Int(agreementOf[lot])
                let supplier = Int(supplierOf[d])
                let type = Int(typeOf[d])
                guard filter.admits(lot: lot, agreement: agreement, supplier: supplier, type: type) else { continue }
                let trl = Int(trlOf[d])
                if let band, !band.contains(trl) { continue }
                total += 1
                agreementCounts[agreement] += 1
                lotCounts[lot] += 1
                supplierCounts[supplier] += 1
                typeCounts[type] += 1
                bandCounts[trl <= 3 ? 0 : trl <= 6 ? 1 : 2] += 1
                let key = (sortByScore ? Self.score(of: Int32(d), in: &scoring) * normOf[d] : Double(decidedOf[d]), idKeys[d].0, idKeys[d].1)
                if let after, !(key < after) { continue }
                page.offer(key, Int32(d))
            }
        }
        var facets: [String: [Catalogue.Facet]] = [:]
        func add(_ name: String, _ choices: [(value: String, label: String)], _ counts: [Int]) {
            for (choice, count) in zip(choices, counts) where count > 0 {
                facets[name, default: []].append(.init(value: choice.value, label: choice.label, count: count))
            }
        }
        add("agreement", facetChoices.agreements, agreementCounts)
        add("lot", facetChoices.lots, lotCounts)
        add("supplier", facetChoices.suppliers, supplierCounts)
        add("type", Self.types.map { ($0.rawValue, $0.rawValue) }, typeCounts)
        add("trl", Catalogue.TRLBand.allCases.map { ($0.rawValue, $0.rawValue) }, bandCounts)
        for key in facets.keys {
            facets[key]?.sort { ($0.count, $1.label) > ($1.count, $0.label) }
        }
        return Found(page: page.sorted.map { ($0.1, $0.0.0) }, total: total, facets: facets)
    }

    /// The documents whose words match `query`, as PostgreSQL's `@@` decides.
    func matches(_ query: TextQuery) -> Bitset {
        switch query {
        case .word(let word):
            var set = Bitset(count: count, filled: false)
            if let lexeme = lexemes[word] {
                for document in postings[Int(lexeme)].documents { set.insert(document) }
            }
            return set
        case .and(let left, let right):
            var set = matches(left)
            set.formIntersection(matches(right))
            return set
        case .or(let left, let right):
            var set = matches(left)
            set.formUnion(matches(right))
            return set
        case .not(let inner):
            var set = matches(inner)
            set.invert()
            return set
        case .phrase:
            // The documents with every word of the phrase, then those where the words stand as the phrase says.
            var candidates = Bitset(count: count, filled: true)
            for word in query.positiveWords { candidates.formIntersection(matches(.word(word))) }
            var set = Bitset(count: count, filled: false)
            if let chain = Self.chain(query) {
                // Every word is in the catalogue, or there are no candidates.
                let lists = chain.compactMap { lexemes[$0.word].map { postings[Int($0)] } }
                let offsets = chain.map(\.offset)
                // Candidates ascend, so each list is walked once, not searched.
                var next = [Int](repeating: 0, count: lists.count)
                var positions: [ArraySlice<UInt16>] = []
                candidates.forEach { document in
                    positions.removeAll(keepingCapacity: true)
                    for (index, list) in lists.enumerated() {
                        while next[index] < list.documents.count, list.documents[next[index]] < document { next[index] += 1 }
                        let at = next[index]
                        guard at < list.documents.count, list.documents[at] == document else { return }
                        positions.append(list.positions[Int(list.offsets[at])..<Int(list.offsets[at + 1])])
                    }
                    if Self.stands(positions, at: offsets) { set.insert(document) }
                }
            } else {
                candidates.forEach { document in
                    if let found = ends(of: query, in: document), !found.ends.isEmpty { set.insert(document) }
                }
            }
            return set
        }
    }

    /// A phrase of words one after the other (`a <-> b <2> c`, as quotes make them) as each word and its
    /// offset from the first; `nil` for any other shape.
    static func chain(_ query: TextQuery) -> [(word: String, offset: Int)]? {
        switch query {
        case .word(let word): return [(word, 0)]
        case .phrase(let left, .word(let word), let distance):
            guard let chain = chain(left), let last = chain.last else { return nil }
            return chain + [(word, last.offset + distance)]
        default: return nil
        }
    }

    /// Whether some position p of the first word has every other word at p + its offset.
    static func stands(_ positions: [ArraySlice<UInt16>], at offsets: [Int]) -> Bool {
        guard let first = positions.first, positions.count == offsets.count else { return false }
        return first.contains { start in
            (1..<positions.count).allSatisfy { k in
                let wanted = Int(start) + offsets[k]
                return wanted <= Int(UInt16.max) && positions[k].contains(UInt16(wanted))
            }
        }
    }

    /// Where a phrase (or word) ends in `document`, and how many positions it spans after its first word; as
    /// PostgreSQL places `left <N> right`: right's end is N + right's width after left's end.
    private func ends(of query: TextQuery, in document: Int32) -> (ends: [Int], width: Int)? {
        switch query {
        case .word(let word):
            guard let lexeme = lexemes[word], let positions = postings[Int(lexeme)].positions(of: document) else { return nil }
            return (positions.map(Int.init), 0)
        case .phrase(let left, let right, let distance):
            guard let left = ends(of: left, in: document), let right = ends(of: right, in: document) else { return nil }
            // Both ascending: one walk through each.
            var ends: [Int] = []
            var next = 0
            for end in right.ends {
                let wanted = end - distance - right.width
                while next < left.ends.count, left.ends[next] < wanted { next += 1 }
                if next < left.ends.count, left.ends[next] == wanted { ends.append(end) }
            }
            return (ends, left.width + right.width + distance)
        case .and, .or, .not:
            return nil
        }
    }

    /// A posting list that counts towards relevance, with how much, and how far the walk through it has come.
    struct Scoring {
        let list: Postings
        let factor: Double
        var next = 0
    }

    /// The query's words that count towards relevance (not the negated ones).
    private func scoring(_ words: TextQuery.Parsed?, factors: [String: Double]) -> [Scoring] {
        guard case .some(let tree)? = words else { return [] }
        return Set(tree.positiveWords).sorted().compactMap { word in
            lexemes[word].map { Scoring(list: postings[Int($0)], factor: factors[word] ?? 1) }
        }
    }

    /// `document`'s summed weights of the scoring words (before the length normalisation); documents must
    /// come in ascending order.
    static func score(of document: Int32, in scoring: inout [Scoring]) -> Double {
        var score = 0.0
        for index in scoring.indices {
            let documents = scoring[index].list.documents
            var next = scoring[index].next
            while next < documents.count, documents[next] < document { next += 1 }
            if next < documents.count, documents[next] == document { score += Double(scoring[index].list.weights[next]) * scoring[index].factor }
            scoring[index].next = next
        }
        return score
    }

    /// The query of similar spellings for `query`'s words: each word is one of the (at most 20) most
    /// similar words of the catalogue (`Trigrams.wordSimilarity` at least `threshold`), and every word
    /// must be there; with each similar word's similarity as its factor. `nil` when a word has none.
    func similar(to query: TextQuery, threshold: Double = 0.45) -> (query: TextQuery, factors: [String: Double])? {
        var groups: [TextQuery] = []
        var factors: [String: Double] = [:]
        for word in Set(query.positiveWords).sorted() {
            let wanted = Set(Trigrams.ordered(word))
            var shared: [Int32: Int] = [:]
            for trigram in wanted {
                for lexeme in lexemesWithTrigram[trigram] ?? [] { shared[lexeme, default: 0] += 1 }
            }
            // A lexeme's similarity is at most its shared trigrams over the word's: most need no closer look.
            var alike: [(word: String, similarity: Double)] = []
            for (lexeme, count) in shared where Double(count) / Double(wanted.count) >= threshold {
                let similarity = Trigrams.wordSimilarity(wanted, trigramsOf[Int(lexeme)])
                if similarity >= threshold { alike.append((lexemeNames[Int(lexeme)], similarity)) }
            }
            alike.sort { ($0.similarity, $1.word) > ($1.similarity, $0.word) }
            guard let best = alike.first else { return nil }
            for (word, similarity) in alike.prefix(20) { factors[word] = max(factors[word] ?? 0, similarity) }
            groups.append(alike.prefix(20).dropFirst().reduce(TextQuery.word(best.word)) { .or($0, .word($1.word)) })
        }
        guard let first = groups.first else { return nil }
        return (groups.dropFirst().reduce(first) { .and($0, $1) }, factors)
    }

    /// The filters of a query as positions in this index; a filter naming what the index does not have
    /// admits nothing.
    private struct Filter {
        let lot: Int?
        let agreement: Int?
        let supplier: Int?
        let type: Int?

        init(_ query: Catalogue.Query, in index: CatalogueIndex) {
            lot = query.lotID.map { id in index.lots.firstIndex { $0.id == id } ?? -1 }
            agreement = query.agreementID.map { id in index.agreements.firstIndex { $0.id == id } ?? -1 }
            supplier = query.supplierID.map { id in index.suppliers.firstIndex { $0.id == id } ?? -1 }
            type = query.innovationType.map { type in CatalogueIndex.types.firstIndex(of: type) ?? -1 }
        }

        func admits(lot: Int, agreement: Int, supplier: Int, type: Int) -> Bool {
            (self.lot == nil || self.lot == lot) && (self.agreement == nil || self.agreement == agreement)
                && (self.supplier == nil || self.supplier == supplier) && (self.type == nil || self.type == type)
        }
    }
}

/// The best `capacity` documents by a descending key, kept sorted; a document enters only if it beats the worst.
struct TopList {
    typealias Key = (Double, UInt64, UInt64)
    let capacity: Int
    private(set) var sorted: [(Key, Int32)] = []

    init(capacity: Int) {
        self.capacity = capacity
        sorted.reserveCapacity(capacity + 1)
    }

    mutating func offer(_ key: Key, _ document: Int32) {
        if sorted.count == capacity, let worst = sorted.last, !(worst.0 < key) { return }
        var low = 0
        var high = sorted.count
        while low < high {
            let middle = (low + high) / 2
            if key < sorted[middle].0 { low = middle + 1 } else { high = middle }
        }
        sorted.insert((key, document), at: low)
        if sorted.count > capacity { sorted.removeLast() }
    }
}

/// A set of document numbers as bits.
struct Bitset {
    private(set) var words: [UInt64]
    let count: Int

    init(count: Int, filled: Bool) {
        self.count = count
        words = [UInt64](repeating: filled ? ~0 : 0, count: (count + 63) / 64)
        if filled { clearTail() }
    }

    mutating func insert(_ member: Int32) {
        words[Int(member) >> 6] |= 1 << UInt64(Int(member) & 63)
    }

    mutating func formIntersection(_ other: Bitset) {
        for index in words.indices { words[index] &= other.words[index] }
    }

    mutating func formUnion(_ other: Bitset) {
        for index in words.indices { words[index] |= other.words[index] }
    }

    mutating func invert() {
        for index in words.indices { words[index] = ~words[index] }
        clearTail()
    }

    /// Calls `body` with each member, ascending.
    func forEach(_ body: (Int32) -> Void) {
        for (index, word) in words.enumerated() {
            var rest = word
            while rest != 0 {
                body(Int32(index << 6 | rest.trailingZeroBitCount))
                rest &= rest - 1
            }
        }
    }

    private mutating func clearTail() {
        let used = count & 63
        if used != 0, !words.isEmpty { words[words.count - 1] &= (1 << UInt64(used)) - 1 }
    }
}
