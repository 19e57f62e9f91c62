import AvropCore
import Testing

@Suite("Calendar days and Swedish working days")
struct SwedishCalendarTests {
    private func day(_ text: String) throws -> CalendarDay { try #require(CalendarDay(text)) }

    @Test func daysAddAcrossMonthsYearsAndLeapDays() throws {
        #expect(try day("2026-12-31").adding(days: 1) == day("2027-01-01"))
        #expect(try day("2028-02-28").adding(days: 1) == day("2028-02-29"))
        #expect(try day("2027-02-28").adding(days: 1) == day("2027-03-01"))
        #expect(try day("2026-03-01").adding(days: -1) == day("2026-02-28"))
        #expect(try day("2026-01-01").days(to: day("2027-01-01")) == 365)
        #expect(try day("1969-12-31").adding(days: 2) == day("1970-01-02"))
        #expect(try day("2026-12-02").weekday == 3, "a Wednesday")
        #expect(try day("2026-12-06").weekday == 7, "a Sunday")
        #expect(try day("1969-12-29").weekday == 1, "a Monday before the epoch")
    }

    @Test func easterAndTheHolidaysThatFollowIt() throws {
        #expect(SwedishCalendar.easterSunday(2026) == (try day("2026-04-05")))
        #expect(SwedishCalendar.easterSunday(2027) == (try day("2027-03-28")))
        #expect(SwedishCalendar.easterSunday(2038) == (try day("2038-04-25")))
        #expect(SwedishCalendar.holiday(on: try day("2026-04-03")) == "långfredagen")
        #expect(SwedishCalendar.holiday(on: try day("2026-04-06")) == "annandag påsk")
        #expect(SwedishCalendar.holiday(on: try day("2026-05-14")) == "Kristi himmelsfärdsdag")
        #expect(SwedishCalendar.holiday(on: try day("2026-06-20")) == "midsommardagen")
        #expect(SwedishCalendar.holiday(on: try day("2026-10-31")) == "alla helgons dag")
        #expect(SwedishCalendar.holiday(on: try day("2027-11-06")) == "alla helgons dag")
        #expect(SwedishCalendar.holiday(on: try day("2026-06-06")) == "Sveriges nationaldag")
        #expect(SwedishCalendar.holiday(on: try day("2026-12-02")) == nil)
    }

    /// R18: a standstill's last day on a Saturday, Sunday or Swedish public holiday moves to the next working
    /// day; midsommarafton, julafton and nyårsafton count as holidays for time limits.
    @Test func r18LastDaysMoveToTheNextWorkingDay() throws {
        #expect(SwedishCalendar.workingDay(onOrAfter: try day("2026-12-02")) == (try day("2026-12-02")))
        #expect(SwedishCalendar.workingDay(onOrAfter: try day("2026-12-05")) == (try day("2026-12-07")), "Saturday to Monday")
        #expect(SwedishCalendar.workingDay(onOrAfter: try day("2026-04-03")) == (try day("2026-04-07")), "Good Friday to the Tuesday after Easter")
        #expect(SwedishCalendar.workingDay(onOrAfter: try day("2026-06-19")) == (try day("2026-06-22")), "midsommarafton")
        #expect(SwedishCalendar.workingDay(onOrAfter: try day("2026-12-24")) == (try day("2026-12-28")), "julafton, juldagen, annandag jul, weekend")
        #expect(SwedishCalendar.workingDay(onOrAfter: try day("2026-12-31")) == (try day("2027-01-04")), "nyårsafton, nyårsdagen, weekend")
        #expect(SwedishCalendar.workingDay(onOrAfter: try day("2027-01-06")) == (try day("2027-01-07")), "trettondedag jul")
        #expect(SwedishCalendar.workingDay(onOrAfter: try day("2027-05-06")) == (try day("2027-05-07")), "Kristi himmelsfärdsdag")
        #expect(!SwedishCalendar.isWorkingDay(try day("2026-06-06")), "nationaldagen, a Saturday")
        #expect(!SwedishCalendar.isWorkingDay(try day("2027-06-06")), "nationaldagen, a Sunday")
        #expect(!SwedishCalendar.isWorkingDay(try day("2028-06-06")), "nationaldagen, a Tuesday")
    }
}
