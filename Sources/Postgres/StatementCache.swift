/// The named prepared statements of one connection, by statement text and parameter types.
///
/// Preparing costs one extra round trip on first use and saves the server parsing and planning on every
/// later one. The cache is bounded: beyond `capacity` distinct statements, new ones run unprepared, so a
/// statement built with dynamic text cannot grow it without end. Used only on the connection's thread,
/// hence `@unchecked Sendable`.
final class StatementCache: @unchecked Sendable {
    private struct Entry {
        let name: String
        let types: [UInt32]
    }

    let capacity: Int
    private var entries: [String: Entry] = [:]
    private var counter = 0

    init(capacity: Int = 256) {
        self.capacity = capacity
    }

    /// The statement's name, preparing it with `prepare(name)` first when it is new and there is room;
    /// `nil` when it should run unprepared (no room, or the same text with other parameter types).
    func name(for text: String, types: UnsafeBufferPointer<UInt32>, prepare: (String) throws -> Void) throws -> String? {
        if let entry = entries[text] {
            return entry.types.elementsEqual(types) ? entry.name : nil
        }
        guard entries.count < capacity else { return nil }
        counter += 1
        let name = "avrop_\(counter)"
        try prepare(name)
        entries[text] = Entry(name: name, types: Array(types))
        return name
    }

    /// Forgets a statement whose plan the server no longer accepts; its next use prepares it anew.
    func forget(_ text: String) {
        entries[text] = nil
    }
}
