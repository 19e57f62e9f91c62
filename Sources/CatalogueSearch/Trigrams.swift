import FrameworkAgreements
/// Trigrams as `pg_trgm` makes them, for similar spellings: lower case, words split at anything but letters
/// and digits, each word padded with two spaces before and one after, every three characters in a row.
enum Trigrams {
    /// Three Unicode scalars, 21 bits each.
    typealias Trigram = UInt64

    /// The trigrams of `text`, word after word, in order (repeats kept).
    static func ordered(_ text: String) -> [Trigram] {
        var trigrams: [Trigram] = []
        let space = UInt64(Unicode.Scalar(" ").value)
        for word in text.lowercased().unicodeScalars.split(whereSeparator: { !($0.properties.isAlphabetic || $0.properties.numericType != nil) }) {
            var window: (UInt64, UInt64) = (space, space)
            for scalar in Array(word) + [" " as Unicode.Scalar] {
                let next = UInt64(scalar.value)
                trigrams.append(window.0 << 42 | window.1 << 21 | next)
                window = (window.1, next)
            }
        }
        return trigrams
    }

    /// `pg_trgm`'s `word_similarity`: the greatest similarity (shared trigrams over all trigrams) between
    /// the set `word` and any run of consecutive trigrams of `other`.
    static func wordSimilarity(_ word: Set<Trigram>, _ other: [Trigram]) -> Double {
        guard !word.isEmpty else { return 0 }
        var best = 0.0
        for start in other.indices {
            var extent = Set<Trigram>()
            var shared = 0
            for trigram in other[start...] {
                guard extent.insert(trigram).inserted else { continue }
                if word.contains(trigram) { shared += 1 }
                best = max(best, Double(shared) / Double(word.count + extent.count - shared))
            }
        }
        return best
    }
}
