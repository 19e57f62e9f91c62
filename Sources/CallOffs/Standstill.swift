public import AvropCore

/// R18: the voluntary standstill after an award decision, before which no contract is signed.
public enum Standstill {
    /// The shortest standstill, in days.
    public static let minimumDays = 10

    /// The standstill's last day when the decision was sent on `notifiedOn` and the period is `days` long:
    /// at least `minimumDays`, and a last day on a Saturday, Sunday, Swedish holiday, midsommarafton,
    /// julafton or nyårsafton moves to the next working day. The contract may be signed the day after.
    public static func lastDay(notifiedOn: CalendarDay, days: Int = minimumDays) throws(CallOffError) -> CalendarDay {
        guard days >= minimumDays else { throw .standstillTooShort(minimumDays: minimumDays) }
        return SwedishCalendar.workingDay(onOrAfter: notifiedOn.adding(days: days))
    }
}
