public import Foundation
public import Identity

/// Who may do what with framework agreements (DESIGN §4). Refusals are `AgreementError.notFound`.
public enum AgreementPolicy {
    /// Drafting and managing: the owner's framework managers.
    public static func mayManage(_ actor: Actor, ownerID: UUID) -> Bool {
        actor.organizationID == ownerID && actor.roles.contains(.frameworkManager)
    }

    /// Reading: the owner's members always; anyone, signed in or not, an active agreement; one that has
    /// ended, the people who follow up what was called off under it (buyers, contract managers, auditors)
    /// and the suppliers that were on it (`supplierOnIt`). Row-level security draws the same line.
    public static func mayRead(_ actor: Actor?, _ agreement: FrameworkAgreement, supplierOnIt: Bool) -> Bool {
        if let actor, actor.organizationID == agreement.ownerID { return true }
        switch agreement.status {
        case .draft: return false
        case .active: return true
        case .expired, .terminated:
            guard let actor else { return false }
            return !actor.roles.isDisjoint(with: [.buyer, .contractManager, .auditor])
                || (supplierOnIt && actor.roles.contains(.supplierRepresentative))
        }
    }
}
