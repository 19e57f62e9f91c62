/// Swedish public holidays and working days, for deadlines counted in days.
///
/// - Holidays are those of lag (1989:253) om allmänna helgdagar; every Sunday is one too.
/// - A time limit whose last day falls on a Saturday, a Sunday, a holiday, midsommarafton, julafton or
///   nyårsafton ends on the next working day instead (lag (1930:173) om beräkning av lagstadgad tid): the
///   rule a voluntary standstill's last day follows (R18).
public enum SwedishCalendar {
    /// The public holiday on `day`, by its Swedish name; `nil` on other days (Sundays included, which are
    /// holidays by being Sundays).
    public static func holiday(on day: CalendarDay) -> String? {
        holidays(in: day.year)[day]
    }

    /// Whether `day` is a working day: Monday to Friday, not a holiday, not one of the three eves that
    /// count as holidays for time limits.
    public static func isWorkingDay(_ day: CalendarDay) -> Bool {
        day.weekday <= 5 && holidays(in: day.year)[day] == nil && eves(in: day.year)[day] == nil
    }

    /// `day` itself when it is a working day, else the next working day: where a time limit that ends on
    /// `day` really ends.
    public static func workingDay(onOrAfter day: CalendarDay) -> CalendarDay {
        var candidate = day
        // At most a few days: the longest run of days off is a long weekend around Easter or Christmas.
        while !isWorkingDay(candidate) { candidate = candidate.adding(days: 1) }
        return candidate
    }

    /// Easter Sunday of `year` (the anonymous Gregorian algorithm, Meeus/Jones/Butcher).
    public static func easterSunday(_ year: Int) -> CalendarDay {
        let a = year % 19, b = year / 100, c = year % 100
        let d = b / 4, e = b % 4, f = (b + 8) / 25, g = (b - f + 1) / 3
        let h = (19 * a + b - d - g + 15) % 30
        let i = c / 4, k = c % 4
        let l = (32 + 2 * e + 2 * i - h - k) % 7
        let m = (a + 11 * h + 22 * l) / 451
        let month = (h + l - 7 * m + 114) / 31
        let day = (h + l - 7 * m + 114) % 31 + 1
        return CalendarDay(year: year, month: month, day: day)
    }

    /// The holidays of `year` other than ordinary Sundays.
    static func holidays(in year: Int) -> [CalendarDay: String] {
        let easter = easterSunday(year)
        let midsummerDay = saturday(onOrAfter: CalendarDay(year: year, month: 6, day: 20))
        let allSaintsDay = saturday(onOrAfter: CalendarDay(year: year, month: 10, day: 31))
        return [
            CalendarDay(year: year, month: 1, day: 1): "nyårsdagen",
            CalendarDay(year: year, month: 1, day: 6): "trettondedag jul",
            easter.adding(days: -2): "långfredagen",
            easter: "påskdagen",
            easter.adding(days: 1): "annandag påsk",
            CalendarDay(year: year, month: 5, day: 1): "första maj",
            easter.adding(days: 39): "Kristi himmelsfärdsdag",
            CalendarDay(year: year, month: 6, day: 6): "Sveriges nationaldag",
            easter.adding(days: 49): "pingstdagen",
            midsummerDay: "midsommardagen",
            allSaintsDay: "alla helgons dag",
            CalendarDay(year: year, month: 12, day: 25): "juldagen",
            CalendarDay(year: year, month: 12, day: 26): "annandag jul",
        ]
    }

    /// The eves that count as holidays for time limits.
    static func eves(in year: Int) -> [CalendarDay: String] {
        [
            saturday(onOrAfter: CalendarDay(year: year, month: 6, day: 20)).adding(days: -1): "midsommarafton",
            CalendarDay(year: year, month: 12, day: 24): "julafton",
            CalendarDay(year: year, month: 12, day: 31): "nyårsafton",
        ]
    }

    private static func saturday(onOrAfter day: CalendarDay) -> CalendarDay {
        day.adding(days: (6 - day.weekday + 7) % 7)
    }
}
