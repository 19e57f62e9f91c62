import Synchronization

/// Search results kept in memory, each under the catalogue generation and the day it was computed for.
///
/// The catalogue changes only when someone decides something (a verification, a withdrawal, an agreement's
/// end), while the same searches come again and again; a search that scores and counts thousands of
/// matches costs tens of milliseconds, a kept one nothing. Correctness rests on the key: the generation
/// (`avrop.catalogue_generation`, moved by every change to the tables the catalogue shows, read in the
/// snapshot of the search) and the day (solutions and agreements expire by date). Results of an older
/// generation or day are dropped as soon as a newer one is seen. Each service instance keeps its own.
final class CatalogueCache: Sendable {
    struct Key: Hashable, Sendable {
        let query: Catalogue.Query
        let text: String
        let limit: Int
    }

    private struct State {
        var generation: Int64 = 0
        var day = ""
        var results: [Key: Catalogue.Result] = [:]
        /// Insertion order, oldest first: the first to go when the cache is full.
        var order: [Key] = []
    }

    private let capacity: Int
    private let state = Mutex(State())

    init(capacity: Int = 1_000) {
        self.capacity = capacity
    }

    /// The result kept for `key` in `generation` on `day`, if any.
    func result(for key: Key, generation: Int64, day: String) -> Catalogue.Result? {
        state.withLock { state in
            guard state.generation == generation, state.day == day else { return nil }
            return state.results[key]
        }
    }

    /// Keeps `result`; a newer generation or day empties the cache first, an older one keeps nothing.
    func store(_ result: Catalogue.Result, for key: Key, generation: Int64, day: String) {
        guard capacity > 0 else { return }
        state.withLock { state in
            if generation > state.generation || day > state.day {
                state = State(generation: generation, day: day)
            }
            guard state.generation == generation, state.day == day, state.results[key] == nil else { return }
            if state.order.count >= capacity {
                state.results[state.order.removeFirst()] = nil
            }
            state.results[key] = result
            state.order.append(key)
        }
    }

    var count: Int { state.withLock { $0.results.count } }
}
