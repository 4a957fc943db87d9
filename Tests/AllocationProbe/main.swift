// Allocation probe: serves requests in-process and counts the heap
// allocations made by the worker thread while it answers them.
//
// Prints one line per scenario, `scenario=NAME requests=N allocations=M`,
// and exits non-zero if a request was answered wrongly. The test
// `AllocationTests` runs this binary and asserts on its output.
import CAllocationCounter
import Ringside
#if canImport(Glibc)
import Glibc
#endif

rs_allocations_exclude_this_thread()  // the client side below is not measured

struct Item: Encodable {
    var id: Int
    var name: String
}

var router = Router()
router.get("/v1/avatar", StaticResponse(
    contentType: "application/json", headerFields: [.location: "/v1/avatar"],
    body: [UInt8](repeating: UInt8(ascii: "x"), count: 3696)))
// A sync handler on a parameter route that answers with a prebuilt response:
// must allocate nothing, like the static route.
let ok = router.prebuild(StaticResponse(contentType: "application/json", body: "{\"ok\":true}"))
router.get("/items/:id") { request in
    request.parameters.count == 1 && request.headers.contains(.userAgent) == false ? Response(ok) : Response(status: .badRequest)
}
router.post("/items/:id") { request in request.bodyCount == 11 ? Response(ok) : Response(status: .badRequest) }
// A prebuilt answer sent after a delay from the worker's timers (the heap entry, no task): none either.
router.get("/later") { _ in Response(ok, after: .microseconds(50)) }
// Measured, not required to be zero: what a dynamic, an async and an offloaded answer cost.
router.get("/json/:id") { request in try Response(json: Item(id: try request.parameters.require("id"), name: "item")) }
router.get("/async") { _ in
    await Task.yield()  // suspends once, as a handler awaiting I/O would
    return Response(ok)
}
router.get("/offload", offload: true) { _ in Response(ok) }
// Metrics are on by default: every scenario below counts its answers (and the client's calls).
// An async handler that fetches /v1/avatar from this same server with the worker's own client
// and answers its body: the client's cost per call (request laid out once, response read,
// the handler resumed) on top of an async handler's and an encoded answer's.
let upstream = try HTTPClient.thisServer()
let avatarRequest = try HTTPClient.Request(path: "/v1/avatar")
let jsonFields: HTTPFields = [.contentType: "application/json"]
router.get("/user") { _ in
    let response = try await upstream.execute(avatarRequest)
    return Response(headerFields: jsonFields, bytes: response.body)
}
// The probe runs for about twelve seconds (each `/later` waits a millisecond) and
// its connections sit idle between their scenarios: no idle timeout may close them.
let timeouts = ServerConfiguration.Timeouts(idle: .seconds(600))
let server = Server(
    configuration: ServerConfiguration(host: "127.0.0.1", port: 0, workers: 1, timeouts: timeouts),
    router: router)
let port = try server.start()
// The same routes with request ids on every answer and an access log (to /dev/null).
let observed = Server(
    configuration: ServerConfiguration(
        host: "127.0.0.1", port: 0, workers: 1, timeouts: timeouts, accessLog: .init(path: "/dev/null"),
        requestIDs: true),
    router: router)
let observedPort = try observed.start()

// The same routes over TLS (a self-signed certificate made here), with OpenSSL's
// idle-buffer release on (the default) and off.
@MainActor
func tlsServer(releasesIdleBuffers: Bool) throws -> Server {
    let directory = "/tmp/ringside-probe-\(getpid())"
    let made = system(
        "mkdir -p \(directory) && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 "
            + "-subj /CN=probe -keyout \(directory)/key.pem -out \(directory)/cert.pem 2>/dev/null")
    guard made == 0 else { fail("openssl req: \(made)") }
    var tls = ServerConfiguration.TLS(certificateChainFile: "\(directory)/cert.pem", privateKeyFile: "\(directory)/key.pem")
    tls.releasesIdleBuffers = releasesIdleBuffers
    tls.watchInterval = nil
    var configuration = ServerConfiguration(host: "127.0.0.1", port: 0, workers: 1, timeouts: timeouts)
    configuration.tls = tls
    return Server(configuration: configuration, router: router)
}
let tlsReleasing = try tlsServer(releasesIdleBuffers: true)
let tlsKeeping = try tlsServer(releasesIdleBuffers: false)
let tlsReleasingClient = ProbeClient(port: try tlsReleasing.start(), tls: true)
let tlsKeepingClient = ProbeClient(port: try tlsKeeping.start(), tls: true)

let client = ProbeClient(port: port)
let observedClient = ProbeClient(port: observedPort)
let get = "GET /v1/avatar HTTP/1.1\r\nHost: probe\r\n\r\n"
let head = "HEAD /v1/avatar HTTP/1.1\r\nHost: probe\r\n\r\n"
let missing = "GET /missing?x=1 HTTP/1.1\r\nHost: probe\r\nUser-Agent: probe\r\n\r\n"
let handler = "GET /items/42?x=1 HTTP/1.1\r\nHost: probe\r\n\r\n"
let handlerPost = "POST /items/42 HTTP/1.1\r\nHost: probe\r\nContent-Length: 11\r\n\r\nhello world"
let later = "GET /later HTTP/1.1\r\nHost: probe\r\n\r\n"
let json = "GET /json/42 HTTP/1.1\r\nHost: probe\r\n\r\n"
let async = "GET /async HTTP/1.1\r\nHost: probe\r\n\r\n"
let offloaded = "GET /offload HTTP/1.1\r\nHost: probe\r\n\r\n"
let user = "GET /user HTTP/1.1\r\nHost: probe\r\n\r\n"

// Warm up every path first: one-time set-up costs are not per request.
client.run(get, times: 1000, pipelined: 1)
client.run(get, times: 1000, pipelined: 16)
client.run(missing, times: 100, pipelined: 1)
client.run(head, times: 100, pipelined: 1)
client.run(get, times: 100, pipelined: 1, split: true)
client.run(handler, times: 1000, pipelined: 1)
client.run(handlerPost, times: 1000, pipelined: 1)
client.run(later, times: 200, pipelined: 1)
client.run(later, times: 200, pipelined: 16)
client.run(json, times: 1000, pipelined: 1)
client.run(async, times: 1000, pipelined: 1)
client.run(offloaded, times: 1000, pipelined: 1)
client.run(user, times: 1000, pipelined: 1)
for request in [get, missing, head, handler] {
    observedClient.run(request, times: 1000, pipelined: 1)
    observedClient.run(request, times: 1000, pipelined: 16)
}
// HTTP/2 with prior knowledge on the cleartext server: one stream at a time, and 16 at once.
var h2Client = H2ProbeClient(port: port)
h2Client.run(path: "/v1/avatar", times: 1000, concurrent: 1, bodyLength: 3696)
h2Client.run(path: "/v1/avatar", times: 1000, concurrent: 16, bodyLength: 3696)
for tlsClient in [tlsReleasingClient, tlsKeepingClient] {
    tlsClient.run(get, times: 1000, pipelined: 1)
    tlsClient.run(get, times: 1000, pipelined: 16)
    tlsClient.run(handler, times: 1000, pipelined: 1)
}

@MainActor
func measure(
    _ name: String, _ request: String, times: Int, pipelined: Int, split: Bool = false, on probe: ProbeClient = client
) {
    let before = rs_allocations()
    probe.run(request, times: times, pipelined: pipelined, split: split)
    let after = rs_allocations()
    print("scenario=\(name) requests=\(times) allocations=\(after - before)")
}

measure("keepalive", get, times: 10_000, pipelined: 1)
measure("pipelined16", get, times: 10_000, pipelined: 16)
measure("notfound", missing, times: 2_000, pipelined: 1)
measure("head", head, times: 2_000, pipelined: 1)
measure("split", get, times: 1_000, pipelined: 1, split: true)
measure("handler", handler, times: 10_000, pipelined: 1)
measure("handlerpost", handlerPost, times: 10_000, pipelined: 1)
measure("handlerpipelined", handler, times: 10_000, pipelined: 16)
measure("later", later, times: 2_000, pipelined: 1)
measure("laterpipelined", later, times: 2_000, pipelined: 16)
// Reported per request; the test bounds them.
measure("json", json, times: 5_000, pipelined: 1)
measure("async", async, times: 5_000, pipelined: 1)
measure("offload", offloaded, times: 5_000, pipelined: 1)
measure("client", user, times: 5_000, pipelined: 1)
// Request ids (each answer's id line between its head and body) and the access log.
measure("ids-keepalive", get, times: 10_000, pipelined: 1, on: observedClient)
measure("ids-pipelined16", get, times: 10_000, pipelined: 16, on: observedClient)
measure("ids-notfound", missing, times: 2_000, pipelined: 1, on: observedClient)
measure("ids-head", head, times: 2_000, pipelined: 1, on: observedClient)
measure("ids-handler", handler, times: 10_000, pipelined: 1, on: observedClient)
measure("ids-handlerpipelined", handler, times: 10_000, pipelined: 16, on: observedClient)
// Over h2c: the stream slot's request and answer, nghttp2's frames.
let h2Before = rs_allocations()
h2Client.run(path: "/v1/avatar", times: 10_000, concurrent: 1, bodyLength: 3696)
print("scenario=h2c-single requests=10000 allocations=\(rs_allocations() - h2Before)")
let h2MultiplexedBefore = rs_allocations()
h2Client.run(path: "/v1/avatar", times: 10_000, concurrent: 16, bodyLength: 3696)
print("scenario=h2c-multiplexed16 requests=10000 allocations=\(rs_allocations() - h2MultiplexedBefore)")
// Over TLS after the handshake: OpenSSL's record layer with its buffers released while idle, and kept.
measure("tls-keepalive", get, times: 10_000, pipelined: 1, on: tlsReleasingClient)
measure("tls-pipelined16", get, times: 10_000, pipelined: 16, on: tlsReleasingClient)
measure("tls-handler", handler, times: 10_000, pipelined: 1, on: tlsReleasingClient)
measure("tlskept-keepalive", get, times: 10_000, pipelined: 1, on: tlsKeepingClient)
measure("tlskept-pipelined16", get, times: 10_000, pipelined: 16, on: tlsKeepingClient)
measure("tlskept-handler", handler, times: 10_000, pipelined: 1, on: tlsKeepingClient)
server.shutDown()
observed.shutDown()
tlsReleasing.shutDown()
tlsKeeping.shutDown()
