/// A step of the innovation staircase (innovationstrappan, DESIGN §1): where a solution stands, and what
/// an agreement's call-offs aim at.
public enum InnovationStep: String, Sendable, CaseIterable {
    /// Införa: proven elsewhere, new to the buyer.
    case deploy
    /// Introducera: new to the market, adapted to the buyer.
    case introduce
    /// Initiera: still to be developed with the buyer.
    case initiate
}
