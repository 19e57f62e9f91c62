/// An error reported by PostgreSQL or by libpq.
///
/// `description` names only the kind, the SQLSTATE and the constraint: never query text, parameter values,
/// or the server's message and detail (which may quote values, e.g. a duplicate key). Those stay available
/// in `message` and `detail` for code that decides what may be shown or logged.
public struct PostgresError: Error, Sendable, CustomStringConvertible {
    /// Where the error came from.
    public enum Kind: String, Sendable {
        /// The server rejected a statement; `code` holds its SQLSTATE.
        case server
        /// No connection could be made, or it was lost.
        case connection
        /// The connection was closed or is unusable on our side.
        case closed
        /// libpq reported something this wrapper did not expect.
        case client
    }

    /// A SQLSTATE code (https://www.postgresql.org/docs/current/errcodes-appendix.html).
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        public static let uniqueViolation = Code(rawValue: "23505")
        public static let foreignKeyViolation = Code(rawValue: "23503")
        public static let checkViolation = Code(rawValue: "23514")
        public static let notNullViolation = Code(rawValue: "23502")
        public static let serializationFailure = Code(rawValue: "40001")
        public static let deadlockDetected = Code(rawValue: "40P01")
        public static let queryCanceled = Code(rawValue: "57014")
        public static let lockNotAvailable = Code(rawValue: "55P03")
        public static let connectionFailure = Code(rawValue: "08006")
        public static let adminShutdown = Code(rawValue: "57P01")
        public static let featureNotSupported = Code(rawValue: "0A000")
        public static let insufficientPrivilege = Code(rawValue: "42501")
        public static let undefinedTable = Code(rawValue: "42P01")
    }

    public var kind: Kind
    /// The SQLSTATE, for `.server` errors.
    public var code: Code?
    /// The violated constraint's name, when the server names one.
    public var constraint: String?
    /// The server's or libpq's primary message. May quote values: do not log it unreviewed.
    public var message: String
    /// The server's detail line. May quote values: do not log it unreviewed.
    public var detail: String?

    public init(kind: Kind, code: Code? = nil, constraint: String? = nil, message: String, detail: String? = nil) {
        self.kind = kind
        self.code = code
        self.constraint = constraint
        self.message = message
        self.detail = detail
    }

    /// Whether running the same transaction again may succeed: a serialization failure or a deadlock.
    public var isTransient: Bool {
        code == .serializationFailure || code == .deadlockDetected
    }

    public var description: String {
        var text = "PostgresError(\(kind.rawValue)"
        if let code { text += ", SQLSTATE \(code.rawValue)" }
        if let constraint { text += ", constraint \(constraint)" }
        return text + ")"
    }
}

/// A row value that could not be turned into the Swift type asked for. Names the column, never the value.
public struct PostgresDecodingError: Error, Sendable, CustomStringConvertible {
    public enum Reason: Sendable, Equatable {
        case missingColumn
        case unexpectedNull
        case typeMismatch(postgresTypeOID: UInt32)
        case invalidValue
    }

    public var column: String
    public var swiftType: String
    public var reason: Reason

    public init(column: String, swiftType: String, reason: Reason) {
        self.column = column
        self.swiftType = swiftType
        self.reason = reason
    }

    public var description: String {
        switch reason {
        case .missingColumn:
            return "no column \"\(column)\" in the result (decoding \(swiftType))"
        case .unexpectedNull:
            return "column \"\(column)\" is NULL but \(swiftType) is not optional"
        case .typeMismatch(let oid):
            return "column \"\(column)\" has PostgreSQL type OID \(oid), which does not decode as \(swiftType)"
        case .invalidValue:
            return "column \"\(column)\" holds a value that is not a valid \(swiftType)"
        }
    }
}
