import Foundation
import Testing

@Suite("Avatar fixture")
struct FixtureTests {
    @Test("The embedded resource is valid JSON of exactly 3696 bytes")
    func resourceShape() async throws {
        try await LiveTests.run {
            let bytes = try Fixtures.avatar()
            #expect(bytes.count == Fixtures.avatarLength)
            #expect((try? JSONSerialization.jsonObject(with: Data(bytes))) != nil, "avatar.json does not parse as JSON")
        }
    }

    // CI always clones the repo with shared/ beside it, so this runs there;
    // it is skipped only in a checkout that lacks the shared fixtures.
    @Test(
        "Sources/Workloads/Resources/avatar.json is byte-identical to shared/fixtures/avatar.json",
        .enabled(if: FileManager.default.fileExists(atPath: Fixtures.sharedAvatarPath))
    )
    func matchesSharedFixture() async throws {
        try await LiveTests.run {
            let resource = try Fixtures.avatar()
            let shared = try Fixtures.bytes(atPath: Fixtures.sharedAvatarPath)
            let difference = firstDifference(resource, shared)
            #expect(difference == nil, "\(Fixtures.avatarPath) vs \(Fixtures.sharedAvatarPath): \(difference ?? "")")
        }
    }
}
