/// The current IMF-fixdate, formatted at most once per second.
///
/// The caller supplies the time (this module does no I/O) and copies the 29
/// bytes wherever responses carry a date.
public struct DateCache: Sendable {
    public private(set) var second: Int = -1
    /// The formatted date, `HTTPDate.length` bytes.
    public private(set) var bytes: [UInt8] = [UInt8](repeating: 0, count: HTTPDate.length)

    public init() {}

    /// Reformats when `epochSeconds` differs from the cached second; returns whether it did.
    @discardableResult
    public mutating func update(epochSeconds: Int) -> Bool {
        guard epochSeconds != second else { return false }
        second = epochSeconds
        bytes.withUnsafeMutableBytes { HTTPDate.write(epochSeconds: epochSeconds, to: $0.baseAddress!) }
        return true
    }
}
