public import Hummingbird
import Identity
import Mustache
import NIOCore

/// Renders the pages: the templates under `Embedded/templates` (each page extends `layout`) with the
/// texts of the request's language, the signed-in user, the navigation for their roles and the CSRF token.
struct PageRenderer: Sendable {
    let library: MustacheLibrary
    let catalogue: MessageCatalogue

    /// A template that does not parse is a defect that every test run finds (`PageTests`); at run time it
    /// is left out and its page answers 500.
    static let embedded = PageRenderer(files: embeddedFiles, catalogue: .embedded)

    init(files: [String: String], catalogue: MessageCatalogue) {
        var library = MustacheLibrary()
        for (path, text) in files where path.hasPrefix("templates/") && path.hasSuffix(".mustache") {
            let name = String(path.dropFirst("templates/".count).dropLast(".mustache".count))
            try? library.register(text, named: name)
        }
        self.library = library
        self.catalogue = catalogue
    }

    /// The page `template` as an HTML response. `title` is a catalogue key; `values` are the page's own.
    func page(
        _ template: String, title: String, status: HTTPResponse.Status = .ok, values: [String: Any] = [:],
        headers: HTTPFields = [:]
    ) -> Response {
        let web = WebRequest.current
        var context = values
        context["lang"] = web.language.rawValue
        context["t"] = catalogue.texts(web.language)
        context["title"] = catalogue.text(title, web.language)
        context["csrf"] = web.csrfToken
        context["path"] = web.path
        context["otherLanguage"] = web.language == .sv ? "en" : "sv"
        if let session = web.session {
            context["user"] = ["name": session.displayName, "organization": session.organizationName]
        }
        context["nav"] = Navigation.items(for: web.session?.actor).map { item in
            ["href": item.href, "label": catalogue.text(item.label, web.language)]
        }
        var fields = headers
        fields[.contentType] = "text/html; charset=utf-8"
        fields[.cacheControl] = "no-store"
        guard let html = library.render(context, withTemplate: template) else {
            return Response(status: .internalServerError, headers: [.contentType: "text/plain; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(string: "page template missing\n")))
        }
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    /// A short page that says what went wrong, in the request's language (`message` is a catalogue key).
    func problem(_ status: HTTPResponse.Status, message: String, headers: HTTPFields = [:]) -> Response {
        page("problem", title: message, status: status, values: ["message": catalogue.text(message, WebRequest.current.language)], headers: headers)
    }

    func text(_ key: String) -> String { catalogue.text(key, WebRequest.current.language) }
}

/// The main navigation, by role: what a person sees depends on what they may do (DESIGN §4).
enum Navigation {
    struct Item {
        let href: String
        let label: String
    }

    static func items(for actor: Actor?) -> [Item] {
        var items = [Item(href: "/", label: "nav_home"), Item(href: "/agreements", label: "nav_agreements"), Item(href: "/catalogue", label: "nav_catalogue")]
        if let actor {
            if actor.roles.contains(.supplierRepresentative) { items.append(Item(href: "/my/solutions", label: "nav_my_solutions")) }
            if actor.roles.contains(.frameworkManager) { items.append(Item(href: "/verification", label: "nav_verification")) }
            items.append(Item(href: "/notifications", label: "nav_notifications"))
            if Policy.allows(actor, .manageWebhooks(organizationID: actor.organizationID)) {
                items.append(Item(href: "/organization", label: "nav_organization"))
            }
            items.append(Item(href: "/account", label: "nav_account"))
        }
        return items
    }
}
