// The routes of the example service: prebuilt bytes, a sync handler, an async
// handler and an offloaded one. Tests serve them in process (HelloRingsideTests).
import Ringside

struct Greeting: Codable {
    var hello: String
}

func helloRouter() -> Router {
    var router = Router()

    // Prebuilt once per worker, sent with no per-request work.
    router.get("/", StaticResponse(body: "Hello from Ringside\n"))

    // Sync: runs on the worker thread, between its I/O.
    router.get("/hello/:name") { request in
        try Response(json: Greeting(hello: request.parameters["name"] ?? "world"))
    }

    // Async: runs on the worker's own executor; this sleep is a timer of the worker's loop.
    router.get("/later") { request in
        try await Task.sleep(for: .milliseconds(10), clock: .worker)
        return Response(text: "later, \(request.queryItem("who") ?? "you")\n")
    }

    // Offloaded: CPU-bound work on the offload pool; the worker keeps serving.
    router.post("/sum", offload: true) { request in
        let sum = request.withBodyBytes { $0.reduce(0) { $0 &+ Int($1) } }
        return Response(text: "\(sum)\n")
    }
    return router
}
