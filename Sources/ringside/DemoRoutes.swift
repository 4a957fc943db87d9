import Ringside

/// The routes `ringside serve` answers.
enum DemoRoutes {
    /// A small record for the sync JSON route.
    struct Fighter: Encodable {
        var id: Int
        var name: String
        var wins: Int
        var losses: Int
        var titles: [String]
    }

    static func router(upstream: HTTPClient) -> Router {
        var router = Router()
        // The fixture's bytes are embedded in the binary at build time.
        let avatar = StaticResponse(
            contentType: "application/json",
            headerFields: [.location: "/v1/avatar"],
            body: PackageResources.avatar_json)
        router.get("/v1/avatar", avatar)
        User(upstream: upstream).addRoutes(to: &router)

        // One route per handler kind, each answering the same prebuilt avatar
        // so that `bench/handlers` compares the kinds and nothing else; plus a
        // sync handler that encodes JSON per request.
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
        return router
    }
}
