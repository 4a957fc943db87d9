// A library server as a service runs it: `Server.run()` inside a `ServiceGroup`, which turns
// SIGTERM and SIGINT into a graceful shutdown. Arguments: `serve --host H --port P --engine E`
// (as `ringside serve`, so the tests start it the same way). `/sleep?ms=N` answers after N ms
// of the worker's clock: a request still in flight when a signal comes. `/block?ms=N` holds the
// worker thread itself for N ms: nothing else is accepted or read meanwhile.
import Logging
import Ringside
import ServiceLifecycle
#if canImport(Glibc)
import Glibc
#endif

@main
struct LifecycleServer {
    static func main() async throws {
        let arguments = CommandLine.arguments
        func option(_ name: String) -> String? {
            guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else { return nil }
            return arguments[index + 1]
        }
        var router = Router()
        router.get("/sleep") { request in
            let milliseconds = Int(request.queryItem("ms") ?? "") ?? 0
            try await Task.sleep(for: .milliseconds(milliseconds), clock: .worker)
            return Response(text: "slept \(milliseconds)")
        }
        router.get("/block") { request in
            let milliseconds = Int(request.queryItem("ms") ?? "") ?? 0
            usleep(useconds_t(milliseconds) * 1000)
            return Response(text: "blocked \(milliseconds)")
        }
        let configuration = ServerConfiguration(
            host: option("--host") ?? "127.0.0.1", port: Int(option("--port") ?? "") ?? 0,
            workers: Int(option("--workers") ?? "") ?? 1,
            engine: ServerConfiguration.Engine(rawValue: option("--engine") ?? "auto") ?? .auto)
        let logger = Logger(label: "lifecycle-server")
        let server = Server(configuration: configuration, router: router, logger: logger) { port in
            print("Listening on http://\(configuration.host):\(port)")
            fflush(nil)
        }
        let group = ServiceGroup(services: [server], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        try await group.run()
    }
}
