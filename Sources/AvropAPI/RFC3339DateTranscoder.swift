import Foundation
import OpenAPIRuntime

/// Reads every date-time RFC 3339 allows (`format: date-time` in openapi.yaml): with or without fractional
/// seconds, `Z` or a numeric offset, `T`/`Z` in either case — as JavaScript's `toISOString()` and Python's
/// `isoformat()` write them. The runtime's default took only whole seconds and refused the rest. Writes UTC
/// with `Z`, and fractional seconds only when there are any.
///
/// Written here because Foundation's ISO 8601 parsers take one fixed shape each; RFC 3339's grammar is
/// small enough to read directly.
struct RFC3339DateTranscoder: DateTranscoder {
    struct Invalid: Error, CustomStringConvertible {
        let text: String
        var description: String { "not an RFC 3339 date-time (e.g. 2026-12-08T09:00:00Z or 2026-12-08T10:00:00.000+01:00): \(text.prefix(40))" }
    }

    func encode(_ date: Date) throws -> String {
        let whole = date.timeIntervalSince1970.rounded(.down) == date.timeIntervalSince1970
        return Date.ISO8601FormatStyle(includingFractionalSeconds: !whole).format(date)
    }

    func decode(_ text: String) throws -> Date {
        let pattern = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/
        guard let match = text.wholeMatch(of: pattern),
              let year = Int(match.1), let month = Int(match.2), let day = Int(match.3),
              let hour = Int(match.4), let minute = Int(match.5), let second = Int(match.6),
              (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { throw Invalid(text: text) }
        var offset = 0
        let zone = match.8
        if zone != "Z" && zone != "z" {
            let sign = zone.hasPrefix("-") ? -1 : 1
            guard let hours = Int(zone.dropFirst().prefix(2)), let minutes = Int(zone.suffix(2)), hours < 24, minutes < 60 else { throw Invalid(text: text) }
            offset = sign * (hours * 3600 + minutes * 60)
        }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 0) ?? .gmt
        // A leap second (…:60) is read as the next second's start, as PostgreSQL reads it.
        guard let base = calendar.date(from: DateComponents(year: year, month: month, day: day, hour: hour, minute: minute, second: min(second, 59))),
              calendar.component(.day, from: base) == day
        else { throw Invalid(text: text) }
        let fraction = match.7.flatMap { Double("0" + $0) } ?? 0
        return base.addingTimeInterval(Double(second - min(second, 59)) + fraction - Double(offset))
    }
}
