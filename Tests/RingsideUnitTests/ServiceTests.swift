import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import Testing

@testable import Ringside

#if canImport(Glibc)
import Glibc
#endif

/// `Server` as a swift-service-lifecycle `Service`, in process: it runs in a
/// `ServiceGroup`, stops on graceful shutdown and on cancellation, and
/// installs no signal handler.
@Suite(.serialized) struct ServiceTests {
    /// The port the server reports once it listens (0 before).
    final class BoundPort: Sendable {
        let value = Atomic<Int>(0)
    }

    static func makeServer(_ port: BoundPort) -> Server {
        var router = Router()
        router.get("/hello", StaticResponse(body: "hello"))
        return Server(
            configuration: ServerConfiguration(host: "127.0.0.1", port: 0, workers: 1, offloadThreads: 0),
            router: router, logger: Logger(label: "service-test")
        ) { bound in port.value.store(bound, ordering: .releasing) }
    }

    /// Waits for the bound port (0 until the server listens).
    static func boundPort(_ port: BoundPort) async throws -> Int {
        for _ in 0..<500 {
            let value = port.value.load(ordering: .acquiring)
            if value != 0 { return value }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw CancellationError()
    }

    @Test func servesInAServiceGroupUntilGracefulShutdown() async throws {
        let port = BoundPort()
        let server = Self.makeServer(port)
        let group = ServiceGroup(services: [server], logger: Logger(label: "service-test"))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let bound = try await Self.boundPort(port)
            #expect(statusLine(port: bound, path: "/hello") == "HTTP/1.1 200 OK")
            #expect(statusLine(port: bound, path: "/readyz") == "HTTP/1.1 200 OK")
            #expect(server.isReady)
            await group.triggerGracefulShutdown()
            try await tasks.next()
            #expect(!server.isReady)
            #expect(statusLine(port: bound, path: "/hello") == nil, "still listening after the group returned")
        }
        // The service installed nothing for the signals a service group would trap.
        #expect(hasDefaultAction(SIGTERM))
        #expect(hasDefaultAction(SIGINT))
    }

    @Test func stopsWhenItsTaskIsCancelled() async throws {
        let port = BoundPort()
        let server = Self.makeServer(port)
        let task = Task { try await server.run() }
        let bound = try await Self.boundPort(port)
        #expect(statusLine(port: bound, path: "/hello") == "HTTP/1.1 200 OK")
        task.cancel()
        try await task.value
        #expect(statusLine(port: bound, path: "/hello") == nil, "still listening after cancellation")
    }

    @Test func setReadyDrivesTheReadinessCheck() async throws {
        let port = BoundPort()
        let server = Self.makeServer(port)
        let task = Task { try await server.run() }
        let bound = try await Self.boundPort(port)
        server.setReady(false)
        #expect(statusLine(port: bound, path: "/readyz") == "HTTP/1.1 503 Service Unavailable")
        #expect(statusLine(port: bound, path: "/healthz") == "HTTP/1.1 200 OK")
        server.setReady(true)
        #expect(statusLine(port: bound, path: "/readyz") == "HTTP/1.1 200 OK")
        task.cancel()
        try await task.value
    }
}

private func hasDefaultAction(_ signal: Int32) -> Bool {
    var current = sigaction()
    sigaction(signal, nil, &current)
    return current.__sigaction_handler.sa_handler == nil
}

/// GETs `path` on a new connection; the response's status line, or nil when
/// nothing answers (the reason goes to stderr, so a failure says why).
private func statusLine(port: Int, path: String) -> String? {
    func failed(_ step: String) -> String? {
        let code = errno
        FileHandle.standardError.write(Data("statusLine(\(path)): \(step) failed, errno \(code)\n".utf8))
        return nil
    }
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return failed("socket") }
    defer { close(fd) }
    var timeout = timeval(tv_sec: 3, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    // A signal meant for another test's thread (the test process spawns and
    // reaps servers) interrupts these calls now and then: EINTR is retried.
    guard connected == 0 || (errno == EINTR && waitForConnect(fd)) else { return failed("connect") }
    let request = Array("GET \(path) HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n".utf8)
    var written = 0
    while written < request.count {
        let count = request[written...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        if count < 0 && errno == EINTR { continue }
        guard count > 0 else { return failed("send") }
        written += count
    }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
        let count = recv(fd, &buffer, buffer.count, 0)
        if count < 0 && errno == EINTR { continue }
        if count < 0 && bytes.isEmpty { return failed("recv") }
        if count <= 0 { break }
        bytes += buffer[0..<count]
    }
    let text = String(decoding: bytes, as: UTF8.self)
    guard let end = text.range(of: "\r\n") else { return failed("reading a status line from \(bytes.count) bytes") }
    return String(text[..<end.lowerBound])
}

/// Waits for a connect that EINTR interrupted to finish (it goes on in the
/// kernel); whether it succeeded.
private func waitForConnect(_ fd: Int32) -> Bool {
    var poller = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
    while true {
        let ready = poll(&poller, 1, 3000)
        if ready < 0 && errno == EINTR { continue }
        guard ready == 1 else { return false }
        var code: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &code, &length)
        errno = code
        return code == 0
    }
}
