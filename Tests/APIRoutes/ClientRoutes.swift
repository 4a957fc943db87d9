// Routes that call an upstream with `HTTPClient`: this server itself, or the
// server at `upstreamPort` (127.0.0.1).
import Ringside
#if canImport(Glibc)
import Glibc
#endif

/// An upstream failure as the gateway status and the error's text.
func failure(_ error: HTTPClientError) -> Response {
    Response(status: error.gatewayStatus, text: "\(error)")
}

func addClientRoutes(to router: inout Router, upstreamPort: Int?) {
    let upstream = upstreamPort.map {
        try! HTTPClient(host: "127.0.0.1", port: $0)
    } ?? (try! HTTPClient.thisServer())

    // Whether the handler resumes on the thread it called from: the whole call
    // runs on the worker, with no hop to another thread.
    router.get("/client/thread") { _ in
        let before = pthread_self()
        do throws(HTTPClientError) {
            let response = try await upstream.get("/static")
            let same = pthread_equal(before, pthread_self()) != 0
            return Response(text: "\(response.status.code) \(response.bodyText) on the \(same ? "same thread" : "another thread")")
        } catch {
            return failure(error)
        }
    }
    // GET ?path= from the upstream: its status, a field and the body, as text.
    router.get("/client/get") { request in
        let path = request.queryItem("path") ?? "/static"
        do throws(HTTPClientError) {
            let response = try await upstream.get(path, headerFields: [.accept: "text/plain"])
            let type = response.headers[.contentType] ?? "none"
            return Response(text: "\(response.status.code) \(type) \(response.bodyText)")
        } catch {
            return failure(error)
        }
    }
    // POSTs the body to the upstream's /echo (not idempotent: never sent twice).
    router.post("/client/echo") { request in
        let body = request.body
        do throws(HTTPClientError) {
            let response = try await upstream.post("/echo", headerFields: [.contentType: "text/plain"], body: body)
            return Response(status: response.status, bytes: response.body)
        } catch {
            return failure(error)
        }
    }
    // Outside a handler's task the client refuses: it belongs to a worker's loop.
    router.get("/client/detached") { _ in
        let outcome = await Task.detached { () -> String in
            do throws(HTTPClientError) {
                _ = try await upstream.get("/static")
                return "called"
            } catch {
                return "\(error)"
            }
        }.value
        return Response(text: outcome)
    }
}
