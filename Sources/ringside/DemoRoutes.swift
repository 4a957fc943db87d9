import Ringside

/// The routes `ringside serve` answers.
enum DemoRoutes {
    static func router() -> Router {
        var router = Router()
        // The fixture's bytes are embedded in the binary at build time.
        router.get("/v1/avatar", StaticResponse(
            contentType: "application/json",
            headerFields: [.location: "/v1/avatar"],
            body: PackageResources.avatar_json))
        return router
    }
}
