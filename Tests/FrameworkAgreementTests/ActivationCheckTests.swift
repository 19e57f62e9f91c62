import AvropCore
import Foundation
import Testing
@testable import FrameworkAgreements

@Suite("Activation rules, without a database")
struct ActivationCheckTests {
    private func day(_ text: String) -> CalendarDay { CalendarDay(text)! }

    private func terms(from: String = "2026-01-01", to: String, extended: String? = nil, justification: String? = nil) -> FrameworkAgreement.Terms {
        .init(reference: "RA-1", title: "Ramavtal", validFrom: day(from), validTo: day(to), maxExtendedTo: extended.map(day),
              longValidityJustification: justification, ceilingOre: 100_000_000)
    }

    private func details(
        method: Lot.CallOffMethod = .rankedCascade, suppliers: [(Int?, LotSupplier.Status)] = [(1, .active), (2, .active)],
        requirements: [Requirement.Kind] = [], lots: Int = 1
    ) -> AgreementDetails {
        let agreementID = UUID()
        let lotList = (1...max(lots, 1)).map { Lot(id: UUID(), agreementID: agreementID, number: $0, title: "Område \($0)", method: method) }
        let agreement = FrameworkAgreement(id: agreementID, ownerID: UUID(), terms: terms(to: "2027-12-31"), status: .draft,
                                           activatedAt: nil, terminatedAt: nil, terminationReason: nil, version: 1)
        return AgreementDetails(
            agreement: agreement, lots: lots == 0 ? [] : lotList,
            suppliers: lots == 0 ? [] : suppliers.map { LotSupplier(lotID: lotList[0].id, supplierID: UUID(), supplierName: "L", rank: $0.0, status: $0.1) },
            requirements: requirements.enumerated().map { index, kind in
                Requirement(id: UUID(), agreementID: agreementID, lotID: nil, code: "K\(index)", text: "Krav", kind: kind, category: .quality)
            }
        )
    }

    @Test func r1AllowsFourYearsWithTheExtensionAndMoreOnlyWithAJustification() {
        #expect(ActivationCheck.validityAllowed(terms(to: "2028-12-31", extended: "2030-01-01")))
        #expect(!ActivationCheck.validityAllowed(terms(to: "2028-12-31", extended: "2030-01-02")))
        #expect(!ActivationCheck.validityAllowed(terms(to: "2030-06-30")))
        #expect(ActivationCheck.validityAllowed(terms(to: "2030-06-30", justification: "Långa investeringar i infrastruktur (LOU 7 kap. 2 §)")))
        #expect(!ActivationCheck.validityAllowed(terms(to: "2030-06-30", justification: "   ")))
        // Leap day: four years from 29 February is 28 February (or the 29th in a leap year).
        #expect(ActivationCheck.validityAllowed(terms(from: "2024-02-29", to: "2028-02-29")))
    }

    @Test func aCompleteDraftHasNoProblem() {
        #expect(ActivationCheck.problems(details()).isEmpty)
    }

    @Test func lotsNeedActiveSuppliersAndCascadesUniqueRanks() {
        #expect(ActivationCheck.problems(details(lots: 0)) == [.noLots])
        #expect(ActivationCheck.problems(details(suppliers: [(1, .removed(reason: "Konkurs"))])) == [.noActiveSupplier(lot: 1)])
        #expect(ActivationCheck.problems(details(suppliers: [(1, .active), (1, .active)])) == [.ranksNotUnique(lot: 1)])
        #expect(ActivationCheck.problems(details(suppliers: [(1, .active), (nil, .active)])) == [.ranksNotUnique(lot: 1)])
        #expect(ActivationCheck.problems(details(method: .combined, suppliers: [(2, .active), (2, .active)])) == [.ranksNotUnique(lot: 1)])
        // A suspended supplier's rank does not count; renewed competition needs no ranks at all.
        #expect(ActivationCheck.problems(details(suppliers: [(1, .active), (1, .suspended(reason: "Utredning", until: nil))])).isEmpty)
        #expect(ActivationCheck.problems(details(method: .renewedCompetition, suppliers: [(nil, .active), (nil, .active)])).isEmpty)
    }

    @Test func weightRangesMustBeAbleToSumTo100() {
        #expect(ActivationCheck.problems(details(requirements: [.weighted(minimum: 30, maximum: 60), .weighted(minimum: 40, maximum: 70), .mandatory])).isEmpty)
        #expect(ActivationCheck.problems(details(requirements: [.weighted(minimum: 10, maximum: 30), .weighted(minimum: 20, maximum: 40)]))
                == [.weightsCannotSumTo100(lot: 1)])
        #expect(ActivationCheck.problems(details(requirements: [.weighted(minimum: 60, maximum: 80), .weighted(minimum: 50, maximum: 60)]))
                == [.weightsCannotSumTo100(lot: 1)])
        #expect(ActivationCheck.problems(details(requirements: [.mandatory])).isEmpty)
    }

    @Test func calendarDaysParseOnlyRealDays() {
        #expect(CalendarDay("2026-02-28")?.description == "2026-02-28")
        #expect(CalendarDay("2026-02-29") == nil)
        #expect(CalendarDay("2026-13-01") == nil)
        #expect(CalendarDay("26-01-01") == nil)
        #expect(CalendarDay("2026-1-01") == nil)
        #expect(day("2026-01-01") < day("2026-01-02"))
    }
}
