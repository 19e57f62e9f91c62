import Foundation

/// The e-mails' words, in Swedish and English (`Embedded/email/<language>.json`): per notification kind a
/// subject and a body, with `{name}` placeholders filled from the notification's data.
public struct EmailText: Sendable {
    public let subject: String
    public let body: String

    static let catalogues: [String: [String: String]] = {
        var result: [String: [String: String]] = [:]
        for language in ["sv", "en"] {
            let text = embeddedFiles["email/\(language).json"] ?? "{}"
            result[language] = (try? JSONDecoder().decode([String: String].self, from: Data(text.utf8))) ?? [:]
        }
        return result
    }()

    /// The e-mail for `kind` in `language` (Swedish when unknown) to a person called `name`.
    public init(kind: String, language: String, name: String, data: [String: String]) {
        let texts = Self.catalogues[language] ?? Self.catalogues["sv"] ?? [:]
        func fill(_ template: String) -> String {
            var text = template
            for (key, value) in data.merging(["name": name], uniquingKeysWith: { $1 }) {
                text = text.replacingOccurrences(of: "{\(key)}", with: value)
            }
            return text
        }
        let subject = texts["\(kind).subject"] ?? texts["generic.subject"] ?? "Avrop"
        let body = texts["\(kind).body"] ?? texts["generic.body"] ?? ""
        self.subject = fill(subject)
        self.body = [fill(texts["greeting"] ?? ""), fill(body), texts["signature"] ?? ""].joined(separator: "\n\n")
    }

    /// Every kind that has its own text, for tests that check both languages agree.
    static func kinds(_ language: String) -> Set<String> {
        Set((catalogues[language] ?? [:]).keys)
    }
}
