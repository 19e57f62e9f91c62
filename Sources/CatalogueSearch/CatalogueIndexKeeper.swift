import FrameworkAgreements
import Foundation
import Postgres
import Synchronization

/// Keeps the newest `CatalogueIndex` of one service instance and builds the next when a search sees a
/// newer generation or day: one build at a time, every search that needs it waiting for the same one.
///
/// The catalogue changes only when someone decides something (a verification, a withdrawal, an agreement's
/// end), while it is searched all the time; so a whole rebuild per change is cheap enough (100,000
/// solutions: see `bench/run catalogue`) and keeps the index exactly what one snapshot of the database shows.
final class CatalogueIndexKeeper: Sendable {
    private struct State {
        var current: CatalogueIndex?
        var building: (stamp: CatalogueIndex.Stamp, task: Task<CatalogueIndex, any Error>)?
    }

    private let pool: ConnectionPool
    private let state = Mutex(State())

    init(pool: ConnectionPool) {
        self.pool = pool
    }

    /// The index of `stamp` if there is one, else a newly built one: of `stamp`, or of a newer stamp when
    /// the catalogue changed again meanwhile (the caller compares).
    func index(for stamp: CatalogueIndex.Stamp) async throws -> CatalogueIndex {
        enum Step {
            case ready(CatalogueIndex)
            case wait(Task<CatalogueIndex, any Error>)
        }
        let step: Step = state.withLock { state in
            if let current = state.current, current.stamp == stamp { return .ready(current) }
            if let building = state.building, building.stamp == stamp { return .wait(building.task) }
            // Unstructured: the build outlives a search that is cancelled, for the others waiting on it.
            let task = Task { [pool] in
                try await pool.withTransaction(isolation: .repeatableRead) { try await Self.build(on: $0) }
            }
            state.building = (stamp, task)
            return .wait(task)
        }
        switch step {
        case .ready(let index):
            return index
        case .wait(let task):
            do {
                let index = try await task.value
                state.withLock { state in
                    if state.building?.stamp == stamp { state.building = nil }
                    if state.current.map({ Self.isNewer(index.stamp, than: $0.stamp) }) ?? true { state.current = index }
                }
                return index
            } catch {
                state.withLock { state in
                    if state.building?.stamp == stamp { state.building = nil }
                }
                throw error
            }
        }
    }

    /// The index that searches are answered from now, if one was built.
    var current: CatalogueIndex? { state.withLock { $0.current } }

    static func isNewer(_ stamp: CatalogueIndex.Stamp, than other: CatalogueIndex.Stamp) -> Bool {
        stamp.generation > other.generation || stamp.day > other.day
    }

    /// Reads the whole public catalogue in `connection`'s snapshot (repeatable read).
    private static func build(on connection: Connection) async throws -> CatalogueIndex {
        let stamp = try await Catalogue.stamp(on: connection)
        let lots = try await connection.query("""
            SELECT id, agreement_id, agreement_title, number, title FROM avrop.catalogue_lot ORDER BY agreement_id, number
            """).map { row in
            (id: try row.decode("id", as: UUID.self), agreement: try row.decode("agreement_id", as: UUID.self),
             agreementTitle: try row.decode("agreement_title", as: String.self), number: try row.decode("number", as: Int.self),
             title: try row.decode("title", as: String.self))
        }
        let suppliers = try await connection.query("""
            SELECT o.id, o.name FROM avrop.organization o
            WHERE o.id IN (SELECT DISTINCT supplier_id FROM avrop.catalogue_solution) ORDER BY o.id
            """).map { CatalogueIndex.Named(id: try $0.decode("id", as: UUID.self), name: try $0.decode("name", as: String.self)) }
        let entries = try await connection.query("""
            SELECT id, lot_id, supplier_id, innovation_type, innovation_step, trl,
                   coalesce((extract(epoch FROM decided_at) * 1000000)::int8, 0) AS decided, search_vector::text AS vector
            FROM avrop.catalogue_solution ORDER BY id
            """).map { row in
            CatalogueIndex.Entry(
                id: try row.decode("id", as: UUID.self), lot: try row.decode("lot_id", as: UUID.self),
                supplier: try row.decode("supplier_id", as: UUID.self),
                innovationType: Solution.InnovationType(rawValue: try row.decode("innovation_type", as: String.self)) ?? .product,
                innovationStep: InnovationStep(rawValue: try row.decode("innovation_step", as: String.self)) ?? .deploy,
                trl: try row.decode("trl", as: Int.self), decided: try row.decode("decided", as: Int64.self),
                vector: try row.decode("vector", as: String.self))
        }
        return CatalogueIndex(stamp: stamp, lots: lots, suppliers: suppliers, entries: entries)
    }
}
