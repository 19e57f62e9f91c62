public import AvropCore
public import Foundation

/// A verified innovative solution offered on a lot (DESIGN §2): what a supplier describes, and what the
/// agreement's framework managers decided about it.
public struct Solution: Sendable, Equatable, Identifiable {
    public enum Status: String, Sendable, CaseIterable {
        case draft, submitted, verified, rejected, withdrawn
        /// Verified, but past its valid-until day (derived, never stored).
        case expired
    }

    public enum InnovationType: String, Sendable, CaseIterable {
        case product, service, process, organisational
    }

    public enum VerificationMethod: String, Sendable, CaseIterable {
        case pilot, testBed, thirdPartyCertification, referenceCustomer, labTest
    }

    /// What the supplier writes.
    public struct Description: Sendable, Equatable {
        public var name: String
        public var summary: String
        public var text: String
        public var innovationType: InnovationType
        public var innovationStep: InnovationStep
        /// What is new in it, in the supplier's words.
        public var innovationNote: String
        /// Technology readiness level, 1 to 9.
        public var trl: Int
        public var tags: [String]

        public init(name: String, summary: String, text: String = "", innovationType: InnovationType, innovationStep: InnovationStep = .deploy,
                    innovationNote: String = "", trl: Int, tags: [String] = []) {
            self.name = name
            self.summary = summary
            self.text = text
            self.innovationType = innovationType
            self.innovationStep = innovationStep
            self.innovationNote = innovationNote
            self.trl = trl
            self.tags = tags
        }
    }

    /// The framework managers' decision.
    public struct Decision: Sendable, Equatable {
        public let method: VerificationMethod?
        public let reasons: String
        public let validUntil: CalendarDay?
        public let decidedAt: Date
    }

    public let id: UUID
    public let supplierID: UUID
    public let lotID: UUID
    public var description: Description
    public let status: Status
    public let decision: Decision?
    public let version: Int

    /// Whether its supplier may still withdraw it (out of the queue or the catalogue).
    public var mayBeWithdrawn: Bool { [.draft, .submitted, .verified, .expired].contains(status) }

    /// Whether evidence may be added now: by its supplier before the decision, by the agreement's framework
    /// managers while they decide.
    public func acceptsEvidence(fromSupplier: Bool) -> Bool {
        Self.acceptsEvidence(status, fromSupplier: fromSupplier)
    }

    static func acceptsEvidence(_ status: Status, fromSupplier: Bool) -> Bool {
        fromSupplier ? [.draft, .submitted].contains(status) : status == .submitted
    }
}
