public import FrameworkAgreements

/// How a call-off reaches the suppliers: down the ranks, or to all of them at once. A lot's `combined`
/// method becomes one of the two by the call-off's estimated value.
public enum CallOffMethod: String, Sendable, CaseIterable, Codable {
    /// R5: rank 1 first; the next rank only when the one before declines with a listed reason or does not
    /// answer in time. No award decision or standstill.
    case rankedCascade
    /// R6: every active supplier of the lot at once.
    case renewedCompetition

    /// The method a call-off under `lot` with `estimatedValueOre` must use (R5–R7), checking the one the
    /// buyer asked for, if any.
    ///
    /// - R7: under a combined lot, a value below the threshold goes by cascade and renewed competition is
    ///   refused; at or above it, renewed competition (and a cascade is refused).
    /// - A lot's fixed method is the only one its call-offs may use: the agreement's terms bind both sides.
    public static func resolve(lot: Lot, estimatedValueOre: Int64, requested: CallOffMethod? = nil) throws(CallOffError) -> CallOffMethod {
        let method: CallOffMethod = switch lot.method {
        case .rankedCascade: .rankedCascade
        case .renewedCompetition: .renewedCompetition
        // A combined lot without a threshold cannot be activated (AgreementService checks it); read as none.
        case .combined: estimatedValueOre < (lot.combinedThresholdOre ?? 0) ? .rankedCascade : .renewedCompetition
        }
        if let requested, requested != method {
            throw .methodNotAllowed(requested: requested, lotMethod: lot.method)
        }
        return method
    }
}
