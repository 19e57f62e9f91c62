public import Foundation

/// What the managers of a framework agreement read of a call-off published under it (DESIGN §4): enough to
/// follow the agreement's use and its ceiling, nothing of the call-off's documents or tenders.
public struct CallOffRegisterEntry: Sendable, Equatable, Identifiable {
    public let id: UUID
    public let reference: CallOffReference
    public let authorityID: UUID
    public let authorityName: String
    public let lotID: UUID
    public let method: CallOffMethod
    public let status: CallOff.Status
    public let estimatedValueOre: Int64
    public let publishedAt: Date
}
