import Audit
import Notifications
import Foundation
import Hummingbird
import HummingbirdTesting
import HTTPTypes
import Identity
import Logging
import Postgres
import Synchronization
import Testing

@Suite("Outbox: notifications in the change's transaction, e-mail over SMTP, signed webhooks, retries, dead letters")
struct OutboxTests {
    /// A real HTTP receiver on a local port: checks each delivery's signature, counts deliveries by
    /// `Avrop-Delivery`, and answers `status`.
    final class Receiver: Sendable {
        let secret = Mutex<String>("")
        let deliveries = Mutex<[Int: Int]>([:])
        let badSignatures = Mutex(0)
        let kinds = Mutex<[String]>([])
        let status: HTTPResponse.Status

        init(status: HTTPResponse.Status = .ok) {
            self.status = status
        }

        func run(_ body: @Sendable (Int) async throws -> Void) async throws {
            let router = Router()
            router.post("/hook") { request, _ -> Response in
                let data = Data(buffer: try await request.body.collect(upTo: 1 << 20))
                let header = request.headers[HTTPField.Name("Avrop-Signature")!] ?? ""
                guard WebhookSender.verify(header: header, secret: self.secret.withLock { $0 }, body: data) else {
                    self.badSignatures.withLock { $0 += 1 }
                    return Response(status: .unauthorized)
                }
                let id = Int(request.headers[HTTPField.Name("Avrop-Delivery")!] ?? "") ?? -1
                self.deliveries.withLock { $0[id, default: 0] += 1 }
                if let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any], let kind = json["kind"] as? String {
                    self.kinds.withLock { $0.append(kind) }
                }
                return Response(status: self.status)
            }
            let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
            try await app.test(.live) { client in
                try await body(try #require(client.port))
            }
        }
    }

    private func admin(_ accounts: TestApp.Accounts, of organization: Organization, email: String) async throws -> Actor {
        let administration = IdentityAdministration(pool: accounts.owner, passwords: PasswordPolicy(cost: 4))
        let user = try await administration.addUser(email: email, displayName: "Admin", password: TestApp.password(email))
        try await administration.grant(.admin, email: email, organizationNumber: organization.number.digits)
        return Actor(userID: user.id, organizationID: organization.id, roles: [.admin])
    }

    private func actor(_ accounts: TestApp.Accounts, _ email: String, in organization: Organization, _ role: Role) async throws -> Actor {
        let row = try await accounts.owner.withConnection { try await $0.query("SELECT id FROM avrop.app_user WHERE email = \(email)").first }
        return Actor(userID: try #require(try row?.decode("id", as: UUID.self)), organizationID: organization.id, roles: [role])
    }

    @Test func notificationsAreWrittenWithTheChangeAndVanishWithItsRollback() async throws {
        try await TestApp.with { _, accounts in
            let app = ConnectionPool(configuration: accounts.configuration.with("user", "avrop_app"), maximumConnections: 2)
            let anna = try await actor(accounts, "anna@norr.example", in: accounts.authorityA, .buyer)
            struct Abort: Error {}
            await #expect(throws: Abort.self) {
                try await app.withTransaction(settings: anna.transactionSettings) { connection in
                    try await Notifier.notify(users: [anna.userID], kind: "account.passwordChanged", on: connection)
                    throw Abort()
                }
            }
            let inbox = NotificationInbox(pool: app)
            #expect(try await inbox.list(for: anna).items.isEmpty)
            try await app.withTransaction(settings: anna.transactionSettings) { connection in
                try await Notifier.notify(users: [anna.userID], kind: "account.passwordChanged", on: connection)
            }
            let items = try await inbox.list(for: anna).items
            #expect(items.map(\.kind) == ["account.passwordChanged"])
            let queued = try await accounts.owner.withConnection { try await $0.query("SELECT channel FROM avrop.outbox") }
            #expect(try queued.map { try $0.decode("channel", as: String.self) } == ["email"])
            // Someone else's notification is not there for them: not listed, not markable.
            let bo = try await actor(accounts, "bo@syd.example", in: accounts.authorityB, .auditor)
            #expect(try await inbox.list(for: bo).items.isEmpty)
            await #expect(throws: IdentityError.notFound) { try await inbox.markRead(items[0].id, by: bo) }
            try await inbox.markRead(items[0].id, by: anna)
            #expect(try await inbox.list(for: anna, unreadOnly: true).items.isEmpty)
            await app.close()
        }
    }

    /// A live webhook receiver answering `status`, the supplier organisation's admin, and a webhook of
    /// theirs registered to the receiver; the app's pool is closed afterwards.
    private func withWebhook(
        _ accounts: TestApp.Accounts, answering status: HTTPResponse.Status = .ok,
        _ body: @Sendable (Receiver, ConnectionPool, Actor, WebhookAdministration.Registered) async throws -> Void
    ) async throws {
        let receiver = Receiver(status: status)
        try await receiver.run { port in
            let app = ConnectionPool(configuration: accounts.configuration.with("user", "avrop_app"), maximumConnections: 4)
            let admin = try await admin(accounts, of: accounts.supplier, email: "admin@innovera.example")
            let registered = try await WebhookAdministration(pool: app).register(url: "http://127.0.0.1:\(port)/hook", by: admin)
            receiver.secret.withLock { $0 = registered.secret }
            try await body(receiver, app, admin, registered)
            await app.close()
        }
    }

    @Test func twoWorkersSideBySideDeliverEverySignedWebhookOnce() async throws {
        try await TestApp.with { _, accounts in
            try await withWebhook(accounts) { receiver, app, admin, registered in
                let count = 40
                try await app.withTransaction(settings: admin.transactionSettings) { connection in
                    for number in 0..<count {
                        try await Notifier.notify(users: [], organizations: [accounts.supplier.id, accounts.authorityA.id],
                                                  kind: "test.event", data: ["n": String(number)], on: connection)
                    }
                }
                // Two workers, as two service instances would run, each in small batches.
                let workers = (0..<2).map { _ in
                    OutboxWorker(pool: app, mailer: nil, batchSize: 3, pollInterval: .milliseconds(10), logger: Logger(label: "test"))
                }
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for worker in workers {
                        group.addTask { while try await worker.deliverDue() > 0 {} }
                    }
                    try await group.waitForAll()
                }
                let deliveries = receiver.deliveries.withLock { $0 }
                #expect(deliveries.count == count, "every message arrived")
                #expect(deliveries.values.allSatisfy { $0 == 1 }, "none twice")
                #expect(receiver.badSignatures.withLock { $0 } == 0)
                let pending = try await accounts.owner.withConnection {
                    try await $0.query("SELECT count(*) AS n FROM avrop.outbox WHERE delivered_at IS NULL").first?.decode("n", as: Int.self)
                }
                #expect(pending == 0)
                // A body changed on the way no longer matches its signature.
                let body = Data(#"{"kind":"test.event"}"#.utf8)
                let header = WebhookSender.signature(secret: registered.secret, timestamp: Int(Date().timeIntervalSince1970), body: body)
                #expect(WebhookSender.verify(header: header, secret: registered.secret, body: body))
                #expect(!WebhookSender.verify(header: header, secret: registered.secret, body: Data(#"{"kind":"other"}"#.utf8)))
                #expect(!WebhookSender.verify(header: header, secret: "whsec_wrong", body: body))
            }
        }
    }

    @Test func aCommittedMessageWakesTheWorkerWithoutWaitingForItsPoll() async throws {
        try await TestApp.with { _, accounts in
            try await withWebhook(accounts) { receiver, app, admin, registered in
                // A poll once a minute: only the database's notification can bring the message in time.
                let worker = OutboxWorker(pool: app, mailer: nil, pollInterval: .seconds(60), logger: Logger(label: "test"))
                let listener = NotificationListener(configuration: accounts.configuration.with("user", "avrop_app"), channels: [OutboxWorker.channel])
                let running = Task { await worker.run(wakeUps: listener) }
                // Let the first (empty) round pass and the listener subscribe.
                try await Task.sleep(for: .milliseconds(500))
                try await app.withTransaction(settings: admin.transactionSettings) { connection in
                    try await Notifier.notify(users: [], organizations: [accounts.supplier.id], kind: "test.woken", data: [:], on: connection)
                }
                let started = ContinuousClock.now
                while receiver.deliveries.withLock({ $0.count }) == 0, ContinuousClock.now - started < .seconds(10) {
                    try await Task.sleep(for: .milliseconds(20))
                }
                #expect(receiver.kinds.withLock { $0 } == ["test.woken"])
                #expect(ContinuousClock.now - started < .seconds(10), "delivered without waiting for the minute's poll")
                running.cancel()
                await running.value
            }
        }
    }

    @Test func failingDeliveriesAreRetriedThenDeadLetteredForTheOrganizationsAdmins() async throws {
        try await TestApp.with { _, accounts in
            try await withWebhook(accounts, answering: .internalServerError) { receiver, app, admin, registered in
                try await app.withTransaction(settings: admin.transactionSettings) { connection in
                    try await Notifier.notify(users: [], organizations: [accounts.supplier.id], kind: "test.event", on: connection)
                }
                let worker = OutboxWorker(pool: app, mailer: nil, maximumAttempts: 3, backoff: { _ in .zero }, logger: Logger(label: "test"))
                for _ in 0..<5 { try await worker.deliverDue() }
                let attempts = receiver.deliveries.withLock { $0.values.reduce(0, +) }
                #expect(attempts == 3, "tried three times, then given up")
                let letters = try await DeadLetters(pool: app).list(by: admin)
                #expect(letters.count == 1)
                #expect(letters.first?.attempts == 3)
                #expect(letters.first?.lastError?.contains("500") == true)
                // Not for others: another organisation's admin sees none of them, a non-admin is refused.
                let otherAdmin = try await self.admin(accounts, of: accounts.authorityA, email: "admin@norr.example")
                #expect(try await DeadLetters(pool: app).list(by: otherAdmin).isEmpty)
                let eva = try await actor(accounts, "eva@innovera.example", in: accounts.supplier, .supplierRepresentative)
                await #expect(throws: IdentityError.notFound) { try await DeadLetters(pool: app).list(by: eva) }
                await #expect(throws: IdentityError.notFound) { try await WebhookAdministration(pool: app).list(by: eva) }
                await #expect(throws: IdentityError.notFound) { try await WebhookAdministration(pool: app).disable(registered.webhook.id, by: otherAdmin) }
            }
        }
    }

    @Test func passwordChangesAreEMailedInThePersonsLanguageThroughARealSMTPServer() async throws {
        try await TestApp.with { client, accounts in
            let smtp = try SMTPTestServer()
            defer { smtp.stop() }
            try await accounts.owner.withConnection {
                try await $0.execute("UPDATE avrop.app_user SET language = 'en' WHERE email = 'bo@syd.example'")
            }
            for email in ["anna@norr.example", "bo@syd.example"] {
                let browser = Browser(client)
                try await browser.get("/login")
                _ = try await browser.post("/login", ["email": email, "password": TestApp.password(email)])
                try await browser.get("/account")
                let new = "ett helt nytt lösenord för \(email)"
                #expect(try await browser.post("/account/password", ["current": TestApp.password(email), "new": new, "repeated": new]).status == .ok)
            }
            let app = ConnectionPool(configuration: accounts.configuration.with("user", "avrop_app"), maximumConnections: 2)
            let mailer = try #require(SMTPMailer(url: "smtp://127.0.0.1:\(smtp.port)"))
            let worker = OutboxWorker(pool: app, mailer: mailer, logger: Logger(label: "test"))
            #expect(try await worker.deliverDue() == 2)
            let messages = try await smtp.messages(count: 2)
            let anna = try #require(messages.first { $0.to == "anna@norr.example" })
            #expect(anna.subject == "Ditt lösenord i Avrop har bytts")
            #expect(anna.body.contains("Hej anna@norr.example!"))
            let bo = try #require(messages.first { $0.to == "bo@syd.example" })
            #expect(bo.subject == "Your Avrop password has been changed")
            let pending = try await accounts.owner.withConnection {
                try await $0.query("SELECT count(*) AS n FROM avrop.outbox WHERE delivered_at IS NULL").first?.decode("n", as: Int.self)
            }
            #expect(pending == 0)
            await app.close()
        }
    }

    @Test func theAPIListsAndMarksNotificationsAndManagesWebhooks() async throws {
        try await TestApp.with { client, accounts in
            _ = try await admin(accounts, of: accounts.supplier, email: "admin@innovera.example")
            func token(_ email: String) async throws -> String {
                let body = try JSONSerialization.data(withJSONObject: ["email": email, "password": TestApp.password(email), "name": "test"])
                return try await client.execute(uri: "/api/v1/tokens", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(data: body)) { response in
                    let json = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
                    return try #require(json?["token"] as? String)
                }
            }
            let eva = try await token("eva@innovera.example")
            // Three tokens: three notifications, in pages of two.
            _ = try await token("eva@innovera.example")
            _ = try await token("eva@innovera.example")
            let first = try await client.execute(uri: "/api/v1/notifications?limit=2", method: .get, headers: [.authorization: "Bearer \(eva)"]) { response in
                #expect(response.status == .ok)
                return try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
            }
            let items = try #require(first["items"] as? [[String: Any]])
            #expect(items.count == 2)
            #expect(items.allSatisfy { $0["kind"] as? String == "account.tokenCreated" })
            let next = try #require(first["next"] as? String)
            let second = try await client.execute(uri: next, method: .get, headers: [.authorization: "Bearer \(eva)"]) { response in
                try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
            }
            let rest = try #require(second["items"] as? [[String: Any]])
            #expect(rest.count == 1)
            #expect(second["next"] == nil)
            let ids = Set((items + rest).compactMap { $0["id"] as? String })
            #expect(ids.count == 3)
            try await client.execute(uri: "/api/v1/notifications?cursor=nonsense", method: .get, headers: [.authorization: "Bearer \(eva)"]) { response in
                #expect(response.status == .badRequest)
            }
            let id = try #require(ids.first)
            try await client.execute(uri: "/api/v1/notifications/\(id)/read", method: .post, headers: [.authorization: "Bearer \(eva)"]) { response in
                #expect(response.status == .noContent)
            }
            let anna = try await token("anna@norr.example")
            try await client.execute(uri: "/api/v1/notifications/\(id)/read", method: .post, headers: [.authorization: "Bearer \(anna)"]) { response in
                #expect(response.status == .notFound)
            }
            try await client.execute(uri: "/api/v1/notifications?unread=true", method: .get, headers: [.authorization: "Bearer \(eva)"]) { response in
                let json = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
                #expect((json?["items"] as? [Any])?.count == 2)
            }
            // Webhooks are for admins: others get 404.
            let hook = try JSONSerialization.data(withJSONObject: ["url": "https://hooks.innovera.example/avrop"])
            try await client.execute(uri: "/api/v1/webhooks", method: .post, headers: [.authorization: "Bearer \(eva)", .contentType: "application/json"], body: ByteBuffer(data: hook)) { response in
                #expect(response.status == .notFound)
            }
            let admin = try await token("admin@innovera.example")
            try await client.execute(uri: "/api/v1/webhooks", method: .post, headers: [.authorization: "Bearer \(admin)", .contentType: "application/json"], body: ByteBuffer(data: hook)) { response in
                #expect(response.status == .created)
                let json = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
                #expect((json?["secret"] as? String)?.hasPrefix("whsec_") == true)
            }
            try await client.execute(uri: "/api/v1/webhooks", method: .get, headers: [.authorization: "Bearer \(admin)"]) { response in
                let text = String(buffer: response.body)
                #expect(text.contains("hooks.innovera.example"))
                #expect(!text.contains("whsec_"), "secrets are never listed")
            }
            let bad = try JSONSerialization.data(withJSONObject: ["url": "ftp://files.example"])
            try await client.execute(uri: "/api/v1/webhooks", method: .post, headers: [.authorization: "Bearer \(admin)", .contentType: "application/json"], body: ByteBuffer(data: bad)) { response in
                #expect(response.status == .badRequest)
            }
            try await client.execute(uri: "/api/v1/tokens", method: .get, headers: [.authorization: "Bearer \(eva)"]) { response in
                let json = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
                #expect((json?["items"] as? [Any])?.count == 3)
                #expect(!String(buffer: response.body).contains("avr_"), "secrets are never listed")
            }
        }
    }
}
