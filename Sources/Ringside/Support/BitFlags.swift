/// Flag sets read and changed on every request: `contains`, `insert` and
/// `remove` as plain bit operations, inlined where they are used.
/// (`OptionSet`'s own versions went through protocol witnesses on the hot
/// path, as the flamegraph showed.)
protocol BitFlags: RawRepresentable where RawValue: FixedWidthInteger {
    init(rawValue: RawValue)
}

extension BitFlags {
    @inline(__always) func contains(_ member: Self) -> Bool { rawValue & member.rawValue == member.rawValue }
    @inline(__always) mutating func insert(_ member: Self) { self = Self(rawValue: rawValue | member.rawValue) }
    @inline(__always) mutating func remove(_ member: Self) { self = Self(rawValue: rawValue & ~member.rawValue) }
}
