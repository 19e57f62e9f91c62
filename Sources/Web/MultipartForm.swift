import Foundation
import Hummingbird
import NIOCore

/// A `multipart/form-data` form (RFC 7578), for the one kind of page form that carries a file. Read with
/// a size limit and its CSRF token checked before any handler sees it, like `Form`.
struct MultipartForm {
    struct Part {
        let name: String
        let fileName: String?
        let bytes: [UInt8]
        var text: String { String(decoding: bytes, as: UTF8.self) }
    }

    let parts: [String: Part]

    subscript(_ name: String) -> Part? { parts[name] }

    /// The form of `request`: 415 for another content type, 413 beyond `maximumBytes`, 400 when it does
    /// not parse, 403 when the CSRF token is missing or wrong.
    static func read(_ request: Request, maximumBytes: Int) async throws -> MultipartForm {
        let contentType = request.headers[.contentType] ?? ""
        guard contentType.lowercased().hasPrefix("multipart/form-data"), let boundary = Self.boundary(contentType) else {
            throw HTTPError(.unsupportedMediaType)
        }
        if let length = request.headers[.contentLength].flatMap(Int.init), length > maximumBytes { throw HTTPError(.contentTooLarge) }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: maximumBytes)
        } catch is NIOTooManyBytesError {
            throw HTTPError(.contentTooLarge)
        }
        guard let parts = parse(Array(body.readableBytesView), boundary: boundary) else { throw HTTPError(.badRequest) }
        let form = MultipartForm(parts: parts)
        let expected = WebRequest.current.csrfToken
        guard let sent = form["_csrf"]?.text, !expected.isEmpty, Form.constantTimeEqual(Array(sent.utf8), Array(expected.utf8)) else {
            throw HTTPError(.forbidden)
        }
        return form
    }

    /// The `boundary` parameter of a Content-Type, unquoted.
    static func boundary(_ contentType: String) -> String? {
        for parameter in contentType.split(separator: ";").dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2, pair[0].lowercased() == "boundary" else { continue }
            let value = pair[1].trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            return (1...70).contains(value.count) ? value : nil
        }
        return nil
    }

    /// The parts by name, or nil when the body is not well formed.
    static func parse(_ body: [UInt8], boundary: String) -> [String: Part]? {
        let delimiter = Array("--\(boundary)".utf8)
        let crlf: [UInt8] = [13, 10]
        guard var position = find(delimiter, in: body, from: 0) else { return nil }
        var parts: [String: Part] = [:]
        while true {
            position += delimiter.count
            // "--" after a delimiter ends the form.
            if body.count >= position + 2, body[position] == 45, body[position + 1] == 45 { return parts }
            guard body.count >= position + 2, Array(body[position..<(position + 2)]) == crlf else { return nil }
            position += 2
            guard let headerEnd = find(crlf + crlf, in: body, from: position) else { return nil }
            let headers = String(decoding: body[position..<headerEnd], as: UTF8.self)
            let contentStart = headerEnd + 4
            guard let next = find(crlf + delimiter, in: body, from: contentStart) else { return nil }
            guard let disposition = headers.split(separator: "\r\n").first(where: { $0.lowercased().hasPrefix("content-disposition:") }),
                  let name = parameter("name", in: String(disposition))
            else { return nil }
            parts[name] = Part(name: name, fileName: parameter("filename", in: String(disposition)), bytes: Array(body[contentStart..<next]))
            position = next + 2
        }
    }

    /// A quoted parameter of a Content-Disposition line (`name="file"`); browsers escape `"` as `%22`.
    private static func parameter(_ key: String, in line: String) -> String? {
        for piece in line.split(separator: ";").dropFirst() {
            let pair = piece.split(separator: "=", maxSplits: 1)
            guard pair.count == 2, pair[0].trimmingCharacters(in: .whitespaces).lowercased() == key else { continue }
            let value = pair[1].trimmingCharacters(in: .whitespaces)
            return value.hasPrefix("\"") && value.hasSuffix("\"") && value.count >= 2 ? String(value.dropFirst().dropLast()) : value
        }
        return nil
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard let first = needle.first, haystack.count >= needle.count else { return nil }
        var index = start
        let last = haystack.count - needle.count
        while index <= last {
            if haystack[index] == first {
                var matches = true
                for offset in 1..<needle.count where haystack[index + offset] != needle[offset] {
                    matches = false
                    break
                }
                if matches { return index }
            }
            index += 1
        }
        return nil
    }
}
