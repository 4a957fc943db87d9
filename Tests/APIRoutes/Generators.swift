// Handlers that return what they mean: text, a ResponseEncodable value or array, a status, a
// prebuilt answer; sync, async and offloaded.
import Ringside

struct Item: ResponseEncodable {
    var id: Int
    var name: String
}

func addGeneratorRoutes(to router: inout Router) {
    let prebuilt = router.prebuild(StaticResponse(contentType: "text/plain", body: "prebuilt, returned"))
    router.get("/generated/text") { _ in "plain text\n" }
    router.get("/generated/json/:id") { request in
        Item(id: try request.parameters.require("id", as: Int.self), name: "item")
    }
    router.get("/generated/list") { _ in [Item(id: 1, name: "a"), Item(id: 2, name: "b")] }
    router.delete("/generated/:id") { _ in HTTPResponse.Status.noContent }
    router.get("/generated/prebuilt") { _ in prebuilt }
    router.get("/generated/async") { _ in
        await Task.yield()
        return "async text"
    }
    router.post("/generated/offload", offload: true) { request in "offloaded \(request.bodyCount) bytes" }
}
