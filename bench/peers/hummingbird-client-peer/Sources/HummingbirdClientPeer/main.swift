// Hummingbird 2 + async-http-client 1.37.0 /v1/user, for `bench/user`.
//
//   HummingbirdClientPeer --port N --upstream http://127.0.0.1:M
//
// GET /v1/user -> fetches GET /v1/avatar from the upstream (a Ringside
// server) with async-http-client and answers its body, content-type
// application/json; 502 if the upstream fails. The server and the client
// share one event-loop thread (the one-core comparison); the client pools
// keep-alive connections as it does by default. Exits on SIGTERM/SIGINT.
import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOPosix

func usage() -> Never {
    FileHandle.standardError.write(Data("usage: HummingbirdClientPeer --port N --upstream http://HOST:PORT\n".utf8))
    exit(2)
}

var port = 0
var upstream = ""
var args = CommandLine.arguments.dropFirst()
while let arg = args.popFirst() {
    switch arg {
    case "--port": guard let v = args.popFirst(), let n = Int(v) else { usage() }; port = n
    case "--upstream": guard let v = args.popFirst() else { usage() }; upstream = v
    default: usage()
    }
}
guard port > 0, !upstream.isEmpty else { usage() }
let avatarURL = upstream + "/v1/avatar"

NIOSingletons.groupLoopCountSuggestion = 1
NIOSingletons.blockingPoolThreadCountSuggestion = 1

let elg = MultiThreadedEventLoopGroup(numberOfThreads: 1)
var clientConfiguration = HTTPClient.Configuration()
clientConfiguration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 64)
let client = HTTPClient(eventLoopGroupProvider: .shared(elg), configuration: clientConfiguration)
let json: HTTPFields = [.contentType: "application/json"]

let router = Router()
router.get("/v1/user") { _, _ -> Response in
    do {
        let response = try await client.execute(HTTPClientRequest(url: avatarURL), timeout: .seconds(5))
        guard response.status == .ok else { throw HTTPError(.badGateway) }
        let body = try await response.body.collect(upTo: 1 << 20)
        return Response(status: .ok, headers: json, body: ResponseBody(byteBuffer: body))
    } catch {
        throw HTTPError(.badGateway)
    }
}

var logger = Logger(label: "HummingbirdClientPeer")
logger.logLevel = .warning
let app = Application(
    router: router,
    configuration: .init(address: .hostname("127.0.0.1", port: port)),
    eventLoopGroupProvider: .shared(elg),
    logger: logger
)
try await app.runService()
try await client.shutdown()
try await elg.shutdownGracefully()
