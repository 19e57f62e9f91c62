public import Foundation

/// A form-encoded query string (`a=1&b=x+y`), as browsers send a GET form: `+` is a space, `%XX` a byte;
/// the first of a repeated name counts. (Hummingbird's `queryParameters` keeps `+` as it is.)
public struct FormQuery: Sendable {
    private var values: [String: String] = [:]
    /// Whether a name or value had broken percent-encoding (`%zz`, or bytes that are not UTF-8).
    public private(set) var isMalformed = false

    /// Reads `query`, the part of a URI after `?` (without it).
    public init(_ query: String) {
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = Self.decode(parts[0]), let value = parts.count > 1 ? Self.decode(parts[1]) : "" else {
                isMalformed = true
                continue
            }
            if values[name] == nil { values[name] = value }
        }
    }

    /// The first value given for `name`; `""` for a name without `=`.
    public subscript(name: String) -> String? { values[name] }

    /// Nil for malformed percent-encoding.
    private static func decode(_ text: Substring) -> String? {
        String(text).replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }
}
