import Glibc
import HTTP1
import Testing

private func format(_ seconds: Int) -> String {
    var out = [UInt8](repeating: 0, count: HTTPDate.length)
    out.withUnsafeMutableBytes { HTTPDate.write(epochSeconds: seconds, to: $0.baseAddress!) }
    return String(decoding: out, as: UTF8.self)
}

/// The C library's answer, formatted in the C locale whatever the process locale is.
private func reference(_ seconds: Int, locale: locale_t) -> String {
    var time = time_t(seconds)
    var parts = tm()
    guard gmtime_r(&time, &parts) != nil else { return "gmtime_r failed" }
    var out = [CChar](repeating: 0, count: 64)
    let count = strftime_l(&out, out.count, "%a, %d %b %Y %H:%M:%S GMT", &parts, locale)
    return String(decoding: out[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

@Suite struct HTTPDateTests {
    @Test(arguments: [
        (0, "Thu, 01 Jan 1970 00:00:00 GMT"),
        (784_111_777, "Sun, 06 Nov 1994 08:49:37 GMT"),
        (951_782_400, "Tue, 29 Feb 2000 00:00:00 GMT"),
        (1_709_164_800, "Thu, 29 Feb 2024 00:00:00 GMT"),
        (1_709_251_199, "Thu, 29 Feb 2024 23:59:59 GMT"),
        (4_107_542_400, "Mon, 01 Mar 2100 00:00:00 GMT"),
        (253_402_300_799, "Fri, 31 Dec 9999 23:59:59 GMT"),
    ])
    func knownVectors(seconds: Int, expected: String) {
        #expect(format(seconds) == expected)
    }

    @Test func writesExactly29Bytes() {
        var out = [UInt8](repeating: 0xAA, count: 33)
        out.withUnsafeMutableBytes { HTTPDate.write(epochSeconds: 784_111_777, to: $0.baseAddress! + 2) }
        #expect(out[0...1] == [0xAA, 0xAA])
        #expect(out[31...32] == [0xAA, 0xAA])
        #expect(String(decoding: out[2..<31], as: UTF8.self) == "Sun, 06 Nov 1994 08:49:37 GMT")
    }

    @Test func outOfRangeIsClamped() {
        #expect(format(-1) == "Thu, 01 Jan 1970 00:00:00 GMT")
        #expect(format(Int.max) == "Fri, 31 Dec 9999 23:59:59 GMT")
    }

    @Test func matchesGmtime() throws {
        let locale = try #require(newlocale(LC_TIME_MASK, "C", nil))
        defer { freelocale(locale) }
        let last = 253_402_300_799
        var rng = XorShift(state: 0xD1B5_4A32_D192_ED03)
        var samples = (0..<5_000).map { $0 * (last / 4_999) }
        samples += (0..<2_000).map { _ in rng.below(last + 1) }
        // Around the turn of every year from 1970 to 2400, where leap-year rules bite.
        var dayStart = 0
        for year in 1970...2400 {
            samples += [dayStart - 1, dayStart, dayStart + 59 * 86_400 - 1, dayStart + 59 * 86_400]
            let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
            dayStart += (leap ? 366 : 365) * 86_400
        }
        for seconds in samples where (0...last).contains(seconds) {
            #expect(format(seconds) == reference(seconds, locale: locale), "\(seconds)")
        }
    }
}
