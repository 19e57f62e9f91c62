import AvropCore
import FrameworkAgreements
import Foundation
import Hummingbird
import Identity

/// The public catalogue: a search box, facets to narrow by, and the hits with their highlighted snippets
/// (each solution's own page is in `SolutionPages`).
struct CataloguePages: Sendable {
    let catalogue: Catalogue
    let renderer: PageRenderer

    func register<Context: RemoteAddressRequestContext>(on router: Router<Context>) {
        router.get("/catalogue") { request, _ in
            // As the search form sends it: "digitala+tjänster" is two words, shown back with a space.
            let parameters = FormQuery(request.uri.query ?? "")
            func text(_ name: String) -> String? { parameters[name].flatMap { $0.isEmpty ? nil : $0 } }
            let query = Catalogue.Query(
                text: text("q") ?? "", agreementID: text("agreement").flatMap(UUID.init(uuidString:)),
                lotID: text("lot").flatMap(UUID.init(uuidString:)),
                innovationType: text("type").flatMap(Solution.InnovationType.init(rawValue:)),
                trl: text("trl").flatMap(Catalogue.TRLBand.init(rawValue:)),
                innovationStep: text("step").flatMap(InnovationStep.init(rawValue:)), supplierID: text("supplier").flatMap(UUID.init(uuidString:)),
                sort: text("sort").flatMap(Catalogue.Sort.init(rawValue:)) ?? .relevance, limit: 20, cursor: text("cursor")
            )
            let result: Catalogue.Result
            do {
                result = try await catalogue.search(query)
            } catch AgreementError.invalid {
                throw HTTPError(.badRequest)
            }
            // Links keep every other choice and change one.
            let current: [String: String] = ["q": query.text, "type": text("type") ?? "", "trl": text("trl") ?? "", "step": text("step") ?? "",
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
                ("step", "step", "catalogue_facet_step"), ("supplier", "supplier", "catalogue_facet_supplier"),
            ]
            let facets = facetNames.compactMap { facet -> [String: Any]? in
                guard let values = result.facets[facet.key], !values.isEmpty else { return nil }
                return [
                    "heading": renderer.text(facet.heading),
                    "values": values.map { value -> [String: Any] in
                        let label = switch facet.key {
                        case "type": renderer.text("type_\(value.label)")
                        case "step": renderer.text("step_\(value.label)")
                        case "trl": "TRL \(value.label)"
                        default: value.label
                        }
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
                    "type": renderer.text("type_\(hit.innovationType.rawValue)"), "step": renderer.text("step_\(hit.innovationStep.rawValue)"),
                ]
            }
            var values: [String: Any] = [
                "q": query.text, "hits": hits, "hasHits": !hits.isEmpty, "total": result.total, "fuzzy": result.fuzzy, "facets": facets,
                "sortRelevance": link(["sort": "relevance", "cursor": ""]), "sortNewest": link(["sort": "newest", "cursor": ""]),
            ]
            if let next = result.next { values["next"] = link(["cursor": next]) }
            return renderer.page("catalogue", title: "catalogue_title", values: values)
        }
    }
}
