import Foundation
import Postgres
import PostgresTesting
import Testing

@Suite("Migrations apply in order, once, and never change")
struct MigratorTests {
    let first = Migration(version: 1, name: "schema", sql: "CREATE SCHEMA app;")
    let second = Migration(version: 2, name: "lot", sql: "CREATE TABLE app.lot (id int PRIMARY KEY, title text NOT NULL);")

    @Test func appliesInVersionOrderWhateverTheGivenOrder() async throws {
        try await TestCluster.withConnection { connection in
            // 2 needs the schema made by 1: applying out of order would fail.
            let migrator = try Migrator(migrations: [second, first])
            #expect(try await migrator.status(connection) == .outdated(pending: [1, 2]))
            #expect(try await migrator.migrate(connection) == [1, 2])
            #expect(try await migrator.status(connection) == .current)
            let rows = try await connection.query("SELECT version, name, length(checksum) AS size FROM schema_migrations ORDER BY applied_at, version")
            #expect(try rows.map { try $0.decode("version", as: Int.self) } == [1, 2])
            #expect(try rows.map { try $0.decode("size", as: Int.self) } == [64, 64])
        }
    }

    @Test func aSecondRunChangesNothing() async throws {
        try await TestCluster.withConnection { connection in
            let migrator = try Migrator(migrations: [first, second])
            try await migrator.migrate(connection)
            let before = try await connection.query("SELECT version, applied_at FROM schema_migrations ORDER BY version")
                .map { try "\($0.decode("version", as: Int.self)) \($0.decode("applied_at", as: Date.self))" }
            #expect(try await migrator.migrate(connection) == [])
            let after = try await connection.query("SELECT version, applied_at FROM schema_migrations ORDER BY version")
                .map { try "\($0.decode("version", as: Int.self)) \($0.decode("applied_at", as: Date.self))" }
            #expect(before == after)
        }
    }

    @Test func aChangedAppliedMigrationIsRefused() async throws {
        try await TestCluster.withConnection { connection in
            try await Migrator(migrations: [first]).migrate(connection)
            let edited = Migration(version: 1, name: "schema", sql: "CREATE SCHEMA app; -- edited")
            await #expect(throws: MigrationError.checksumMismatch(version: 1, name: "schema")) {
                try await Migrator(migrations: [edited, second]).migrate(connection)
            }
            await #expect(throws: MigrationError.checksumMismatch(version: 1, name: "schema")) {
                try await Migrator(migrations: [edited]).status(connection)
            }
            // Nothing after the refused check was applied.
            #expect(try await connection.query("SELECT 1 FROM schema_migrations WHERE version = 2").isEmpty)
        }
    }

    @Test func aFailingMigrationLeavesNoTrace() async throws {
        try await TestCluster.withConnection { connection in
            let broken = Migration(version: 2, name: "broken", sql: "CREATE TABLE app.half (id int); SELECT no_such_function();")
            await #expect(throws: PostgresError.self) { try await Migrator(migrations: [first, broken]).migrate(connection) }
            let gone = try await connection.query("SELECT to_regclass('app.half') IS NULL AS gone").first?.decode("gone", as: Bool.self)
            #expect(gone == true)
            let status = try await Migrator(migrations: [first, broken]).status(connection)
            #expect(status == .outdated(pending: [2]))
        }
    }

    @Test func anUnknownAppliedVersionIsRefused() async throws {
        try await TestCluster.withConnection { connection in
            try await Migrator(migrations: [first, second]).migrate(connection)
            await #expect(throws: MigrationError.unknownVersion(2)) { try await Migrator(migrations: [first]).status(connection) }
        }
    }

    @Test func fileNamesAreParsedStrictly() throws {
        #expect(Migration(fileName: "0001_roles_and_schema.sql", sql: "")?.version == 1)
        #expect(Migration(fileName: "0012_lots.sql", sql: "")?.name == "lots")
        #expect(Migration(fileName: "roles.sql", sql: "") == nil)
        #expect(Migration(fileName: "0001_.sql", sql: "") == nil)
        #expect(Migration(fileName: "0001_x.txt", sql: "") == nil)
        #expect(throws: MigrationError.duplicateVersion(1)) { try Migrator(migrations: [first, first]) }
    }
}
