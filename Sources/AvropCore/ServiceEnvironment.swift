public import Foundation

/// Where a service's time and new identifiers come from. The composition root (`AvropApp`) gives every
/// service the same one; a test gives a fixed clock or a predictable id sequence where it must.
///
/// The service's clock stamps what the service itself decides (a token's expiry, a TOTP window). Deadlines
/// of a procurement are decided by the database's clock, never by this one (R10).
public struct ServiceEnvironment: Sendable {
    /// The current time.
    public let now: @Sendable () -> Date
    /// A new identifier for a row this service creates.
    public let newID: @Sendable () -> UUID

    public init(now: @escaping @Sendable () -> Date, newID: @escaping @Sendable () -> UUID) {
        self.now = now
        self.newID = newID
    }

    /// The system's clock and random (version 4) UUIDs: what the running service uses.
    public static let system = ServiceEnvironment(now: { Date() }, newID: { UUID() })
}
