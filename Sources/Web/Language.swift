import Foundation

/// The languages of the pages: Swedish by default, English on request.
public enum Language: String, Sendable, CaseIterable {
    case sv
    case en

    /// The language a request asks for: the `avrop_lang` cookie, else the first supported language in
    /// `Accept-Language`, else Swedish.
    static func preferred(cookie: String?, acceptLanguage: String?) -> Language {
        if let cookie, let chosen = Language(rawValue: cookie) { return chosen }
        for part in (acceptLanguage ?? "").split(separator: ",") {
            let tag = part.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased() ?? ""
            if let code = tag.split(separator: "-").first, let language = Language(rawValue: String(code)) { return language }
        }
        return .sv
    }
}

/// The user-visible texts of the pages, one catalogue per language (`Embedded/messages/<lang>.json`,
/// flat keys). Templates read them as `{{t.key}}`; Swift code names keys only.
struct MessageCatalogue: Sendable {
    let messages: [Language: [String: String]]

    /// The catalogues embedded in the binary. A catalogue that does not parse is a defect that every test
    /// run finds (`CatalogueTests`), so at run time it is only reported as empty.
    static let embedded = MessageCatalogue(files: embeddedFiles)

    init(files: [String: String]) {
        var messages: [Language: [String: String]] = [:]
        for language in Language.allCases {
            let text = files["messages/\(language.rawValue).json"] ?? "{}"
            messages[language] = (try? JSONDecoder().decode([String: String].self, from: Data(text.utf8))) ?? [:]
        }
        self.messages = messages
    }

    func texts(_ language: Language) -> [String: String] { messages[language] ?? [:] }

    /// One text; the key itself when missing, so a gap shows on the page instead of an empty space.
    func text(_ key: String, _ language: Language) -> String { messages[language]?[key] ?? key }
}
