public import Ringside

/// One route per handler kind, each answering the same prebuilt avatar so
/// that `bench/handlers` compares the kinds and nothing else, plus a sync
/// handler that encodes JSON per request.
public struct Demo: Workload {
    /// A small record for the sync JSON route.
    struct Fighter: Encodable {
        var id: Int
        var name: String
        var wins: Int
        var losses: Int
        var titles: [String]
    }

    let avatar: StaticResponse

    /// The demo routes, answering `avatar`'s prebuilt response.
    public init(avatar: Avatar) {
        self.avatar = avatar.response
    }

    public func addRoutes(to router: inout Router) {
        let avatar = router.prebuild(self.avatar)
        router.get("/demo/sync") { _ in Response(avatar) }
        router.get("/demo/async") { _ in
            await Task.yield()  // suspends once, as a handler awaiting I/O would
            return Response(avatar)
        }
        router.get("/demo/offload", offload: true) { _ in Response(avatar) }
        router.get("/demo/json/:id") { request in
            try Response(json: Fighter(
                id: try request.parameters.require("id"), name: "Ringside", wins: 42, losses: 3,
                titles: ["io_uring", "epoll"]))
        }
    }
}
