// The server the API tests run: one route per feature of the library's
// handler API. Same command line as `ringside serve` (host, port, workers,
// engine), plus --offload-threads N, --offload-queue N, --max-body N,
// --handler-timeout N, --send-timeout N, --middleware, --upstream-port P, --max-outbound N and
// --request-ids; its users' metrics (swift-metrics) are served at /metrics
// with the built-in ones.
import APIRoutes
import Ringside
#if canImport(Glibc)
import Glibc
#endif

func option(_ name: String) -> String? {
    let arguments = CommandLine.arguments
    guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else { return nil }
    return arguments[index + 1]
}

let router = apiRouter(APIOptions(
    middleware: CommandLine.arguments.contains("--middleware"),
    upstreamPort: option("--upstream-port").flatMap(Int.init)))
let engine = ServerConfiguration.Engine(rawValue: option("--engine") ?? "auto") ?? .auto
var configuration = ServerConfiguration(
    host: option("--host") ?? "127.0.0.1", port: Int(option("--port") ?? "0") ?? 0,
    workers: Int(option("--workers") ?? "1") ?? 1, engine: engine)
if let threads = option("--offload-threads").flatMap(Int.init) { configuration.offloadThreads = threads }
if let depth = option("--offload-queue").flatMap(Int.init) { configuration.offloadQueueDepth = depth }
if let limit = option("--max-body").flatMap(Int.init) { configuration.maxBodyBytes = limit }
if let seconds = option("--handler-timeout").flatMap(Int.init) { configuration.timeouts.handler = .seconds(seconds) }
if let seconds = option("--send-timeout").flatMap(Int.init) { configuration.timeouts.send = .seconds(seconds) }
if let count = option("--max-outbound").flatMap(Int.init) { configuration.maxOutboundConnectionsPerWorker = count }
configuration.requestIDs = CommandLine.arguments.contains("--request-ids")
configuration.metrics.registry = RingsideMetrics.bootstrap()
// Its own service group, which handles SIGTERM and SIGINT (`ringside serve` starts first, then one).
let host = configuration.host
let server = Server(configuration: configuration, router: router) { port in
    print("Listening on http://\(host):\(port)")
    fflush(nil)
}
try await server.runService()
