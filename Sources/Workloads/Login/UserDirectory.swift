import FoundationEssentials

/// The users `/v1/login` knows: usernames and their argon2id hashes.
///
/// A users file is a JSON object from username to encoded hash, as
/// `ringside hash-password` prints them:
///
/// ```json
/// {"herbert": "$argon2id$v=19$m=65536,t=2,p=1$...$..."}
/// ```
public struct UserDirectory: Sendable {
    /// Why a users file was refused, in one line.
    public struct LoadError: Error, CustomStringConvertible {
        /// What is wrong, without the file's name.
        public var reason: String
        public var description: String { reason }
    }

    /// Usernames, sorted; a user's index is its place here.
    public let usernames: [String]
    /// Encoded hashes, by user index.
    let hashes: [String]
    private let indices: [String: Int]
    /// The most expensive limits among the hashes: what the dummy hash for
    /// unknown usernames is made with.
    public let costliestLimits: Argon2id.Limits
    /// True for ``demo``.
    public let isDemo: Bool

    /// The users of `json`, a JSON object from username to argon2id hash.
    public init(json: some Collection<UInt8>) throws(LoadError) {
        let table: [String: String]
        do {
            table = try JSONDecoder().decode([String: String].self, from: Data(json))
        } catch {
            throw LoadError(reason: "not a JSON object from username to argon2id hash (\(Self.summary(of: error)))")
        }
        var entries: [(String, String)] = []
        var costliest: Argon2id.Limits?
        for (username, hash) in table.sorted(by: { $0.key < $1.key }) {
            guard !username.isEmpty else { throw LoadError(reason: "a username is empty") }
            guard let limits = Argon2id.limits(of: hash) else {
                let shown = hash.prefix(40)
                throw LoadError(reason: "the hash of user \"\(username)\" is not an argon2id hash (\"\(shown)\(hash.count > 40 ? "..." : "")\")")
            }
            costliest = max(costliest ?? limits, limits)
            entries.append((username, hash))
        }
        guard let costliest else { throw LoadError(reason: "no users") }
        self.init(entries: entries, costliestLimits: costliest, isDemo: false)
    }

    /// The users of the file at `path`.
    public init(contentsOfFile path: String) throws(LoadError) {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw LoadError(reason: "cannot be read (\(Self.summary(of: error)))")
        }
        try self.init(json: data)
    }

    private init(entries: [(String, String)], costliestLimits: Argon2id.Limits, isDemo: Bool) {
        usernames = entries.map(\.0)
        hashes = entries.map(\.1)
        indices = Dictionary(uniqueKeysWithValues: entries.enumerated().map { ($1.0, $0) })
        self.costliestLimits = costliestLimits
        self.isDemo = isDemo
    }

    /// One user, `herbert` with password `password` (as in the login server
    /// this workload comes from), hashed at interactive limits. For demos only.
    public static let demo = UserDirectory(
        entries: [("herbert", "$argon2id$v=19$m=65536,t=2,p=1$5Wn7JwBfao31Nq3aUYy4kQ$JsMonJDw4a5xftsQDif3oJNYgGLrEelT3dMsqS6GGO4")],
        costliestLimits: .interactive, isDemo: true)

    /// The index of `username`, or nil for a user not in the directory.
    public func index(of username: String) -> Int? { indices[username] }

    /// The encoded hash of user `index`.
    public func hash(ofUser index: Int) -> String { hashes[index] }

    /// An error's message without Foundation's nested dumps.
    private static func summary(of error: any Error) -> String {
        switch error {
        case DecodingError.dataCorrupted(let context):
            let underlying = (context.underlyingError as? any CustomStringConvertible)?.description
            return underlying.map { "invalid JSON: \($0)" } ?? "invalid JSON"
        case DecodingError.typeMismatch(_, let context):
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return path.isEmpty ? "not an object" : "the value of \"\(path)\" is not a string"
        case DecodingError.valueNotFound(_, let context):
            return "the value of \"\(context.codingPath.map(\.stringValue).joined(separator: "."))\" is null"
        default:
            return "\(error)"
        }
    }
}
