// Route groups and the request context: /api behind Authentication, /api/admin behind AdminOnly
// too; each middleware tags the answer (`x-passed`) so a test sees which ran and in what order.
import Ringside

/// The caller named by `x-user`, handed from `Authentication` to the handlers behind it.
enum Caller: RequestContextKey { typealias Value = String }

/// 401 without `x-user`; otherwise the name goes into the request's context.
struct Authentication: Middleware {
    func handle(
        _ request: borrowing Request, next: (borrowing Request) async throws -> Response
    ) async throws -> Response {
        guard let user = request.headers[HTTPField.Name("x-user")!] else {
            throw HTTPError(.unauthorized, message: "who are you?")
        }
        request.context[Caller.self] = user
        var response = try await next(request)
        response.headerFields.append(HTTPField(name: HTTPField.Name("x-passed")!, value: "auth"))
        return response
    }
}

/// 403 unless the caller `Authentication` found is `admin`.
struct AdminOnly: Middleware {
    func handle(
        _ request: borrowing Request, next: (borrowing Request) async throws -> Response
    ) async throws -> Response {
        guard request.context[Caller.self] == "admin" else { throw HTTPError(.forbidden, message: "admins only") }
        var response = try await next(request)
        response.headerFields.append(HTTPField(name: HTTPField.Name("x-passed")!, value: "admin"))
        return response
    }
}

func addGroupRoutes(to router: inout Router) {
    router.group("/api", middleware: Authentication()) { api in
        api.get("") { _ in Response(text: "api root") }
        api.get("/me") { request in Response(text: "sync: \(request.context[Caller.self] ?? "nobody")") }
        api.get("/me/async") { request in
            await Task.yield()
            return Response(text: "async: \(request.context[Caller.self] ?? "nobody")")
        }
        api.get("/me/offload", offload: true) { request in
            Response(text: "offload: \(request.context[Caller.self] ?? "nobody")")
        }
        api.get("/prebuilt", StaticResponse(contentType: "text/plain", body: "prebuilt behind auth"))
        api.group("/admin", middleware: AdminOnly()) { admin in
            admin.delete("/users/:id") { request in
                Response(text: "deleted \(request.parameters["id"] ?? "?") by \(request.context[Caller.self] ?? "?")")
            }
        }
    }
    // Outside any group: no middleware of the groups', and an empty context.
    router.get("/outside/me") { request in Response(text: "outside: \(request.context[Caller.self] ?? "nobody")") }
}
