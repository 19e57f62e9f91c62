import FrameworkAgreements
import Synchronization

/// A dictionary shared between tasks that never holds more than `capacity` entries: when full, it starts
/// over. For values that are cheap to find again and costly only in aggregate.
final class BoundedCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private let capacity: Int
    private let entries = Mutex<[Key: Value]>([:])

    init(capacity: Int) {
        self.capacity = capacity
    }

    func value(for key: Key) -> Value? {
        entries.withLock { $0[key] }
    }

    func keep(_ value: Value, for key: Key) {
        entries.withLock { entries in
            if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            entries[key] = value
        }
    }
}
