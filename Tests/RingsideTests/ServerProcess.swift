import Foundation
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

enum ServerProcessError: Error, CustomStringConvertible {
    case binaryNotFound(String)
    case exitedBeforeListening(exit: String, stdout: String, stderr: String)
    case noListeningLine(seconds: Double, stdout: String, stderr: String)
    case unexpectedListeningLine(String)

    var description: String {
        switch self {
        case .binaryNotFound(let path):
            "no ringside binary at \(path) (build it with `swift build --build-tests`, or set RINGSIDE_BINARY)"
        case .exitedBeforeListening(let exit, let stdout, let stderr):
            "server \(exit) before printing its Listening line\n--- stdout ---\n\(stdout)\n--- stderr ---\n\(stderr)"
        case .noListeningLine(let seconds, let stdout, let stderr):
            "no `Listening on http://…` line within \(seconds) s\n--- stdout ---\n\(stdout)\n--- stderr ---\n\(stderr)"
        case .unexpectedListeningLine(let line):
            "unexpected Listening line: \(line.debugDescription)"
        }
    }
}

/// How a server process ended.
enum ServerExit: Equatable, CustomStringConvertible {
    case exited(Int32)
    case signaled(Int32)
    /// It ignored the stop signal for the whole timeout and was SIGKILLed.
    case killedAfterTimeout
    /// The binary could not be started at all.
    case notLaunched

    var description: String {
        switch self {
        case .exited(let code): "exited with status \(code)"
        case .signaled(let signal): "was killed by signal \(signal) (\(String(cString: strsignal(signal))))"
        case .killedAfterTimeout: "did not exit in time and was SIGKILLed"
        case .notLaunched: "could not be launched"
        }
    }
}

/// The real `ringside serve` binary running as a child process on an
/// ephemeral port. Its stdout and stderr go to temporary files (never a pipe
/// nobody drains, which could block a chatty server).
///
/// The binary is `$RINGSIDE_BINARY` when set, otherwise `ringside` in the
/// directory of the test executable (`.build/debug/`), which SwiftPM builds
/// because RingsideTests depends on the `ringside` target.
final class ServerProcess {
    static let startupTimeout: Double = 10
    static let stopTimeout: Double = 10

    let engine: String
    let host = "127.0.0.1"
    private(set) var port: UInt16 = 0
    private let process = Process()
    private let stdoutPath: String
    private let stderrPath: String
    private var finished: ServerExit?
    /// `https` when the server was given a certificate.
    private let scheme: String

    /// - Parameter launcher: a program that runs the server binary given as its
    ///   first argument (e.g. `NoIOUring`), or nil to run it directly.
    /// - Parameter binaryName: the executable next to the tests: `ringside`, or
    ///   `APIServer` (the handler API's test server, same command line).
    /// - Parameter awaitListening: false returns as soon as the process runs, before its
    ///   Listening line (the port must then be given).
    init(
        engine: String, workers: String = "1", port requestedPort: UInt16 = 0, extraArguments: [String] = [],
        launcher: String? = nil, binaryName: String = "ringside", environment: [String: String] = [:],
        awaitListening: Bool = true
    ) throws {
        precondition(awaitListening || requestedPort != 0, "without the Listening line the port must be given")
        self.engine = engine
        scheme = extraArguments.contains("--tls-cert") && !extraArguments.contains("--tls-port") ? "https" : "http"
        raiseOpenFileLimit()  // before spawning, so the server inherits it too
        let binary = try Self.binaryPath(binaryName)
        let base = FileManager.default.temporaryDirectory
            .appendingPathComponent("ringside-test-\(UUID().uuidString)").path
        stdoutPath = base + ".stdout"
        stderrPath = base + ".stderr"
        _ = FileManager.default.createFile(atPath: stdoutPath, contents: nil)
        _ = FileManager.default.createFile(atPath: stderrPath, contents: nil)

        let arguments =
            [
                "serve", "--host", host, "--port", String(requestedPort),
                "--workers", workers, "--engine", engine,
            ] + extraArguments
        process.executableURL = URL(fileURLWithPath: launcher ?? binary)
        process.arguments = launcher == nil ? arguments : [binary] + arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle(forWritingAtPath: stdoutPath)
        process.standardError = FileHandle(forWritingAtPath: stderrPath)
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, given in given }
        }
        do {
            try Self.withShellSignalState { try process.run() }
        } catch {
            finished = .notLaunched
            removeFiles()
            throw error
        }

        guard awaitListening else {
            port = requestedPort
            return
        }
        do {
            port = try waitForListeningLine()
        } catch {
            _ = stop(signal: SIGKILL)
            removeFiles()
            throw error
        }
        if requestedPort != 0 && port != requestedPort {
            _ = stop(signal: SIGKILL)
            removeFiles()
            throw ServerProcessError.unexpectedListeningLine("asked for port \(requestedPort), got \(port)")
        }
    }

    deinit {
        if finished == nil { _ = stop(signal: SIGKILL) }
        removeFiles()
    }

    var pid: Int32 { process.processIdentifier }

    var isRunning: Bool { process.isRunning }

    var stdout: String { Self.read(stdoutPath) }
    var stderr: String { Self.read(stderrPath) }

    /// The last few lines of stderr, for failure messages.
    var stderrTail: String {
        let text = stderr
        return text.isEmpty ? "(stderr empty)" : "--- server stderr (tail) ---\n" + String(text.suffix(2_000))
    }

    /// How many `Listening on` lines the server printed (the spec says one).
    var listeningLineCount: Int {
        stdout.split(separator: "\n").filter { $0.hasPrefix("Listening on ") }.count
    }

    /// Sends `signal` (SIGTERM by default) and waits for the process to end.
    /// If it is still running after `stopTimeout` it is SIGKILLed, a failure is
    /// recorded and `.killedAfterTimeout` returned. Calling again returns the
    /// first result.
    @discardableResult
    func stop(signal: Int32 = SIGTERM, sourceLocation: SourceLocation = #_sourceLocation) -> ServerExit {
        if let finished { return finished }
        if process.isRunning {
            kill(process.processIdentifier, signal)
        }
        if !Self.wait(for: process, seconds: Self.stopTimeout) {
            // Before the kill: what each thread was doing (a hang in a wait, a lock or a spin).
            let threads = Self.threadReport(process.processIdentifier)
            kill(process.processIdentifier, SIGKILL)
            _ = Self.wait(for: process, seconds: Self.stopTimeout)
            if signal != SIGKILL {
                Issue.record(
                    "server did not exit within \(Self.stopTimeout) s of signal \(signal); SIGKILLed\n\(threads)\n\(stderrTail)",
                    sourceLocation: sourceLocation)
            }
            finished = .killedAfterTimeout
            return .killedAfterTimeout
        }
        let exit: ServerExit =
            process.terminationReason == .exit
            ? .exited(process.terminationStatus) : .signaled(process.terminationStatus)
        finished = exit
        return exit
    }

    // MARK: Helpers

    /// One line per thread of `pid`: name, state, CPU ticks, and where the kernel has it waiting
    /// (`wchan`: `do_epoll_wait`, `futex_do_wait`, ...), read from /proc before the process goes.
    static func threadReport(_ pid: Int32) -> String {
        let threads = ProcStat.threads(of: pid)
        guard !threads.isEmpty else { return "(no /proc/\(pid))" }
        var lines = ["--- server threads: tid name state utime+stime wchan ---"]
        for (tid, stat) in threads {
            let wchan = readProcFile("/proc/\(pid)/task/\(tid)/wchan") ?? "?"
            lines.append("\(tid) \(stat.name) \(stat.state) \(stat.cpuTicks ?? 0) \(wchan)")
        }
        return lines.joined(separator: "\n")
    }

    private func waitForListeningLine() throws -> UInt16 {
        let deadline = Date().addingTimeInterval(Self.startupTimeout)
        let prefix = "Listening on \(scheme)://\(host):"
        while true {
            let out = stdout
            // Only a complete line counts: the spec says it is flushed with its newline.
            if let line = out.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
                .first(where: { $0.hasPrefix("Listening on ") })
            {
                guard line.hasPrefix(prefix), let port = UInt16(line.dropFirst(prefix.count)), port != 0 else {
                    throw ServerProcessError.unexpectedListeningLine(String(line))
                }
                return port
            }
            if !process.isRunning {
                // Give the exit a moment to be reaped so the status is known.
                _ = Self.wait(for: process, seconds: 1)
                let how =
                    process.terminationReason == .exit
                    ? ServerExit.exited(process.terminationStatus) : .signaled(process.terminationStatus)
                finished = how
                throw ServerProcessError.exitedBeforeListening(exit: how.description, stdout: out, stderr: stderr)
            }
            if Date() >= deadline {
                throw ServerProcessError.noListeningLine(seconds: Self.startupTimeout, stdout: out, stderr: stderr)
            }
            usleep(10_000)
        }
    }

    /// Spawns with the signal state a shell would give the server. A child
    /// inherits its spawning thread's signal mask and the process's ignored
    /// signals, and in a test runner the (Dispatch) threads block SIGTERM and
    /// SIGINT and SIGPIPE is ignored: the server would never see the stop
    /// signals, and a server that forgot to handle SIGPIPE would look fine.
    /// So: empty this thread's mask and restore SIGPIPE's default action for
    /// the moment of the spawn. The lock keeps concurrent spawns from saving
    /// each other's temporary disposition; the test's own sockets use
    /// MSG_NOSIGNAL, so nothing raises SIGPIPE here meanwhile.
    static func withShellSignalState<R>(_ body: () throws -> R) rethrows -> R {
        try spawnLock.withLock { _ in
            var none = sigset_t()
            var savedMask = sigset_t()
            sigemptyset(&none)
            pthread_sigmask(SIG_SETMASK, &none, &savedMask)
            let savedPipe = signal(SIGPIPE, SIG_DFL)
            defer {
                signal(SIGPIPE, savedPipe)
                pthread_sigmask(SIG_SETMASK, &savedMask, nil)
            }
            return try body()
        }
    }

    private static func wait(for process: Process, seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning {
            if Date() >= deadline { return false }
            usleep(5_000)
        }
        return true
    }

    private static func read(_ path: String) -> String {
        guard let data = FileManager.default.contents(atPath: path) else { return "" }
        return String(decoding: data, as: UTF8.self)
    }

    private func removeFiles() {
        try? FileManager.default.removeItem(atPath: stdoutPath)
        try? FileManager.default.removeItem(atPath: stderrPath)
    }

    static func binaryPath(_ name: String = "ringside") throws -> String {
        if name == "ringside", let override = ProcessInfo.processInfo.environment["RINGSIDE_BINARY"], !override.isEmpty {
            guard FileManager.default.isExecutableFile(atPath: override) else {
                throw ServerProcessError.binaryNotFound(override)
            }
            return override
        }
        let testExecutable = Fixtures.resolvedPath("/proc/self/exe")
        let path = URL(fileURLWithPath: testExecutable).deletingLastPathComponent()
            .appendingPathComponent(name).path
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw ServerProcessError.binaryNotFound(path)
        }
        return path
    }
}

private let spawnLock = Mutex(())

/// Runs `body` against a fresh server, then stops it with SIGTERM and checks
/// that it shut down cleanly (exit status 0) and printed exactly one
/// Listening line. The server is stopped even when `body` throws; what it
/// throws comes back with the server's stderr. The body blocks on sockets:
/// it runs on a thread of its own (`LiveTests`).
func withServer<R>(
    engine: String, workers: String = "1", extraArguments: [String] = [], binaryName: String = "ringside",
    environment: [String: String] = [:], sourceLocation: SourceLocation = #_sourceLocation,
    _ body: (ServerProcess) throws -> R
) async throws -> R {
    try await LiveTests.run {
        try withServerBlocking(
            engine: engine, workers: workers, extraArguments: extraArguments, binaryName: binaryName,
            environment: environment, sourceLocation: sourceLocation, body)
    }
}

/// ``withServer`` on the calling thread.
func withServerBlocking<R>(
    engine: String, workers: String = "1", extraArguments: [String] = [], binaryName: String = "ringside",
    environment: [String: String] = [:], sourceLocation: SourceLocation = #_sourceLocation,
    _ body: (ServerProcess) throws -> R
) throws -> R {
    let server = try ServerProcess(
        engine: engine, workers: workers, extraArguments: extraArguments, binaryName: binaryName,
        environment: environment)
    defer {
        let exit = server.stop(sourceLocation: sourceLocation)
        #expect(
            exit == .exited(0), "server \(exit) when stopped with SIGTERM\n\(server.stderrTail)",
            sourceLocation: sourceLocation)
        let lines = server.listeningLineCount
        #expect(
            lines == 1, "server printed \(lines) `Listening on` lines, expected exactly one:\n\(server.stdout)",
            sourceLocation: sourceLocation)
    }
    do {
        return try body(server)
    } catch {
        // Whatever went wrong, the server's own account of it goes with the failure.
        throw ServerTestFailure(underlying: error, stderrTail: server.stderrTail)
    }
}

/// An error from a `withServer` body, with the server's stderr at that moment.
struct ServerTestFailure: Error, CustomStringConvertible {
    let underlying: any Error
    let stderrTail: String
    var description: String { "\(underlying)\n\(stderrTail)" }
}

/// Raises the soft RLIMIT_NOFILE to the hard limit (process-wide; children
/// inherit it), so 1,000 client sockets and the server's 1,000 accepted ones fit.
func raiseOpenFileLimit() {
    var limit = rlimit()
    let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
    guard getrlimit(resource, &limit) == 0 else { return }
    // An unlimited hard limit cannot be the soft limit for NOFILE; cap it.
    let target = limit.rlim_max == rlim_t.max ? rlim_t(1 << 20) : limit.rlim_max  // rlim_t.max is RLIM_INFINITY
    if limit.rlim_cur < target {
        limit.rlim_cur = target
        _ = setrlimit(resource, &limit)
    }
}
