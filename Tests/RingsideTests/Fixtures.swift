import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Paths and bytes of the avatar fixture, found from this file's own path.
enum Fixtures {
    /// The repository root: this file is `<root>/Tests/RingsideTests/Fixtures.swift`.
    /// Symlinks are resolved first, so the suite also works when
    /// `Tests/RingsideTests` is linked into another package.
    static let repoRoot: String = {
        let file = resolvedPath(#filePath)
        return URL(fileURLWithPath: file)
            .deletingLastPathComponent()  // RingsideTests
            .deletingLastPathComponent()  // Tests
            .deletingLastPathComponent()  // <root>
            .path
    }()

    /// The response body the server embeds and must serve byte for byte.
    static var avatarPath: String { repoRoot + "/Sources/Workloads/Resources/avatar.json" }

    /// The project-wide fixture in `shared/`, which sits beside the clone.
    static var sharedAvatarPath: String {
        URL(fileURLWithPath: repoRoot + "/../shared/fixtures/avatar.json").standardized.path
    }

    /// The length the spec promises for `GET /v1/avatar`.
    static let avatarLength = 3696

    static func avatar() throws -> [UInt8] {
        try bytes(atPath: avatarPath)
    }

    static func bytes(atPath path: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw FixtureError.unreadable(path)
        }
        return [UInt8](data)
    }

    static func resolvedPath(_ path: String) -> String {
        guard let resolved = realpath(path, nil) else { return path }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}

enum FixtureError: Error, CustomStringConvertible {
    case unreadable(String)

    var description: String {
        switch self {
        case .unreadable(let path): "cannot read fixture at \(path)"
        }
    }
}
