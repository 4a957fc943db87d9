import Foundation

/// A CA, a server certificate it signed (ECDSA P-256, for `localhost` and
/// 127.0.0.1) with its key, and an unrelated key, made once per test run
/// with the `openssl` command; ``issue(_:names:rsa:)`` makes more leaves of the same CA.
struct TLSCertificates: Sendable {
    let directory: String
    let ca: String
    let chain: String
    let key: String
    let otherKey: String

    /// A leaf certificate's files.
    struct Leaf: Sendable {
        let chain: String
        let key: String
    }

    private static let made = Result { try TLSCertificates.make() }

    static func shared() throws -> TLSCertificates { try made.get() }

    private static func make() throws -> TLSCertificates {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ringside-tls-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try run(in: directory, [
            "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem -days 2 -subj /CN=RingsideTestCA",
            "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out other.key",
        ])
        let certificates = TLSCertificates(
            directory: directory, ca: directory + "/ca.pem", chain: directory + "/server-chain.pem",
            key: directory + "/server.key", otherKey: directory + "/other.key")
        _ = try certificates.issue("server", names: ["DNS:localhost", "IP:127.0.0.1"])
        return certificates
    }

    /// A new leaf for `names` (subjectAltName entries; the first DNS one is
    /// also its CN unless `commonName` is given), ECDSA P-256 or RSA-2048, signed by the CA: `<file>-chain.pem`, `<file>.key`.
    func issue(_ file: String, names: [String], commonName: String? = nil, rsa: Bool = false) throws -> Leaf {
        let commonName = commonName ?? names.first { $0.hasPrefix("DNS:") }.map { String($0.dropFirst(4)) } ?? file
        let key = rsa ? "-newkey rsa:2048" : "-newkey ec -pkeyopt ec_paramgen_curve:P-256"
        try Self.run(in: directory, [
            "openssl req \(key) -nodes -keyout \(file).key -out \(file).csr -subj '/CN=\(commonName)'",
            "printf 'subjectAltName=\(names.joined(separator: ","))\\nbasicConstraints=CA:FALSE\\nextendedKeyUsage=serverAuth\\n' > \(file).ext",
            "openssl x509 -req -in \(file).csr -CA ca.pem -CAkey ca.key -CAserial \(file).srl -CAcreateserial -out \(file).pem -days 2 -extfile \(file).ext",
            "cat \(file).pem ca.pem > \(file)-chain.pem",
        ])
        return Leaf(chain: "\(directory)/\(file)-chain.pem", key: "\(directory)/\(file).key")
    }

    private static func run(in directory: String, _ steps: [String]) throws {
        for step in steps {
            let result = try runCommand("/bin/sh", ["-c", "cd '\(directory)' && \(step)"])
            guard result.status == 0 else { throw TLSCertificatesError(step: step, output: result.stderr) }
        }
    }
}

struct TLSCertificatesError: Error, CustomStringConvertible {
    let step: String
    let output: String
    var description: String { "making test certificates failed at `\(step)`: \(output)" }
}
