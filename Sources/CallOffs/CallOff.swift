import AvropCore
public import Foundation

/// A call-off (avrop) under a lot of a framework agreement, as its authority drafts and publishes it.
public struct CallOff: Sendable, Equatable, Identifiable {
    /// Where it stands; derived from the stored facts and the server's clock (`avrop.call_off_status`).
    public enum Status: String, Sendable, Codable {
        case draft
        /// Published; tenders are accepted until the deadline (R10).
        case open
        /// Published, and the tender deadline has passed.
        case closed
    }

    public let id: UUID
    public let authorityID: UUID
    public let agreementID: UUID
    public let lotID: UUID
    public let reference: CallOffReference
    public var title: String
    public var need: String
    public var estimatedValueOre: Int64
    /// Fixed at publication.
    public let method: CallOffMethod?
    public let timetable: CallOffTimetable?
    public let publishedAt: Date?
    public let status: Status
    /// Changes with every change; the API's ETag.
    public let version: Int
    /// Where a list continues after this call-off.
    public let cursor: CallOffCursor

    public init(
        id: UUID, authorityID: UUID, agreementID: UUID, lotID: UUID, reference: CallOffReference, title: String, need: String,
        estimatedValueOre: Int64, method: CallOffMethod?, timetable: CallOffTimetable?, publishedAt: Date?, status: Status, version: Int,
        cursor: CallOffCursor
    ) {
        self.id = id
        self.authorityID = authorityID
        self.agreementID = agreementID
        self.lotID = lotID
        self.reference = reference
        self.title = title
        self.need = need
        self.estimatedValueOre = estimatedValueOre
        self.method = method
        self.timetable = timetable
        self.publishedAt = publishedAt
        self.status = status
        self.version = version
        self.cursor = cursor
    }
}

/// A position in the newest-first list of call-offs: the creation time in whole microseconds (exact, as
/// PostgreSQL stores it) and the id, written as every cursor is (`PageCursor`).
public struct CallOffCursor: Sendable, Equatable, CustomStringConvertible {
    public let createdMicroseconds: Int64
    public let id: UUID

    public init(createdMicroseconds: Int64, id: UUID) {
        self.createdMicroseconds = createdMicroseconds
        self.id = id
    }

    /// Reads a cursor that `description` wrote; `nil` for anything else.
    public init?(_ text: String) {
        guard let cursor = PageCursor(encoded: text, keyCount: 1) else { return nil }
        self.init(createdMicroseconds: cursor.keys[0], id: cursor.id)
    }

    public var description: String { PageCursor(keys: [createdMicroseconds], id: id).encoded }
}

/// A supplier a published call-off reaches: invited now, or a later rank of a cascade (R5), or left out of
/// a renewed competition with the reason (R6).
public struct Invitation: Sendable, Equatable {
    public let supplierID: UUID
    /// 1 for the first invited; a cascade's later ranks follow in order.
    public let position: Int
    public let invitedAt: Date?
    public let excludedReason: String?
}
