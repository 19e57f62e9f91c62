/// The named prepared statements of one connection, by statement text and parameter types.
///
/// Preparing costs one extra round trip on first use and saves the server parsing and planning on every
/// later one. The cache is bounded: beyond `capacity` distinct statements, new ones run unprepared, so a
/// statement built with dynamic text cannot grow it without end. Used only on the connection's thread,
/// hence `@unchecked Sendable`.
final class StatementCache: @unchecked Sendable {
    private struct Key: Hashable {
        let text: String
        let types: [UInt32]
    }

    let capacity: Int
    private var names: [Key: String] = [:]
    private var counter = 0

    init(capacity: Int = 256) {
        self.capacity = capacity
    }

    /// The statement's name, preparing it with `prepare(name)` first when it is new and there is room;
    /// `nil` when it should run unprepared.
    func name(for text: String, types: [UInt32], prepare: (String) throws -> Void) throws -> String? {
        let key = Key(text: text, types: types)
        if let name = names[key] { return name }
        guard names.count < capacity else { return nil }
        counter += 1
        let name = "avrop_\(counter)"
        try prepare(name)
        names[key] = name
        return name
    }

    /// Forgets a statement whose plan the server no longer accepts; its next use prepares it anew.
    func forget(_ text: String, types: [UInt32]) {
        names[Key(text: text, types: types)] = nil
    }
}
