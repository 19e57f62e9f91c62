import Audit
import Foundation
import Identity
import Postgres
import Testing

@Suite("The audit log is a tamper-evident, append-only hash chain (R23)")
struct AuditLogTests {
    @Test func r23_eventsChainGaplessPerStreamAndVerify() async throws {
        try await IdentityFixture.withFixture { fixture in
            let settings = IdentityFixture.actor(fixture.buyerA, in: fixture.authorityA)
            let stream = "call-off/\(UUID().uuidString.lowercased())"
            var sequences: [Int] = []
            for step in ["callOff.created", "callOff.published", "callOff.cancelled"] {
                let sequence = try await fixture.app.withTransaction(settings: settings) { connection in
                    try await AuditLog.append(stream: stream, organizationID: fixture.authorityA.id, action: step,
                                              data: AuditFacts(["reason": "test"]), on: connection)
                }
                sequences.append(sequence)
            }
            #expect(sequences == [1, 2, 3])
            // The actor is the transaction's, not something the caller passes.
            let actors = try await fixture.owner.withConnection { connection in
                try await connection.query("SELECT DISTINCT actor_user_id FROM avrop.audit_event WHERE stream = \(stream)")
                    .map { try $0.decode("actor_user_id", as: UUID.self) }
            }
            #expect(actors == [fixture.buyerA.id])
            let report = try await fixture.owner.withConnection { try await AuditVerifier.verify(on: $0) }
            #expect(report.isIntact)
            #expect(report.events >= 3)
        }
    }

    @Test func r23_theAppRoleCannotChangeOrRemoveEvents() async throws {
        try await IdentityFixture.withFixture { fixture in
            let settings = IdentityFixture.actor(fixture.buyerA, in: fixture.authorityA)
            for statement: SQL in [
                "UPDATE avrop.audit_event SET data = '{}'",
                "DELETE FROM avrop.audit_event",
                "TRUNCATE avrop.audit_event",
                "INSERT INTO avrop.audit_event SELECT * FROM avrop.audit_event LIMIT 1",
                "UPDATE avrop.audit_stream SET last_sequence = 0",
            ] {
                let error = await #expect(throws: PostgresError.self, "\(statement)") {
                    try await fixture.app.withTransaction(settings: settings) { try await $0.execute(statement) }
                }
                #expect(error?.code == .insufficientPrivilege, "\(statement)")
            }
        }
    }

    @Test func r23_verifyNamesTheFirstTamperedEvent() async throws {
        try await IdentityFixture.withFixture { fixture in
            let stream = "organization/\(fixture.authorityA.id.uuidString.lowercased())"
            // A superuser changes one event's data.
            try await fixture.owner.withConnection { connection in
                try await connection.execute("UPDATE avrop.audit_event SET data = '{\"name\": \"Forged\"}' WHERE stream = \(stream) AND sequence = 1")
            }
            let report = try await fixture.owner.withConnection { try await AuditVerifier.verify(on: $0) }
            #expect(report.firstBreak?.stream == stream)
            #expect(report.firstBreak?.sequence == 1)
        }
    }

    @Test func r23_verifyFindsARemovedLastEvent() async throws {
        try await IdentityFixture.withFixture { fixture in
            let stream = "organization/\(fixture.authorityA.id.uuidString.lowercased())"
            try await fixture.owner.withConnection { connection in
                try await connection.execute("""
                    DELETE FROM avrop.audit_event WHERE stream = \(stream)
                    AND sequence = (SELECT max(sequence) FROM avrop.audit_event WHERE stream = \(stream))
                    """)
            }
            let report = try await fixture.owner.withConnection { try await AuditVerifier.verify(stream: stream, on: $0) }
            #expect(report.firstBreak?.stream == stream)
            #expect(report.firstBreak?.reason.contains("last event") == true)
        }
    }

    @Test func r23_concurrentAppendsStayGaplessWithinAndAcrossStreams() async throws {
        try await IdentityFixture.withFixture { fixture in
            let settings = IdentityFixture.actor(fixture.buyerA, in: fixture.authorityA)
            let streams = (0..<4).map { _ in "tender/\(UUID().uuidString.lowercased())" }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<40 {
                    group.addTask {
                        try await fixture.app.withTransaction(settings: settings) { connection in
                            _ = try await AuditLog.append(stream: streams[index % 4], organizationID: fixture.authorityA.id,
                                                          action: "tender.saved", data: AuditFacts([:]), on: connection)
                        }
                    }
                }
                try await group.waitForAll()
            }
            for stream in streams {
                let sequences = try await fixture.owner.withConnection { connection in
                    try await connection.query("SELECT sequence FROM avrop.audit_event WHERE stream = \(stream) ORDER BY sequence")
                        .map { try $0.decode("sequence", as: Int.self) }
                }
                #expect(sequences == Array(1...10))
            }
            let report = try await fixture.owner.withConnection { try await AuditVerifier.verify(on: $0) }
            #expect(report.isIntact)
        }
    }

    @Test func r23_aForgedCanonicalFunctionIsCaughtByTheSwiftRecomputation() async throws {
        try await IdentityFixture.withFixture { fixture in
            let stream = "organization/\(fixture.authorityA.id.uuidString.lowercased())"
            #expect(try await fixture.owner.withConnection { try await AuditChainCheck.firstMismatch(on: $0) } == nil)
            // A superuser makes the database's canonical form ignore the data, then rewrites an event and
            // its chain to match: the SQL check is fooled, the independent one is not.
            try await fixture.owner.withConnection { connection in
                try await connection.simpleQuery("""
                    CREATE OR REPLACE FUNCTION avrop.audit_canonical(
                        stream text, sequence bigint, occurred_at timestamptz, organization_id uuid, actor_user_id uuid,
                        actor_organization_id uuid, action text, data jsonb
                    ) RETURNS bytea LANGUAGE sql IMMUTABLE AS $$ SELECT convert_to(stream || sequence::text, 'UTF8') $$;
                    UPDATE avrop.audit_event SET data = '{"name": "Forged"}' WHERE stream = '\(stream)' AND sequence = 1;
                    DO $$
                    DECLARE r record; prev bytea := '\\x';
                    BEGIN
                        FOR r IN SELECT * FROM avrop.audit_event WHERE stream = '\(stream)' ORDER BY sequence LOOP
                            UPDATE avrop.audit_event SET previous_hash = prev,
                                hash = sha256(prev || avrop.audit_canonical(r.stream, r.sequence, r.occurred_at,
                                    r.organization_id, r.actor_user_id, r.actor_organization_id, r.action, r.data))
                            WHERE stream = r.stream AND sequence = r.sequence
                            RETURNING hash INTO prev;
                        END LOOP;
                        UPDATE avrop.audit_stream SET last_hash = prev WHERE stream = '\(stream)';
                    END $$;
                    """)
            }
            let report = try await fixture.owner.withConnection { try await AuditVerifier.verify(stream: stream, on: $0) }
            #expect(report.firstBreak?.stream == stream)
            #expect(report.firstBreak?.sequence == 1)
            // The database's own check was fooled; only the recomputation outside it saw the change.
            #expect(report.firstBreak?.reason.contains("outside the database") == true)
        }
    }
}
