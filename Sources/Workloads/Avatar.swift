public import Ringside

/// `GET /v1/avatar`: the avatar fixture, embedded in the binary at build time
/// and laid out once per worker, so answering it runs no code at all.
public struct Avatar: Workload {
    /// The prebuilt answer; other workloads may return it from handlers.
    public let response: StaticResponse

    /// The avatar as `Sources/Workloads/Resources/avatar.json` holds it.
    public init() {
        response = StaticResponse(
            contentType: "application/json",
            headerFields: [.location: "/v1/avatar"],
            body: PackageResources.avatar_json)
    }

    public func addRoutes(to router: inout Router) {
        router.get("/v1/avatar", response)
    }
}
