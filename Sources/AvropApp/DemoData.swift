import Foundation
public import Identity
public import Postgres

/// Demo organisations and accounts (`avrop seed --demo`, `avrop serve --demo`): a central purchasing body,
/// three contracting authorities, five suppliers, one user for each role, and an active innovation framework
/// agreement (`DemoAgreement`). Seeding twice changes nothing.
public enum DemoData {
    /// One demo login.
    public struct Account: Sendable, Equatable {
        public var email: String
        public var role: Role
        public var organization: String
    }

    /// The outcome: the accounts, and the password when this run created them.
    public struct Outcome: Sendable {
        public var accounts: [Account]
        /// `nil` when the demo data was there already (its password is not stored anywhere readable).
        public var password: String?
    }

    static let organizations: [(kind: Organization.Kind, name: String, number: String)] = [
        (.centralPurchasingBody, "Inköpscentralen för innovation", "202100-1231"),
        (.contractingAuthority, "Region Norrsken", "232100-1238"),
        (.contractingAuthority, "Älvdals kommun", "212000-1231"),
        (.contractingAuthority, "Myndigheten för digital samverkan", "202100-4565"),
        (.supplier, "Innovera AB", "556801-1232"),
        (.supplier, "Grön logistik i Sverige AB", "556912-1238"),
        (.supplier, "Vårddata Norden AB", "559034-1235"),
        (.supplier, "Smarta städer AB", "556677-1233"),
        (.supplier, "Tillgänglig teknik AB", "559211-1230"),
    ]

    static let users: [(email: String, name: String, role: Role, organizationNumber: String)] = [
        ("ramavtal@demo.avrop.se", "Frida Ramavtalsförvaltare", .frameworkManager, "202100-1231"),
        ("upphandlare@demo.avrop.se", "Karin Upphandlare", .buyer, "232100-1238"),
        ("avtalsforvaltare@demo.avrop.se", "Johan Avtalsförvaltare", .contractManager, "232100-1238"),
        ("leverantor@demo.avrop.se", "Sara Leverantör", .supplierRepresentative, "556801-1232"),
        ("revisor@demo.avrop.se", "Olle Revisor", .auditor, "232100-1238"),
        ("admin@demo.avrop.se", "Maja Administratör", .admin, "232100-1238"),
        // The other suppliers' representatives, who offer the demo catalogue's solutions.
        ("leverantor2@demo.avrop.se", "Ali Logistiker", .supplierRepresentative, "556912-1238"),
        ("leverantor3@demo.avrop.se", "Eva Vårddata", .supplierRepresentative, "559034-1235"),
        ("leverantor4@demo.avrop.se", "Nils Stadsutvecklare", .supplierRepresentative, "556677-1233"),
        ("leverantor5@demo.avrop.se", "Lina Tillgänglighet", .supplierRepresentative, "559211-1230"),
    ]

    /// The accounts the demo data has.
    public static var accounts: [Account] {
        users.map { user in
            Account(email: user.email, role: user.role,
                    organization: organizations.first { $0.number == user.organizationNumber }?.name ?? "")
        }
    }

    /// Creates the demo data unless present. `password` is used for every account; `nil` generates one.
    public static func seed(pool: ConnectionPool, password: String?, passwords: PasswordPolicy = PasswordPolicy()) async throws -> Outcome {
        let administration = IdentityAdministration(pool: pool, passwords: passwords)
        let first = try OrganizationNumber(organizations[0].number)
        let present = try await pool.withConnection { try await OrganizationStore().find(number: first, on: $0) } != nil
        if present { return Outcome(accounts: accounts, password: nil) }
        let chosen = password ?? generatedPassword()
        var supplierIDs: [UUID] = []
        for organization in organizations {
            let created = try await administration.addOrganization(kind: organization.kind, name: organization.name, number: organization.number)
            if organization.kind == .supplier { supplierIDs.append(created.id) }
        }
        for user in users {
            _ = try await administration.addUser(email: user.email, displayName: user.name, password: chosen)
            try await administration.grant(user.role, email: user.email, organizationNumber: user.organizationNumber)
        }
        try await DemoAgreement.seed(pool: pool, suppliers: supplierIDs)
        return Outcome(accounts: accounts, password: chosen)
    }

    /// Four groups of four letters and digits without look-alikes (0/O, 1/l/I), from the system's random
    /// source.
    static func generatedPassword() -> String {
        let alphabet = Array("abcdefghjkmnpqrstuvwxyz23456789")
        var generator = SystemRandomNumberGenerator()
        return (0..<4).map { _ in String((0..<4).map { _ in alphabet.randomElement(using: &generator) ?? "a" }) }
            .joined(separator: "-")
    }

    /// A text for the console: the accounts and their password.
    public static func describe(_ outcome: Outcome) -> String {
        var lines = ["Demo accounts:"]
        for account in outcome.accounts {
            lines.append("  \(account.email.padding(toLength: 32, withPad: " ", startingAt: 0)) \(account.role.rawValue) at \(account.organization)")
        }
        lines.append(outcome.password.map { "Password for all of them: \($0)" }
            ?? "The demo data was there already; its password is the one printed when it was created (or AVROP_DEMO_PASSWORD).")
        return lines.joined(separator: "\n")
    }
}
