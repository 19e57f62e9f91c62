/// A statement with its parameters. Built by string interpolation, every interpolated value becomes a bound
/// parameter (`$1`, `$2`, …) and never part of the text:
///
/// ```swift
/// let rows = try await connection.query("SELECT id FROM avrop.organization WHERE name = \(name)")
/// ```
///
/// Raw text can only enter through `\(unsafeRaw:)` or `SQL(unsafeRaw:)`, meant for identifiers known at
/// compile time.
public struct SQL: Sendable, ExpressibleByStringInterpolation, CustomStringConvertible {
    /// The statement text with `$n` placeholders.
    public private(set) var text: String
    /// The parameters, in placeholder order.
    public private(set) var binds: [PostgresBind]

    /// Raw text with no parameters. Never pass anything that came from outside the program.
    public init(unsafeRaw text: String) {
        self.text = text
        self.binds = []
    }

    public init(stringLiteral value: String) {
        self.init(unsafeRaw: value)
    }

    public init(stringInterpolation: StringInterpolation) {
        self.text = stringInterpolation.text
        self.binds = stringInterpolation.binds
    }

    /// The text only: parameter values are never part of a description.
    public var description: String { text }

    public struct StringInterpolation: StringInterpolationProtocol {
        var text: String
        var binds: [PostgresBind]

        public init(literalCapacity: Int, interpolationCount: Int) {
            self.text = ""
            self.text.reserveCapacity(literalCapacity + interpolationCount * 3)
            self.binds = []
            self.binds.reserveCapacity(interpolationCount)
        }

        public mutating func appendLiteral(_ literal: String) {
            text += literal
        }

        /// Binds `value` as the next parameter.
        public mutating func appendInterpolation<Value: PostgresEncodable>(_ value: Value) {
            binds.append(value.postgresBind())
            text += "$\(binds.count)"
        }

        /// Binds `value` as the next parameter; `nil` is SQL NULL. (Spelled out so that optionals need no
        /// cast to silence the compiler's warning about optionals in interpolations.)
        public mutating func appendInterpolation<Value: PostgresEncodable>(_ value: Value?) {
            binds.append(value.postgresBind())
            text += "$\(binds.count)"
        }

        /// Appends another statement's text and parameters (its `$n` renumbered after those before it), for
        /// statements built from parts: a column list, an optional clause.
        public mutating func appendInterpolation(_ fragment: SQL) {
            guard !fragment.binds.isEmpty else {
                text += fragment.text
                return
            }
            let offset = binds.count
            var rest = Substring(fragment.text)
            while let dollar = rest.firstIndex(of: "$") {
                text += rest[..<dollar]
                let digits = rest[rest.index(after: dollar)...].prefix { $0.isASCII && $0.isNumber }
                if let number = Int(digits) {
                    text += "$\(number + offset)"
                } else {
                    text += "$"
                }
                rest = rest[rest.index(dollar, offsetBy: 1 + digits.count)...]
            }
            text += rest
            binds += fragment.binds
        }

        /// Inserts text verbatim. Only for identifiers fixed at compile time.
        public mutating func appendInterpolation(unsafeRaw raw: String) {
            text += raw
        }
    }
}
