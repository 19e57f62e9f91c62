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
        let filter = Filter(query, in: self)
        let band = query.trl.map { UInt8($0.range.lowerBound)...UInt8($0.range.upperBound) }
        let after: TopList.Key? = cursor.map {
            let key = Self.key(of: $0.id)
            return (sortByScore ? $0.score : Double(Int64(($0.time.timeIntervalSince1970 * 1_000_000).rounded())), key.0, key.1)
        }
        // Counts of every facet value in one array: agreements, lots, suppliers, types, TRL bands.
        let bases = (lot: agreements.count, supplier: agreements.count + lots.count, type: agreements.count + lots.count + suppliers.count,
                     band: agreements.count + lots.count + suppliers.count + Self.types.count)
        var counts = [Int](repeating: 0, count: bases.band + 3)
        var total = 0
        var page = TopList(capacity: limit + 1)
        var scoring = Scoring(sortByScore ? scoringLists(words, factors: factors) : [])
        defer { scoring.deallocate() }
        // The hot loop: every match passes here (100,000 for an empty query), so it reads plain values
        // through pointers and walks the bitset's words itself.
        facts.withUnsafeBufferPointer { facts in
            counts.withUnsafeMutableBufferPointer { counts in
                for (index, word) in matching.words.enumerated() {
                    var rest = word
                    while rest != 0 {
                        let d = index << 6 | rest.trailingZeroBitCount
                        rest &= rest - 1
                        let fact = facts[d]
                        guard filter.admits(fact) else { continue }
                        if let band, !band.contains(fact.trl) { continue }
                        total += 1
                        counts[Int(fact.agreement)] += 1
                        counts[bases.lot + Int(fact.lot)] += 1
                        counts[bases.supplier + Int(fact.supplier)] += 1
                        counts[bases.type + Int(fact.type)] += 1
                        counts[bases.band + (fact.trl <= 3 ? 0 : fact.trl <= 6 ? 1 : 2)] += 1
                        let key = (sortByScore ? scoring.score(of: Int32(d)) * fact.norm : Double(fact.decided), fact.idHigh, fact.idLow)
                        if let after, !(key < after) { continue }
                        page.offer(key, Int32(d))
                    }
                }
            }
        }
        var facets: [String: [Catalogue.Facet]] = [:]
        func add(_ name: String, _ choices: [(value: String, label: String)], _ counts: [Int]) {
            for (choice, count) in zip(choices, counts) where count > 0 {
                facets[name, default: []].append(.init(value: choice.value, label: choice.label, count: count))
            }
        }
        add("agreement", facetChoices.agreements, Array(counts[..<bases.lot]))
        add("lot", facetChoices.lots, Array(counts[bases.lot..<bases.supplier]))
        add("supplier", facetChoices.suppliers, Array(counts[bases.supplier..<bases.type]))
        add("type", Self.types.map { ($0.rawValue, $0.rawValue) }, Array(counts[bases.type..<bases.band]))
        add("trl", Catalogue.TRLBand.allCases.map { ($0.rawValue, $0.rawValue) }, Array(counts[bases.band...]))
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

    /// The posting lists that count towards relevance, each with its factor, copied for the walk alongside
    /// the matches (both ascend by document): reading them through pointers keeps the loop free of
    /// reference counting.
    struct Scoring {
        private var lists: [(documents: UnsafeMutableBufferPointer<Int32>, weights: UnsafeMutableBufferPointer<Float>, factor: Double)]
        private var next: [Int]

        init(_ lists: [(Postings, Double)]) {
            self.lists = lists.map { list, factor in
                let documents = UnsafeMutableBufferPointer<Int32>.allocate(capacity: list.documents.count)
                _ = documents.initialize(from: list.documents)
                let weights = UnsafeMutableBufferPointer<Float>.allocate(capacity: list.weights.count)
                _ = weights.initialize(from: list.weights)
                return (documents, weights, factor)
            }
            next = [Int](repeating: 0, count: lists.count)
        }

        func deallocate() {
            for list in lists {
                list.documents.deallocate()
                list.weights.deallocate()
            }
        }

        /// `document`'s summed weights of the scoring words (before the length normalisation); documents
        /// must come in ascending order.
        mutating func score(of document: Int32) -> Double {
            var score = 0.0
            for index in lists.indices {
                let list = lists[index]
                var at = next[index]
                while at < list.documents.count, list.documents[at] < document { at += 1 }
                if at < list.documents.count, list.documents[at] == document { score += Double(list.weights[at]) * list.factor }
                next[index] = at
            }
            return score
        }
    }

    /// The query's words that count towards relevance (not the negated ones), with their factors.
    private func scoringLists(_ words: TextQuery.Parsed?, factors: [String: Double]) -> [(Postings, Double)] {
        guard case .some(let tree)? = words else { return [] }
        return Set(tree.positiveWords).sorted().compactMap { word in
            lexemes[word].map { (postings[Int($0)], factors[word] ?? 1) }
        }
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
        let lot: Int32?
        let agreement: Int32?
        let supplier: Int32?
        let type: UInt8?

        init(_ query: Catalogue.Query, in index: CatalogueIndex) {
            lot = query.lotID.map { id in index.lots.firstIndex { $0.id == id }.map(Int32.init) ?? -1 }
            agreement = query.agreementID.map { id in index.agreements.firstIndex { $0.id == id }.map(Int32.init) ?? -1 }
            supplier = query.supplierID.map { id in index.suppliers.firstIndex { $0.id == id }.map(Int32.init) ?? -1 }
            type = query.innovationType.map { type in CatalogueIndex.types.firstIndex(of: type).map(UInt8.init) ?? UInt8.max }
        }

        func admits(_ facts: Facts) -> Bool {
            (lot == nil || lot == facts.lot) && (agreement == nil || agreement == facts.agreement)
                && (supplier == nil || supplier == facts.supplier) && (type == nil || type == facts.type)
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
