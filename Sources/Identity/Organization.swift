public import Foundation

/// An organisation using Avrop: a central purchasing body, a contracting authority or a supplier.
public struct Organization: Sendable, Equatable, Identifiable {
    public enum Kind: String, Sendable, CaseIterable {
        case centralPurchasingBody
        case contractingAuthority
        case supplier
    }

    public let id: UUID
    public var kind: Kind
    public var name: String
    public var number: OrganizationNumber

    public init(id: UUID, kind: Kind, name: String, number: OrganizationNumber) {
        self.id = id
        self.kind = kind
        self.name = name
        self.number = number
    }
}

/// What a member may do in an organisation (DESIGN §2).
public enum Role: String, Sendable, CaseIterable {
    case frameworkManager
    case buyer
    case contractManager
    case supplierRepresentative
    case auditor
    case admin

    /// The kinds of organisation where the role makes sense.
    public var allowedKinds: Set<Organization.Kind> {
        switch self {
        case .frameworkManager: [.centralPurchasingBody]
        case .buyer: [.contractingAuthority]
        case .contractManager: [.contractingAuthority, .centralPurchasingBody]
        case .supplierRepresentative: [.supplier]
        case .auditor, .admin: Set(Organization.Kind.allCases)
        }
    }
}

/// A person with an account.
public struct User: Sendable, Equatable, Identifiable {
    public let id: UUID
    public var email: String
    public var displayName: String

    public init(id: UUID, email: String, displayName: String) {
        self.id = id
        self.email = email
        self.displayName = displayName
    }
}
