/// The liveness and readiness checks a server answers, prebuilt like any
/// static route: `GET /healthz` (the process serves) and `GET /readyz` (200
/// while ready, 503 from the moment shutdown begins). Paths come from the
/// configuration (nil: none); a route the application declared itself on
/// the same path wins.
enum HealthChecks {
    static let alive = StaticResponse(
        contentType: "application/json", headerFields: [.cacheControl: "no-store"], body: #"{"status":"ok"}"#)
    static let ready = StaticResponse(
        contentType: "application/json", headerFields: [.cacheControl: "no-store"], body: #"{"status":"ready"}"#)
    static let notReady = StaticResponse(
        status: .serviceUnavailable, contentType: "application/json", headerFields: [.cacheControl: "no-store"],
        body: #"{"status":"not-ready"}"#)

    /// `router` with the checks `configuration` asks for.
    static func install(into router: Router, _ configuration: ServerConfiguration) -> Router {
        var router = router
        if let path = configuration.livenessPath, !router.hasRoute(.get, path) {
            router.get(path, alive)
        }
        if let path = configuration.readinessPath, !router.hasRoute(.get, path) {
            router.get(path, ready)
            router.prebuild(notReady)
            router.readinessCheck = Router.ReadinessCheck(route: router.routes.count - 1, notReady: notReady)
        }
        return router
    }
}
