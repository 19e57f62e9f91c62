import Postgres
import PostgresTesting
import Testing

@Suite("Each named SQLSTATE is recognised")
struct SQLStateTests {
    private func error(_ connection: Connection, _ sql: SQL) async -> PostgresError? {
        await #expect(throws: PostgresError.self) { try await connection.execute(sql) }
    }

    @Test func integrityViolationsCarryTheirCodeAndConstraint() async throws {
        try await TestCluster.withConnection { connection in
            try await connection.simpleQuery("""
                CREATE TABLE agreement (id int CONSTRAINT agreement_pkey PRIMARY KEY);
                CREATE TABLE lot (
                    agreement_id int NOT NULL CONSTRAINT lot_agreement_fkey REFERENCES agreement,
                    number int CONSTRAINT lot_number_positive CHECK (number > 0)
                );
                INSERT INTO agreement VALUES (1);
                """)
            let foreignKey = await error(connection, "INSERT INTO lot VALUES (\(99), \(1))")
            #expect(foreignKey?.code == .foreignKeyViolation)
            #expect(foreignKey?.constraint == "lot_agreement_fkey")
            let check = await error(connection, "INSERT INTO lot VALUES (\(1), \(-1))")
            #expect(check?.code == .checkViolation)
            #expect(check?.constraint == "lot_number_positive")
            let notNull = await error(connection, "INSERT INTO lot VALUES (\(Int?.none), \(1))")
            #expect(notNull?.code == .notNullViolation)
            let unique = await error(connection, "INSERT INTO agreement VALUES (\(1))")
            #expect(unique?.code == .uniqueViolation)
            #expect(unique?.constraint == "agreement_pkey")
        }
    }

    @Test func lockTimeoutAndQueryCanceledAreRecognised() async throws {
        try await TestCluster.withDatabase { configuration in
            let holder = try await Connection.connect(configuration)
            let waiter = try await Connection.connect(configuration)
            try await holder.execute("CREATE TABLE contract (id int)")
            try await holder.simpleQuery("BEGIN; LOCK TABLE contract IN ACCESS EXCLUSIVE MODE")
            try await waiter.simpleQuery("SET lock_timeout = '50ms'")
            let lock = await error(waiter, "SELECT * FROM contract")
            #expect(lock?.code == .lockNotAvailable)
            try await waiter.simpleQuery("SET lock_timeout = 0; SET statement_timeout = '50ms'")
            let canceled = await error(waiter, "SELECT pg_sleep(5)")
            #expect(canceled?.code == .queryCanceled)
            try await holder.simpleQuery("ROLLBACK")
            await holder.close()
            await waiter.close()
        }
    }

    @Test func aTerminatedSessionIsAConnectionError() async throws {
        try await TestCluster.withDatabase { configuration in
            let victim = try await Connection.connect(configuration)
            let admin = try await Connection.connect(configuration)
            try await admin.execute("SELECT pg_terminate_backend(\(await victim.backendProcessID))")
            let error = await #expect(throws: PostgresError.self) { try await victim.execute("SELECT 1") }
            // The server says why (57P01) when its goodbye arrives before the socket closes; either way the
            // connection is unusable.
            #expect(error?.kind == .connection || error?.code == .adminShutdown)
            #expect(await victim.isReusable == false)
            await admin.close()
        }
    }
}
