// A complete Ringside service: prebuilt bytes, a sync handler, an async
// handler and an offloaded one. `swift run HelloRingside [port] [engine]`.
import Ringside

struct Greeting: Codable {
    var hello: String
}

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

let arguments = CommandLine.arguments
let port = arguments.count > 1 ? Int(arguments[1]) ?? 8080 : 8080
let engine = arguments.count > 2 ? ServerConfiguration.Engine(rawValue: arguments[2]) ?? .auto : .auto
let server = Server(configuration: ServerConfiguration(port: port, engine: engine), router: router) { port in
    print("Listening on http://0.0.0.0:\(port)")
}
// Until SIGTERM or SIGINT, then a graceful shutdown. Beside other services, put `server` in their ServiceGroup.
try await server.runService()
