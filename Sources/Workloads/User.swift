public import Ringside

/// `GET /v1/user`: the microservice half of the avatar pair. It fetches
/// `/v1/avatar` from the upstream with the worker's own ``HTTPClient`` and
/// answers its body as `application/json`; an upstream that fails gets 502
/// (refused, reset, closed early, malformed, too large, not 2xx), 504 (timed
/// out) or 503 (no connection to be had), each with a JSON body.
public struct User: Workload {
    /// Where `/v1/avatar` is fetched from.
    let upstream: HTTPClient

    /// `/v1/user` fetching from `upstream`.
    public init(upstream: HTTPClient) {
        self.upstream = upstream
    }

    public func addRoutes(to router: inout Router) {
        // Laid out once: every call sends these bytes as they are.
        let avatar = try! HTTPClient.Request(path: "/v1/avatar")
        let fields: HTTPFields = [.contentType: "application/json"]
        let upstream = self.upstream
        router.get("/v1/user") { (_: borrowing Request) async throws -> Response in
            let response: HTTPClient.Response
            do throws(HTTPClientError) {
                response = try await upstream.execute(avatar)
            } catch {
                throw HTTPError(error.gatewayStatus, message: error.description)
            }
            let status = response.status
            guard status.kind == .successful else {
                throw HTTPError(.badGateway, message: "upstream answered \(status.code)")
            }
            return Response(headerFields: fields, bytes: response.body)
        }
    }
}
