/// What stands between a draft and activation (issue 4): pure, so it is tested without a database.
public enum ActivationProblem: Sendable, Equatable, CustomStringConvertible {
    case noLots
    /// A lot without any active supplier.
    case noActiveSupplier(lot: Int)
    /// A cascade (or combined) lot whose active suppliers lack ranks or share one.
    case ranksNotUnique(lot: Int)
    /// The weighted requirements that apply to a lot cannot be given weights that sum to 100.
    case weightsCannotSumTo100(lot: Int)
    /// R1.
    case validityTooLong

    public var description: String {
        switch self {
        case .noLots: "the agreement has no lot"
        case .noActiveSupplier(let lot): "lot \(lot) has no active supplier"
        case .ranksNotUnique(let lot): "lot \(lot) ranks its suppliers by cascade, but not every active supplier has a rank of its own"
        case .weightsCannotSumTo100(let lot): "the weight ranges of lot \(lot)'s weighted requirements cannot sum to 100"
        case .validityTooLong: "R1: validity and extension exceed four years without a justification"
        }
    }
}

public enum ActivationCheck {
    /// R1: the last day (extension included) at most four years after the first, unless justified.
    public static func validityAllowed(_ terms: FrameworkAgreement.Terms) -> Bool {
        let justified = !(terms.longValidityJustification ?? "").trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
        return justified || terms.lastDay <= terms.validFrom.adding(years: 4)
    }

    /// Every reason the agreement cannot be activated; empty when it can.
    public static func problems(_ details: AgreementDetails) -> [ActivationProblem] {
        var problems: [ActivationProblem] = []
        if !validityAllowed(details.agreement.terms) { problems.append(.validityTooLong) }
        if details.lots.isEmpty { problems.append(.noLots) }
        for lot in details.lots.sorted(by: { $0.number < $1.number }) {
            let active = details.suppliers.filter { $0.lotID == lot.id && $0.status == .active }
            if active.isEmpty { problems.append(.noActiveSupplier(lot: lot.number)) }
            if lot.method != .renewedCompetition {
                let ranks = active.compactMap(\.rank)
                if ranks.count != active.count || Set(ranks).count != ranks.count { problems.append(.ranksNotUnique(lot: lot.number)) }
            }
            let ranges = details.requirements.compactMap { requirement -> (Int, Int)? in
                guard requirement.lotID == nil || requirement.lotID == lot.id, case .weighted(let low, let high) = requirement.kind else { return nil }
                return (low, high)
            }
            if !ranges.isEmpty, !(ranges.map(\.0).reduce(0, +) <= 100 && ranges.map(\.1).reduce(0, +) >= 100) {
                problems.append(.weightsCannotSumTo100(lot: lot.number))
            }
        }
        return problems
    }
}
