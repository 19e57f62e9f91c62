public import Foundation

/// Who is calling: a user acting for one organisation, with their roles there. Every use case takes one
/// and sets it on its transaction, where row-level security reads it.
public struct Actor: Sendable, Equatable {
    public let userID: UUID
    public let organizationID: UUID
    public let roles: Set<Role>

    public init(userID: UUID, organizationID: UUID, roles: Set<Role>) {
        self.userID = userID
        self.organizationID = organizationID
        self.roles = roles
    }

    /// The run-time settings that identify the actor to PostgreSQL for one transaction.
    public var transactionSettings: [(name: String, value: String)] {
        [("avrop.user_id", userID.uuidString.lowercased()), ("avrop.org_id", organizationID.uuidString.lowercased())]
    }
}

/// What an actor asks to do, for `Policy`.
public enum Action: Sendable, Equatable {
    /// Read the audit trail of records that belong to `organizationID`.
    case readAuditTrail(organizationID: UUID)
    /// Create, list and revoke one's own API tokens.
    case manageOwnTokens
    /// Read and mark one's own notifications.
    case readOwnNotifications
    /// Register, list and disable the webhooks of `organizationID`.
    case manageWebhooks(organizationID: UUID)
    /// See the messages to `organizationID` that could not be delivered.
    case readDeadLetters(organizationID: UUID)
    /// Decide the security settings of `organizationID` (whether a second factor is required).
    case manageOrganizationSecurity(organizationID: UUID)
}

/// The first wall: whether an actor may do an action, decided before any data is touched. Refusals are
/// `IdentityError.notFound`, so that a caller learns nothing about what exists (DESIGN §4). Row-level
/// security in PostgreSQL is the second wall behind it.
public enum Policy {
    public static func check(_ actor: Actor, _ action: Action) throws(IdentityError) {
        guard allows(actor, action) else { throw .notFound }
    }

    public static func allows(_ actor: Actor, _ action: Action) -> Bool {
        switch action {
        case .readAuditTrail(let organizationID):
            // DESIGN §4: framework managers, buyers, contract managers, auditors (and admins) of the
            // organisation; suppliers never.
            return organizationID == actor.organizationID
                && !actor.roles.isDisjoint(with: [.frameworkManager, .buyer, .contractManager, .auditor, .admin])
        case .manageOwnTokens, .readOwnNotifications:
            return !actor.roles.isEmpty
        case .manageWebhooks(let organizationID), .readDeadLetters(let organizationID), .manageOrganizationSecurity(let organizationID):
            // An organisation's systems and deliveries are its admins' business.
            return organizationID == actor.organizationID && actor.roles.contains(.admin)
        }
    }
}
