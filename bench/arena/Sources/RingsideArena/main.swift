// Ringside in HttpArena: the endpoints of the profiles the library serves today
// (baseline, pipelined, limited-conn, json, upload), written as a user of the
// library would write them. RINGSIDE_ENGINE (auto, uring, epoll) picks the engine,
// as for `ringside serve`; the dataset is read from /data (ARENA_DATA elsewhere).
import FoundationEssentials
import Ringside
#if canImport(Glibc)
import Glibc
#endif

struct Rating: Codable {
    var score: Int
    var count: Int
}

/// One item of /data/dataset.json.
struct Item: Codable {
    var id: Int
    var name: String
    var category: String
    var price: Int
    var quantity: Int
    var active: Bool
    var tags: [String]
    var rating: Rating
}

/// An item as /json answers it: its fields, and its total for the request's multiplier.
struct PricedItem: Encodable {
    var item: Item
    var total: Int

    private enum Key: String, CodingKey { case total }

    func encode(to encoder: any Encoder) throws {
        try item.encode(to: encoder)  // the item's own fields, then one more in the same object
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(total, forKey: .total)
    }
}

struct ItemList: ResponseEncodable {
    var items: [PricedItem]
    var count: Int
}

let environment = ProcessInfo.processInfo.environment
let dataDirectory = environment["ARENA_DATA"] ?? "/data"
let dataset: [Item]
do {
    let bytes = try Data(contentsOf: URL(fileURLWithPath: dataDirectory + "/dataset.json"))
    dataset = try JSONDecoder().decode([Item].self, from: bytes)
} catch {
    print("cannot read \(dataDirectory)/dataset.json: \(error)")
    exit(1)
}

/// The sum of the query's `a` and `b` (400 when one is missing or not an integer).
func querySum(_ request: borrowing Request) throws -> Int {
    guard let a = request.queryItem("a").flatMap({ Int($0) }), let b = request.queryItem("b").flatMap({ Int($0) }) else {
        throw HTTPError(.badRequest, message: "a and b must be integers")
    }
    return a + b
}

var router = Router()

// baseline and limited-conn: the query's sum, plus the body's integer for a POST.
router.get("/baseline11") { request in "\(try querySum(request))" }
router.post("/baseline11") { request in
    let text = request.withBodyBytes { String(decoding: $0, as: UTF8.self) }
    guard let body = Int(text.filter { !$0.isWhitespace }) else {
        throw HTTPError(.badRequest, message: "the body must be an integer")
    }
    return "\(try querySum(request) + body)"
}

// pipelined: a fixed answer, prebuilt once per worker.
router.get("/pipeline", StaticResponse(contentType: "text/plain", body: "ok"))

// json: the first `count` items, each with its total, serialized per request.
router.get("/json/:count") { request in
    let count = try request.parameters.require("count", as: Int.self)
    let multiplier = request.queryItem("m").flatMap { Int($0) } ?? 1
    guard (0...dataset.count).contains(count) else {
        throw HTTPError(.badRequest, message: "count must be 0...\(dataset.count)")
    }
    let items = dataset.prefix(count).map { PricedItem(item: $0, total: $0.price * $0.quantity * multiplier) }
    return ItemList(items: items, count: items.count)
}

// upload: the number of body bytes received (the body is read whole; bodies stream when issue 24 lands).
router.post("/upload") { request in "\(request.withBodyBytes { $0.count })" }

let engine = ServerConfiguration.Engine(rawValue: environment["RINGSIDE_ENGINE"] ?? "auto") ?? .auto
var configuration = ServerConfiguration(host: "0.0.0.0", port: 8080, engine: engine)
configuration.maxBodyBytes = 32 << 20  // upload sends up to 20 MB
configuration.serverHeaders = [("server", "Ringside")]
let server = Server(configuration: configuration, router: router) { port in
    print("Listening on http://0.0.0.0:\(port) (engine \(engine.rawValue); with auto, a fallback to epoll is logged)")
}
try await server.runService()
