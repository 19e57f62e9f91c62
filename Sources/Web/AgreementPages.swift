import FrameworkAgreements
import Foundation
import Hummingbird
import Identity

/// The agreements as everyone reads them: the list, and one agreement with its lots, its suppliers in rank
/// order, its validity, its requirements and how a call-off works under each lot, in plain words.
struct AgreementPages: Sendable {
    let agreements: AgreementService
    let renderer: PageRenderer

    func register<Context: RemoteAddressRequestContext>(on router: Router<Context>) {
        router.get("/agreements") { _, _ in
            let list = try await agreements.list(for: WebRequest.current.session?.actor)
            let rows = list.map { agreement -> [String: Any] in
                [
                    "id": agreement.id.uuidString.lowercased(), "reference": agreement.terms.reference, "title": agreement.terms.title,
                    "status": renderer.text("status_\(agreement.status.rawValue)"), "validity": validity(agreement.terms),
                ]
            }
            let canCreate = WebRequest.current.session?.actor.roles.contains(.frameworkManager) ?? false
            return renderer.page("agreements", title: "agreements_title", values: ["agreements": rows, "hasAgreements": !rows.isEmpty, "canCreate": canCreate])
        }
        router.get("/agreements/{id}") { _, context in
            let id = try context.pathID()
            return try await page(id)
        }
        AgreementManagementPages(agreements: agreements, pages: self, renderer: renderer).register(on: router)
    }

    /// The agreement's page as the current reader may see it, with a refusal to show when there is one.
    func page(_ id: UUID, status: HTTPResponse.Status = .ok, error: String? = nil) async throws -> Response {
        let details: AgreementDetails
        details = try await agreements.details(id, for: WebRequest.current.session?.actor)
        var values = values(details)
        if let error { values["error"] = error }
        return renderer.page("agreement", title: "agreement_title", status: status, values: values)
    }

    /// The fields of the agreement terms form, from what was sent or from the agreement.
    static func termValues(_ form: Form.AgreementTerms?, agreement: FrameworkAgreement? = nil) -> [String: Any] {
        let terms = agreement?.terms
        return [
            "fieldReference": form?.reference ?? terms?.reference ?? "", "fieldTitle": form?.title ?? terms?.title ?? "",
            "fieldDescription": form?.description ?? terms?.description ?? "",
            "fieldValidFrom": form?.validFrom ?? terms?.validFrom.description ?? "", "fieldValidTo": form?.validTo ?? terms?.validTo.description ?? "",
            "fieldExtendedTo": form?.maxExtendedTo ?? terms?.maxExtendedTo?.description ?? "",
            "fieldJustification": form?.justification ?? terms?.longValidityJustification ?? "",
            "fieldCeiling": form?.ceiling ?? terms.map { String($0.ceilingOre / 100) } ?? "",
            "fieldNote": form?.innovationNote ?? terms?.innovationNote ?? "",
        ].merging(stepChoice(form?.innovationStep ?? terms?.innovationStep?.rawValue ?? "")) { $1 }
    }

    /// Which of the staircase's steps the terms form shows chosen (none: "not stated").
    private static func stepChoice(_ chosen: String) -> [String: Any] {
        ["stepUnstated": InnovationStep(rawValue: chosen) == nil, "stepDeploy": chosen == InnovationStep.deploy.rawValue,
         "stepIntroduce": chosen == InnovationStep.introduce.rawValue, "stepInitiate": chosen == InnovationStep.initiate.rawValue]
    }

    private func validity(_ terms: FrameworkAgreement.Terms) -> String {
        var text = "\(terms.validFrom) – \(terms.validTo)"
        if let extended = terms.maxExtendedTo { text += " (" + renderer.text("agreement_extension_until") + " \(extended))" }
        return text
    }

    func values(_ details: AgreementDetails) -> [String: Any] {
        let agreement = details.agreement
        let language = WebRequest.current.language
        // The owner's framework managers draft and manage it; everyone else only reads.
        let manage = WebRequest.current.session.map { AgreementPolicy.mayManage($0.actor, ownerID: agreement.ownerID) } ?? false
        let manageSuppliers = manage && [.draft, .active].contains(agreement.status)
        let lots = details.lots.map { lot -> [String: Any] in
            var explanation = renderer.text("method_\(lot.method.rawValue)_explained")
            if let threshold = lot.combinedThresholdOre {
                explanation = explanation.replacingOccurrences(of: "{threshold}", with: MoneyText.kronor(threshold, language))
            }
            let suppliers = details.suppliers(of: lot.id).map { supplier -> [String: Any] in
                var row: [String: Any] = ["name": supplier.supplierName, "rank": supplier.rank.map(String.init) ?? "–",
                                          "lotID": lot.id.uuidString.lowercased(), "supplierID": supplier.supplierID.uuidString.lowercased(),
                                          "manageSupplier": manageSuppliers]
                switch supplier.status {
                case .active: break
                case .suspended(_, let until):
                    row["note"] = renderer.text("supplier_suspended") + (until.map { " \(renderer.text("until")) \($0)" } ?? "")
                case .removed: row["note"] = renderer.text("supplier_removed")
                }
                return row
            }
            return [
                "lotID": lot.id.uuidString.lowercased(), "addSupplier": manage && agreement.status == .draft, "number": lot.number, "title": lot.title, "description": lot.description, "region": lot.region,
                "method": renderer.text("method_\(lot.method.rawValue)"), "explanation": explanation,
                "dialogue": renderer.text(lot.dialogueAllowed ? "lot_dialogue_yes" : "lot_dialogue_no"),
                "tenderDays": lot.minimumTenderDays, "suppliers": suppliers,
                "requirements": requirementRows(details.requirements.filter { $0.lotID == lot.id }, removable: manage && agreement.status == .draft),
                "hasRequirements": details.requirements.contains { $0.lotID == lot.id },
            ]
        }
        var values: [String: Any] = [
            "agreementID": agreement.id.uuidString.lowercased(), "reference": agreement.terms.reference, "agreementTitle": agreement.terms.title, "description": agreement.terms.description,
            "status": renderer.text("status_\(agreement.status.rawValue)"), "validity": validity(agreement.terms),
            "ceiling": MoneyText.kronor(agreement.terms.ceilingOre, language), "innovationStep": agreement.terms.innovationStep.map { renderer.text("step_\($0.rawValue)") } ?? "",
            "innovationNote": agreement.terms.innovationNote,
            "terminationReason": agreement.terminationReason ?? "", "lots": lots,
            "requirements": requirementRows(details.requirements.filter { $0.lotID == nil }, removable: manage && agreement.status == .draft),
            "hasRequirements": details.requirements.contains { $0.lotID == nil },
            "eligibility": renderer.text(agreement.terms.eligibility == .allAuthorities ? "agreement_all_authorities" : "agreement_listed_authorities"),
        ]
        if manage && agreement.status == .draft {
            var draft = Self.termValues(nil, agreement: agreement)
            draft["version"] = agreement.version
            draft["methods"] = Lot.CallOffMethod.allCases.map { ["value": $0.rawValue, "label": renderer.text("method_\($0.rawValue)")] }
            draft["nextLot"] = (details.lots.map(\.number).max() ?? 0) + 1
            draft["lotChoices"] = details.lots.map { ["id": $0.id.uuidString.lowercased(), "label": "\(renderer.text("lot")) \($0.number): \($0.title)"] }
            draft["categories"] = Requirement.Category.allCases.map { ["value": $0.rawValue, "label": renderer.text("category_\($0.rawValue)")] }
            draft["frequencies"] = Requirement.Frequency.allCases.map { ["value": $0.rawValue, "label": renderer.text("frequency_\($0.rawValue)")] }
            values["draft"] = draft
        }
        values["canTerminate"] = manage && [.active, .expired].contains(agreement.status)
        return values
    }

    private func requirementRows(_ requirements: [Requirement], removable: Bool) -> [[String: Any]] {
        requirements.map { requirement in
            let kind: String = switch requirement.kind {
            case .mandatory: renderer.text("requirement_mandatory")
            case .weighted(let low, let high): renderer.text("requirement_weighted") + " \(low)–\(high) %"
            }
            return ["requirementID": requirement.id.uuidString.lowercased(), "removable": removable, "code": requirement.code, "text": requirement.text, "kind": kind,
                    "category": renderer.text("category_\(requirement.category.rawValue)"), "indicator": requirement.indicator ?? ""]
        }
    }
}

/// Amounts as people read them: whole kronor with spaces between thousands ("1 250 000 kr").
enum MoneyText {
    static func kronor(_ ore: Int64, _ language: Language) -> String {
        let formatter = NumberFormatter()
        formatter.numberStyle = .decimal
        formatter.locale = Locale(identifier: language == .sv ? "sv_SE" : "en_GB")
        formatter.maximumFractionDigits = ore % 100 == 0 ? 0 : 2
        formatter.minimumFractionDigits = ore % 100 == 0 ? 0 : 2
        let number = formatter.string(from: NSNumber(value: Double(ore) / 100)) ?? String(ore / 100)
        return language == .sv ? "\(number) kr" : "SEK \(number)"
    }
}
