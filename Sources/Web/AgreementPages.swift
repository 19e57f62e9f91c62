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
            return renderer.page("agreements", title: "agreements_title", values: ["agreements": rows, "hasAgreements": !rows.isEmpty])
        }
        router.get("/agreements/{id}") { _, context in
            guard let id = context.parameters.get("id").flatMap(UUID.init(uuidString:)) else { throw HTTPError(.notFound) }
            let details: AgreementDetails
            do {
                details = try await agreements.details(id, for: WebRequest.current.session?.actor)
            } catch AgreementError.notFound {
                throw HTTPError(.notFound)
            }
            return renderer.page("agreement", title: "agreement_title", values: values(details))
        }
    }

    private func validity(_ terms: FrameworkAgreement.Terms) -> String {
        var text = "\(terms.validFrom) – \(terms.validTo)"
        if let extended = terms.maxExtendedTo { text += " (" + renderer.text("agreement_extension_until") + " \(extended))" }
        return text
    }

    private func values(_ details: AgreementDetails) -> [String: Any] {
        let agreement = details.agreement
        let language = WebRequest.current.language
        let lots = details.lots.map { lot -> [String: Any] in
            var explanation = renderer.text("method_\(lot.method.rawValue)_explained")
            if let threshold = lot.combinedThresholdOre {
                explanation = explanation.replacingOccurrences(of: "{threshold}", with: MoneyText.kronor(threshold, language))
            }
            let suppliers = details.suppliers(of: lot.id).map { supplier -> [String: Any] in
                var row: [String: Any] = ["name": supplier.supplierName, "rank": supplier.rank.map(String.init) ?? "–"]
                switch supplier.status {
                case .active: break
                case .suspended(_, let until):
                    row["note"] = renderer.text("supplier_suspended") + (until.map { " \(renderer.text("until")) \($0)" } ?? "")
                case .removed: row["note"] = renderer.text("supplier_removed")
                }
                return row
            }
            return [
                "number": lot.number, "title": lot.title, "description": lot.description, "region": lot.region,
                "method": renderer.text("method_\(lot.method.rawValue)"), "explanation": explanation,
                "dialogue": renderer.text(lot.dialogueAllowed ? "lot_dialogue_yes" : "lot_dialogue_no"),
                "tenderDays": lot.minimumTenderDays, "suppliers": suppliers,
                "requirements": requirementRows(details.requirements.filter { $0.lotID == lot.id }),
                "hasRequirements": details.requirements.contains { $0.lotID == lot.id },
            ]
        }
        return [
            "reference": agreement.terms.reference, "agreementTitle": agreement.terms.title, "description": agreement.terms.description,
            "status": renderer.text("status_\(agreement.status.rawValue)"), "validity": validity(agreement.terms),
            "ceiling": MoneyText.kronor(agreement.terms.ceilingOre, language), "innovationStep": agreement.terms.innovationStep,
            "terminationReason": agreement.terminationReason ?? "", "lots": lots,
            "requirements": requirementRows(details.requirements.filter { $0.lotID == nil }),
            "hasRequirements": details.requirements.contains { $0.lotID == nil },
            "eligibility": renderer.text(agreement.terms.eligibility == .allAuthorities ? "agreement_all_authorities" : "agreement_listed_authorities"),
        ]
    }

    private func requirementRows(_ requirements: [Requirement]) -> [[String: Any]] {
        requirements.map { requirement in
            let kind: String = switch requirement.kind {
            case .mandatory: renderer.text("requirement_mandatory")
            case .weighted(let low, let high): renderer.text("requirement_weighted") + " \(low)–\(high) %"
            }
            return ["code": requirement.code, "text": requirement.text, "kind": kind,
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
