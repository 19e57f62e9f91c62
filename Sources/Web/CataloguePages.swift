import AvropHTTP
import AvropCore
import FrameworkAgreements
import CatalogueSearch
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
            // A choice the page cannot read (an edited or truncated link) is left out and named, rather than
            // silently widening the search; the API answers the same with a 400 problem.
            var unreadable: [String] = []
            func choice<Value>(_ name: String, _ heading: String, _ read: (String) -> Value?) -> Value? {
                guard let raw = text(name) else { return nil }
                if let value = read(raw) { return value }
                unreadable.append(renderer.text(heading))
                return nil
            }
            let query = Catalogue.Query(
                text: text("q") ?? "",
                agreementID: choice("agreement", "catalogue_facet_agreement", UUID.init(uuidString:)),
                lotID: choice("lot", "catalogue_facet_lot", UUID.init(uuidString:)),
                innovationType: choice("type", "catalogue_facet_type", Solution.InnovationType.init(rawValue:)),
                trl: choice("trl", "catalogue_facet_trl", Catalogue.TRLBand.init(rawValue:)),
                innovationStep: choice("step", "catalogue_facet_step", InnovationStep.init(rawValue:)),
                supplierID: choice("supplier", "catalogue_facet_supplier", UUID.init(uuidString:)),
                sort: choice("sort", "catalogue_sort", Catalogue.Sort.init(rawValue:)) ?? .relevance, limit: 20, cursor: text("cursor")
            )
            let result: Catalogue.Result
            do {
                result = try await catalogue.search(query)
            } catch AgreementError.invalid {
                throw HTTPError(.badRequest)
            }
            // Links keep every other choice and change one.
            let current: [String: String] = [
                "q": query.text, "agreement": query.agreementID.map { $0.uuidString.lowercased() } ?? "",
                "lot": query.lotID.map { $0.uuidString.lowercased() } ?? "", "type": query.innovationType?.rawValue ?? "",
                "trl": query.trl?.rawValue ?? "", "step": query.innovationStep?.rawValue ?? "",
                "supplier": query.supplierID.map { $0.uuidString.lowercased() } ?? "", "sort": text("sort") == nil ? "" : query.sort.rawValue,
            ]
            func link(_ changes: [String: String]) -> String {
                var components = URLComponents()
                components.path = "/catalogue"
                components.queryItems = current.merging(changes) { $1 }.filter { !$0.value.isEmpty }.sorted { $0.key < $1.key }
                    .map { URLQueryItem(name: $0.key, value: $0.value) }
                return components.string ?? "/catalogue"
            }
            let facetNames: [(key: String, parameter: String, heading: String)] = [
                ("agreement", "agreement", "catalogue_facet_agreement"), ("lot", "lot", "catalogue_facet_lot"), ("type", "type", "catalogue_facet_type"), ("trl", "trl", "catalogue_facet_trl"),
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
            if parameters.isMalformed { unreadable.append(renderer.text("catalogue_address")) }
            guard unreadable.isEmpty else {
                values["unreadable"] = renderer.text("catalogue_unreadable") + " " + unreadable.joined(separator: ", ") + "."
                return renderer.page("catalogue", title: "catalogue_title", status: .badRequest, values: values)
            }
            return renderer.page("catalogue", title: "catalogue_title", values: values)
        }
    }
}
