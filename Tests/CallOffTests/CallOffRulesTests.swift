import AvropCore
import CallOffs
import Foundation
import FrameworkAgreements
import Testing

/// The call-off rules that need no database: method, invitations, award criteria, deadlines, standstill.
@Suite("Call-off rules")
struct CallOffRulesTests {
    let agreementID = UUID()
    let lotID = UUID()

    func lot(_ method: Lot.CallOffMethod, threshold: Int64? = nil, minimumTenderDays: Int = 10) -> Lot {
        Lot(id: lotID, agreementID: agreementID, number: 1, title: "Digitala tjänster", method: method,
            combinedThresholdOre: threshold, minimumTenderDays: minimumTenderDays)
    }

    func supplier(_ name: String, rank: Int?, status: LotSupplier.Status = .active, lot: UUID? = nil) -> LotSupplier {
        LotSupplier(lotID: lot ?? lotID, supplierID: UUID(), supplierName: name, rank: rank, status: status)
    }

    // MARK: - Method (R5–R7)

    @Test func r7CombinedLotsCascadeBelowTheThresholdAndCompeteAtOrAboveIt() throws {
        let combined = lot(.combined, threshold: 200_000_000)
        #expect(try CallOffMethod.resolve(lot: combined, estimatedValueOre: 199_999_999) == .rankedCascade)
        #expect(try CallOffMethod.resolve(lot: combined, estimatedValueOre: 200_000_000) == .renewedCompetition)
        #expect(throws: CallOffError.methodNotAllowed(requested: .renewedCompetition, lotMethod: .combined)) {
            try CallOffMethod.resolve(lot: combined, estimatedValueOre: 100_000_000, requested: .renewedCompetition)
        }
        #expect(throws: CallOffError.methodNotAllowed(requested: .rankedCascade, lotMethod: .combined)) {
            try CallOffMethod.resolve(lot: combined, estimatedValueOre: 300_000_000, requested: .rankedCascade)
        }
    }

    @Test func r5R6ALotsFixedMethodIsTheOnlyOne() throws {
        #expect(try CallOffMethod.resolve(lot: lot(.rankedCascade), estimatedValueOre: 10_000_000_000) == .rankedCascade)
        #expect(try CallOffMethod.resolve(lot: lot(.renewedCompetition), estimatedValueOre: 1) == .renewedCompetition)
        #expect(throws: CallOffError.methodNotAllowed(requested: .renewedCompetition, lotMethod: .rankedCascade)) {
            try CallOffMethod.resolve(lot: lot(.rankedCascade), estimatedValueOre: 1, requested: .renewedCompetition)
        }
    }

    // MARK: - Invitations (R3, R5, R6)

    @Test func r5ACascadeInvitesTheBestRankedActiveSupplierAndKeepsTheRestInOrder() throws {
        let first = supplier("Alfa AB", rank: 2)
        let suspended = supplier("Beta AB", rank: 1, status: .suspended(reason: "utredning", until: nil))
        let third = supplier("Gamma AB", rank: 3)
        let otherLot = supplier("Delta AB", rank: 1, lot: UUID())
        let plan = try InvitationPlan.make(method: .rankedCascade, lotID: lotID, suppliers: [third, suspended, first, otherLot])
        #expect(plan.invited == [first.supplierID], "R3: the suspended rank 1 and another lot's supplier are skipped")
        #expect(plan.laterRanks == [third.supplierID])
        #expect(throws: CallOffError.exclusionInCascade) {
            try InvitationPlan.make(method: .rankedCascade, lotID: lotID, suppliers: [first, third], exclusions: [third.supplierID: "jäv"])
        }
    }

    @Test func r6ARenewedCompetitionInvitesEveryActiveSupplierUnlessExcludedWithAReason() throws {
        let alfa = supplier("Alfa AB", rank: nil)
        let beta = supplier("Beta AB", rank: nil)
        let removed = supplier("Gamma AB", rank: nil, status: .removed(reason: "konkurs"))
        let all = try InvitationPlan.make(method: .renewedCompetition, lotID: lotID, suppliers: [beta, removed, alfa])
        #expect(all.invited == [alfa.supplierID, beta.supplierID])
        #expect(all.laterRanks.isEmpty)
        let one = try InvitationPlan.make(method: .renewedCompetition, lotID: lotID, suppliers: [alfa, beta],
                                          exclusions: [beta.supplierID: "Jäv: delägare i myndighetens konsult"])
        #expect(one.invited == [alfa.supplierID])
        #expect(one.excluded[beta.supplierID] == "Jäv: delägare i myndighetens konsult")
        #expect(throws: CallOffError.exclusionWithoutReason(beta.supplierID)) {
            try InvitationPlan.make(method: .renewedCompetition, lotID: lotID, suppliers: [alfa, beta], exclusions: [beta.supplierID: "  "])
        }
        #expect(throws: CallOffError.supplierNotActiveOnLot(removed.supplierID), "R3") {
            try InvitationPlan.make(method: .renewedCompetition, lotID: lotID, suppliers: [alfa, removed], exclusions: [removed.supplierID: "x"])
        }
        #expect(throws: CallOffError.noSupplierToInvite) {
            try InvitationPlan.make(method: .renewedCompetition, lotID: lotID, suppliers: [alfa], exclusions: [alfa.supplierID: "jäv"])
        }
    }

    // MARK: - Award criteria (R8)

    @Test func r8WeightsComeFromTheFrameworkStayInRangeAndSumTo100() throws {
        func requirement(_ code: String, _ kind: Requirement.Kind, lot: UUID? = nil) -> Requirement {
            Requirement(id: UUID(), agreementID: agreementID, lotID: lot, code: code, text: code, kind: kind, category: .quality)
        }
        let price = requirement("K1", .weighted(minimum: 30, maximum: 70))
        let innovation = requirement("K2", .weighted(minimum: 10, maximum: 50), lot: lotID)
        let security = requirement("K3", .mandatory)
        let otherLot = requirement("K9", .weighted(minimum: 0, maximum: 100), lot: UUID())
        let requirements = [price, innovation, security, otherLot]
        try AwardCriteria.validate([price.id: 60, innovation.id: 40], requirements: requirements, lotID: lotID)
        #expect(throws: CallOffError.weightsDoNotSumTo100(sum: 90)) {
            try AwardCriteria.validate([price.id: 50, innovation.id: 40], requirements: requirements, lotID: lotID)
        }
        #expect(throws: CallOffError.weightOutOfRange(code: "K1", minimum: 30, maximum: 70)) {
            try AwardCriteria.validate([price.id: 80, innovation.id: 20], requirements: requirements, lotID: lotID)
        }
        #expect(throws: CallOffError.weightOutOfRange(code: "K2", minimum: 10, maximum: 50), "an omitted weighted requirement counts as 0") {
            try AwardCriteria.validate([price.id: 70], requirements: requirements, lotID: lotID)
        }
        #expect(throws: CallOffError.weightOnMandatory(code: "K3")) {
            try AwardCriteria.validate([price.id: 60, innovation.id: 30, security.id: 10], requirements: requirements, lotID: lotID)
        }
        #expect(throws: CallOffError.notAFrameworkRequirement(otherLot.id), "another lot's requirement") {
            try AwardCriteria.validate([price.id: 60, innovation.id: 30, otherLot.id: 10], requirements: requirements, lotID: lotID)
        }
        let invented = UUID()
        #expect(throws: CallOffError.notAFrameworkRequirement(invented), "no new award criteria") {
            try AwardCriteria.validate([price.id: 60, innovation.id: 30, invented: 10], requirements: requirements, lotID: lotID)
        }
    }

    // MARK: - Deadlines (R2, R6, R8, R10, R15)

    func agreement(status: FrameworkAgreement.Status, validTo: String = "2028-12-31") throws -> FrameworkAgreement {
        let terms = FrameworkAgreement.Terms(
            reference: "RA-2026-01", title: "Innovativa lösningar", validFrom: try #require(CalendarDay("2026-01-01")),
            validTo: try #require(CalendarDay(validTo)), ceilingOre: 10_000_000_000
        )
        return FrameworkAgreement(id: agreementID, ownerID: UUID(), terms: terms, status: status, activatedAt: nil, terminatedAt: nil,
                                  terminationReason: nil, version: 1)
    }

    /// 2026-12-02 10:00 in Stockholm.
    let now = Date(timeIntervalSince1970: 1_796_202_000)
    func days(_ count: Double) -> TimeInterval { count * 86_400 }

    @Test func r2PublicationNeedsAnActiveAgreementAndADeadlineBeforeItEnds() throws {
        let timetable = CallOffTimetable(questionsDeadline: now + days(5), tenderDeadline: now + days(12))
        try timetable.validateForPublication(at: now, method: .renewedCompetition, agreement: try agreement(status: .active), lot: lot(.renewedCompetition))
        for status in [FrameworkAgreement.Status.draft, .expired, .terminated] {
            #expect(throws: CallOffError.agreementNotActive) {
                try timetable.validateForPublication(at: now, method: .renewedCompetition, agreement: try agreement(status: status), lot: lot(.renewedCompetition))
            }
        }
        let ending = try agreement(status: .active, validTo: "2026-12-14")
        #expect(throws: CallOffError.deadlineAfterAgreementEnds(validTo: ending.terms.validTo)) {
            try timetable.validateForPublication(at: now, method: .renewedCompetition, agreement: ending, lot: lot(.renewedCompetition))
        }
    }

    @Test func r6ATenderPeriodShorterThanTheLotsMinimumIsRefused() throws {
        let active = try agreement(status: .active)
        let short = CallOffTimetable(questionsDeadline: now + days(3), tenderDeadline: now + days(9))
        #expect(throws: CallOffError.tenderPeriodTooShort(minimumDays: 10)) {
            try short.validateForPublication(at: now, method: .renewedCompetition, agreement: active, lot: lot(.renewedCompetition))
        }
        // Ten days to the day is enough; a cascade has no minimum tender period.
        try CallOffTimetable(questionsDeadline: now + days(3), tenderDeadline: now + days(10))
            .validateForPublication(at: now, method: .renewedCompetition, agreement: active, lot: lot(.renewedCompetition))
        try short.validateForPublication(at: now, method: .rankedCascade, agreement: active, lot: lot(.rankedCascade))
        #expect(throws: CallOffError.questionsDeadlineNotBeforeTenderDeadline) {
            try CallOffTimetable(questionsDeadline: now + days(12), tenderDeadline: now + days(12))
                .validateForPublication(at: now, method: .renewedCompetition, agreement: active, lot: lot(.renewedCompetition))
        }
    }

    @Test func r15AndR8NoticesLaterThanSixDaysBeforeTheDeadlineAreLate() {
        let timetable = CallOffTimetable(questionsDeadline: now + days(5), tenderDeadline: now + days(20))
        #expect(!timetable.isLateNotice(at: now + days(14)))
        #expect(timetable.isLateNotice(at: now + days(14) + 1))
    }

    // MARK: - Standstill (R18) and references

    @Test func r18TheStandstillLastsTenDaysAtLeastAndEndsOnAWorkingDay() throws {
        // Notified on Monday 14 December 2026: ten days later is julafton, and the days up to Sunday the 27th
        // are not working days.
        #expect(try Standstill.lastDay(notifiedOn: try #require(CalendarDay("2026-12-14"))) == CalendarDay("2026-12-28"))
        #expect(try Standstill.lastDay(notifiedOn: try #require(CalendarDay("2026-12-02"))) == CalendarDay("2026-12-14"), "a Saturday moves to Monday")
        #expect(try Standstill.lastDay(notifiedOn: try #require(CalendarDay("2026-12-01")), days: 15) == CalendarDay("2026-12-16"))
        #expect(throws: CallOffError.standstillTooShort(minimumDays: 10)) {
            try Standstill.lastDay(notifiedOn: try #require(CalendarDay("2026-12-01")), days: 9)
        }
    }

    @Test func referencesAreNumberedPerYear() {
        #expect(CallOffReference(year: 2026, number: 42).description == "AVR-2026-0042")
        #expect(CallOffReference(year: 2026, number: 12_345).description == "AVR-2026-12345")
        #expect(CallOffReference("AVR-2026-0042") == CallOffReference(year: 2026, number: 42))
        for text in ["AVR-2026-42", "AVR-26-0042", "avr-2026-0042", "AVR-2026-+042", "AVR-2026-0000", "AVR-2026-0042-1", ""] {
            #expect(CallOffReference(text) == nil, "\(text)")
        }
    }
}
