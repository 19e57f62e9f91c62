public import struct Foundation.Data
public import struct Foundation.Date
public import struct Foundation.UUID

/// A scalar that can be an element of a one-dimensional PostgreSQL array (`int8[]`, `text[]`, …).
/// Arrays travel in text format: `{"a","b",NULL}`, every element quoted and escaped.
public protocol PostgresArrayElement: PostgresEncodable, PostgresDecodable {
    /// The array type whose elements are of this type.
    static var arrayType: PostgresType { get }
    /// Array types other than `arrayType` that decode as arrays of this type (e.g. `varchar[]` as `[String]`).
    static var alsoDecodesFrom: Set<PostgresType> { get }
    /// This value's text form inside an array literal (before quoting).
    var postgresArrayText: String { get }
}

extension PostgresArrayElement {
    public static var alsoDecodesFrom: Set<PostgresType> { [] }

    /// The text of the value's own bind; every scalar but `String` and `Data` binds as text.
    public var postgresArrayText: String {
        String(decoding: postgresBind().bytes ?? [], as: UTF8.self)
    }
}

extension Bool: PostgresArrayElement { public static var arrayType: PostgresType { .boolArray } }
extension Int16: PostgresArrayElement { public static var arrayType: PostgresType { .int2Array } }
extension Int32: PostgresArrayElement { public static var arrayType: PostgresType { .int4Array } }
extension Int64: PostgresArrayElement { public static var arrayType: PostgresType { .int8Array } }
extension Int: PostgresArrayElement { public static var arrayType: PostgresType { .int8Array } }
extension Float: PostgresArrayElement { public static var arrayType: PostgresType { .float4Array } }
extension Double: PostgresArrayElement { public static var arrayType: PostgresType { .float8Array } }
extension UUID: PostgresArrayElement { public static var arrayType: PostgresType { .uuidArray } }
extension Date: PostgresArrayElement { public static var arrayType: PostgresType { .timestamptzArray } }

extension String: PostgresArrayElement {
    public static var arrayType: PostgresType { .textArray }
    public static var alsoDecodesFrom: Set<PostgresType> { [.varcharArray] }
    public var postgresArrayText: String { self }
}

extension Data: PostgresArrayElement {
    public static var arrayType: PostgresType { .byteaArray }
    public var postgresArrayText: String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = Array("\\x".utf8)
        for byte in self {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0xf)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}

extension Array: PostgresEncodable where Element: PostgresArrayElement {
    public static var postgresType: PostgresType { Element.arrayType }

    public func postgresBind() -> PostgresBind {
        .text(Element.arrayType, PostgresArrayLiteral.format(map { Optional($0.postgresArrayText) }))
    }
}

extension Array: PostgresDecodable where Element: PostgresArrayElement {
    public static func decode(from cell: PostgresCell) throws -> [Element] {
        guard let bytes = cell.bytes else { throw cell.error([Element].self, .unexpectedNull) }
        guard cell.type == Element.arrayType || Element.alsoDecodesFrom.contains(cell.type) else {
            throw cell.error([Element].self, .typeMismatch(postgresTypeOID: cell.type.rawValue))
        }
        guard let items = PostgresArrayLiteral.parse([UInt8](bytes)) else { throw cell.error([Element].self, .invalidValue) }
        return try items.map { item in
            guard var item else { throw cell.error([Element].self, .unexpectedNull) }
            return try item.withUTF8 { buffer in
                try Element.decode(from: PostgresCell(column: cell.column, type: Element.postgresType, bytes: buffer))
            }
        }
    }
}

/// The text format of one-dimensional arrays.
enum PostgresArrayLiteral {
    static func format(_ items: [String?]) -> String {
        var text = "{"
        for (index, item) in items.enumerated() {
            if index > 0 { text += "," }
            guard let item else {
                text += "NULL"
                continue
            }
            text += "\""
            for character in item {
                if character == "\"" || character == "\\" { text += "\\" }
                text.append(character)
            }
            text += "\""
        }
        return text + "}"
    }

    /// The items of `{…}`; `nil` items are NULL. Returns `nil` for anything that is not a flat array literal.
    static func parse(_ bytes: [UInt8]) -> [String?]? {
        let quote = UInt8(ascii: "\""), backslash = UInt8(ascii: "\\"), comma = UInt8(ascii: ",")
        guard bytes.first == UInt8(ascii: "{"), bytes.last == UInt8(ascii: "}") else { return nil }
        var items: [String?] = []
        var index = 1
        let end = bytes.count - 1
        if index == end { return [] }
        while index < end {
            var item: [UInt8] = []
            var quoted = false
            if bytes[index] == quote {
                quoted = true
                index += 1
                while index < end, bytes[index] != quote {
                    if bytes[index] == backslash { index += 1 }
                    guard index < end else { return nil }
                    item.append(bytes[index])
                    index += 1
                }
                guard index < end else { return nil }
                index += 1  // closing quote
            } else {
                while index < end, bytes[index] != comma {
                    // Nested arrays are not supported.
                    if bytes[index] == UInt8(ascii: "{") { return nil }
                    item.append(bytes[index])
                    index += 1
                }
            }
            let text = String(decoding: item, as: UTF8.self)
            items.append(!quoted && text == "NULL" ? nil : text)
            if index < end {
                guard bytes[index] == comma else { return nil }
                index += 1
            }
        }
        return items
    }
}
