public import Foundation
public import Identity

/// Who may do what with framework agreements (DESIGN §4). Refusals are `AgreementError.notFound`.
public enum AgreementPolicy {
    /// Drafting and managing: the owner's framework managers.
    public static func mayManage(_ actor: Actor, ownerID: UUID) -> Bool {
        actor.organizationID == ownerID && actor.roles.contains(.frameworkManager)
    }

    /// Reading: the owner's members always; anyone, signed in or not, an active agreement; members of other
    /// organisations (authorities, auditors, suppliers) also one that has ended.
    public static func mayRead(_ actor: Actor?, _ agreement: FrameworkAgreement) -> Bool {
        if let actor, actor.organizationID == agreement.ownerID { return true }
        switch agreement.status {
        case .draft: return false
        case .active: return true
        case .expired, .terminated: return actor.map { !$0.roles.isEmpty } ?? false
        }
    }
}
