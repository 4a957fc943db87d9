/// A strict parser for the IMF-fixdate form of HTTP dates (RFC 9110 §5.6.7),
/// e.g. `Sun, 06 Nov 1994 08:49:37 GMT`. Written by hand so that it accepts
/// nothing else: not the obsolete RFC 850 or asctime forms, not a wrong
/// weekday, not single-digit fields, not a zone other than GMT.
enum IMFFixdate {
    private static let dayNames = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let monthNames = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ]

    /// Seconds since 1970-01-01T00:00:00Z, or nil if `text` is not an IMF-fixdate.
    static func parse(_ text: String) -> Int? {
        let b = Array(text.utf8)
        guard b.count == 29 else { return nil }
        func str(_ range: Range<Int>) -> String { String(decoding: b[range], as: UTF8.self) }
        func num(_ range: Range<Int>) -> Int? {
            var value = 0
            for i in range {
                guard b[i] >= UInt8(ascii: "0"), b[i] <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int(b[i] - UInt8(ascii: "0"))
            }
            return value
        }
        guard b[3] == UInt8(ascii: ","), b[4] == UInt8(ascii: " "), b[7] == UInt8(ascii: " "),
            b[11] == UInt8(ascii: " "), b[16] == UInt8(ascii: " "), b[19] == UInt8(ascii: ":"),
            b[22] == UInt8(ascii: ":"), b[25] == UInt8(ascii: " "), str(26..<29) == "GMT"
        else { return nil }
        guard let weekday = dayNames.firstIndex(of: str(0..<3)),
            let monthIndex = monthNames.firstIndex(of: str(8..<11)),
            let day = num(5..<7), let year = num(12..<16),
            let hour = num(17..<19), let minute = num(20..<22), let second = num(23..<25)
        else { return nil }
        let month = monthIndex + 1
        guard day >= 1, day <= daysIn(month: month, year: year),
            hour <= 23, minute <= 59, second <= 60
        else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        // 1970-01-01 was a Thursday (index 4 with Sunday = 0).
        guard ((days % 7) + 7 + 4) % 7 == weekday else { return nil }
        return days * 86_400 + hour * 3_600 + minute * 60 + second
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    private static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}
