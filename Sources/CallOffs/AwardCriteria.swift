public import Foundation
public import FrameworkAgreements

/// R8: the weights a call-off gives the framework's weighted requirements.
public enum AwardCriteria {
    /// Checks `weights` (requirement id → percent) against the requirements that apply to the lot: the
    /// agreement's own and the lot's.
    ///
    /// - Every criterion is one of those requirements: a call-off never brings new award criteria.
    /// - Mandatory requirements are passed or failed, never weighted.
    /// - Each weighted requirement's weight lies in its allowed range (an omitted one counts as 0).
    /// - The weights sum to 100.
    public static func validate(_ weights: [UUID: Int], requirements: [Requirement], lotID: UUID) throws(CallOffError) {
        let applicable = requirements.filter { $0.lotID == nil || $0.lotID == lotID }
        let byID = Dictionary(applicable.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        // Sorted, so that the same mistake gets the same message every time.
        for id in weights.keys.sorted(by: { $0.uuidString < $1.uuidString }) {
            guard let requirement = byID[id] else { throw .notAFrameworkRequirement(id) }
            if case .mandatory = requirement.kind { throw .weightOnMandatory(code: requirement.code) }
        }
        for requirement in applicable.sorted(by: { $0.code < $1.code }) {
            guard case .weighted(let minimum, let maximum) = requirement.kind else { continue }
            let weight = weights[requirement.id] ?? 0
            guard weight >= minimum, weight <= maximum else {
                throw .weightOutOfRange(code: requirement.code, minimum: minimum, maximum: maximum)
            }
        }
        let sum = weights.values.reduce(0, +)
        guard sum == 100 else { throw .weightsDoNotSumTo100(sum: sum) }
    }
}
