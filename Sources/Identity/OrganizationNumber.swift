/// A Swedish organisation number (organisationsnummer): ten digits, the last a Luhn check digit over the
/// first nine. Written `NNNNNN-NNNN` or as ten digits; stored as ten digits.
public struct OrganizationNumber: Hashable, Sendable, CustomStringConvertible {
    /// The ten digits.
    public let digits: String

    /// Why a text is not an organisation number.
    public enum Problem: Error, Equatable, Sendable, CustomStringConvertible {
        case notTenDigits
        case wrongCheckDigit

        public var description: String {
            switch self {
            case .notTenDigits: "an organisation number has ten digits, e.g. 556677-8899"
            case .wrongCheckDigit: "the check digit (the last one) is wrong: check the number for a typo"
            }
        }
    }

    /// Parses `text`, accepting one hyphen before the last four digits and surrounding spaces.
    public init(_ text: String) throws(Problem) {
        var cleaned = Substring(text).drop { $0 == " " }
        while cleaned.last == " " { cleaned = cleaned.dropLast() }
        if cleaned.count == 11, cleaned[cleaned.index(cleaned.startIndex, offsetBy: 6)] == "-" {
            cleaned = cleaned.prefix(6) + cleaned.suffix(4)
        }
        guard cleaned.count == 10, cleaned.allSatisfy({ $0.isASCII && $0.isNumber }) else { throw .notTenDigits }
        guard Self.luhnIsValid(cleaned.compactMap(\.wholeNumberValue)) else { throw .wrongCheckDigit }
        digits = String(cleaned)
    }

    /// `NNNNNN-NNNN`, the way it is written on documents.
    public var description: String { "\(digits.prefix(6))-\(digits.suffix(4))" }

    /// The Luhn check over all digits (the last being the check digit).
    static func luhnIsValid(_ digits: [Int]) -> Bool {
        var sum = 0
        for (index, digit) in digits.reversed().enumerated() {
            if index % 2 == 1 {
                let doubled = digit * 2
                sum += doubled > 9 ? doubled - 9 : doubled
            } else {
                sum += digit
            }
        }
        return sum % 10 == 0
    }
}
