import AvropCore
import FrameworkAgreements
import Foundation
import Hummingbird
import Identity

/// Solutions as each side works on them: a supplier's own list and new-solution form (`/my/solutions`),
/// editing, submitting and withdrawing on the solution's page; the framework managers' verification queue
/// (`/verification`) and their decision on the same page. The service decides who may do what; what a
/// person may not see answers 404.
struct SolutionPages: Sendable {
    let solutions: SolutionService
    let documents: SolutionDocuments
    let renderer: PageRenderer

    func register<Context: RemoteAddressRequestContext>(on router: Router<Context>) {
        router.get("/solutions/{id}") { _, context in
            let id = try context.pathID()
            return try await page(try await solutions.solution(id, for: WebRequest.current.session?.actor))
        }
        router.get("/my/solutions") { _, _ in
            let session = try WebRequest.signedIn()
            return try await mine(session.actor)
        }
        router.post("/my/solutions") { request, context in
            let form = try await Form.read(request, context, as: Form.SolutionText.self)
            let session = try WebRequest.signedIn()
            guard let lot = form.lot.flatMap(UUID.init(uuidString:)) else {
                return try await mine(session.actor, status: .unprocessableContent, error: renderer.text("solution_field_lot"), form: form)
            }
            do {
                let created = try await solutions.create(on: lot, form.solution, by: session.actor)
                return WebPages.redirect("/solutions/\(created.id.uuidString.lowercased())")
            } catch AgreementError.invalid(let field, _) {
                return try await mine(session.actor, status: .unprocessableContent, error: fieldError(field), form: form)
            }
        }
        router.post("/solutions/{id}/edit") { request, context in
            let form = try await Form.read(request, context, as: Form.SolutionText.self)
            let (id, actor) = try Self.signedIn(context)
            do {
                _ = try await solutions.edit(id, form.solution, ifVersion: form.version ?? 0, by: actor)
                return WebPages.redirect("/solutions/\(id.uuidString.lowercased())")
            } catch AgreementError.invalid(let field, _) {
                // Fields are checked before access: someone who may not see the solution still gets 404 here.
                let solution = try await solutions.solution(id, for: actor)
                return try await page(solution, status: .unprocessableContent, error: fieldError(field), form: form)
            } catch AgreementError.versionMismatch {
                let solution = try await solutions.solution(id, for: actor)
                return try await page(solution, status: .conflict, error: renderer.text("error_changed_meanwhile"))
            }
        }
        router.post("/solutions/{id}/submit") { request, context in
            _ = try await Form.read(request, context, as: Form.Empty.self)
            let (id, actor) = try Self.signedIn(context)
            return try await step(id, actor) { try await solutions.submit(id, by: actor) }
        }
        router.post("/solutions/{id}/withdraw") { request, context in
            _ = try await Form.read(request, context, as: Form.Empty.self)
            let (id, actor) = try Self.signedIn(context)
            return try await step(id, actor) { try await solutions.withdraw(id, by: actor) }
        }
        router.post("/solutions/{id}/decision") { request, context in
            let form = try await Form.read(request, context, as: Form.SolutionDecision.self)
            let (id, actor) = try Self.signedIn(context)
            do {
                switch form.decision {
                case "verify":
                    guard let method = form.method.flatMap(Solution.VerificationMethod.init(rawValue:)) else {
                        throw AgreementError.invalid(field: "method", reason: "choose how it was verified")
                    }
                    guard let until = form.validUntil.flatMap(CalendarDay.init) else {
                        throw AgreementError.invalid(field: "validUntil", reason: "a date")
                    }
                    return try await step(id, actor) { try await solutions.verify(id, method: method, reasons: form.reasons, validUntil: until, by: actor) }
                case "reject":
                    return try await step(id, actor) { try await solutions.reject(id, reasons: form.reasons, by: actor) }
                default:
                    throw HTTPError(.badRequest)
                }
            } catch AgreementError.invalid(let field, _) {
                let solution = try await solutions.solution(id, for: actor)
                return try await page(solution, status: .unprocessableContent, error: fieldError(field), decision: form)
            }
        }
        router.post("/solutions/{id}/documents") { request, context in
            // The limit leaves room for the form's other fields and the multipart framing around the file.
            let form = try await MultipartForm.read(request, maximumBytes: documents.maximumBytes + 64 * 1024)
            let (id, actor) = try Self.signedIn(context)
            guard let file = form["file"], !file.bytes.isEmpty else {
                let solution = try await solutions.solution(id, for: actor)
                return try await page(solution, status: .unprocessableContent, error: renderer.text("document_missing"))
            }
            do {
                _ = try await documents.add(to: id, name: file.fileName ?? "", bytes: file.bytes, by: actor)
                return WebPages.redirect("/solutions/\(id.uuidString.lowercased())")
            } catch let error as AgreementError {
                let solution = try await solutions.solution(id, for: actor)
                switch error {
                case .fileTooLarge(let maximum):
                    let text = renderer.text("document_too_large").replacingOccurrences(of: "{mib}", with: String(maximum >> 20))
                    return try await page(solution, status: .contentTooLarge, error: text)
                case .fileTypeRefused: return try await page(solution, status: .unsupportedMediaType, error: renderer.text("document_type_refused"))
                case .notDraft: return try await page(solution, status: .conflict, error: renderer.text("error_solution_state"))
                default: throw error
                }
            }
        }
        router.get("/documents/{id}") { _, context in
            let id = try context.pathID()
            let (document, content) = try await documents.download(id, for: WebRequest.current.session?.actor)
            return Response(
                status: .ok,
                headers: [.contentType: document.mediaType, .contentDisposition: FileName.attachmentHeader(document.fileName),
                          .cacheControl: "private, no-store"],
                body: .init(byteBuffer: ByteBuffer(bytes: content))
            )
        }
        router.get("/verification") { _, _ in
            let session = try WebRequest.signedIn()
            let queue = try await solutions.queue(by: session.actor)
            let rows = queue.map { solution -> [String: Any] in
                ["id": solution.id.uuidString.lowercased(), "name": solution.description.name, "summary": solution.description.summary,
                 "trl": solution.description.trl, "type": renderer.text("type_\(solution.description.innovationType.rawValue)")]
            }
            return renderer.page("verification", title: "verification_title", values: ["solutions": rows, "hasSolutions": !rows.isEmpty])
        }
    }

    // MARK: Pages

    /// The supplier's own solutions and the form for a new one.
    private func mine(_ actor: Actor, status: HTTPResponse.Status = .ok, error: String? = nil, form: Form.SolutionText? = nil) async throws -> Response {
        guard actor.roles.contains(.supplierRepresentative) else { throw HTTPError(.notFound) }
        let own = try await solutions.own(by: actor)
        let lots = try await solutions.openLots(for: actor)
        var values = textValues(form?.solution)
        values["solutions"] = own.map { solution -> [String: Any] in
            ["id": solution.id.uuidString.lowercased(), "name": solution.description.name,
             "status": renderer.text("solution_status_\(solution.status.rawValue)")]
        }
        values["hasSolutions"] = !own.isEmpty
        values["lots"] = lots.map { lot -> [String: Any] in
            ["id": lot.id.uuidString.lowercased(), "label": "\(lot.agreementTitle) – \(renderer.text("lot")) \(lot.number): \(lot.title)",
             "selected": lot.id.uuidString.lowercased() == form?.lot?.lowercased()]
        }
        values["hasLots"] = !lots.isEmpty
        if let error { values["error"] = error }
        return renderer.page("my-solutions", title: "my_solutions_title", status: status, values: values)
    }

    /// One solution, with what the viewer may do with it: its supplier edits a draft, submits and withdraws;
    /// the agreement's framework managers decide on a submitted one.
    private func page(_ solution: Solution, status: HTTPResponse.Status = .ok, error: String? = nil, form: Form.SolutionText? = nil,
                      decision: Form.SolutionDecision? = nil) async throws -> Response {
        let text = solution.description
        var values: [String: Any] = [
            "id": solution.id.uuidString.lowercased(), "name": text.name, "summary": text.summary, "description": text.text,
            "trl": text.trl, "tags": text.tags, "type": renderer.text("type_\(text.innovationType.rawValue)"),
            "step": renderer.text("step_\(text.innovationStep.rawValue)"), "note": text.innovationNote,
            "status": renderer.text("solution_status_\(solution.status.rawValue)"), "version": solution.version,
        ]
        if let made = solution.decision {
            values["decision"] = [
                "method": made.method.map { renderer.text("method_of_verification_\($0.rawValue)") } ?? "",
                "reasons": made.reasons, "validUntil": made.validUntil?.description ?? "",
                "decided": DateText.day(made.decidedAt, WebRequest.current.language),
            ]
        }
        let evidence = try await documents.list(solution.id, for: WebRequest.current.session?.actor)
        values["documents"] = evidence.map { document -> [String: Any] in
            ["id": document.id.uuidString.lowercased(), "fileName": document.fileName, "size": ByteCountText.text(document.sizeBytes)]
        }
        values["hasDocuments"] = !evidence.isEmpty
        if let actor = WebRequest.current.session?.actor {
            let supplier = actor.organizationID == solution.supplierID && actor.roles.contains(.supplierRepresentative)
            let manager = actor.roles.contains(.frameworkManager) && !supplier
            values["canAddDocument"] = (supplier || manager) && solution.acceptsEvidence(fromSupplier: supplier)
            if supplier && solution.status == .draft {
                values["edit"] = textValues(form?.solution ?? text)
            }
            values["canSubmit"] = supplier && solution.status == .draft
            values["canWithdraw"] = supplier && solution.mayBeWithdrawn
            if manager && solution.status == .submitted {
                let chosen = decision?.method ?? Solution.VerificationMethod.pilot.rawValue
                values["decide"] = [
                    "methods": Solution.VerificationMethod.allCases.map { method -> [String: Any] in
                        ["value": method.rawValue, "label": renderer.text("method_of_verification_\(method.rawValue)"), "selected": method.rawValue == chosen]
                    },
                    "reasons": decision?.reasons ?? "",
                    // Two years from today unless the manager says otherwise.
                    "validUntil": decision?.validUntil ?? CalendarDay(Date().addingTimeInterval(2 * 365 * 86_400)).description,
                ] as [String: Any]
            }
        }
        if let error { values["error"] = error }
        return renderer.page("solution", title: "solution_title", status: status, values: values)
    }

    /// The fields of the solution form, filled with `description` when there is one.
    private func textValues(_ description: Solution.Description?) -> [String: Any] {
        let type = description?.innovationType ?? .product
        let step = description?.innovationStep ?? .deploy
        let trl = description?.trl ?? 5
        return [
            "fieldName": description?.name ?? "", "fieldSummary": description?.summary ?? "", "fieldDescription": description?.text ?? "",
            "fieldNote": description?.innovationNote ?? "", "fieldTags": description?.tags.joined(separator: ", ") ?? "",
            "types": Solution.InnovationType.allCases.map { option -> [String: Any] in
                ["value": option.rawValue, "label": renderer.text("type_\(option.rawValue)"), "selected": option == type]
            },
            "steps": InnovationStep.allCases.map { option -> [String: Any] in
                ["value": option.rawValue, "label": renderer.text("step_\(option.rawValue)"), "selected": option == step]
            },
            "levels": (1...9).map { ["value": $0, "selected": $0 == trl] as [String: Any] },
        ]
    }

    // MARK: Plumbing

    /// Runs a supplier's or manager's step and goes back to the solution; a step its state does not allow
    /// answers 409 on the page.
    private func step(_ id: UUID, _ actor: Actor, _ body: () async throws -> Solution) async throws -> Response {
        do {
            _ = try await body()
            return WebPages.redirect("/solutions/\(id.uuidString.lowercased())")
        } catch AgreementError.notDraft {
            let solution = try await solutions.solution(id, for: actor)
            return try await page(solution, status: .conflict, error: renderer.text("error_solution_state"))
        }
    }

    private func fieldError(_ field: String) -> String {
        let known = ["name", "summary", "description", "trl", "tags", "reasons", "method", "validUntil", "lot"]
        return renderer.text(known.contains(field) ? "solution_field_\(field)" : "error_bad_request")
    }

    /// The solution's id and the signed-in actor; no session, no step (a form without one is stale).
    private static func signedIn(_ context: some RequestContext) throws -> (UUID, Actor) {
        guard let actor = WebRequest.current.session?.actor else { throw HTTPError(.notFound) }
        return (try context.pathID(), actor)
    }
}

extension Form {
    /// The supplier's solution form (new or edit).
    struct SolutionText: PageForm {
        let csrf: String?
        let lot: String?
        let name: String
        let summary: String
        let text: String?
        let type: String
        let step: String?
        let note: String?
        let trl: Int
        let tags: String?
        let version: Int?
        enum CodingKeys: String, CodingKey { case csrf = "_csrf", lot, name, summary, text = "description", type, step, note, trl, tags, version }

        /// What the supplier wrote; tags separated by commas.
        var solution: Solution.Description {
            Solution.Description(
                name: name, summary: summary, text: text ?? "",
                innovationType: Solution.InnovationType(rawValue: type) ?? .product,
                innovationStep: step.flatMap(InnovationStep.init(rawValue:)) ?? .deploy, innovationNote: note ?? "", trl: trl,
                tags: (tags ?? "").split(separator: ",").map(String.init)
            )
        }
    }

    /// A framework manager's decision on a submitted solution.
    struct SolutionDecision: PageForm {
        let csrf: String?
        let decision: String
        let method: String?
        let reasons: String
        let validUntil: String?
        enum CodingKeys: String, CodingKey { case csrf = "_csrf", decision, method, reasons, validUntil }
    }
}

/// File sizes as people read them: "340 kB", "2,4 MB".
enum ByteCountText {
    static func text(_ bytes: Int) -> String {
        let formatter = ByteCountFormatter()
        formatter.countStyle = .file
        return formatter.string(fromByteCount: Int64(bytes))
    }
}
