import FrameworkAgreements
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
        var matching: Bitset
        switch words {
        case nil: matching = Bitset(count: count, filled: true)
        case .none?: matching = Bitset(count: count, filled: false)
        case .some(let tree)?: matching = matches(tree)
        }
        // The filters narrow the matching set through their values' sets.
        for value in filterValues(query) {
            if let value { matching.formIntersection(facetSets[value]) } else { matching = Bitset(count: count, filled: false) }
        }
        let total = matching.memberCount
        // Counts per value over the narrowed set: one count per match, of its combination of facet values
        // (far fewer combinations than documents), then each combination's count to its six values.
        let layout = facetLayout
        var comboCounts = [Int32](repeating: 0, count: combinations.count)
        combinationOf.withUnsafeBufferPointer { combinationOf in
            comboCounts.withUnsafeMutableBufferPointer { comboCounts in
                matching.forEach { comboCounts[Int(combinationOf[Int($0)])] += 1 }
            }
        }
        var counts = [Int](repeating: 0, count: layout.count)
        for (combination, count) in zip(combinations, comboCounts) where count > 0 {
            for value in combination { counts[Int(value)] += Int(count) }
        }
        let page = sortByScore
            ? bestScored(matching, words, factors: factors, after: cursor, limit: limit)
            : newest(matching, after: cursor, limit: limit)
        var groups: [String: [Catalogue.Facet]] = [:]
        func add(_ name: String, _ choices: [(value: String, label: String)], _ counts: ArraySlice<Int>) {
            for (choice, count) in zip(choices, counts) where count > 0 {
                groups[name, default: []].append(.init(value: choice.value, label: choice.label, count: count))
            }
        }
        add("agreement", facetChoices.agreements, counts[..<layout.lot])
        add("lot", facetChoices.lots, counts[layout.lot..<layout.supplier])
        add("supplier", facetChoices.suppliers, counts[layout.supplier..<layout.type])
        add("type", Self.types.map { ($0.rawValue, $0.rawValue) }, counts[layout.type..<layout.band])
        add("trl", Catalogue.TRLBand.allCases.map { ($0.rawValue, $0.rawValue) }, counts[layout.band..<layout.step])
        add("step", Self.steps.map { ($0.rawValue, $0.rawValue) }, counts[layout.step...])
        for key in groups.keys {
            groups[key]?.sort { ($0.count, $1.label) > ($1.count, $0.label) }
        }
        return Found(page: page, total: total, facets: groups)
    }

    /// The best `limit + 1` of `matching` by relevance (then id, descending), after `cursor`.
    private func bestScored(_ matching: Bitset, _ words: TextQuery.Parsed?, factors: [String: Double], after cursor: CatalogueCursor?,
                            limit: Int) -> [(document: Int32, score: Double)] {
        let after: TopList.Key? = cursor.map { ($0.score, Self.key(of: $0.id).0, Self.key(of: $0.id).1) }
        var page = TopList(capacity: limit + 1)
        // Each document's summed weights of the scoring words, list by list (a walk through each posting
        // list costs less than finding each match in each list).
        let scores = UnsafeMutableBufferPointer<Double>.allocate(capacity: count)
        defer { scores.deallocate() }
        scores.initialize(repeating: 0)
        postings.withView { view in
            for (lexeme, factor) in scoringLexemes(words, factors: factors) {
                for posting in view.postings(of: lexeme) { scores[Int(view.documents[posting])] += Double(view.weights[posting]) * factor }
            }
        }
        facts.withUnsafeBufferPointer { facts in
            matching.forEach { document in
                let fact = facts[Int(document)]
                let score = scores[Int(document)] * fact.norm
                // Most matches fall below the page's worst by score alone.
                if score < page.floor { return }
                let key = (score, fact.idHigh, fact.idLow)
                if let after, !(key < after) { return }
                page.offer(key, document)
            }
        }
        return page.sorted.map { ($0.1, $0.0.0) }
    }

    /// The first `limit + 1` of `matching` after `cursor`: documents are numbered newest first.
    private func newest(_ matching: Bitset, after cursor: CatalogueCursor?, limit: Int) -> [(document: Int32, score: Double)] {
        var start = 0
        if let cursor {
            // The first document older than the cursor's (decided, id), by bisection.
            let key = (Int64((cursor.time.timeIntervalSince1970 * 1_000_000).rounded()), Self.key(of: cursor.id).0, Self.key(of: cursor.id).1)
            var end = facts.count
            while start < end {
                let middle = (start + end) / 2
                let fact = facts[middle]
                if (fact.decided, fact.idHigh, fact.idLow) < key { end = middle } else { start = middle + 1 }
            }
        }
        return matching.members(from: start, count: limit + 1).map { ($0, 0) }
    }

    /// The documents whose words match `query`, as PostgreSQL's `@@` decides.
    func matches(_ query: TextQuery) -> Bitset {
        switch query {
        case .word(let word):
            var set = Bitset(count: count, filled: false)
            if let lexeme = lexemes[word] {
                postings.withView { view in
                    for posting in view.postings(of: lexeme) { set.insert(view.documents[posting]) }
                }
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
                let lexemes = chain.compactMap { self.lexemes[$0.word] }
                let offsets = chain.map(\.offset)
                postings.withView { view in
                    // Candidates ascend, so each list is walked once, not searched.
                    var lists = lexemes.map { view.postings(of: $0) }
                    var positions: [Slice<UnsafeBufferPointer<UInt16>>] = []
                    candidates.forEach { document in
                        positions.removeAll(keepingCapacity: true)
                        for index in lists.indices {
                            var at = lists[index].lowerBound
                            while at < lists[index].upperBound, view.documents[at] < document { at += 1 }
                            lists[index] = at..<lists[index].upperBound
                            guard at < lists[index].upperBound, view.documents[at] == document else { return }
                            positions.append(view.positions(at: at))
                        }
                        if Self.stands(positions, at: offsets) { set.insert(document) }
                    }
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
    static func stands(_ positions: [Slice<UnsafeBufferPointer<UInt16>>], at offsets: [Int]) -> Bool {
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
            guard let lexeme = lexemes[word] else { return nil }
            return postings.withView { view in
                view.posting(of: document, in: view.postings(of: lexeme)).map { (view.positions(at: $0).map(Int.init), 0) }
            }
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

    /// The query's words that count towards relevance (not the negated ones), with their factors.
    private func scoringLexemes(_ words: TextQuery.Parsed?, factors: [String: Double]) -> [(Int32, Double)] {
        guard case .some(let tree)? = words else { return [] }
        return Set(tree.positiveWords).sorted().compactMap { word in lexemes[word].map { ($0, factors[word] ?? 1) } }
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

    /// The facet values that `query`'s filters ask for, as positions in `facetSets`; `nil` for a value this
    /// index does not have (it admits nothing).
    private func filterValues(_ query: Catalogue.Query) -> [Int?] {
        var values: [Int?] = []
        if let id = query.agreementID { values.append(agreements.firstIndex { $0.id == id }) }
        if let id = query.lotID { values.append(lots.firstIndex { $0.id == id }.map { facetLayout.lot + $0 }) }
        if let id = query.supplierID { values.append(suppliers.firstIndex { $0.id == id }.map { facetLayout.supplier + $0 }) }
        if let type = query.innovationType { values.append(Self.types.firstIndex(of: type).map { facetLayout.type + $0 }) }
        if let band = query.trl { values.append(Catalogue.TRLBand.allCases.firstIndex(of: band).map { facetLayout.band + $0 }) }
        if let step = query.innovationStep { values.append(Self.steps.firstIndex(of: step).map { facetLayout.step + $0 }) }
        return values
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

    /// Below this first key nothing enters: the worst kept one's once the list is full.
    private(set) var floor = -Double.infinity

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
        if sorted.count == capacity, let worst = sorted.last { floor = worst.0.0 }
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

    var memberCount: Int { words.reduce(0) { $0 + $1.nonzeroBitCount } }

    /// The first `count` members from `start` on, ascending.
    func members(from start: Int, count: Int) -> [Int32] {
        var members: [Int32] = []
        var index = start >> 6
        guard index < words.count, count > 0 else { return [] }
        var rest = words[index] & (~0 << UInt64(start & 63))
        while true {
            while rest != 0 {
                members.append(Int32(index << 6 | rest.trailingZeroBitCount))
                if members.count == count { return members }
                rest &= rest - 1
            }
            index += 1
            guard index < words.count else { return members }
            rest = words[index]
        }
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
