import Foundation
import Hummingbird
import MultipartKit
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
        guard let parts = parse(body, boundary: boundary) else { throw HTTPError(.badRequest) }
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

    /// The parts by name, read by vapor/multipart-kit's parser; nil when the body is not well formed or a
    /// part has no name.
    static func parse(_ body: ByteBuffer, boundary: String) -> [String: Part]? {
        let parser = MultipartParser(boundary: boundary)
        var parts: [String: Part] = [:]
        var disposition: String?
        var bytes: [UInt8] = []
        var nameless = false
        parser.onHeader = { name, value in
            if name.lowercased() == "content-disposition" { disposition = value }
        }
        parser.onBody = { buffer in bytes += buffer.readableBytesView }
        parser.onPartComplete = {
            if let line = disposition, let name = parameter("name", in: line) {
                parts[name] = Part(name: name, fileName: parameter("filename", in: line), bytes: bytes)
            } else {
                nameless = true
            }
            disposition = nil
            bytes = []
        }
        do {
            try parser.execute(body)
        } catch {
            return nil
        }
        return nameless ? nil : parts
    }

    /// A quoted parameter of a Content-Disposition value (`form-data; name="file"`); browsers escape `"` as
    /// `%22`. (multipart-kit reads `name` the same way but keeps its reader internal, and we need `filename` too.)
    private static func parameter(_ key: String, in line: String) -> String? {
        for piece in line.split(separator: ";").dropFirst() {
            let pair = piece.split(separator: "=", maxSplits: 1)
            guard pair.count == 2, pair[0].trimmingCharacters(in: .whitespaces).lowercased() == key else { continue }
            let value = pair[1].trimmingCharacters(in: .whitespaces)
            return value.hasPrefix("\"") && value.hasSuffix("\"") && value.count >= 2 ? String(value.dropFirst().dropLast()) : value
        }
        return nil
    }
}
