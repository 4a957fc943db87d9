public import HTTPTypes
import Synchronization

/// The client a `test(_:configuration:logger:_:)` closure
/// is given: requests as values in, whole responses out, over the real
/// router, HTTP core and handlers.
///
/// ``execute(_:)`` reuses one keep-alive connection as a browser would
/// (opening another when the server closed it); ``connect()`` gives a
/// connection of a test's own. Every connection is closed when the test ends.
public final class TestClient: Sendable {
    /// The port of a `.live` server (nil in process).
    public let port: Int?
    /// How long each read waits for the server before failing the test.
    public let timeout: Duration
    private let transport: Transport
    private let state = Mutex(State())

    private struct State {
        /// The keep-alive connection ``execute(_:)`` reuses, when one is idle.
        var idle: TestConnection?
        /// Every connection opened, closed at the end.
        var opened: [TestConnection] = []
    }

    init(transport: Transport, timeout: Duration) {
        self.transport = transport
        self.timeout = timeout
        if case .live(let port) = transport { self.port = port } else { port = nil }
    }

    /// Sends `request` and returns its final response.
    public func execute(_ request: TestRequest) async throws -> TestResponse {
        let reused = state.withLock { $0.idle.take() }
        var response: TestResponse
        var connection: TestConnection
        if let reused {
            connection = reused
            do {
                response = try await connection.execute(request)
            } catch TestClientError.closedBeforeResponse(let received) where received.isEmpty {
                // The server closed the idle connection (its idle timeout) before it read this one: once more, anew.
                connection = try await connect()
                response = try await connection.execute(request)
            } catch TestClientError.closedByServer {
                connection = try await connect()
                response = try await connection.execute(request)
            }
        } else {
            connection = try await connect()
            response = try await connection.execute(request)
        }
        if response.keepAlive {
            state.withLock { $0.idle = connection }
        } else {
            await connection.close()
        }
        return response
    }

    /// Sends a request built from its parts; see `TestRequest.init(method:path:headers:body:)`.
    public func execute(
        uri: String, method: HTTPRequest.Method = .get, headers: HTTPFields = [:], body: [UInt8]? = nil
    ) async throws -> TestResponse {
        try await execute(TestRequest(method: method, path: uri, headers: headers, body: body))
    }

    /// Sends `request` on a connection of its own and returns as soon as the
    /// head arrived: the body is read as the server sends it.
    public func stream(_ request: TestRequest) async throws -> TestStreamingResponse {
        let connection = try await connect()
        try await connection.send(request)
        while true {
            let response = try await connection.readStreamingResponse(to: request.method)
            if response.status.kind != .informational || response.status.code == 101 { return response }
            _ = try await response.body.collect()
        }
    }

    /// A new connection of the test's own.
    public func connect() async throws -> TestConnection {
        let connection = TestConnection(stream: try await transport.connect(), timeout: timeout)
        state.withLock { $0.opened.append(connection) }
        return connection
    }

    /// Closes every connection the test opened.
    func closeAll() async {
        let opened = state.withLock { state in
            state.idle = nil
            defer { state.opened = [] }
            return state.opened
        }
        for connection in opened { await connection.close() }
    }
}
