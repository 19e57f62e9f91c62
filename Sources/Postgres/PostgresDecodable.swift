public import struct Foundation.Data
public import struct Foundation.Date
public import struct Foundation.UUID

/// One value of a result row as it arrived: text format, `nil` for SQL NULL.
public struct PostgresCell {
    public var column: String
    public var type: PostgresType
    public var bytes: UnsafeBufferPointer<UInt8>?

    /// The text of a non-NULL value of one of `types`, or an error naming the column.
    public func text<T>(of types: Set<PostgresType>, for swiftType: T.Type) throws -> String {
        guard let bytes else { throw error(T.self, .unexpectedNull) }
        guard types.contains(type) else { throw error(T.self, .typeMismatch(postgresTypeOID: type.rawValue)) }
        return String(decoding: bytes, as: UTF8.self)
    }

    public func error<T>(_ swiftType: T.Type, _ reason: PostgresDecodingError.Reason) -> PostgresDecodingError {
        PostgresDecodingError(column: column, swiftType: String(describing: T.self), reason: reason)
    }
}

/// A Swift value that can be read from a result column.
public protocol PostgresDecodable {
    /// Decodes `cell`, throwing `PostgresDecodingError` for NULL, a type mismatch or an invalid value.
    static func decode(from cell: PostgresCell) throws -> Self
}

extension Optional: PostgresDecodable where Wrapped: PostgresDecodable {
    public static func decode(from cell: PostgresCell) throws -> Self {
        cell.bytes == nil ? nil : try Wrapped.decode(from: cell)
    }
}

extension Bool: PostgresDecodable {
    public static func decode(from cell: PostgresCell) throws -> Bool {
        switch try cell.text(of: [.bool], for: Bool.self) {
        case "t": return true
        case "f": return false
        default: throw cell.error(Bool.self, .invalidValue)
        }
    }
}

private let integerTypes: Set<PostgresType> = [.int2, .int4, .int8]

extension Int: PostgresDecodable {
    public static func decode(from cell: PostgresCell) throws -> Int {
        guard let value = Int(try cell.text(of: integerTypes, for: Int.self)) else { throw cell.error(Int.self, .invalidValue) }
        return value
    }
}

extension Int64: PostgresDecodable {
    public static func decode(from cell: PostgresCell) throws -> Int64 {
        guard let value = Int64(try cell.text(of: integerTypes, for: Int64.self)) else { throw cell.error(Int64.self, .invalidValue) }
        return value
    }
}

extension Int32: PostgresDecodable {
    public static func decode(from cell: PostgresCell) throws -> Int32 {
        guard let value = Int32(try cell.text(of: [.int2, .int4], for: Int32.self)) else { throw cell.error(Int32.self, .invalidValue) }
        return value
    }
}

extension Int16: PostgresDecodable {
    public static func decode(from cell: PostgresCell) throws -> Int16 {
        guard let value = Int16(try cell.text(of: [.int2], for: Int16.self)) else { throw cell.error(Int16.self, .invalidValue) }
        return value
    }
}

extension Float: PostgresDecodable {
    public static func decode(from cell: PostgresCell) throws -> Float {
        let text = try cell.text(of: [.float4], for: Float.self)
        switch text {
        case "NaN": return .nan
        case "Infinity": return .infinity
        case "-Infinity": return -.infinity
        default:
            guard let value = Float(text) else { throw cell.error(Float.self, .invalidValue) }
            return value
        }
    }
}

extension Double: PostgresDecodable {
    public static func decode(from cell: PostgresCell) throws -> Double {
        let text = try cell.text(of: [.float4, .float8], for: Double.self)
        switch text {
        case "NaN": return .nan
        case "Infinity": return .infinity
        case "-Infinity": return -.infinity
        default:
            guard let value = Double(text) else { throw cell.error(Double.self, .invalidValue) }
            return value
        }
    }
}

extension String: PostgresDecodable {
    public static func decode(from cell: PostgresCell) throws -> String {
        try cell.text(of: [.text, .varchar, .bpchar, .name, .unknown], for: String.self)
    }
}

extension UUID: PostgresDecodable {
    public static func decode(from cell: PostgresCell) throws -> UUID {
        guard let value = UUID(uuidString: try cell.text(of: [.uuid], for: UUID.self)) else { throw cell.error(UUID.self, .invalidValue) }
        return value
    }
}

extension Date: PostgresDecodable {
    public static func decode(from cell: PostgresCell) throws -> Date {
        guard let value = PostgresTimestamp.parse(try cell.text(of: [.timestamptz], for: Date.self)) else {
            throw cell.error(Date.self, .invalidValue)
        }
        return value
    }
}

extension Data: PostgresDecodable {
    /// bytea arrives in text format as `\x` followed by hex digits (the server's default `bytea_output`).
    public static func decode(from cell: PostgresCell) throws -> Data {
        guard let bytes = cell.bytes else { throw cell.error(Data.self, .unexpectedNull) }
        guard cell.type == .bytea else { throw cell.error(Data.self, .typeMismatch(postgresTypeOID: cell.type.rawValue)) }
        guard bytes.count >= 2, bytes[0] == UInt8(ascii: "\\"), bytes[1] == UInt8(ascii: "x"), bytes.count % 2 == 0 else {
            throw cell.error(Data.self, .invalidValue)
        }
        var data = Data(capacity: (bytes.count - 2) / 2)
        var index = 2
        while index < bytes.count {
            guard let high = hexValue(bytes[index]), let low = hexValue(bytes[index + 1]) else {
                throw cell.error(Data.self, .invalidValue)
            }
            data.append(high << 4 | low)
            index += 2
        }
        return data
    }

    private static func hexValue(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
