/// IMF-fixdate formatting (RFC 9110 §5.6.7) without Foundation.
public enum HTTPDate {
    /// Length of an IMF-fixdate: `Sun, 06 Nov 1994 08:49:37 GMT`.
    public static let length = 29

    /// Writes the IMF-fixdate for `epochSeconds` (UTC) into 29 bytes at `destination`.
    ///
    /// Seconds outside 1970...9999 are clamped to that range, so the output is always well formed.
    public static func write(epochSeconds: Int, to destination: UnsafeMutableRawPointer) {
        // 1970-01-01T00:00:00Z ... 9999-12-31T23:59:59Z: the four-digit years.
        let seconds = min(max(epochSeconds, 0), 253_402_300_799)
        let days = seconds / 86_400
        let secondOfDay = seconds - days * 86_400
        let (year, month, day) = civilDate(daysSinceEpoch: days)
        // 1970-01-01 was a Thursday; index 0 is Sunday.
        let weekday = (days + 4) % 7

        let names: StaticString = "SunMonTueWedThuFriSatJanFebMarAprMayJunJulAugSepOctNovDec"
        let n = names.utf8Start
        let d = destination
        put(n[weekday * 3], at: 0, in: d)
        put(n[weekday * 3 + 1], at: 1, in: d)
        put(n[weekday * 3 + 2], at: 2, in: d)
        put(UInt8(ascii: ","), at: 3, in: d)
        put(UInt8(ascii: " "), at: 4, in: d)
        writeTwoDigits(day, at: 5, in: d)
        put(UInt8(ascii: " "), at: 7, in: d)
        let m = 21 + (month - 1) * 3
        put(n[m], at: 8, in: d)
        put(n[m + 1], at: 9, in: d)
        put(n[m + 2], at: 10, in: d)
        put(UInt8(ascii: " "), at: 11, in: d)
        writeTwoDigits(year / 100, at: 12, in: d)
        writeTwoDigits(year % 100, at: 14, in: d)
        put(UInt8(ascii: " "), at: 16, in: d)
        writeTwoDigits(secondOfDay / 3600, at: 17, in: d)
        put(UInt8(ascii: ":"), at: 19, in: d)
        writeTwoDigits(secondOfDay / 60 % 60, at: 20, in: d)
        put(UInt8(ascii: ":"), at: 22, in: d)
        writeTwoDigits(secondOfDay % 60, at: 23, in: d)
        put(UInt8(ascii: " "), at: 25, in: d)
        put(UInt8(ascii: "G"), at: 26, in: d)
        put(UInt8(ascii: "M"), at: 27, in: d)
        put(UInt8(ascii: "T"), at: 28, in: d)
    }

    @inline(__always)
    static func put(_ byte: UInt8, at offset: Int, in d: UnsafeMutableRawPointer) {
        d.storeBytes(of: byte, toByteOffset: offset, as: UInt8.self)
    }

    /// Writes `value` (0...99) as two decimal digits.
    @inline(__always)
    static func writeTwoDigits(_ value: Int, at offset: Int, in d: UnsafeMutableRawPointer) {
        put(UInt8(truncatingIfNeeded: value / 10) &+ UInt8(ascii: "0"), at: offset, in: d)
        put(UInt8(truncatingIfNeeded: value % 10) &+ UInt8(ascii: "0"), at: offset + 1, in: d)
    }

    /// Proleptic Gregorian date of a day count from 1970-01-01, for days >= 0.
    ///
    /// Counts from 0000-03-01 so the leap day ends each year, then splits into
    /// 400-year eras (146,097 days), years of the era, and months of 153 days per 5.
    static func civilDate(daysSinceEpoch: Int) -> (year: Int, month: Int, day: Int) {
        let z = daysSinceEpoch + 719_468  // days from 0000-03-01 to 1970-01-01
        let era = z / 146_097
        let dayOfEra = z - era * 146_097  // 0...146096
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)  // from March 1
        let shiftedMonth = (5 * dayOfYear + 2) / 153  // 0 = March ... 11 = February
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day)
    }
}
