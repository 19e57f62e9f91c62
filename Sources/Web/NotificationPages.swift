import Foundation
import Hummingbird
import Identity

/// The signed-in person's notifications: newest first, unread marked, each can be marked read.
struct NotificationPages: Sendable {
    let inbox: NotificationInbox
    let renderer: PageRenderer

    func register<Context: RemoteAddressRequestContext>(on router: Router<Context>) {
        router.get("/notifications") { request, _ in
            let session = try WebRequest.signedIn()
            let cursor = request.uri.queryParameters["cursor"].map(String.init)
            let page: NotificationInbox.Page
            do {
                page = try await inbox.list(for: session.actor, cursor: cursor, limit: 50)
            } catch IdentityError.invalidCursor {
                throw HTTPError(.badRequest)
            }
            let language = WebRequest.current.language
            let items: [[String: Any]] = page.items.map { item in
                var row: [String: Any] = [
                    "id": item.id.uuidString.lowercased(),
                    "text": Self.text(item, renderer),
                    "when": DateText.minute(item.createdAt, language),
                ]
                if item.readAt == nil { row["unread"] = true }
                return row
            }
            var values: [String: Any] = ["items": items, "hasItems": !items.isEmpty]
            if let next = page.next { values["next"] = "/notifications?cursor=\(next)" }
            return renderer.page("notifications", title: "notifications_title", values: values)
        }
        router.post("/notifications/{id}/read") { request, context in
            _ = try await Form.read(request, context, as: Form.Empty.self)
            let session = try WebRequest.signedIn()
            let id = try context.pathID()
            try await inbox.markRead(id, by: session.actor)
            return WebPages.redirect("/notifications")
        }
    }

    /// The notification in words: the catalogue's text for its kind (`notice_<kind with _ for .>`), with
    /// its data filled in; a general text for kinds without one.
    static func text(_ item: NotificationInbox.Item, _ renderer: PageRenderer) -> String {
        let key = "notice_" + item.kind.replacingOccurrences(of: ".", with: "_")
        var text = renderer.text(key)
        if text == key { text = renderer.text("notice_generic") }
        for (name, value) in item.data {
            text = text.replacingOccurrences(of: "{\(name)}", with: value)
        }
        return text
    }
}
