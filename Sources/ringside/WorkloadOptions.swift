import ArgumentParser
import Workloads

/// `ringside serve` settings of the workloads (/ping/, /data, /v1/login) and of the offload pool.
struct WorkloadOptions: ParsableArguments {
    @Option(help: "Milliseconds /ping/ waits before answering.")
    var pingDelay = 200

    @Option(help: "SHA-256 iterations per /data request (\(DataWork.defaultIterations): about 4 ms; the time here is logged at start).")
    var dataWork = DataWork.defaultIterations

    @Option(help: "Threads of the offload pool (/data, /v1/login, /demo/offload); default: one per CPU this process may use.")
    var offloadThreads: Int?

    @Option(help: "Offloaded requests that may wait for a pool thread (503 with retry-after beyond).")
    var offloadQueue = 1024

    @Option(help: "How much nicer than the workers the pool threads run (0-19): workers sharing a core with them answer first.")
    var offloadNice = 10

    @Option(help: "JSON file of usernames and argon2id hashes for /v1/login (default: demo user herbert/password).")
    var users: String?

    @Option(help: "Failed logins within the lockout window that lock a username (423).")
    var lockoutFailures = 5

    @Option(help: "Lockout window in seconds: how far back failures count, and the longest a lock lasts.")
    var lockoutWindow = 900

    @Option(help: "Unknown usernames whose failures are tracked at once (fixed memory).")
    var lockoutCapacity = 10_000

    func validate() throws {
        guard pingDelay >= 0, dataWork >= 0 else { throw ValidationError("--ping-delay and --data-work must not be negative") }
        if let offloadThreads, offloadThreads < 1 { throw ValidationError("--offload-threads must be at least 1") }
        guard offloadQueue >= 0 else { throw ValidationError("--offload-queue must not be negative") }
        guard (0...19).contains(offloadNice) else { throw ValidationError("--offload-nice must be 0 to 19") }
        guard lockoutFailures > 0, lockoutWindow > 0, lockoutCapacity >= 0 else {
            throw ValidationError("--lockout-failures and --lockout-window must be positive")
        }
    }

    var lockoutPolicy: LockoutTable.Policy {
        LockoutTable.Policy(maxFailures: lockoutFailures, window: .seconds(lockoutWindow), strangerCapacity: lockoutCapacity)
    }
}
