public import Foundation
public import FrameworkAgreements

/// Whom a call-off invites when it is published, and for a cascade who comes next (R3, R5, R6).
public struct InvitationPlan: Sendable, Equatable {
    /// Invited at publication.
    public let invited: [UUID]
    /// R5: the ranks after the invited one, in order: each is asked only when the one before declines with
    /// a listed reason or does not answer in time. Empty for a renewed competition.
    public let laterRanks: [UUID]
    /// R6: suppliers left out of a renewed competition, with the recorded reason.
    public let excluded: [UUID: String]

    /// The plan for `method` among `suppliers` of the lot.
    ///
    /// - R3: only suppliers active on the lot take part; an exclusion must name one of them.
    /// - R5: a cascade invites the best-ranked active supplier and keeps the rest in rank order.
    /// - R6: a renewed competition invites every active supplier; excluding one needs a reason.
    public static func make(
        method: CallOffMethod, lotID: UUID, suppliers: [LotSupplier], exclusions: [UUID: String] = [:]
    ) throws(CallOffError) -> InvitationPlan {
        let active = suppliers.filter { $0.lotID == lotID && $0.status == .active }
        for (supplier, reason) in exclusions {
            guard active.contains(where: { $0.supplierID == supplier }) else { throw .supplierNotActiveOnLot(supplier) }
            guard !reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { throw .exclusionWithoutReason(supplier) }
        }
        switch method {
        case .rankedCascade:
            guard exclusions.isEmpty else { throw .exclusionInCascade }
            // Activation makes sure every active supplier of a cascade lot has a rank of its own.
            let ranked = active.sorted { ($0.rank ?? .max, $0.supplierName) < ($1.rank ?? .max, $1.supplierName) }.map(\.supplierID)
            guard let first = ranked.first else { throw .noSupplierToInvite }
            return InvitationPlan(invited: [first], laterRanks: Array(ranked.dropFirst()), excluded: [:])
        case .renewedCompetition:
            let invited = active.filter { exclusions[$0.supplierID] == nil }.sorted { $0.supplierName < $1.supplierName }.map(\.supplierID)
            guard !invited.isEmpty else { throw .noSupplierToInvite }
            return InvitationPlan(invited: invited, laterRanks: [], excluded: exclusions)
        }
    }
}
