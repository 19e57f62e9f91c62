import AvropHTTP
import AvropCore
import Foundation
import FrameworkAgreements
import CatalogueSearch
import Hummingbird
import NIOCore

/// `GET /api/v1/catalogue`, the public and busiest operation, served without the generated code's
/// decoding and `JSONEncoder`: with them, writing the page's JSON took a seventh of the CPU of a
/// search under load, more than the search in the index. The query is read as `openapi.yaml` describes
/// it (a form-encoded query string), the search is `APIHandlers.catalogueAnswer`, shared with the
/// generated operation, and the body is written by `JSONText` in the schema's shape; a test checks
/// that both give the same JSON.
struct CatalogueSearchRoute: Sendable {
    let handlers: APIHandlers

    func respond(to request: Request) async throws -> Response {
        let form = FormQuery(request.uri.query ?? "")
        guard !form.isMalformed else { return Self.badRequest("the query string is not valid percent-encoding") }
        let query: Operations.SearchCatalogue.Input.Query
        switch Self.query(from: form) {
        case .success(let read): query = read
        case .failure(let refusal): return Self.badRequest(refusal.detail)
        }
        switch try await handlers.catalogueAnswer(query) {
        case .badRequest(let detail):
            return Self.badRequest(detail)
        case .page(let result, let next):
            return Response(
                status: .ok,
                headers: [.contentType: "application/json; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: Self.json(result, next: next)))
            )
        }
    }

    struct Refusal: Error {
        let detail: String
    }

    /// The operation's query from the request's, each parameter checked against its schema.
    static func query(from form: FormQuery) -> Result<Operations.SearchCatalogue.Input.Query, Refusal> {
        typealias Query = Operations.SearchCatalogue.Input.Query
        func choice<T: RawRepresentable & CaseIterable>(_ name: String, _: T.Type) -> Result<T?, Refusal> where T.RawValue == String {
            guard let text = form[name] else { return .success(nil) }
            guard let value = T(rawValue: text) else {
                return .failure(Refusal(detail: "\(name) must be one of \(T.allCases.map(\.rawValue).joined(separator: ", "))"))
            }
            return .success(value)
        }
        var limit: Int?
        if let text = form["limit"] {
            guard let value = Int(text) else { return .failure(Refusal(detail: "limit must be a whole number from 1 to 100")) }
            limit = value
        }
        return choice("type", Query._TypePayload.self).flatMap { type in
            choice("trl", Query.TrlPayload.self).flatMap { trl in
                choice("step", Query.StepPayload.self).flatMap { step in
                    choice("sort", Query.SortPayload.self).map { sort in
                        Query(q: form["q"], agreement: form["agreement"], lot: form["lot"], _type: type, trl: trl, step: step,
                              supplier: form["supplier"], sort: sort, cursor: form["cursor"], limit: limit)
                    }
                }
            }
        }
    }

    /// `CatalogueResult` as JSON, members in the schema's order; facets by name, so the bytes are stable.
    static func json(_ result: Catalogue.Result, next: String?) -> [UInt8] {
        let facetValues = result.facets.values.reduce(0) { $0 + $1.count }
        var json = JSONText(capacity: 1024 + result.hits.count * 768 + facetValues * 96)
        json.raw("{")
        json.member("items", first: true)
        json.raw("[")
        for (index, hit) in result.hits.enumerated() {
            json.raw(index > 0 ? ",{" : "{")
            json.member("id", first: true)
            json.string(hit.id.uuidString.lowercased())
            json.member("name")
            json.string(hit.name)
            json.member("summary")
            json.string(hit.summary)
            json.member("supplierName")
            json.string(hit.supplierName)
            json.member("agreementTitle")
            json.string(hit.agreementTitle)
            json.member("lotNumber")
            json.int(hit.lotNumber)
            json.member("lotTitle")
            json.string(hit.lotTitle)
            json.member("innovationType")
            json.string(hit.innovationType.rawValue)
            json.member("innovationStep")
            json.string(hit.innovationStep.rawValue)
            json.member("trl")
            json.int(hit.trl)
            json.member("tags")
            json.strings(hit.tags)
            json.member("snippet")
            json.string(hit.snippet)
            json.raw("}")
        }
        json.raw("]")
        json.member("total")
        json.int(result.total)
        json.member("fuzzy")
        json.bool(result.fuzzy)
        json.member("facets")
        json.raw("{")
        for (index, name) in result.facets.keys.sorted().enumerated() {
            if index > 0 { json.raw(",") }
            json.string(name)
            json.raw(":[")
            for (position, facet) in (result.facets[name] ?? []).enumerated() {
                json.raw(position > 0 ? ",{" : "{")
                json.member("value", first: true)
                json.string(facet.value)
                json.member("label")
                json.string(facet.label)
                json.member("count")
                json.int(facet.count)
                json.raw("}")
            }
            json.raw("]")
        }
        json.raw("}")
        if let next {
            json.member("next")
            json.string(next)
        }
        json.raw("}")
        return json.bytes
    }

    static func badRequest(_ detail: String) -> Response {
        ProblemResponse.make(status: .badRequest, type: "bad-request", title: "The request is not valid", detail: detail)
    }
}
