public import struct Foundation.Data
public import struct Foundation.Date
public import struct Foundation.UUID

/// A Swift value that can be bound as a statement parameter.
public protocol PostgresEncodable: Sendable {
    /// The PostgreSQL type the parameter is declared as (also used for NULL).
    static var postgresType: PostgresType { get }
    /// The encoded parameter.
    func postgresBind() -> PostgresBind
}

extension Optional: PostgresEncodable where Wrapped: PostgresEncodable {
    public static var postgresType: PostgresType { Wrapped.postgresType }

    public func postgresBind() -> PostgresBind {
        switch self {
        case .some(let value): value.postgresBind()
        case .none: PostgresBind(type: Wrapped.postgresType, format: .text, bytes: nil)
        }
    }
}

extension Bool: PostgresEncodable {
    public static var postgresType: PostgresType { .bool }
    public func postgresBind() -> PostgresBind { .text(.bool, self ? "t" : "f") }
}

extension Int: PostgresEncodable {
    public static var postgresType: PostgresType { .int8 }
    public func postgresBind() -> PostgresBind { .text(.int8, String(self)) }
}

extension Int64: PostgresEncodable {
    public static var postgresType: PostgresType { .int8 }
    public func postgresBind() -> PostgresBind { .text(.int8, String(self)) }
}

extension Int32: PostgresEncodable {
    public static var postgresType: PostgresType { .int4 }
    public func postgresBind() -> PostgresBind { .text(.int4, String(self)) }
}

extension Int16: PostgresEncodable {
    public static var postgresType: PostgresType { .int2 }
    public func postgresBind() -> PostgresBind { .text(.int2, String(self)) }
}

extension Float: PostgresEncodable {
    public static var postgresType: PostgresType { .float4 }
    public func postgresBind() -> PostgresBind {
        if isNaN { return .text(.float4, "NaN") }
        if isInfinite { return .text(.float4, self < 0 ? "-Infinity" : "Infinity") }
        return .text(.float4, description)
    }
}

extension Double: PostgresEncodable {
    public static var postgresType: PostgresType { .float8 }
    public func postgresBind() -> PostgresBind {
        // Swift's description is the shortest text that reads back to the same Double; PostgreSQL's spelling
        // of the special values differs from Swift's.
        if isNaN { return .text(.float8, "NaN") }
        if isInfinite { return .text(.float8, self < 0 ? "-Infinity" : "Infinity") }
        return .text(.float8, description)
    }
}

extension String: PostgresEncodable {
    public static var postgresType: PostgresType { .text }
    /// Sent in binary format (the UTF-8 bytes with a length), so a string holding NUL is refused by the
    /// server instead of being cut short at the NUL.
    public func postgresBind() -> PostgresBind {
        PostgresBind(type: .text, format: .binary, bytes: Array(utf8))
    }
}

extension UUID: PostgresEncodable {
    public static var postgresType: PostgresType { .uuid }
    public func postgresBind() -> PostgresBind { .text(.uuid, uuidString) }
}

extension Date: PostgresEncodable {
    public static var postgresType: PostgresType { .timestamptz }
    public func postgresBind() -> PostgresBind { .text(.timestamptz, PostgresTimestamp.format(self)) }
}

extension Data: PostgresEncodable {
    public static var postgresType: PostgresType { .bytea }
    public func postgresBind() -> PostgresBind { PostgresBind(type: .bytea, format: .binary, bytes: Array(self)) }
}
