import Foundation
import Hummingbird
import Identity

/// The organisation page of an admin: its webhooks (register, disable) and the messages to it that could
/// not be delivered. Anyone else gets 404, as for everything they may not see.
struct OrganizationPages: Sendable {
    let webhooks: WebhookAdministration
    let deadLetters: DeadLetters
    let renderer: PageRenderer

    func register<Context: RemoteAddressRequestContext>(on router: Router<Context>) {
        router.get("/organization") { _, _ in
            let session = try WebRequest.signedIn()
            return try await page(session)
        }
        router.post("/organization/webhooks") { request, context in
            let form = try await Form.read(request, context, as: Form.NewWebhook.self)
            let session = try WebRequest.signedIn()
            do {
                let registered = try await webhooks.register(url: form.url.trimmingCharacters(in: .whitespaces), by: session.actor)
                return try await page(session, status: .created, values: ["newSecret": registered.secret])
            } catch IdentityError.invalidURL {
                return try await page(session, status: .unprocessableContent, values: ["webhookError": renderer.text("error_webhook_url")])
            }
        }
        router.post("/organization/webhooks/{id}/disable") { request, context in
            _ = try await Form.read(request, context, as: Form.Empty.self)
            let session = try WebRequest.signedIn()
            let id = try context.pathID()
            try await webhooks.disable(id, by: session.actor)
            return WebPages.redirect("/organization")
        }
    }

    private func page(_ session: SessionAuthentication.Session, status: HTTPResponse.Status = .ok, values: [String: Any] = [:]) async throws -> Response {
        let language = WebRequest.current.language
        let hooks: [WebhookAdministration.Webhook]
        let letters: [DeadLetters.Letter]
        hooks = try await webhooks.list(by: session.actor)
        letters = try await deadLetters.list(by: session.actor)
        var context = values
        context["webhooks"] = hooks.map { hook -> [String: Any] in
            ["id": hook.id.uuidString.lowercased(), "url": hook.url, "created": DateText.day(hook.createdAt, language), "active": hook.active]
        }
        context["hasWebhooks"] = !hooks.isEmpty
        context["letters"] = letters.map { letter -> [String: Any] in
            ["channel": renderer.text("channel_\(letter.channel)"), "kind": letter.kind, "attempts": letter.attempts,
             "error": letter.lastError ?? "", "dead": DateText.minute(letter.deadAt, language)]
        }
        context["hasLetters"] = !letters.isEmpty
        return renderer.page("organization", title: "organization_title", status: status, values: context)
    }
}
