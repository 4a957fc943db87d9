// Hummingbird 2 peer for Ringside's side-by-side benchmark.
//
//   HummingbirdPeer --port N [--fixture PATH] [--nio-executor]
//
// GET /v1/avatar -> 200, body = the avatar fixture (read once at startup
// into a ByteBuffer), headers content-type, engine, location, date (added by
// Hummingbird), content-length. One event-loop thread, a one-thread NIO
// blocking pool. Exits on SIGTERM/SIGINT (ServiceLifecycle graceful shutdown).
//
// By default Hummingbird's handlers run on Swift concurrency's global
// executor (its own thread pool), one hop away from the event loop.
// `--nio-executor` installs NIO's singleton one-thread event loop group as
// that global executor and serves on the same group, so a request never
// leaves the event-loop thread: Hummingbird's best one-thread configuration.
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOPosix

func usage() -> Never {
    FileHandle.standardError.write(Data("usage: HummingbirdPeer --port N [--fixture PATH] [--nio-executor]\n".utf8))
    exit(2)
}

var port = Int(ProcessInfo.processInfo.environment["PORT"] ?? "") ?? 0
var fixturePath = URL(fileURLWithPath: #filePath)  // .../bench/peers/hummingbird-peer/Sources/HummingbirdPeer/main.swift
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Sources/Workloads/Resources/avatar.json").path
var nioExecutor = false
var args = CommandLine.arguments.dropFirst()
while let arg = args.popFirst() {
    switch arg {
    case "--nio-executor": nioExecutor = true
    case "--port": guard let v = args.popFirst(), let n = Int(v) else { usage() }; port = n
    case "--fixture": guard let v = args.popFirst() else { usage() }; fixturePath = v
    default: usage()
    }
}
guard port > 0 else { usage() }
guard let fixture = FileManager.default.contents(atPath: fixturePath) else {
    FileHandle.standardError.write(Data("HummingbirdPeer: cannot read \(fixturePath)\n".utf8))
    exit(1)
}

// Keep NIO's global singletons small in case anything reaches for them.
NIOSingletons.groupLoopCountSuggestion = 1
NIOSingletons.blockingPoolThreadCountSuggestion = 1
// Before anything is enqueued on the global executor: the singleton group
// (one loop, as suggested above) takes over Swift concurrency's jobs.
if nioExecutor && !NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor() {
    FileHandle.standardError.write(Data("HummingbirdPeer: could not install NIO as the global executor\n".utf8))
    exit(1)
}

let body = ByteBuffer(bytes: fixture)
let engine = HTTPField.Name("engine")!
let headers: HTTPFields = [
    .contentType: "application/json",
    engine: "Hummingbird",
    .location: "/v1/avatar",
]

let elg = nioExecutor ? MultiThreadedEventLoopGroup.singleton : MultiThreadedEventLoopGroup(numberOfThreads: 1)
let router = Router()
router.get("/v1/avatar") { _, _ -> Response in
    Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: body))
}

var logger = Logger(label: "HummingbirdPeer")
logger.logLevel = .warning
let app = Application(
    router: router,
    configuration: .init(address: .hostname("127.0.0.1", port: port)),
    eventLoopGroupProvider: .shared(elg),
    logger: logger
)
try await app.runService()
if !nioExecutor { try await elg.shutdownGracefully() }  // the singleton cannot be shut down
