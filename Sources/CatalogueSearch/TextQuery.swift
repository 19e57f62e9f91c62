import FrameworkAgreements
import Foundation

/// A PostgreSQL `tsquery` as a tree, read from its text form (what `websearch_to_tsquery(...)::text` prints),
/// so that the catalogue's index can evaluate exactly what PostgreSQL's `@@` would: words (lexemes, already
/// stemmed by PostgreSQL), `&`, `|`, `!` and phrases (`<->`, `<N>`).
///
/// Prefix (`:*`) and weight (`:AB`) marks, which `websearch_to_tsquery` never makes, are not read: such a
/// query, or a phrase over anything but words and phrases, is `nil` and the database answers it instead.
indirect enum TextQuery: Equatable, Sendable {
    case word(String)
    case and(TextQuery, TextQuery)
    case or(TextQuery, TextQuery)
    case not(TextQuery)
    /// `left <distance> right`: right begins `distance` positions after left ends.
    case phrase(TextQuery, TextQuery, distance: Int)

    /// The query of `text`; `nil` for what is not read (see above). An empty text (only stop words) is `.none`.
    static func parse(_ text: String) -> Parsed? {
        var parser = Parser(bytes: Array(text.utf8))
        parser.skipSpaces()
        if parser.atEnd { return Parsed.none }
        guard let query = parser.orExpression(), parser.skipSpaces(), parser.atEnd else { return nil }
        return .some(query)
    }

    enum Parsed: Equatable {
        /// The query has no words (all stop words): it matches nothing, as in PostgreSQL.
        case none
        case some(TextQuery)
    }

    /// The words that count towards relevance: those that must or may be present, not the negated ones.
    var positiveWords: [String] {
        switch self {
        case .word(let word): [word]
        case .and(let left, let right), .or(let left, let right), .phrase(let left, let right, _): left.positiveWords + right.positiveWords
        case .not: []
        }
    }

    /// Whether this is a phrase over words and phrases only (what the index can place by position).
    var isPositional: Bool {
        switch self {
        case .word: true
        case .phrase(let left, let right, _): left.isPositional && right.isPositional
        case .and, .or, .not: false
        }
    }

    /// The query in PostgreSQL's text form, which `::tsquery` reads back.
    var text: String {
        switch self {
        case .word(let word):
            "'" + word.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "''") + "'"
        case .and(let left, let right): "( \(left.text) & \(right.text) )"
        case .or(let left, let right): "( \(left.text) | \(right.text) )"
        case .not(let inner): "!( \(inner.text) )"
        case .phrase(let left, let right, let distance): "( \(left.text) <\(distance)> \(right.text) )"
        }
    }

    /// Whether the index can evaluate this exactly: every phrase is over words and phrases only.
    var isIndexable: Bool {
        switch self {
        case .word: true
        case .and(let left, let right), .or(let left, let right): left.isIndexable && right.isIndexable
        case .not(let inner): inner.isIndexable
        case .phrase: isPositional
        }
    }

    /// Recursive descent in PostgreSQL's precedence: `|` binds loosest, then `&`, then `<->`, then `!`.
    private struct Parser {
        let bytes: [UInt8]
        var at = 0

        var atEnd: Bool { at >= bytes.count }

        @discardableResult
        mutating func skipSpaces() -> Bool {
            while at < bytes.count, bytes[at] == UInt8(ascii: " ") { at += 1 }
            return true
        }

        mutating func take(_ byte: UInt8) -> Bool {
            skipSpaces()
            guard at < bytes.count, bytes[at] == byte else { return false }
            at += 1
            return true
        }

        mutating func orExpression() -> TextQuery? {
            guard var left = andExpression() else { return nil }
            while take(UInt8(ascii: "|")) {
                guard let right = andExpression() else { return nil }
                left = .or(left, right)
            }
            return left
        }

        mutating func andExpression() -> TextQuery? {
            guard var left = phraseExpression() else { return nil }
            while take(UInt8(ascii: "&")) {
                guard let right = phraseExpression() else { return nil }
                left = .and(left, right)
            }
            return left
        }

        mutating func phraseExpression() -> TextQuery? {
            guard var left = unary() else { return nil }
            while let distance = phraseOperator() {
                guard let right = unary() else { return nil }
                left = .phrase(left, right, distance: distance)
            }
            return left
        }

        /// `<->` (distance 1) or `<N>`; leaves the position alone when there is none.
        mutating func phraseOperator() -> Int? {
            skipSpaces()
            guard at < bytes.count, bytes[at] == UInt8(ascii: "<") else { return nil }
            var cursor = at + 1
            if cursor < bytes.count, bytes[cursor] == UInt8(ascii: "-") {
                cursor += 1
                guard cursor < bytes.count, bytes[cursor] == UInt8(ascii: ">") else { return nil }
                at = cursor + 1
                return 1
            }
            var distance = 0
            var digits = 0
            while cursor < bytes.count, bytes[cursor] >= UInt8(ascii: "0"), bytes[cursor] <= UInt8(ascii: "9"), digits < 6 {
                distance = distance * 10 + Int(bytes[cursor] - UInt8(ascii: "0"))
                cursor += 1
                digits += 1
            }
            guard digits > 0, cursor < bytes.count, bytes[cursor] == UInt8(ascii: ">") else { return nil }
            at = cursor + 1
            return distance
        }

        mutating func unary() -> TextQuery? {
            if take(UInt8(ascii: "!")) { return unary().map { .not($0) } }
            if take(UInt8(ascii: "(")) {
                guard let inner = orExpression(), take(UInt8(ascii: ")")) else { return nil }
                return inner
            }
            return word()
        }

        /// A quoted lexeme: `'…'`, with `''` for a quote and `\x` for x. A `:` after it (prefix or weights)
        /// is not read.
        mutating func word() -> TextQuery? {
            guard take(UInt8(ascii: "'")) else { return nil }
            var lexeme: [UInt8] = []
            guard QuotedLexeme.read(bytes, at: &at, into: &lexeme) else { return nil }
            if at < bytes.count, bytes[at] == UInt8(ascii: ":") { return nil }
            return .word(String(decoding: lexeme, as: UTF8.self))
        }
    }
}

/// A lexeme as PostgreSQL quotes it in the text forms of `tsvector` and `tsquery`: between single quotes,
/// with `''` for a quote and `\x` for x.
enum QuotedLexeme {
    /// Reads from just after the opening quote to just after the closing one, appending the lexeme to
    /// `lexeme`; false when the quote does not close.
    static func read<Bytes: RandomAccessCollection<UInt8>>(_ bytes: Bytes, at: inout Int, into lexeme: inout [UInt8]) -> Bool
    where Bytes.Index == Int {
        while at < bytes.endIndex {
            let byte = bytes[at]
            at += 1
            if byte == UInt8(ascii: "\\") {
                guard at < bytes.endIndex else { return false }
                lexeme.append(bytes[at])
                at += 1
            } else if byte == UInt8(ascii: "'") {
                guard at < bytes.endIndex, bytes[at] == UInt8(ascii: "'") else { return true }
                lexeme.append(byte)
                at += 1
            } else {
                lexeme.append(byte)
            }
        }
        return false
    }
}
