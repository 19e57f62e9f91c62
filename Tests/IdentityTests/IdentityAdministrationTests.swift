import Audit
import Foundation
import Identity
import Postgres
import Testing

@Suite("Registering organisations and users")
struct IdentityAdministrationTests {
    @Test func badInputIsRefusedWithAReason() async throws {
        try await IdentityFixture.withFixture { fixture in
            let admin = fixture.administration
            await #expect(throws: IdentityError.invalidOrganizationNumber(.wrongCheckDigit)) {
                _ = try await admin.addOrganization(kind: .supplier, name: "Fel AB", number: "556036-0794")
            }
            await #expect(throws: IdentityError.organizationNumberTaken) {
                _ = try await admin.addOrganization(kind: .supplier, name: "Dubblett AB", number: "2120000142")
            }
            await #expect(throws: IdentityError.emailTaken) {
                _ = try await admin.addUser(email: "ANNA@norr.example", displayName: "Anna igen", password: "ett annat långt lösen")
            }
            await #expect(throws: IdentityError.self) {
                _ = try await admin.addUser(email: "kort@lösen.example", displayName: "Kort", password: "kort")
            }
            await #expect(throws: IdentityError.roleNotAllowed(.supplierRepresentative, .contractingAuthority)) {
                try await admin.grant(.supplierRepresentative, email: fixture.buyerA.email, organizationNumber: "2120000142")
            }
        }
    }

    @Test func passwordsAreHashedWithBcryptCost12ByDefault() throws {
        let policy = PasswordPolicy()
        #expect(policy.cost >= 12)
        let hash = try policy.hash("en lång och ovanlig fras")
        #expect(hash.hasPrefix("$2b$12$") || hash.hasPrefix("$2a$12$") || hash.hasPrefix("$2y$12$"))
        #expect(policy.verify("en lång och ovanlig fras", hash: hash))
        #expect(!policy.verify("en lång och ovanlig fras!", hash: hash))
        #expect(policy.problem(with: "Password1234") != nil)
        #expect(policy.problem(with: "aaaaaaaaaaaaaaaa") != nil)
    }

    @Test func changesAreAuditedWithoutSecrets() async throws {
        try await IdentityFixture.withFixture { fixture in
            let data = try await fixture.owner.withConnection { connection in
                try await connection.query("SELECT action, data::text AS data FROM avrop.audit_event ORDER BY occurred_at")
                    .map { try "\($0.decode("action", as: String.self)) \($0.decode("data", as: String.self))" }
            }
            #expect(data.contains { $0.hasPrefix("organization.created") && $0.contains("Region Norr") })
            #expect(data.contains { $0.hasPrefix("user.created") && $0.contains("anna@norr.example") })
            #expect(data.contains { $0.hasPrefix("membership.granted") && $0.contains("buyer") })
            #expect(!data.contains { $0.contains("$2b$") || $0.contains("häst") }, "no password or hash in the log")
        }
    }
}
