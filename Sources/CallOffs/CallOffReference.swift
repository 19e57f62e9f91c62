/// A call-off's reference, numbered per authority and year: `AVR-2026-0042`.
public struct CallOffReference: Sendable, Hashable, CustomStringConvertible {
    public let year: Int
    public let number: Int

    public init(year: Int, number: Int) {
        self.year = year
        self.number = number
    }

    /// Reads `AVR-YYYY-NNNN` (four digits or more for the number); `nil` for anything else.
    public init?(_ text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "AVR", parts[1].count == 4, parts[2].count >= 4,
              parts[1].allSatisfy(\.isASCIIDigit), parts[2].allSatisfy(\.isASCIIDigit),
              let year = Int(parts[1]), let number = Int(parts[2]), number > 0
        else { return nil }
        self.init(year: year, number: number)
    }

    public var description: String {
        let digits = String(number)
        return "AVR-\(year)-" + String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
