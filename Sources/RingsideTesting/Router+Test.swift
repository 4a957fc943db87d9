public import Logging
public import Ringside

/// Where `test(_:configuration:logger:_:)` serves the router.
public enum TestingSetup: Sendable, CustomStringConvertible {
    /// A worker of the server, run in this process on pipes instead of
    /// sockets: the real router, HTTP core, handlers and timers; no port,
    /// no listening socket, no thread beyond the worker's. Handlers' own
    /// `HTTPClient` calls go out over real TCP, to whatever they name.
    case inProcess
    /// A real server on a free loopback port, with `engine`, reached over TCP.
    case live(engine: ServerConfiguration.Engine = .auto)

    /// `in process`, or `live` and the engine.
    public var description: String {
        switch self {
        case .inProcess: "in process"
        case .live(let engine): "live \(engine.rawValue)"
        }
    }
}

extension ServerConfiguration {
    /// A configuration sized for tests: one worker, one offload thread, a
    /// thousand connections, a five-second drain; loopback, any free port.
    public static var testing: ServerConfiguration {
        var configuration = ServerConfiguration(
            host: "127.0.0.1", port: 0, workers: 1, maxConnectionsPerWorker: 1024, offloadThreads: 1)
        configuration.timeouts.drain = .seconds(5)
        return configuration
    }
}

extension Router {
    /// Serves this router for the length of `body`, which drives it through
    /// a ``TestClient``; then closes the client's connections and shuts the
    /// server down.
    ///
    /// ```swift
    /// try await router.test(.inProcess) { client in
    ///     let response = try await client.execute(uri: "/hello/ada")
    ///     #expect(response.status == .ok)
    /// }
    /// ```
    ///
    /// - Parameters:
    ///   - setup: in process (the default) or a live server.
    ///   - configuration: limits and timeouts; `.live` listens on a free
    ///     loopback port whatever `host` and `port` say.
    ///   - timeout: how long the client waits for each read.
    ///   - logger: the server's logger (start-up notes, warnings, handler failures).
    public func test<Value>(
        _ setup: TestingSetup = .inProcess, configuration: ServerConfiguration = .testing,
        timeout: Duration = .seconds(10), logger: Logger = Logger(label: "ringside.test"),
        _ body: (TestClient) async throws -> Value
    ) async throws -> Value {
        var configuration = configuration
        let client: TestClient
        let server: Server
        switch setup {
        case .inProcess:
            server = Server(configuration: configuration, router: self, logger: logger)
            let wire = try await OwnThread.run { Result { try server.startInProcess() } }.get()
            client = TestClient(transport: .inProcess(InProcessTarget(wire: wire)), timeout: timeout)
        case .live(let engine):
            configuration.engine = engine
            configuration.host = "127.0.0.1"
            configuration.port = 0
            server = Server(configuration: configuration, router: self, logger: logger)
            let port = try await OwnThread.run { Result { try server.start() } }.get()
            client = TestClient(transport: .live(port: port), timeout: timeout)
        }
        do {
            let value = try await body(client)
            await client.closeAll()
            await OwnThread.run { server.shutDown() }
            return value
        } catch {
            await client.closeAll()
            await OwnThread.run { server.shutDown() }
            throw error
        }
    }
}
