import AvropCore
import FrameworkAgreements
import CatalogueSearch
import Foundation
import Identity
import OpenAPIRuntime

/// Verified innovative solutions over the API: the same `SolutionService` as the pages.
extension APIHandlers {
    var solutions: SolutionService { services.solutions }

    func listOwnSolutions(_ input: Operations.ListOwnSolutions.Input) async throws -> Operations.ListOwnSolutions.Output {
        guard let actor = APIRequest.actor else { return .unauthorized(Problems.unauthorized) }
        do {
            let list = input.query.queue == true ? try await solutions.queue(by: actor) : try await solutions.own(by: actor)
            return .ok(.init(body: .json(.init(items: list.map(SolutionJSON.solution)))))
        } catch AgreementError.notFound {
            return .notFound(Problems.notFound)
        }
    }

    func createSolution(_ input: Operations.CreateSolution.Input) async throws -> Operations.CreateSolution.Output {
        guard let actor = APIRequest.actor else { return .unauthorized(Problems.unauthorized) }
        guard case .json(let body) = input.body else { return .badRequest(Problems.badRequest("expected a JSON body")) }
        guard let lotID = UUID(uuidString: body.value2.lotId) else { return .badRequest(Problems.badRequest("lotId is not a UUID")) }
        do {
            let created = try await solutions.create(on: lotID, SolutionJSON.description(body.value1), by: actor)
            return .created(.init(body: .json(SolutionJSON.solution(created))))
        } catch let error as AgreementError {
            return Problems.agreement(error, notFound: { .notFound($0) }, conflict: { .unprocessableContent($0) }, other: { .unprocessableContent($0) })
        }
    }

    func getSolution(_ input: Operations.GetSolution.Input) async throws -> Operations.GetSolution.Output {
        guard let id = UUID(uuidString: input.path.id) else { return .notFound(Problems.notFound) }
        do {
            return .ok(.init(body: .json(SolutionJSON.solution(try await solutions.solution(id, for: APIRequest.actor)))))
        } catch AgreementError.notFound {
            return .notFound(Problems.notFound)
        }
    }

    func decideSolution(_ input: Operations.DecideSolution.Input) async throws -> Operations.DecideSolution.Output {
        guard let actor = APIRequest.actor else { return .unauthorized(Problems.unauthorized) }
        guard let id = UUID(uuidString: input.path.id) else { return .notFound(Problems.notFound) }
        guard case .json(let body) = input.body else { return .badRequest(Problems.badRequest("expected a JSON body")) }
        do {
            let solution: Solution
            switch body.action {
            case .submit: solution = try await solutions.submit(id, by: actor)
            case .withdraw: solution = try await solutions.withdraw(id, by: actor)
            case .reject: solution = try await solutions.reject(id, reasons: body.reasons ?? "", by: actor)
            case .verify:
                guard let method = body.method.flatMap({ Solution.VerificationMethod(rawValue: $0.rawValue) }),
                      let until = body.validUntil.flatMap(CalendarDay.init)
                else {
                    return .unprocessableContent(Problems.make(422, "invalid-field", "A field has a value that is not allowed",
                                                               detail: "verify needs method and validUntil (YYYY-MM-DD)"))
                }
                solution = try await solutions.verify(id, method: method, reasons: body.reasons ?? "", validUntil: until, by: actor)
            }
            return .ok(.init(body: .json(SolutionJSON.solution(solution))))
        } catch let error as AgreementError {
            return Problems.agreement(error, notFound: { .notFound($0) }, conflict: { .conflict($0) }, other: { .unprocessableContent($0) })
        }
    }
}

/// Between the API's JSON and `Solution`.
enum SolutionJSON {
    static func description(_ body: Components.Schemas.SolutionDescription) -> Solution.Description {
        .init(
            name: body.name, summary: body.summary, text: body.description ?? "",
            innovationType: Solution.InnovationType(rawValue: body.innovationType.rawValue) ?? .product,
            innovationStep: InnovationStep(rawValue: body.innovationStep.rawValue) ?? .deploy, innovationNote: body.innovationNote ?? "",
            trl: body.trl, tags: body.tags ?? []
        )
    }

    static func solution(_ solution: Solution) -> Components.Schemas.Solution {
        let text = solution.description
        return .init(
            value1: .init(
                name: text.name, summary: text.summary, description: text.text,
                innovationType: .init(rawValue: text.innovationType.rawValue) ?? .product,
                innovationStep: .init(rawValue: text.innovationStep.rawValue) ?? .deploy, innovationNote: text.innovationNote,
                trl: text.trl, tags: text.tags
            ),
            value2: .init(
                id: solution.id.uuidString.lowercased(), supplierId: solution.supplierID.uuidString.lowercased(),
                lotId: solution.lotID.uuidString.lowercased(), status: .init(rawValue: solution.status.rawValue) ?? .draft,
                verificationMethod: solution.decision?.method.flatMap { .init(rawValue: $0.rawValue) },
                decisionReasons: solution.decision?.reasons, validUntil: solution.decision?.validUntil?.description,
                decidedAt: solution.decision?.decidedAt, version: solution.version
            )
        )
    }
}

extension APIHandlers {
    /// A catalogue search's answer: the page (with the link to the next one), or why the query is refused.
    enum CatalogueAnswer {
        case page(Catalogue.Result, next: String?)
        case badRequest(String)
    }

    /// The search of `GET /api/v1/catalogue`, for the query as the operation describes it. Served by
    /// `CatalogueSearchRoute`, which writes the JSON itself; the generated operation below is the
    /// reference that route is tested against.
    func catalogueAnswer(_ query: Operations.SearchCatalogue.Input.Query) async throws -> CatalogueAnswer {
        var ids: [String: UUID] = [:]
        for (name, text) in [("agreement", query.agreement), ("lot", query.lot), ("supplier", query.supplier)] {
            guard let text else { continue }
            guard let id = UUID(uuidString: text) else { return .badRequest("\(name) must be a UUID") }
            ids[name] = id
        }
        let search = Catalogue.Query(
            text: query.q ?? "", agreementID: ids["agreement"], lotID: ids["lot"],
            innovationType: query._type.flatMap { Solution.InnovationType(rawValue: $0.rawValue) },
            trl: query.trl.flatMap { Catalogue.TRLBand(rawValue: $0.rawValue) },
            innovationStep: query.step.flatMap { InnovationStep(rawValue: $0.rawValue) }, supplierID: ids["supplier"],
            sort: query.sort.flatMap { Catalogue.Sort(rawValue: $0.rawValue) } ?? .relevance, limit: query.limit ?? 20, cursor: query.cursor
        )
        let result: Catalogue.Result
        do {
            result = try await catalogue.search(search)
        } catch AgreementError.invalid {
            return .badRequest("the cursor is not one this service gave out")
        }
        let next = result.next.map { cursor in
            Pagination.nextLink("/api/v1/catalogue", [
                "q": query.q, "agreement": query.agreement, "lot": query.lot, "type": query._type?.rawValue, "trl": query.trl?.rawValue, "step": query.step?.rawValue,
                "supplier": query.supplier, "sort": query.sort?.rawValue, "limit": query.limit.map(String.init), "cursor": cursor,
            ])
        }
        return .page(result, next: next)
    }

    func searchCatalogue(_ input: Operations.SearchCatalogue.Input) async throws -> Operations.SearchCatalogue.Output {
        switch try await catalogueAnswer(input.query) {
        case .badRequest(let detail):
            return .badRequest(Problems.badRequest(detail))
        case .page(let result, let next):
            return .ok(.init(body: .json(.init(
                items: result.hits.map { hit in
                    .init(id: hit.id.uuidString.lowercased(), name: hit.name, summary: hit.summary, supplierName: hit.supplierName,
                          agreementTitle: hit.agreementTitle, lotNumber: hit.lotNumber, lotTitle: hit.lotTitle,
                          innovationType: hit.innovationType.rawValue, innovationStep: hit.innovationStep.rawValue, trl: hit.trl, tags: hit.tags,
                          snippet: hit.snippet)
                },
                total: result.total, fuzzy: result.fuzzy,
                facets: .init(additionalProperties: result.facets.mapValues { $0.map { .init(value: $0.value, label: $0.label, count: $0.count) } }),
                next: next
            ))))
        }
    }
}
