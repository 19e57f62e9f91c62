public import AvropCore
public import Foundation
public import FrameworkAgreements

/// Why a call-off use case was refused. The message is fit to show the person who asked.
public enum CallOffError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Not there, or not for this caller to see (DESIGN §4: the same answer for both).
    case notFound
    case invalid(field: String, reason: String)
    /// Only a draft can be changed this way.
    case notDraft
    /// Changed since the caller read it.
    case versionMismatch(current: Int)
    /// R2: the agreement is not active.
    case agreementNotActive
    /// R2: the call-off could not be awarded before the agreement ends.
    case deadlineAfterAgreementEnds(validTo: CalendarDay)
    /// R3: the authority is not among the agreement's eligible authorities.
    case authorityNotEligible
    /// R3: only suppliers active on the lot are invited.
    case supplierNotActiveOnLot(UUID)
    /// R5–R7: the lot's terms do not allow this method for this value.
    case methodNotAllowed(requested: CallOffMethod, lotMethod: Lot.CallOffMethod)
    /// R6: excluding a supplier from a renewed competition needs a recorded reason.
    case exclusionWithoutReason(UUID)
    /// R5: a cascade goes down the ranks; it does not exclude.
    case exclusionInCascade
    /// Nobody is left to invite.
    case noSupplierToInvite
    /// R6: the tender period is shorter than the lot's minimum.
    case tenderPeriodTooShort(minimumDays: Int)
    /// The questions deadline must come before the tender deadline.
    case questionsDeadlineNotBeforeTenderDeadline
    /// R8: award criteria come only from the framework's requirements for the lot.
    case notAFrameworkRequirement(UUID)
    /// R8: a mandatory requirement is passed or failed, never weighted.
    case weightOnMandatory(code: String)
    /// R8: a weight outside the range the framework allows.
    case weightOutOfRange(code: String, minimum: Int, maximum: Int)
    /// R8: the weights must sum to 100.
    case weightsDoNotSumTo100(sum: Int)
    /// R18: a voluntary standstill lasts at least this many days.
    case standstillTooShort(minimumDays: Int)

    public var description: String {
        switch self {
        case .notFound: "not found"
        case .invalid(let field, let reason): "\(field): \(reason)"
        case .notDraft: "only a draft can be changed this way"
        case .versionMismatch: "it has changed since you read it"
        case .agreementNotActive: "R2: a call-off can be published only while its framework agreement is active"
        case .deadlineAfterAgreementEnds(let validTo): "R2: the call-off must be awarded before the agreement ends on \(validTo)"
        case .authorityNotEligible: "R3: the authority may not call off under this framework agreement"
        case .supplierNotActiveOnLot: "R3: only suppliers active on the lot may take part"
        case .methodNotAllowed(let requested, let lotMethod): "R5–R7: the lot's method (\(lotMethod.rawValue)) does not allow \(requested.rawValue) for this value"
        case .exclusionWithoutReason: "R6: excluding a supplier from a renewed competition needs a reason"
        case .exclusionInCascade: "R5: a ranked cascade does not exclude suppliers; it goes down the ranks"
        case .noSupplierToInvite: "no supplier active on the lot is left to invite"
        case .tenderPeriodTooShort(let days): "R6: the tender period must be at least \(days) days"
        case .questionsDeadlineNotBeforeTenderDeadline: "the questions deadline must come before the tender deadline"
        case .notAFrameworkRequirement: "R8: award criteria come only from the framework agreement's requirements for the lot"
        case .weightOnMandatory(let code): "R8: \(code) is mandatory: it is passed or failed, not weighted"
        case .weightOutOfRange(let code, let minimum, let maximum): "R8: the weight of \(code) must lie between \(minimum) and \(maximum)"
        case .weightsDoNotSumTo100(let sum): "R8: the weights sum to \(sum), not 100"
        case .standstillTooShort(let days): "R18: a voluntary standstill lasts at least \(days) days"
        }
    }
}
