// A complete Ringside service (its routes: HelloRouter.swift).
// `swift run HelloRingside [port] [engine]`.
import Ringside

let arguments = CommandLine.arguments
let port = arguments.count > 1 ? Int(arguments[1]) ?? 8080 : 8080
let engine = arguments.count > 2 ? ServerConfiguration.Engine(rawValue: arguments[2]) ?? .auto : .auto
let server = Server(configuration: ServerConfiguration(port: port, engine: engine), router: helloRouter()) { port in
    print("Listening on http://0.0.0.0:\(port)")
}
// Until SIGTERM or SIGINT, then a graceful shutdown. Beside other services, put `server` in their ServiceGroup.
try await server.runService()
