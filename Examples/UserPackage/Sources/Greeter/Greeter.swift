public import Ringside

/// The service's routes: what its `main.swift` would serve.
public func greeterRouter() -> Router {
    var router = Router()
    router.get("/greet/:name") { request in "Hello, \(request.parameters["name"] ?? "you")!" }
    return router
}
