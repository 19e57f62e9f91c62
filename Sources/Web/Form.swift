public import Hummingbird
import Foundation
import NIOCore

/// A form a page posted: read with a size limit, decoded, and its CSRF token checked before any handler
/// sees it, so that no state-changing form can skip the check.
protocol PageForm: Decodable, Sendable {
    /// The `_csrf` field.
    var csrf: String? { get }
}

enum Form {
    /// Forms are small; anything larger is refused with 413 before it is decoded.
    static let maximumBytes = 64 * 1024

    /// The form of `request` as `T`, or an `HTTPError`: 415 for another content type, 413 when too large,
    /// 403 when the CSRF token is missing or wrong, 400 when fields are missing.
    static func read<T: PageForm, Context: RequestContext>(_ request: Request, _ context: Context, as type: T.Type) async throws -> T {
        let contentType = request.headers[.contentType]?.lowercased() ?? ""
        guard contentType.hasPrefix("application/x-www-form-urlencoded") else { throw HTTPError(.unsupportedMediaType) }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: maximumBytes)
        } catch is NIOTooManyBytesError {
            throw HTTPError(.contentTooLarge)
        }
        let form: T
        do {
            form = try URLEncodedFormDecoder().decode(T.self, from: String(buffer: body))
        } catch {
            // The CSRF check comes first when the token is wrong, so a forged post learns nothing more.
            guard tokenMatches(try? URLEncodedFormDecoder().decode(Empty.self, from: String(buffer: body))) else { throw HTTPError(.forbidden) }
            throw HTTPError(.badRequest)
        }
        guard tokenMatches(form) else { throw HTTPError(.forbidden) }
        return form
    }

    private static func tokenMatches(_ form: (any PageForm)?) -> Bool {
        let expected = WebRequest.current.csrfToken
        guard let sent = form?.csrf, !expected.isEmpty else { return false }
        return constantTimeEqual(Array(sent.utf8), Array(expected.utf8))
    }

    /// Compares without stopping at the first difference, so response time does not reveal the token.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }

    struct Empty: PageForm {
        let csrf: String?
        enum CodingKeys: String, CodingKey { case csrf = "_csrf" }
    }

    struct Login: PageForm {
        let csrf: String?
        let email: String
        let password: String
        let code: String?
        let organizationNumber: String?
        enum CodingKeys: String, CodingKey { case csrf = "_csrf", email, password, code, organizationNumber }
    }

    struct Language: PageForm {
        let csrf: String?
        let language: String
        let back: String?
        enum CodingKeys: String, CodingKey { case csrf = "_csrf", language, back }
    }

    struct PasswordChange: PageForm {
        let csrf: String?
        let current: String
        let new: String
        let repeated: String
        enum CodingKeys: String, CodingKey { case csrf = "_csrf", current, new, repeated }
    }

    struct LanguageChoice: PageForm {
        let csrf: String?
        let language: String
        let version: String
        enum CodingKeys: String, CodingKey { case csrf = "_csrf", language, version }
    }

    struct NewWebhook: PageForm {
        let csrf: String?
        let url: String
        enum CodingKeys: String, CodingKey { case csrf = "_csrf", url }
    }

    struct Code: PageForm {
        let csrf: String?
        let code: String
        enum CodingKeys: String, CodingKey { case csrf = "_csrf", code }
    }

    struct Requirement: PageForm {
        let csrf: String?
        let required: String?
        enum CodingKeys: String, CodingKey { case csrf = "_csrf", required }
    }

    struct NewToken: PageForm {
        let csrf: String?
        let name: String
        enum CodingKeys: String, CodingKey { case csrf = "_csrf", name }
    }
}
