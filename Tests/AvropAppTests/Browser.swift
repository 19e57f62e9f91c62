import Foundation
import Hummingbird
import HummingbirdTesting

/// A browser over the test client: keeps the cookies the server sets and sends them back, and posts forms
/// with the CSRF token of the last page it read.
final class Browser: @unchecked Sendable {
    let client: any TestClientProtocol
    var cookies: [String: String] = [:]
    var extraHeaders: HTTPFields = [:]
    private(set) var lastPage = ""

    init(_ client: any TestClientProtocol) {
        self.client = client
    }

    struct Page {
        let status: HTTPResponse.Status
        let headers: HTTPFields
        let html: String
        let bytes: [UInt8]
        var location: String? { headers[.location] }
        /// The raw Set-Cookie lines, for checking attributes.
        var setCookies: [String] { headers[values: .setCookie] }
    }

    @discardableResult
    func get(_ path: String) async throws -> Page {
        try await send(path, method: .get, body: nil, contentType: nil)
    }

    /// Posts `fields` as a form, adding `_csrf` from the last page unless `csrf` says otherwise.
    @discardableResult
    func post(_ path: String, _ fields: [String: String] = [:], csrf: String? = nil) async throws -> Page {
        var all = fields
        if all["_csrf"] == nil { all["_csrf"] = csrf ?? csrfToken() }
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        let body = all.map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")" }.joined(separator: "&")
        return try await send(path, method: .post, body: Array(body.utf8), contentType: "application/x-www-form-urlencoded")
    }

    /// Posts `fields` and one file as `multipart/form-data`, adding `_csrf` from the last page unless given.
    @discardableResult
    func upload(_ path: String, _ fields: [String: String] = [:], file: (field: String, name: String, bytes: [UInt8])) async throws -> Page {
        let boundary = "avrop-test-\(UUID().uuidString)"
        var all = fields
        if all["_csrf"] == nil { all["_csrf"] = csrfToken() }
        var body: [UInt8] = []
        for (name, value) in all.sorted(by: { $0.key < $1.key }) {
            body += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n".utf8)
        }
        body += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(file.field)\"; filename=\"\(file.name)\"\r\n".utf8)
        body += Array("Content-Type: application/octet-stream\r\n\r\n".utf8) + file.bytes + Array("\r\n--\(boundary)--\r\n".utf8)
        return try await send(path, method: .post, body: body, contentType: "multipart/form-data; boundary=\(boundary)")
    }

    /// The `_csrf` value of the last page's first form.
    func csrfToken() -> String {
        guard let range = lastPage.range(of: #"name="_csrf" value=""#) else { return "" }
        return String(lastPage[range.upperBound...].prefix { $0 != "\"" })
    }

    private func send(_ path: String, method: HTTPRequest.Method, body: [UInt8]?, contentType: String?) async throws -> Page {
        var headers = extraHeaders
        if !cookies.isEmpty {
            headers[.cookie] = cookies.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "; ")
        }
        if let contentType { headers[.contentType] = contentType }
        let page = try await client.execute(uri: path, method: method, headers: headers, body: body.map { ByteBuffer(bytes: $0) }) { response in
            Page(status: response.status, headers: response.headers, html: String(buffer: response.body), bytes: Array(response.body.readableBytesView))
        }
        for line in page.setCookies {
            let pair = line.split(separator: ";").first.map(String.init) ?? ""
            let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count >= 1 else { continue }
            let value = parts.count == 2 ? parts[1] : ""
            if value.isEmpty || line.contains("Max-Age=0") { cookies[parts[0]] = nil } else { cookies[parts[0]] = value }
        }
        if page.headers[.contentType]?.hasPrefix("text/html") == true { lastPage = page.html }
        return page
    }
}
