import Audit
public import AvropCore
public import Foundation
public import Identity
public import Postgres

/// A document attached to a solution as evidence (a pilot report, a certificate, test results).
public struct SolutionDocument: Sendable, Equatable, Identifiable {
    public let id: UUID
    public let solutionID: UUID
    /// Safe to show and to offer as the download's name (`FileName.sanitized`).
    public let fileName: String
    /// Decided from the file's first bytes (`FileType`).
    public let mediaType: String
    public let sizeBytes: Int
    /// Lower-case hex.
    public let sha256: String
    public let createdAt: Date
}

/// Evidence documents of solutions: added by the solution's supplier (while it is a draft or submitted)
/// or by the agreement's framework managers (while they verify it); read by whoever may read the solution.
/// Every addition is audited in the solution's stream with its name, size and SHA-256, never its content.
public struct SolutionDocuments: Sendable {
    /// 25 MiB unless configured otherwise (issue 4).
    public static let defaultMaximumBytes = 25 << 20

    public let pool: ConnectionPool
    public let maximumBytes: Int
    let newID: @Sendable () -> UUID

    public init(pool: ConnectionPool, maximumBytes: Int = SolutionDocuments.defaultMaximumBytes, environment: ServiceEnvironment = .system) {
        self.pool = pool
        self.maximumBytes = maximumBytes
        self.newID = environment.newID
    }

    /// Adds `bytes` under `name` to the solution; refuses a file over the limit or of a type not accepted.
    public func add(to solutionID: UUID, name: String, bytes: [UInt8], by actor: Actor) async throws -> SolutionDocument {
        guard bytes.count <= maximumBytes else { throw AgreementError.fileTooLarge(maximumBytes: maximumBytes) }
        guard let type = FileType.detect(bytes, name: name) else { throw AgreementError.fileTypeRefused }
        let fileName = FileName.sanitized(name, for: type)
        let id = newID()
        return try await pool.withTransaction(settings: actor.transactionSettings) { connection in
            guard let row = try await connection.query("""
                SELECT s.supplier_id, avrop.lot_owner(s.lot_id) AS owner, avrop.solution_status(s) AS status, s.name
                FROM avrop.solution s WHERE s.id = \(solutionID) FOR UPDATE
                """).first else { throw AgreementError.notFound }
            guard let status = Solution.Status(rawValue: try row.decode("status", as: String.self)) else { throw AgreementError.notFound }
            let asSupplier = try row.decode("supplier_id", as: UUID.self) == actor.organizationID && actor.roles.contains(.supplierRepresentative)
            let asVerifier = try row.decode("owner", as: UUID?.self) == actor.organizationID && actor.roles.contains(.frameworkManager)
            guard asSupplier || asVerifier else { throw AgreementError.notFound }
            guard Solution.acceptsEvidence(status, fromSupplier: asSupplier) else { throw AgreementError.notDraft }
            try await connection.execute("""
                INSERT INTO avrop.solution_document (id, solution_id, organization_id, uploaded_by, file_name, media_type, content)
                VALUES (\(id), \(solutionID), \(actor.organizationID), \(actor.userID), \(fileName), \(type.mediaType), \(Data(bytes)))
                """)
            let document = try await load(id, on: connection)
            try await AuditLog.append(
                stream: "solution/\(solutionID.uuidString.lowercased())", organizationID: try row.decode("supplier_id", as: UUID.self),
                action: "solution.documentAdded",
                data: AuditFacts(["document": id.uuidString.lowercased(), "fileName": fileName, "sha256": document.sha256,
                                  "size": String(document.sizeBytes)]),
                on: connection
            )
            return document
        }
    }

    /// The documents of a solution the caller may read, oldest first.
    public func list(_ solutionID: UUID, for actor: Actor?) async throws -> [SolutionDocument] {
        try await pool.withTransaction(settings: actor?.transactionSettings ?? []) { connection in
            guard try await !connection.query("SELECT 1 FROM avrop.solution WHERE id = \(solutionID)").isEmpty else { throw AgreementError.notFound }
            return try await connection.query("""
                SELECT \(Self.columns) FROM avrop.solution_document d WHERE d.solution_id = \(solutionID) ORDER BY d.created_at, d.id
                """).map(Self.document)
        }
    }

    /// One document and its bytes, if the caller may read its solution.
    public func download(_ id: UUID, for actor: Actor?) async throws -> (SolutionDocument, Data) {
        try await pool.withTransaction(settings: actor?.transactionSettings ?? []) { connection in
            guard let row = try await connection.query("SELECT \(Self.columns), d.content FROM avrop.solution_document d WHERE d.id = \(id)").first else {
                throw AgreementError.notFound
            }
            return (try Self.document(row), try row.decode("content", as: Data.self))
        }
    }

    private func load(_ id: UUID, on connection: Connection) async throws -> SolutionDocument {
        guard let row = try await connection.query("SELECT \(Self.columns) FROM avrop.solution_document d WHERE d.id = \(id)").first else {
            throw AgreementError.notFound
        }
        return try Self.document(row)
    }

    static let columns: SQL = "d.id, d.solution_id, d.file_name, d.media_type, d.size_bytes, encode(d.sha256, 'hex') AS sha256, d.created_at"

    static func document(_ row: Row) throws -> SolutionDocument {
        SolutionDocument(
            id: try row.decode("id", as: UUID.self), solutionID: try row.decode("solution_id", as: UUID.self),
            fileName: try row.decode("file_name", as: String.self), mediaType: try row.decode("media_type", as: String.self),
            sizeBytes: try row.decode("size_bytes", as: Int.self), sha256: try row.decode("sha256", as: String.self),
            createdAt: try row.decode("created_at", as: Date.self)
        )
    }
}
