import FrameworkAgreements
import Foundation
import Hummingbird
import Identity
import Postgres

/// The public catalogue: a search box, facets to narrow by, the hits with their highlighted snippets, and
/// each solution's page with its verification.
struct CataloguePages: Sendable {
    let pool: ConnectionPool
    let renderer: PageRenderer

    func register<Context: RemoteAddressRequestContext>(on router: Router<Context>) {
        router.get("/catalogue") { request, _ in
            let parameters = request.uri.queryParameters
            func text(_ name: String) -> String? { parameters[Substring(name)].map(String.init).flatMap { $0.isEmpty ? nil : $0 } }
            let query = Catalogue.Query(
                text: text("q") ?? "", agreementID: text("agreement").flatMap(UUID.init(uuidString:)),
                lotID: text("lot").flatMap(UUID.init(uuidString:)),
                innovationType: text("type").flatMap(Solution.InnovationType.init(rawValue:)),
                trl: text("trl").flatMap(Catalogue.TRLBand.init(rawValue:)), supplierID: text("supplier").flatMap(UUID.init(uuidString:)),
                sort: text("sort").flatMap(Catalogue.Sort.init(rawValue:)) ?? .relevance, limit: 20, cursor: text("cursor")
            )
            let result: Catalogue.Result
            do {
                result = try await Catalogue(pool: pool).search(query)
            } catch AgreementError.invalid {
                throw HTTPError(.badRequest)
            }
            // Links keep every other choice and change one.
            let current: [String: String] = ["q": query.text, "type": text("type") ?? "", "trl": text("trl") ?? "",
                                             "lot": text("lot") ?? "", "supplier": text("supplier") ?? "", "sort": text("sort") ?? ""]
            func link(_ changes: [String: String]) -> String {
                var components = URLComponents()
                components.path = "/catalogue"
                components.queryItems = current.merging(changes) { $1 }.filter { !$0.value.isEmpty }.sorted { $0.key < $1.key }
                    .map { URLQueryItem(name: $0.key, value: $0.value) }
                return components.string ?? "/catalogue"
            }
            let facetNames: [(key: String, parameter: String, heading: String)] = [
                ("lot", "lot", "catalogue_facet_lot"), ("type", "type", "catalogue_facet_type"), ("trl", "trl", "catalogue_facet_trl"),
                ("supplier", "supplier", "catalogue_facet_supplier"),
            ]
            let facets = facetNames.compactMap { facet -> [String: Any]? in
                guard let values = result.facets[facet.key], !values.isEmpty else { return nil }
                return [
                    "heading": renderer.text(facet.heading),
                    "values": values.map { value -> [String: Any] in
                        let label = facet.key == "type" ? renderer.text("type_\(value.label)") : (facet.key == "trl" ? "TRL \(value.label)" : value.label)
                        let chosen = current[facet.parameter] == value.value
                        return ["label": label, "count": value.count, "chosen": chosen,
                                "href": link([facet.parameter: chosen ? "" : value.value, "cursor": ""])]
                    },
                ]
            }
            let hits = result.hits.map { hit -> [String: Any] in
                [
                    "id": hit.id.uuidString.lowercased(), "name": hit.name, "snippet": hit.snippet, "supplier": hit.supplierName,
                    "lot": "\(renderer.text("lot")) \(hit.lotNumber): \(hit.lotTitle)", "trl": hit.trl,
                    "type": renderer.text("type_\(hit.innovationType.rawValue)"),
                ]
            }
            var values: [String: Any] = [
                "q": query.text, "hits": hits, "hasHits": !hits.isEmpty, "total": result.total, "fuzzy": result.fuzzy, "facets": facets,
                "sortRelevance": link(["sort": "relevance", "cursor": ""]), "sortNewest": link(["sort": "newest", "cursor": ""]),
            ]
            if let next = result.next { values["next"] = link(["cursor": next]) }
            return renderer.page("catalogue", title: "catalogue_title", values: values)
        }
        router.get("/solutions/{id}") { _, context in
            guard let id = context.parameters.get("id").flatMap(UUID.init(uuidString:)) else { throw HTTPError(.notFound) }
            let solution: Solution
            do {
                solution = try await SolutionService(pool: pool).solution(id, for: WebRequest.current.session?.actor)
            } catch AgreementError.notFound {
                throw HTTPError(.notFound)
            }
            let text = solution.description
            var values: [String: Any] = [
                "name": text.name, "summary": text.summary, "description": text.text, "trl": text.trl, "tags": text.tags,
                "type": renderer.text("type_\(text.innovationType.rawValue)"), "step": text.innovationStep,
                "status": renderer.text("solution_status_\(solution.status.rawValue)"),
            ]
            if let decision = solution.decision {
                values["decision"] = [
                    "method": decision.method.map { renderer.text("method_of_verification_\($0.rawValue)") } ?? "",
                    "reasons": decision.reasons, "validUntil": decision.validUntil?.description ?? "",
                    "decided": DateText.day(decision.decidedAt, WebRequest.current.language),
                ]
            }
            return renderer.page("solution", title: "solution_title", values: values)
        }
    }
}
