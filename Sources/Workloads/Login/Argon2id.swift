internal import CSodium

/// argon2id password hashes in the standard encoded form
/// (`$argon2id$v=19$m=65536,t=2,p=1$salt$hash`), through libsodium.
public enum Argon2id {
    /// The cost of one hash: passes over memory, and memory in bytes.
    public struct Limits: Sendable, Equatable, Comparable, CustomStringConvertible {
        /// Passes over the memory (`t`, libsodium's opslimit).
        public var operations: UInt64
        /// Memory in bytes (`m` is this in KiB, libsodium's memlimit).
        public var memoryBytes: Int

        /// Limits of `operations` passes over `memoryBytes` bytes.
        public init(operations: UInt64, memoryBytes: Int) {
            self.operations = operations
            self.memoryBytes = memoryBytes
        }

        /// libsodium's interactive limits: 2 passes over 64 MiB, tens of
        /// milliseconds per hash. The default of `ringside hash-password`.
        public static let interactive = Limits(
            operations: RS_SODIUM_OPSLIMIT_INTERACTIVE, memoryBytes: RS_SODIUM_MEMLIMIT_INTERACTIVE)

        /// The least libsodium accepts (1 pass over 8 KiB): for tests only.
        public static let minimum = Limits(operations: RS_SODIUM_OPSLIMIT_MIN, memoryBytes: RS_SODIUM_MEMLIMIT_MIN)

        /// Whether these are at least libsodium's minimum limits.
        public var isValid: Bool { operations >= Limits.minimum.operations && memoryBytes >= Limits.minimum.memoryBytes }

        public static func < (a: Limits, b: Limits) -> Bool {
            (a.memoryBytes, a.operations) < (b.memoryBytes, b.operations)
        }

        public var description: String { "t=\(operations), m=\(memoryBytes / 1024) KiB" }
    }

    /// Why a hash could not be made.
    public enum HashError: Error, CustomStringConvertible {
        /// libsodium refused: limits out of range, or no memory for them.
        case failed(Limits)

        public var description: String {
            switch self {
            case .failed(let limits): "argon2id hashing failed with \(limits) (limits out of range, or out of memory)"
            }
        }
    }

    private static let initialized: Bool = sodium_init() >= 0

    /// A new encoded hash of `password` with a random salt.
    public static func hash(_ password: some Collection<UInt8>, limits: Limits = .interactive) throws(HashError) -> String {
        precondition(initialized, "libsodium failed to initialize")
        let (bytes, length) = cBytes(password)
        var encoded = [CChar](repeating: 0, count: RS_SODIUM_STRBYTES)
        let result = crypto_pwhash_str_alg(
            &encoded, bytes, UInt64(length), limits.operations, limits.memoryBytes, RS_SODIUM_ARGON2ID13)
        guard result == 0 else { throw .failed(limits) }
        return String(decoding: encoded.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Whether `password` matches `encoded`. Takes as long as hashing with
    /// `encoded`'s limits, whatever the answer.
    public static func verify(_ password: some Collection<UInt8>, against encoded: String) -> Bool {
        precondition(initialized, "libsodium failed to initialize")
        let (bytes, length) = cBytes(password)
        return crypto_pwhash_str_verify(encoded, bytes, UInt64(length)) == 0
    }

    /// `password` as C's `char`s, with a NUL after them so that even an empty
    /// password passes libsodium a valid pointer; and its length.
    private static func cBytes(_ password: some Collection<UInt8>) -> ([CChar], Int) {
        var bytes = password.map { CChar(bitPattern: $0) }
        let length = bytes.count
        bytes.append(0)
        return (bytes, length)
    }

    /// The limits written in `encoded`, or nil unless it is a well-formed
    /// argon2id hash (`$argon2i$` and other algorithms included).
    public static func limits(of encoded: String) -> Limits? {
        precondition(initialized, "libsodium failed to initialize")
        guard encoded.hasPrefix("$argon2id$"), encoded.utf8.count < RS_SODIUM_STRBYTES else { return nil }
        // libsodium parses the whole string here: -1 means malformed.
        guard crypto_pwhash_argon2id_str_needs_rehash(encoded, 1, RS_SODIUM_MEMLIMIT_MIN) != -1 else { return nil }
        // The parameters: `$argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>$...`.
        let fields = encoded.split(separator: "$")
        guard fields.count == 5 else { return nil }
        var memoryKiB: Int?
        var passes: UInt64?
        for pair in fields[2].split(separator: ",") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else { return nil }
            switch parts[0] {
            case "m": memoryKiB = Int(parts[1])
            case "t": passes = UInt64(parts[1])
            default: break
            }
        }
        guard let memoryKiB, let passes else { return nil }
        return Limits(operations: passes, memoryBytes: memoryKiB * 1024)
    }
}
