import AvropApp
import Postgres
import PostgresTesting
import Testing

@Suite("Avrop's schema and roles")
struct SchemaTests {
    @Test func embeddedMigrationsMatchTheSQLDirectory() throws {
        let migrations = try AvropSchema.migrations()
        #expect(migrations.first?.version == 1)
        #expect(migrations.first?.name == "roles_and_schema")
        #expect(migrations.first?.sql.contains("CREATE SCHEMA avrop") == true)
        #expect(migrations.map(\.version) == Array(1...migrations.count), "versions are numbered without gaps")
    }

    @Test func migratingTwiceIsANoOpAndLeavesTheSchemaCurrent() async throws {
        try await TestCluster.withConnection { connection in
            let migrator = try AvropSchema.migrator()
            let all = migrator.migrations.map(\.version)
            #expect(try await migrator.migrate(connection) == all)
            #expect(try await migrator.migrate(connection) == [])
            #expect(try await migrator.status(connection) == .current)
        }
    }

    @Test func theRuntimeRoleCannotBypassRowLevelSecurityAndOwnsNothing() async throws {
        try await TestCluster.withConnection(template: "avrop", migrations: try AvropSchema.migrations()) { connection in
            let role = try #require(try await connection.query("""
                SELECT rolbypassrls, rolsuper, rolcreaterole, rolcreatedb, rolcanlogin
                FROM pg_roles WHERE rolname = 'avrop_app'
                """).first)
            #expect(try role.decode("rolbypassrls", as: Bool.self) == false)
            #expect(try role.decode("rolsuper", as: Bool.self) == false)
            #expect(try role.decode("rolcreaterole", as: Bool.self) == false)
            #expect(try role.decode("rolcreatedb", as: Bool.self) == false)
            #expect(try role.decode("rolcanlogin", as: Bool.self) == true)
            let owned = try #require(try await connection.query("""
                SELECT (SELECT count(*) FROM pg_class WHERE relowner = r.oid)
                     + (SELECT count(*) FROM pg_namespace WHERE nspowner = r.oid)
                     + (SELECT count(*) FROM pg_proc WHERE proowner = r.oid)
                     + (SELECT count(*) FROM pg_type WHERE typowner = r.oid)
                     + (SELECT count(*) FROM pg_database WHERE datdba = r.oid) AS owned
                FROM pg_roles r WHERE r.rolname = 'avrop_app'
                """).first)
            #expect(try owned.decode("owned", as: Int.self) == 0)
        }
    }

    @Test func theRuntimeRoleMayReadButNotChangeTheMigrationRecord() async throws {
        try await TestCluster.withConnection(template: "avrop", migrations: try AvropSchema.migrations()) { connection in
            try await connection.simpleQuery("SET ROLE avrop_app")
            #expect(try await connection.query("SELECT version FROM public.schema_migrations").count >= 1)
            let error = await #expect(throws: PostgresError.self) {
                try await connection.execute("DELETE FROM public.schema_migrations")
            }
            #expect(error?.code == .insufficientPrivilege)
        }
    }
}
