internal import CSodium
public import Ringside

/// `GET /data`: a fixed amount of CPU work, run on the offload pool so the
/// worker keeps accepting and answering everything else meanwhile.
///
/// The work is a SHA-256 chain: 32 zero bytes hashed `iterations` times, each
/// hash fed to the next (libsodium's `crypto_hash_sha256`). It is
/// deterministic, touches no memory beyond two 32-byte buffers, and its
/// answer proves it was done: `{"iterations":N,"sha256":"<hex>"}`.
/// When the pool's queue is full the server answers 503 with `retry-after`.
public struct DataWork: Workload {
    /// Iterations that take about 4 ms on the machine Ringside is developed on
    /// (0.22 µs each); `ringside serve` logs the time measured where it runs.
    public static let defaultIterations = 18_000

    /// SHA-256 iterations per request.
    public var iterations: Int

    /// The work of `iterations` chained hashes per request.
    public init(iterations: Int = DataWork.defaultIterations) {
        precondition(iterations >= 0, "iterations must not be negative")
        self.iterations = iterations
    }

    /// What a request answers.
    struct Answer: Encodable {
        var iterations: Int
        var sha256: String
    }

    /// Does the work: the last hash of the chain, as lowercase hex.
    public func run() -> String {
        var digest = [UInt8](repeating: 0, count: 32)
        digest.withUnsafeMutableBufferPointer { rs_sodium_sha256_chain($0.baseAddress!, UInt64(iterations)) }
        return digest.hexString
    }

    /// How long one iteration takes on this CPU: the median of five runs
    /// of 2,000, so measuring costs about 4 ms whatever ``iterations`` is.
    public static func measureIteration() -> Duration {
        let sample = DataWork(iterations: 2_000)
        let clock = ContinuousClock()
        let times = (0..<5).map { _ in clock.measure { _ = sample.run() } }.sorted()
        return times[2] / sample.iterations
    }

    public func addRoutes(to router: inout Router) {
        let work = self
        // `offload: true`: the handler runs on a pool thread, never the worker's.
        router.get("/data", offload: true) { _ in
            try Response(json: Answer(iterations: work.iterations, sha256: work.run()))
        }
    }
}

extension Array<UInt8> {
    /// Lowercase hexadecimal, two digits per byte.
    var hexString: String {
        let digits = Array("0123456789abcdef".utf8)
        return String(unsafeUninitializedCapacity: count * 2) { buffer in
            for (index, byte) in enumerated() {
                buffer[2 * index] = digits[Int(byte >> 4)]
                buffer[2 * index + 1] = digits[Int(byte & 0xf)]
            }
            return count * 2
        }
    }
}
