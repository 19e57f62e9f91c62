public import ArgumentParser
import Audit
import AvropApp
import Foundation
import Identity

extension Organization.Kind: ExpressibleByArgument {}
extension Role: ExpressibleByArgument {}

struct OrganizationCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "org", abstract: "Manage organisations.", subcommands: [AddOrganization.self]
    )
}

struct AddOrganization: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "add", abstract: "Register an organisation.")

    @Option(help: "centralPurchasingBody, contractingAuthority or supplier.") var kind: Organization.Kind
    @Option(help: "The organisation's name.") var name: String
    @Option(help: "Swedish organisation number, e.g. 556036-0793.") var number: String
    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        let organization = try await AvropServer.withOwnerPool(database.configuration, logger: makeLogger()) { pool in
            try await IdentityAdministration(pool: pool).addOrganization(kind: kind, name: name, number: number)
        }
        print("Registered \(organization.name) (\(organization.number)), id \(organization.id.uuidString.lowercased())")
    }
}

struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user", abstract: "Manage users.", subcommands: [AddUser.self, GrantRole.self]
    )
}

struct AddUser: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Create a user.",
        discussion: "The password is read from AVROP_PASSWORD, else from the first line of standard input; never from the command line, where other users could read it."
    )

    @Option(help: "E-mail address (the login).") var email: String
    @Option(help: "The name shown to others.") var name: String
    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        guard let password = ProcessInfo.processInfo.environment["AVROP_PASSWORD"] ?? readLine(strippingNewline: true),
              !password.isEmpty
        else {
            throw ValidationError("give the password in AVROP_PASSWORD or on standard input")
        }
        let user = try await AvropServer.withOwnerPool(database.configuration, logger: makeLogger()) { pool in
            try await IdentityAdministration(pool: pool).addUser(email: email, displayName: name, password: password)
        }
        print("Created \(user.email), id \(user.id.uuidString.lowercased())")
    }
}

struct GrantRole: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "grant", abstract: "Give a user a role in an organisation.")

    @Option(help: "The user's e-mail address.") var email: String
    @Option(name: .customLong("org"), help: "The organisation's number.") var organizationNumber: String
    @Option(help: "frameworkManager, buyer, contractManager, supplierRepresentative, auditor or admin.") var role: Role
    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        try await AvropServer.withOwnerPool(database.configuration, logger: makeLogger()) { pool in
            try await IdentityAdministration(pool: pool).grant(role, email: email, organizationNumber: organizationNumber)
        }
        print("Granted \(role.rawValue) to \(email)")
    }
}

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "The audit log.", subcommands: [VerifyAudit.self]
    )
}

struct VerifyAudit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify", abstract: "Recompute every hash chain; exit 1 naming the first break."
    )

    @Option(help: "Only this stream, e.g. call-off/<id>.") var stream: String?
    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        let report = try await AvropServer.withOwnerPool(database.configuration, logger: makeLogger()) { pool in
            try await pool.withConnection { try await AuditVerifier.verify(stream: stream, on: $0) }
        }
        if let broken = report.firstBreak {
            FileHandle.standardError.write(Data("The audit log is broken at \(broken)\n".utf8))
            throw ExitCode(1)
        }
        print("The audit log is intact: \(report.events) events in \(report.streams) streams.")
    }
}
