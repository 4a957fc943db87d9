import APIRoutes
import Ringside
import RingsideTesting
import Testing

// Our own HTTP behaviour tests in process, through RingsideTesting: the same
// assertions as the live tests (`HTTPResponse`, `check404`), no port, no binary.

/// Every in-process suite is nested here, so that `make test` runs them apart
/// from the live ones (`RingsideTests.InProcess/...`): they await and never
/// block a thread, and many run at once; a live test blocks a thread of the
/// cooperative pool (two on this machine) on its sockets for seconds.
@Suite enum InProcess {}

/// The API server's routes served in process for the length of `body`.
func withAPIRouter(
    _ options: APIOptions = APIOptions(), configuration: ServerConfiguration = .testing,
    _ body: (TestClient) async throws -> Void
) async throws {
    try await apiRouter(options).test(.inProcess, configuration: configuration, body)
}

extension HTTPResponse {
    /// The test client's response in the live tests' form.
    init(_ response: TestResponse) {
        self.init(
            version: response.version, status: response.status.code, reason: response.status.reasonPhrase,
            headers: response.headers.map { ($0.name.rawName, $0.value) }, body: response.body)
    }
}

extension TestClient {
    /// One request as the live tests' `RawClient.exchange` sends it, its response in their form.
    func exchange(
        _ method: String, _ path: String, headers: [String] = [], body: String? = nil, bodyExpected: Bool = true
    ) async throws -> HTTPResponse {
        let bytes = RawClient.request(method, path, headers: headers, body: body)
        return HTTPResponse(try await execute(.raw(bytes, method: bodyExpected ? .get : .head)))
    }
}

extension TestConnection {
    /// Sends `text` as given.
    func send(_ text: String) async throws { try await write(text) }

    /// The next response in the live tests' form (`bodyExpected: false`: the request was HEAD).
    func readResponse(bodyExpected: Bool) async throws -> HTTPResponse {
        HTTPResponse(try await readResponse(to: bodyExpected ? .get : .head))
    }

    /// One request as `RawClient.exchange` sends it, and its response.
    func exchange(
        _ method: String, _ path: String, headers: [String] = [], body: String? = nil, bodyExpected: Bool = true
    ) async throws -> HTTPResponse {
        try await write(RawClient.request(method, path, headers: headers, body: body))
        return try await readResponse(bodyExpected: bodyExpected)
    }
}
