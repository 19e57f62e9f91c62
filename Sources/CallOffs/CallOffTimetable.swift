import AvropCore
public import Foundation
public import FrameworkAgreements

/// The deadlines of a call-off and the rules of time around them (R2, R6, R8, R15). The server's clock
/// decides (R10): every check takes the moment it is made. Whether tenders are still accepted is not
/// computed here: `avrop.call_off_status` derives open and closed from the stored deadline, in one place.
public struct CallOffTimetable: Sendable, Equatable {
    /// Questions are accepted until then (R14).
    public var questionsDeadline: Date
    /// Tenders are accepted until then, not at it (R10).
    public var tenderDeadline: Date

    /// R8 and R15: answers and material amendments should reach the suppliers at least this long before
    /// the tender deadline.
    public static let lastNoticeDays = 6

    public init(questionsDeadline: Date, tenderDeadline: Date) {
        self.questionsDeadline = questionsDeadline
        self.tenderDeadline = tenderDeadline
    }

    /// Whether the call-off may be published at `now` under `agreement` and `lot`.
    ///
    /// - R2: only while the agreement is active, and the tender deadline must fall before the agreement's
    ///   `validTo`, so that the award can be made in time.
    /// - R6: a renewed competition's tender period (whole days from publication to the deadline, in
    ///   Swedish time) is at least the lot's minimum.
    /// - The questions deadline comes after publication and before the tender deadline.
    public func validateForPublication(at now: Date, method: CallOffMethod, agreement: FrameworkAgreement, lot: Lot) throws(CallOffError) {
        guard agreement.status == .active else { throw .agreementNotActive }
        guard CalendarDay(tenderDeadline) < agreement.terms.validTo else {
            throw .deadlineAfterAgreementEnds(validTo: agreement.terms.validTo)
        }
        guard tenderDeadline > now else { throw .invalid(field: "tenderDeadline", reason: "the tender deadline has passed") }
        guard questionsDeadline > now else { throw .invalid(field: "questionsDeadline", reason: "the questions deadline has passed") }
        guard questionsDeadline < tenderDeadline else { throw .questionsDeadlineNotBeforeTenderDeadline }
        if method == .renewedCompetition, CalendarDay(now).days(to: CalendarDay(tenderDeadline)) < lot.minimumTenderDays {
            throw .tenderPeriodTooShort(minimumDays: lot.minimumTenderDays)
        }
    }

    /// R15 (answers) and R8 (material amendments): whether something published at `moment` comes later
    /// than six days before the tender deadline. A late answer warns the buyer, who may extend the deadline;
    /// a late material amendment must move it.
    public func isLateNotice(at moment: Date) -> Bool {
        tenderDeadline.timeIntervalSince(moment) < Double(Self.lastNoticeDays) * 86_400
    }
}
