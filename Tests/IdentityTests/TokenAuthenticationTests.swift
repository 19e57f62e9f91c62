import Foundation
import AvropCore
import Identity
import Postgres
import Testing

@Suite("API tokens and the login throttle")
struct TokenAuthenticationTests {
    private func tokens(_ fixture: IdentityFixture) -> TokenAuthentication {
        TokenAuthentication(pool: fixture.app, passwords: PasswordPolicy(cost: 4))
    }

    @Test func aTokenIssuedForAPasswordAuthenticatesAsItsUserAndOrganization() async throws {
        try await IdentityFixture.withFixture { fixture in
            let service = tokens(fixture)
            let issued = try await service.issue(email: "ANNA@norr.example", password: "korrekt häst batteri", address: "192.0.2.1", name: "integration")
            #expect(issued.secret.hasPrefix("avr_"))
            let actor = try #require(try await service.authenticate(bearer: issued.secret))
            #expect(actor.userID == fixture.buyerA.id)
            #expect(actor.organizationID == fixture.authorityA.id)
            #expect(actor.roles == [.buyer])
            // Only the SHA-256 of the secret is stored; no column holds the secret itself.
            let stored = try await fixture.owner.withConnection { connection in
                try await connection.query("""
                    SELECT (token_hash = sha256(convert_to(\(issued.secret), 'UTF8'))) AS hashed,
                           (row_to_json(t)::text LIKE '%' || \(issued.secret) || '%') AS leaked
                    FROM avrop.api_token t WHERE id = \(issued.id)
                    """).first.map { [try $0.decode("hashed", as: Bool.self), try $0.decode("leaked", as: Bool.self)] }
            }
            #expect(stored == [true, false])
            #expect(try await service.authenticate(bearer: issued.secret + "x") == nil)
            #expect(try await service.authenticate(bearer: "not a token") == nil)
        }
    }

    /// A read writes nothing: authenticating records the token's use at most once a minute, so the token's
    /// row keeps its version (xmin) through a burst of requests, and gets a new one a minute later.
    @Test func authenticatingIsAReadThatRecordsUseAtMostOnceAMinute() async throws {
        try await IdentityFixture.withFixture { fixture in
            let service = tokens(fixture)
            let issued = try await service.issue(email: fixture.buyerA.email, password: "korrekt häst batteri", address: "192.0.2.1", name: "läsare")
            func version() async throws -> String? {
                try await fixture.owner.withConnection { connection in
                    try await connection.query("SELECT xmin::text AS version, last_used_at IS NOT NULL AS used FROM avrop.api_token WHERE id = \(issued.id)")
                        .first.map { "\(try $0.decode("version", as: String.self)) \(try $0.decode("used", as: Bool.self))" }
                }
            }
            #expect(try await service.authenticate(bearer: issued.secret) != nil)
            let first = try await version()
            #expect(first?.hasSuffix("true") == true, "the first use is recorded")
            for _ in 0..<20 { #expect(try await service.authenticate(bearer: issued.secret) != nil) }
            #expect(try await version() == first, "twenty more requests within the minute wrote nothing")
            try await fixture.owner.withConnection { connection in
                try await connection.execute("UPDATE avrop.api_token SET last_used_at = now() - interval '61 seconds' WHERE id = \(issued.id)")
            }
            let moved = try await version()
            #expect(try await service.authenticate(bearer: issued.secret) != nil)
            #expect(try await version() != moved, "a minute later the use is recorded again")
        }
    }

    @Test func aRevokedTokenNoLongerAuthenticatesAndOthersCannotRevokeIt() async throws {
        try await IdentityFixture.withFixture { fixture in
            let service = tokens(fixture)
            let issued = try await service.issue(email: fixture.buyerA.email, password: "korrekt häst batteri", address: "192.0.2.1", name: "ci")
            let owner = try #require(try await service.authenticate(bearer: issued.secret))
            let other = Actor(userID: fixture.buyerB.id, organizationID: fixture.authorityB.id, roles: [.buyer])
            await #expect(throws: IdentityError.notFound) { try await service.revoke(issued.id, by: other) }
            #expect(try await service.authenticate(bearer: issued.secret) != nil)
            try await service.revoke(issued.id, by: owner)
            #expect(try await service.authenticate(bearer: issued.secret) == nil)
        }
    }

    @Test func anExpiredTokenDoesNotAuthenticate() async throws {
        try await IdentityFixture.withFixture { fixture in
            let past = TokenAuthentication(pool: fixture.app, passwords: PasswordPolicy(cost: 4), environment: ServiceEnvironment(now: { Date().addingTimeInterval(-3600) }, newID: { UUID() }))
            let issued = try await past.issue(email: fixture.buyerA.email, password: "korrekt häst batteri", address: "192.0.2.1",
                                              name: "short", lifetime: .seconds(60))
            #expect(try await past.authenticate(bearer: issued.secret) == nil)
        }
    }

    @Test func fiveFailuresThrottleTheAccountAndUnknownAddressesFailAlike() async throws {
        try await IdentityFixture.withFixture { fixture in
            let service = tokens(fixture)
            for _ in 0..<PasswordLogin.failuresPerAccount {
                await #expect(throws: IdentityError.invalidCredentials) {
                    _ = try await service.issue(email: fixture.buyerA.email, password: "fel lösenord igen", address: "198.51.100.7", name: "x")
                }
            }
            // Now even the right password waits.
            await #expect(throws: IdentityError.throttled(retryAfter: PasswordLogin.throttleWindow)) {
                _ = try await service.issue(email: fixture.buyerA.email, password: "korrekt häst batteri", address: "198.51.100.8", name: "x")
            }
            // Another account is not affected; an unknown one fails exactly like a wrong password.
            _ = try await service.issue(email: fixture.buyerB.email, password: "häftklammer i taket", address: "198.51.100.7", name: "x")
            await #expect(throws: IdentityError.invalidCredentials) {
                _ = try await service.issue(email: "ingen@example.se", password: "vad som helst här", address: "198.51.100.9", name: "x")
            }
        }
    }

    @Test func auditTrailPolicyFollowsDesignSection4() {
        let org = UUID()
        func actor(_ roles: Set<Role>, _ organization: UUID = org) -> Actor { Actor(userID: UUID(), organizationID: organization, roles: roles) }
        #expect(Policy.allows(actor([.auditor]), .readAuditTrail(organizationID: org)))
        #expect(Policy.allows(actor([.buyer]), .readAuditTrail(organizationID: org)))
        #expect(!Policy.allows(actor([.supplierRepresentative]), .readAuditTrail(organizationID: org)))
        #expect(!Policy.allows(actor([.auditor], UUID()), .readAuditTrail(organizationID: org)))
        #expect(throws: IdentityError.notFound) { try Policy.check(actor([.supplierRepresentative]), .readAuditTrail(organizationID: org)) }
    }
}
