import Foundation
import Identity
import OpenAPIRuntime

/// Tokens, notifications, webhooks and dead letters: the account and organisation plumbing of the API.
extension APIHandlers {
    func listTokens(_ input: Operations.ListTokens.Input) async throws -> Operations.ListTokens.Output {
        guard let actor = APIRequest.actor else { return .unauthorized(Problems.unauthorized) }
        let tokens = try await self.tokens.list(for: actor)
        return .ok(.init(body: .json(.init(items: tokens.map { token in
            .init(id: token.id.uuidString.lowercased(), name: token.name, scopes: token.scopes, createdAt: token.createdAt,
                  expiresAt: token.expiresAt, lastUsedAt: token.lastUsedAt, revokedAt: token.revokedAt)
        }))))
    }

    func revokeToken(_ input: Operations.RevokeToken.Input) async throws -> Operations.RevokeToken.Output {
        guard let actor = APIRequest.actor else { return .unauthorized(Problems.unauthorized) }
        guard let id = UUID(uuidString: input.path.id) else { return .notFound(Problems.notFound) }
        do {
            try await tokens.revoke(id, by: actor)
        } catch IdentityError.notFound {
            return .notFound(Problems.notFound)
        }
        return .noContent(.init())
    }

    func listNotifications(_ input: Operations.ListNotifications.Input) async throws -> Operations.ListNotifications.Output {
        guard let actor = APIRequest.actor else { return .unauthorized(Problems.unauthorized) }
        let limit = try PageLimit.read(input.query.limit)
        let unread = input.query.unread ?? false
        let page: NotificationInbox.Page
        do {
            page = try await services.inbox.list(for: actor, unreadOnly: unread, cursor: input.query.cursor, limit: limit)
        } catch IdentityError.invalidCursor {
            return .badRequest(Problems.badRequest("the cursor is not one this service gave out"))
        }
        let next = page.next.map { cursor in
            Pagination.nextLink("/api/v1/notifications", ["unread": unread ? "true" : nil, "cursor": cursor, "limit": String(limit)])
        }
        return .ok(.init(body: .json(.init(
            items: page.items.map { item in
                .init(id: item.id.uuidString.lowercased(), kind: item.kind, data: .init(additionalProperties: item.data),
                      createdAt: item.createdAt, readAt: item.readAt)
            },
            next: next
        ))))
    }

    func markNotificationRead(_ input: Operations.MarkNotificationRead.Input) async throws -> Operations.MarkNotificationRead.Output {
        guard let actor = APIRequest.actor else { return .unauthorized(Problems.unauthorized) }
        guard let id = UUID(uuidString: input.path.id) else { return .notFound(Problems.notFound) }
        do {
            try await services.inbox.markRead(id, by: actor)
        } catch IdentityError.notFound {
            return .notFound(Problems.notFound)
        }
        return .noContent(.init())
    }

    func listWebhooks(_ input: Operations.ListWebhooks.Input) async throws -> Operations.ListWebhooks.Output {
        guard let actor = APIRequest.actor else { return .unauthorized(Problems.unauthorized) }
        do {
            let hooks = try await services.webhooks.list(by: actor)
            return .ok(.init(body: .json(.init(items: hooks.map {
                .init(id: $0.id.uuidString.lowercased(), url: $0.url, createdAt: $0.createdAt, active: $0.active)
            }))))
        } catch IdentityError.notFound {
            return .notFound(Problems.notFound)
        }
    }

    func registerWebhook(_ input: Operations.RegisterWebhook.Input) async throws -> Operations.RegisterWebhook.Output {
        guard let actor = APIRequest.actor else { return .unauthorized(Problems.unauthorized) }
        guard case .json(let request) = input.body else { return .badRequest(Problems.badRequest("expected a JSON body")) }
        do {
            let registered = try await services.webhooks.register(url: request.url, by: actor)
            return .created(.init(body: .json(.init(
                id: registered.webhook.id.uuidString.lowercased(), url: registered.webhook.url,
                createdAt: registered.webhook.createdAt, secret: registered.secret
            ))))
        } catch IdentityError.notFound {
            return .notFound(Problems.notFound)
        } catch IdentityError.invalidURL {
            return .badRequest(Problems.badRequest(IdentityError.invalidURL.description))
        }
    }

    func disableWebhook(_ input: Operations.DisableWebhook.Input) async throws -> Operations.DisableWebhook.Output {
        guard let actor = APIRequest.actor else { return .unauthorized(Problems.unauthorized) }
        guard let id = UUID(uuidString: input.path.id) else { return .notFound(Problems.notFound) }
        do {
            try await services.webhooks.disable(id, by: actor)
        } catch IdentityError.notFound {
            return .notFound(Problems.notFound)
        }
        return .noContent(.init())
    }

    func listDeadLetters(_ input: Operations.ListDeadLetters.Input) async throws -> Operations.ListDeadLetters.Output {
        guard let actor = APIRequest.actor else { return .unauthorized(Problems.unauthorized) }
        do {
            let letters = try await services.deadLetters.list(by: actor)
            return .ok(.init(body: .json(.init(items: letters.map { letter in
                .init(id: Int64(letter.id), channel: letter.channel == "email" ? .email : .webhook, kind: letter.kind,
                      attempts: letter.attempts, lastError: letter.lastError, createdAt: letter.createdAt, deadAt: letter.deadAt)
            }))))
        } catch IdentityError.notFound {
            return .notFound(Problems.notFound)
        }
    }
}

/// `next` links of keyset-paginated lists.
enum Pagination {
    static func nextLink(_ path: String, _ query: [String: String?]) -> String {
        var components = URLComponents()
        components.path = path
        components.queryItems = query.compactMap { key, value in value.map { URLQueryItem(name: key, value: $0) } }.sorted { $0.name < $1.name }
        return components.string ?? path
    }
}
