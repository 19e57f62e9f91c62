import AvropCore
import FrameworkAgreements
import Foundation
import Hummingbird
import Identity

/// The framework managers' side of an agreement: draft one (`/agreements/new`), then on its page edit the
/// terms, add lots, suppliers and requirements, activate it (with every gap named), suspend or remove a
/// supplier, and terminate it. `AgreementService` decides; a refusal shows on the page with what was written.
struct AgreementManagementPages: Sendable {
    let agreements: AgreementService
    let pages: AgreementPages
    let renderer: PageRenderer

    func register<Context: RemoteAddressRequestContext>(on router: Router<Context>) {
        router.get("/agreements/new") { _, _ in
            let actor = try WebRequest.signedIn().actor
            guard actor.roles.contains(.frameworkManager) else { throw HTTPError(.notFound) }
            return newPage()
        }
        router.post("/agreements") { request, context in
            let form = try await Form.read(request, context, as: Form.AgreementTerms.self)
            guard let actor = WebRequest.current.session?.actor else { throw HTTPError(.notFound) }
            do {
                let created = try await agreements.create(try form.terms(), by: actor)
                return WebPages.redirect("/agreements/\(created.id.uuidString.lowercased())")
            } catch AgreementError.notFound {
                throw HTTPError(.notFound)
            } catch let error as AgreementError {
                return newPage(status: .unprocessableContent, error: message(error), form: form)
            }
        }
        router.post("/agreements/{id}/edit") { request, context in
            let form = try await Form.read(request, context, as: Form.AgreementTerms.self)
            return try await step(context) { id, actor in
                _ = try await agreements.update(id, terms: try form.terms(), ifVersion: form.version ?? 0, by: actor)
            }
        }
        router.post("/agreements/{id}/lots") { request, context in
            let form = try await Form.read(request, context, as: Form.NewLot.self)
            return try await step(context) { id, actor in
                let method = try Self.choice(form.method, Lot.CallOffMethod.init(rawValue:), field: "method")
                _ = try await agreements.addLot(
                    to: id, number: try Self.number(form.number, field: "number"), title: form.title, description: form.description ?? "",
                    region: form.region ?? "", method: method,
                    combinedThresholdOre: try form.threshold.flatMap { $0.isEmpty ? nil : try Self.ore($0, field: "combinedThreshold") },
                    dialogueAllowed: form.dialogue == "yes", minimumTenderDays: try Self.number(form.tenderDays, field: "minimumTenderDays"), by: actor
                )
            }
        }
        router.post("/agreements/{id}/lots/{lot}/suppliers") { request, context in
            let form = try await Form.read(request, context, as: Form.NewLotSupplier.self)
            return try await step(context) { _, actor in
                let lot = try context.pathID("lot")
                let rank = try form.rank.flatMap { $0.isEmpty ? nil : try Self.number($0, field: "rank") }
                try await agreements.addSupplier(numbered: form.organizationNumber, to: lot, rank: rank, by: actor)
            }
        }
        router.post("/agreements/{id}/lots/{lot}/suppliers/{supplier}/status") { request, context in
            let form = try await Form.read(request, context, as: Form.SupplierStatus.self)
            return try await step(context) { _, actor in
                let lot = try context.pathID("lot")
                let supplier = try context.pathID("supplier")
                let reason = form.reason ?? ""
                let status: LotSupplier.Status = switch form.status {
                case "suspended": .suspended(reason: reason, until: form.until.flatMap(CalendarDay.init))
                case "removed": .removed(reason: reason)
                default: .active
                }
                try await agreements.setSupplierStatus(supplier, on: lot, to: status, by: actor)
            }
        }
        router.post("/agreements/{id}/requirements") { request, context in
            let form = try await Form.read(request, context, as: Form.NewRequirement.self)
            return try await step(context) { id, actor in
                let kind: Requirement.Kind = form.kind == "weighted"
                    ? .weighted(minimum: try Self.number(form.low ?? "", field: "weight"), maximum: try Self.number(form.high ?? "", field: "weight"))
                    : .mandatory
                _ = try await agreements.addRequirement(
                    to: id, lotID: form.lot.flatMap { $0.isEmpty ? nil : UUID(uuidString: $0) }, code: form.code, text: form.text, kind: kind,
                    category: try Self.choice(form.category, Requirement.Category.init(rawValue:), field: "category"),
                    indicator: form.indicator, followUpMethod: form.followUpMethod ?? "",
                    followUpFrequency: Requirement.Frequency(rawValue: form.frequency ?? "") ?? .none, by: actor
                )
            }
        }
        router.post("/agreements/{id}/lots/{lot}/remove") { request, context in
            _ = try await Form.read(request, context, as: Form.Empty.self)
            return try await step(context) { id, actor in
                let lot = try context.pathID("lot")
                // The lot must belong to the agreement of the path.
                guard try await agreements.details(id, for: actor).lots.contains(where: { $0.id == lot }) else { throw AgreementError.notFound }
                try await agreements.removeLot(lot, by: actor)
            }
        }
        router.post("/agreements/{id}/requirements/{requirement}/remove") { request, context in
            _ = try await Form.read(request, context, as: Form.Empty.self)
            return try await step(context) { id, actor in
                try await agreements.removeRequirement(try context.pathID("requirement"), from: id, by: actor)
            }
        }
        router.post("/agreements/{id}/activate") { request, context in
            _ = try await Form.read(request, context, as: Form.Empty.self)
            return try await step(context) { id, actor in _ = try await agreements.activate(id, by: actor) }
        }
        router.post("/agreements/{id}/terminate") { request, context in
            let form = try await Form.read(request, context, as: Form.Termination.self)
            return try await step(context) { id, actor in _ = try await agreements.terminate(id, reason: form.reason, by: actor) }
        }
    }

    // MARK: Pages

    private func newPage(status: HTTPResponse.Status = .ok, error: String? = nil, form: Form.AgreementTerms? = nil) -> Response {
        var values = AgreementPages.termValues(form)
        if let error { values["error"] = error }
        return renderer.page("agreement-new", title: "agreement_new_title", status: status, values: values)
    }

    /// Runs a manager's step on the agreement of the path and goes back to its page; a refusal shows there
    /// with its reason (404 for someone who may not manage it, as for anything they may not see).
    private func step(_ context: some RequestContext, _ body: (UUID, Actor) async throws -> Void) async throws -> Response {
        let id = try context.pathID()
        guard let actor = WebRequest.current.session?.actor else { throw HTTPError(.notFound) }
        do {
            try await body(id, actor)
            return WebPages.redirect("/agreements/\(id.uuidString.lowercased())")
        } catch AgreementError.notFound {
            throw HTTPError(.notFound)
        } catch let error as AgreementError {
            let status: HTTPResponse.Status = switch error {
            case .notDraft, .closedSystem, .duplicate, .versionMismatch: .conflict
            default: .unprocessableContent
            }
            return try await pages.page(id, status: status, error: message(error))
        }
    }

    /// The refusal in the reader's language.
    func message(_ error: AgreementError) -> String {
        switch error {
        case .invalid(let field, _):
            let key = "agreement_field_\(field)"
            let text = renderer.text(key)
            return text == key ? renderer.text("error_bad_request") : text
        case .validityTooLong: return renderer.text("agreement_error_r1")
        case .closedSystem: return renderer.text("agreement_error_r3")
        case .duplicate: return renderer.text("agreement_error_duplicate")
        case .notDraft: return renderer.text("agreement_error_not_draft")
        case .versionMismatch: return renderer.text("error_changed_meanwhile")
        case .incomplete(let problems):
            return renderer.text("agreement_error_incomplete") + " " + problems.map(problem).joined(separator: " ")
        case .notFound, .fileTooLarge, .fileTypeRefused: return renderer.text("error_bad_request")
        }
    }

    private func problem(_ problem: ActivationProblem) -> String {
        switch problem {
        case .noLots: renderer.text("activation_no_lots")
        case .noActiveSupplier(let lot): renderer.text("activation_no_active_supplier").replacingOccurrences(of: "{lot}", with: String(lot))
        case .ranksNotUnique(let lot): renderer.text("activation_ranks_not_unique").replacingOccurrences(of: "{lot}", with: String(lot))
        case .weightsCannotSumTo100(let lot): renderer.text("activation_weights").replacingOccurrences(of: "{lot}", with: String(lot))
        case .validityTooLong: renderer.text("agreement_error_r1")
        }
    }

    // MARK: Reading fields

    static func number(_ text: String, field: String) throws -> Int {
        guard let value = Int(text.trimmingCharacters(in: .whitespaces)) else { throw AgreementError.invalid(field: field, reason: "a whole number") }
        return value
    }

    static func choice<T>(_ text: String, _ make: (String) -> T?, field: String) throws -> T {
        guard let value = make(text) else { throw AgreementError.invalid(field: field, reason: "one of the choices") }
        return value
    }

    /// Kronor as people write them ("1 250 000", "1250000,50") in öre.
    static func ore(_ text: String, field: String) throws -> Int64 {
        let compact = text.filter { !$0.isWhitespace && $0 != "\u{a0}" }.replacingOccurrences(of: ",", with: ".")
        guard let kronor = Decimal(string: compact, locale: Locale(identifier: "en_US_POSIX")), kronor >= 0, kronor < 1e15 else {
            throw AgreementError.invalid(field: field, reason: "an amount in kronor")
        }
        return NSDecimalNumber(decimal: kronor * 100).int64Value
    }
}

extension Form {
    struct AgreementTerms: PageForm {
        let csrf: String?
        let reference: String
        let title: String
        let description: String?
        let validFrom: String
        let validTo: String
        let maxExtendedTo: String?
        let justification: String?
        let ceiling: String
        let innovationStep: String?
        let innovationNote: String?
        let version: Int?
        enum CodingKeys: String, CodingKey {
            case csrf = "_csrf", reference, title, description, validFrom, validTo, maxExtendedTo, justification, ceiling, innovationStep,
                 innovationNote, version
        }

        func terms() throws -> FrameworkAgreement.Terms {
            guard let from = CalendarDay(validFrom) else { throw AgreementError.invalid(field: "validFrom", reason: "a day") }
            guard let to = CalendarDay(validTo) else { throw AgreementError.invalid(field: "validTo", reason: "a day") }
            var extended: CalendarDay?
            if let text = maxExtendedTo, !text.isEmpty {
                guard let day = CalendarDay(text) else { throw AgreementError.invalid(field: "maxExtendedTo", reason: "a day") }
                extended = day
            }
            var step: InnovationStep?
            if let text = innovationStep, !text.isEmpty {
                guard let chosen = InnovationStep(rawValue: text) else {
                    throw AgreementError.invalid(field: "innovationStep", reason: "deploy, introduce or initiate")
                }
                step = chosen
            }
            return .init(
                reference: reference, title: title, description: description ?? "", validFrom: from, validTo: to, maxExtendedTo: extended,
                longValidityJustification: justification, ceilingOre: try AgreementManagementPages.ore(ceiling, field: "ceiling"),
                innovationStep: step, innovationNote: innovationNote ?? ""
            )
        }
    }

    struct NewLot: PageForm {
        let csrf: String?
        let number: String
        let title: String
        let description: String?
        let region: String?
        let method: String
        let threshold: String?
        let dialogue: String?
        let tenderDays: String
        enum CodingKeys: String, CodingKey { case csrf = "_csrf", number, title, description, region, method, threshold, dialogue, tenderDays }
    }

    struct NewLotSupplier: PageForm {
        let csrf: String?
        let organizationNumber: String
        let rank: String?
        enum CodingKeys: String, CodingKey { case csrf = "_csrf", organizationNumber, rank }
    }

    struct SupplierStatus: PageForm {
        let csrf: String?
        let status: String
        let reason: String?
        let until: String?
        enum CodingKeys: String, CodingKey { case csrf = "_csrf", status, reason, until }
    }

    struct NewRequirement: PageForm {
        let csrf: String?
        let lot: String?
        let code: String
        let text: String
        let kind: String
        let low: String?
        let high: String?
        let category: String
        let indicator: String?
        let followUpMethod: String?
        let frequency: String?
        enum CodingKeys: String, CodingKey { case csrf = "_csrf", lot, code, text, kind, low, high, category, indicator, followUpMethod, frequency }
    }

    struct Termination: PageForm {
        let csrf: String?
        let reason: String
        enum CodingKeys: String, CodingKey { case csrf = "_csrf", reason }
    }
}
