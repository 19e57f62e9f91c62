import CatalogueSearch
import Foundation
import Testing
@testable import Web

@Suite("Message catalogues and templates")
struct CatalogueTests {
    @Test func bothLanguagesHaveTheSameKeysAndNoEmptyText() throws {
        let catalogue = MessageCatalogue.embedded
        let swedish = catalogue.texts(.sv)
        let english = catalogue.texts(.en)
        #expect(swedish.count > 40, "the Swedish catalogue parses")
        #expect(Set(swedish.keys) == Set(english.keys))
        #expect(swedish.values.allSatisfy { !$0.trimmingCharacters(in: .whitespaces).isEmpty })
        #expect(english.values.allSatisfy { !$0.trimmingCharacters(in: .whitespaces).isEmpty })
    }

    @Test func everyTextATemplateOrTheCodeNamesExists() throws {
        let keys = Set(MessageCatalogue.embedded.texts(.sv).keys)
        var used: Set<String> = []
        for (path, text) in embeddedFiles where path.hasPrefix("templates/") {
            for match in text.matches(of: /\{\{[#^\/]?t\.([a-z_]+)\}\}/) { used.insert(String(match.1)) }
        }
        // Keys named in Swift: the navigation, roles, and the error pages.
        used.formUnion(Navigation.items(for: nil).map(\.label))
        used.formUnion(["nav_agreements", "agreements_title", "agreement_title", "agreement_extension_until", "supplier_suspended", "supplier_removed",
                        "until", "requirement_mandatory", "requirement_weighted", "agreement_all_authorities", "agreement_listed_authorities",
                        "lot_dialogue_yes", "lot_dialogue_no"])
        for status in ["draft", "active", "expired", "terminated"] { used.insert("status_\(status)") }
        for method in ["rankedCascade", "renewedCompetition", "combined"] { used.formUnion(["method_\(method)", "method_\(method)_explained"]) }
        for category in ["quality", "environment", "labourLaw", "informationSecurity", "accessibility", "innovationEffect", "delivery"] {
            used.insert("category_\(category)")
        }
        used.formUnion(["nav_catalogue", "catalogue_title", "solution_title", "catalogue_facet_lot", "catalogue_facet_type", "catalogue_facet_trl",
                        "catalogue_facet_supplier", "lot"])
        for type in ["product", "service", "process", "organisational"] { used.insert("type_\(type)") }
        for status in ["draft", "submitted", "verified", "rejected", "withdrawn", "expired"] { used.insert("solution_status_\(status)") }
        for method in ["pilot", "testBed", "thirdPartyCertification", "referenceCustomer", "labTest"] { used.insert("method_of_verification_\(method)") }
        used.formUnion(["nav_organization", "organization_title", "channel_email", "channel_webhook", "error_webhook_url", "nav_notifications", "notifications_title", "notice_generic", "notice_account_passwordChanged",
                        "notice_account_tokenCreated", "language_sv", "language_en", "error_changed_meanwhile", "home_title", "login_title", "account_title", "account_token_never_used"])
        used.formUnion(["document_missing", "document_too_large", "document_type_refused", "nav_my_solutions", "nav_verification", "my_solutions_title", "verification_title", "error_solution_state"])
        used.formUnion(["name", "summary", "description", "trl", "tags", "reasons", "method", "validUntil", "lot"].map { "solution_field_\($0)" })
        used.formUnion(["agreement_new_title", "agreement_error_r1", "agreement_error_r3", "agreement_error_duplicate", "agreement_error_not_draft",
                        "agreement_error_incomplete", "activation_no_lots", "activation_no_active_supplier", "activation_ranks_not_unique", "activation_weights"])
        used.formUnion(["reference", "title", "validFrom", "validTo", "maxExtendedTo", "ceiling", "number", "minimumTenderDays", "combinedThreshold",
                        "rank", "supplier", "text", "weight", "reason", "description"].map { "agreement_field_\($0)" })
        used.formUnion(["none", "once", "monthly", "quarterly", "yearly"].map { "frequency_\($0)" })
        used.formUnion(["frameworkManager", "buyer", "contractManager", "supplierRepresentative", "auditor", "admin"].map { "role_\($0)" })
        used.formUnion(["error_not_found", "error_csrf", "error_too_large", "error_media_type", "error_method", "error_bad_request", "error_internal",
                        "error_invalid_credentials", "error_throttled", "error_organization_required", "error_password_mismatch",
                        "error_password_weak", "error_password_current", "error_token_name",
                        "error_code_required", "error_code_wrong", "error_totp_enforced"])
        #expect(used.subtracting(keys).isEmpty, "missing: \(used.subtracting(keys).sorted())")
        #expect(used.count > 40)
    }

    @Test func everyTemplateParses() throws {
        let templates = embeddedFiles.keys.filter { $0.hasPrefix("templates/") }
        #expect(templates.count >= 5)
        #expect(PageRenderer.embedded.library.getTemplate(named: "layout") != nil)
        for path in templates {
            let name = String(path.dropFirst("templates/".count).dropLast(".mustache".count))
            #expect(PageRenderer.embedded.library.getTemplate(named: name) != nil, "\(name) did not parse")
        }
    }

    @Test func languagesComeFromTheCookieThenAcceptLanguageThenSwedish() {
        #expect(Language.preferred(cookie: nil, acceptLanguage: nil) == .sv)
        #expect(Language.preferred(cookie: nil, acceptLanguage: "de-DE,en;q=0.8") == .en)
        #expect(Language.preferred(cookie: "sv", acceptLanguage: "en") == .sv)
        #expect(Language.preferred(cookie: "fr", acceptLanguage: "fr,de") == .sv)
    }
}
