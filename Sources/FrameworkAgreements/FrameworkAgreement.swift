public import AvropCore
public import Foundation

/// A framework agreement of a central purchasing body (DESIGN §2): its terms, and where it stands.
public struct FrameworkAgreement: Sendable, Equatable, Identifiable {
    public enum Status: String, Sendable, Codable {
        case draft, active, expired, terminated
    }

    /// Which contracting authorities may call off.
    public enum Eligibility: Sendable, Equatable {
        case allAuthorities
        case authorities([UUID])
    }

    public let id: UUID
    public let ownerID: UUID
    public var terms: Terms
    public let status: Status
    public let activatedAt: Date?
    public let terminatedAt: Date?
    public let terminationReason: String?
    /// Changes with every change of the agreement or its parts; the API's ETag.
    public let version: Int

    /// What a framework manager writes and may change while the agreement is a draft.
    public struct Terms: Sendable, Equatable {
        public var reference: String
        public var title: String
        public var description: String
        public var validFrom: CalendarDay
        public var validTo: CalendarDay
        public var maxExtendedTo: CalendarDay?
        /// Why it may run longer than four years (R1); `nil` when it does not.
        public var longValidityJustification: String?
        /// The ceiling of all call-offs together, in öre.
        public var ceilingOre: Int64
        public var eligibility: Eligibility
        /// The step of the innovation staircase its call-offs aim at; `nil` while not stated.
        public var innovationStep: InnovationStep?
        /// What counts as innovative under it, in words.
        public var innovationNote: String

        public init(
            reference: String, title: String, description: String = "", validFrom: CalendarDay, validTo: CalendarDay,
            maxExtendedTo: CalendarDay? = nil, longValidityJustification: String? = nil, ceilingOre: Int64,
            eligibility: Eligibility = .allAuthorities, innovationStep: InnovationStep? = nil, innovationNote: String = ""
        ) {
            self.reference = reference
            self.title = title
            self.description = description
            self.validFrom = validFrom
            self.validTo = validTo
            self.maxExtendedTo = maxExtendedTo
            self.longValidityJustification = longValidityJustification
            self.ceilingOre = ceilingOre
            self.eligibility = eligibility
            self.innovationStep = innovationStep
            self.innovationNote = innovationNote
        }

        /// The last day it can run, extension included.
        public var lastDay: CalendarDay { maxExtendedTo ?? validTo }
    }

    public init(
        id: UUID, ownerID: UUID, terms: Terms, status: Status, activatedAt: Date?, terminatedAt: Date?,
        terminationReason: String?, version: Int
    ) {
        self.id = id
        self.ownerID = ownerID
        self.terms = terms
        self.status = status
        self.activatedAt = activatedAt
        self.terminatedAt = terminatedAt
        self.terminationReason = terminationReason
        self.version = version
    }
}

/// A lot (anbudsområde) of an agreement.
public struct Lot: Sendable, Equatable, Identifiable {
    public enum CallOffMethod: String, Sendable, CaseIterable {
        /// Förnyad konkurrensutsättning is not needed: the highest-ranked available supplier gets it.
        case rankedCascade
        /// Every supplier on the lot is invited to tender.
        case renewedCompetition
        /// Below the threshold by ranking; at or above it by renewed competition (R7).
        case combined
    }

    public let id: UUID
    public let agreementID: UUID
    public var number: Int
    public var title: String
    public var description: String
    public var region: String
    public var method: CallOffMethod
    public var combinedThresholdOre: Int64?
    public var dialogueAllowed: Bool
    public var minimumTenderDays: Int

    public init(
        id: UUID, agreementID: UUID, number: Int, title: String, description: String = "", region: String = "",
        method: CallOffMethod, combinedThresholdOre: Int64? = nil, dialogueAllowed: Bool = true, minimumTenderDays: Int = 10
    ) {
        self.id = id
        self.agreementID = agreementID
        self.number = number
        self.title = title
        self.description = description
        self.region = region
        self.method = method
        self.combinedThresholdOre = combinedThresholdOre
        self.dialogueAllowed = dialogueAllowed
        self.minimumTenderDays = minimumTenderDays
    }
}

/// A supplier on a lot, with its rank (for cascades) and standing.
public struct LotSupplier: Sendable, Equatable {
    public enum Status: Sendable, Equatable {
        case active
        case suspended(reason: String, until: CalendarDay?)
        case removed(reason: String)

        public var name: String {
            switch self {
            case .active: "active"
            case .suspended: "suspended"
            case .removed: "removed"
            }
        }
    }

    public let lotID: UUID
    public let supplierID: UUID
    public let supplierName: String
    public var rank: Int?
    public var status: Status

    public init(lotID: UUID, supplierID: UUID, supplierName: String, rank: Int?, status: Status) {
        self.lotID = lotID
        self.supplierID = supplierID
        self.supplierName = supplierName
        self.rank = rank
        self.status = status
    }
}

/// A requirement that call-offs use and contract follow-up checks, for the whole agreement or one lot.
public struct Requirement: Sendable, Equatable, Identifiable {
    public enum Kind: Sendable, Equatable {
        case mandatory
        /// Weighted in evaluation, with the weight a call-off may give it (percent).
        case weighted(minimum: Int, maximum: Int)
    }

    public enum Category: String, Sendable, CaseIterable {
        case quality, environment, labourLaw, informationSecurity, accessibility, innovationEffect, delivery
    }

    public enum Frequency: String, Sendable, CaseIterable {
        case none, once, monthly, quarterly, yearly
    }

    public let id: UUID
    public let agreementID: UUID
    /// `nil`: the whole agreement.
    public var lotID: UUID?
    public var code: String
    public var text: String
    public var kind: Kind
    public var category: Category
    /// How a functional requirement is measured, e.g. "svarstid i sekunder, 95:e percentilen".
    public var indicator: String?
    public var followUpMethod: String
    public var followUpFrequency: Frequency

    public init(
        id: UUID, agreementID: UUID, lotID: UUID?, code: String, text: String, kind: Kind, category: Category,
        indicator: String? = nil, followUpMethod: String = "", followUpFrequency: Frequency = .none
    ) {
        self.id = id
        self.agreementID = agreementID
        self.lotID = lotID
        self.code = code
        self.text = text
        self.kind = kind
        self.category = category
        self.indicator = indicator
        self.followUpMethod = followUpMethod
        self.followUpFrequency = followUpFrequency
    }
}

/// An agreement with all its parts, as its pages and the API show it.
public struct AgreementDetails: Sendable, Equatable {
    public let agreement: FrameworkAgreement
    public let lots: [Lot]
    public let suppliers: [LotSupplier]
    public let requirements: [Requirement]

    /// The suppliers of `lot`: active ones by rank first.
    public func suppliers(of lot: UUID) -> [LotSupplier] {
        suppliers.filter { $0.lotID == lot }.sorted { ($0.rank ?? Int.max, $0.supplierName) < ($1.rank ?? Int.max, $1.supplierName) }
    }
}
