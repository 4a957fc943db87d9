#if canImport(Glibc)
import Glibc
#endif

/// Optional io_uring features: each is used only where the kernel has it
/// (probed when a ring is set up, never by header version) and each can be
/// switched off with the environment variable `RINGSIDE_IO_URING_DISABLE`, a
/// comma-separated list of feature names or `all`; that is how the tests run
/// the fallbacks on a kernel that has everything.
public struct IOUringFeatures: OptionSet, Sendable, CustomStringConvertible {
    public let rawValue: UInt32

    @inlinable
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// `io_uring_enter` on a registered ring descriptor (Linux 5.18): the
    /// kernel skips looking the ring's file up (and taking a reference on it)
    /// on every call.
    public static let registeredRing = IOUringFeatures(rawValue: 1 << 0)

    /// Accepted sockets live only in the ring's file table (Linux 5.19;
    /// 6.8 for the peer address, see `Ring.installDescriptor`): no
    /// descriptor is allocated, looked up, reference-counted or closed in the
    /// process's table for any of them.
    public static let directDescriptors = IOUringFeatures(rawValue: 1 << 1)

    /// Every feature, by the name `RINGSIDE_IO_URING_DISABLE` takes.
    public static let named: [(feature: IOUringFeatures, name: String)] = [
        (.registeredRing, "registered-ring"),
        (.directDescriptors, "direct-descriptors"),
    ]

    /// Every optional feature Ringside knows.
    public static let all = IOUringFeatures(named.map(\.feature))

    /// The environment variable that switches features off.
    public static let environmentVariable = "RINGSIDE_IO_URING_DISABLE"

    /// The features `value` (the variable's text) switches off; unknown names are ignored.
    public static func disabled(by value: String?) -> IOUringFeatures {
        guard let value else { return [] }
        var result: IOUringFeatures = []
        for word in value.split(separator: ",") {
            let name = word.trimmingCharacters(in: " ")
            if name == "all" { return .all }
            if let entry = named.first(where: { $0.name == name }) { result.insert(entry.feature) }
        }
        return result
    }

    /// The features this process's environment switches off.
    public static var disabledByEnvironment: IOUringFeatures {
        disabled(by: getenv(environmentVariable).map { String(cString: $0) })
    }

    /// `registered-ring,direct-descriptors`, or `none`.
    public var description: String {
        let names = Self.named.filter { contains($0.feature) }.map(\.name)
        return names.isEmpty ? "none" : names.joined(separator: ",")
    }
}

extension Substring {
    fileprivate func trimmingCharacters(in set: Character) -> Substring {
        var result = self
        while result.first == set { result.removeFirst() }
        while result.last == set { result.removeLast() }
        return result
    }
}
