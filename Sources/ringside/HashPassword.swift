import ArgumentParser
import Workloads
#if canImport(Glibc)
import Glibc
#endif

/// `ringside hash-password`: the argon2id hash of a password read on stdin, for a users file.
struct HashPassword: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the argon2id hash of the password read on standard input (one trailing newline is dropped).")

    @Option(help: "argon2id passes (libsodium opslimit; interactive: \(Argon2id.Limits.interactive.operations)).")
    var ops = Argon2id.Limits.interactive.operations

    @Option(help: "argon2id memory in bytes (libsodium memlimit; interactive: \(Argon2id.Limits.interactive.memoryBytes)).")
    var mem = Argon2id.Limits.interactive.memoryBytes

    func validate() throws {
        let minimum = Argon2id.Limits.minimum
        guard Argon2id.Limits(operations: ops, memoryBytes: mem).isValid else {
            throw ValidationError("--ops must be at least \(minimum.operations) and --mem at least \(minimum.memoryBytes)")
        }
    }

    func run() throws {
        var password: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(0, &chunk, chunk.count)
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            password += chunk[..<count]
        }
        if password.last == UInt8(ascii: "\n") { password.removeLast() }
        if password.last == UInt8(ascii: "\r") { password.removeLast() }
        guard !password.isEmpty else { fail("no password on standard input") }
        do {
            print(try Argon2id.hash(password, limits: Argon2id.Limits(operations: ops, memoryBytes: mem)))
        } catch {
            fail("\(error)")
        }
    }
}

/// One line on stderr, exit status 1: for start-up errors that are not command-line mistakes.
func fail(_ message: String) -> Never {
    let line = Array("ringside: \(message)\n".utf8)
    _ = write(2, line, line.count)
    exit(1)
}
