import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The "kernel" of the in-process backend: byte pipes between test clients
/// and one worker, with the semantics of a TCP connection a server cares
/// about (bytes in order, a half-close each way, a close that makes the other
/// side's sends fail, a bounded send buffer so a slow reader pauses a
/// stream). `RingsideTesting` drives the client ends; ``InProcessBackend``
/// the server ends.
///
/// Every piece of state lives behind one lock, changed only through the named
/// transitions below; a waiting client reader is resumed outside the lock.
///
/// Sendable: all mutable state is inside the `Mutex`; `signal` is Sendable.
package final class InProcessWire: Sendable {
    /// What became of a client's read.
    package enum ReadResult: Sendable, Equatable {
        /// Bytes the server sent (never empty).
        case bytes([UInt8])
        /// The server shut its write side or closed: nothing more will come.
        case end
        /// Nothing came before the deadline.
        case timedOut
    }

    /// A client's write could not be delivered.
    package enum WriteError: Error, Sendable {
        /// The server closed the connection (a TCP client would see a reset).
        case closedByServer
        /// This end already finished writing or closed.
        case finished
    }

    /// One connection's two directions.
    struct Pipe {
        /// What the client wrote; the server has received the first `received` bytes.
        var toServer: [UInt8] = []
        var received = 0
        var toClient: [UInt8] = []
        /// The client shut its write side (the server reads EOF after `toServer`).
        var clientFinished = false
        /// The client closed: the server's sends fail.
        var clientClosed = false
        /// The server shut its write side or closed (the client reads EOF after `toClient`).
        var serverFinished = false
        /// The server closed: the client's writes fail.
        var serverClosed = false
        /// The server's last send found `toClient` full; it waits for room.
        var serverBlocked = false
        /// Listed in `news` already.
        var hasNews = false
        /// A client waiting in ``read(_:until:)``.
        var reader: CheckedContinuation<Void, Never>?
    }

    struct State {
        var pipes: [Int: Pipe] = [:]
        var nextID = 1
        /// Connected, not yet accepted, oldest first.
        var pending: [Int] = []
        /// Pipes the client changed since the backend last looked.
        var news: [Int] = []
        /// The worker serves; once false, connects fail.
        var serving = true

        /// Runs `body` on pipe `id` in place (a copy out of the dictionary and back would copy
        /// its buffers on every change); nil when the pipe is gone.
        mutating func withPipe<R>(_ id: Int, _ body: (inout Pipe) -> R) -> R? {
            guard let index = pipes.index(forKey: id) else { return nil }
            return body(&pipes.values[index])
        }

        /// Lists `id` for the server to look at, once until it does.
        mutating func tellServer(_ id: Int) {
            guard withPipe(id, { pipe in
                defer { pipe.hasNews = true }
                return !pipe.hasNews
            }) == true else { return }
            news.append(id)
        }
    }

    /// Wakes the worker when a client changed something.
    let signal: WorkerSignal
    /// Bytes a server may have queued to a client that has not read them (a socket's send buffer).
    let sendCapacity: Int
    private let state = Mutex(State())

    init(signal: WorkerSignal, sendCapacity: Int) {
        self.signal = signal
        self.sendCapacity = max(sendCapacity, 1)
    }

    // MARK: The client's end

    /// Opens a connection for the worker to accept; its id, or nil once the worker stopped serving.
    package func connect() -> Int? {
        let id: Int? = state.withLock { state in
            guard state.serving else { return nil }
            let id = state.nextID
            state.nextID += 1
            state.pipes[id] = Pipe()
            state.pending.append(id)
            return id
        }
        if id != nil { signal.wake() }
        return id
    }

    /// Sends `bytes` to the server.
    package func write(_ id: Int, _ bytes: [UInt8]) throws(WriteError) {
        let result: WriteError? = state.withLock { state in
            let refused = state.withPipe(id) { pipe -> WriteError? in
                guard !pipe.clientFinished else { return .finished }
                guard !pipe.serverClosed else { return .closedByServer }
                pipe.toServer.append(contentsOf: bytes)
                return nil
            } ?? .finished
            if refused == nil { state.tellServer(id) }
            return refused
        }
        if let result { throw result }
        signal.wake()
    }

    /// Half-closes: the server reads what was written, then EOF.
    package func finishWriting(_ id: Int) {
        let changed = state.withLock { state in
            let changed = state.withPipe(id) { pipe in
                defer { pipe.clientFinished = true }
                return !pipe.clientFinished
            } ?? false
            if changed { state.tellServer(id) }
            return changed
        }
        if changed { signal.wake() }
    }

    /// Closes the client's end: the server reads EOF, and its sends fail from now on.
    package func close(_ id: Int) {
        let changed = state.withLock { state in
            let serverClosed = state.withPipe(id) { pipe -> Bool? in
                guard !pipe.clientClosed else { return nil }
                pipe.clientFinished = true
                pipe.clientClosed = true
                pipe.toClient = []
                return pipe.serverClosed
            } ?? nil
            guard let serverClosed else { return false }
            if serverClosed {
                state.pipes[id] = nil  // both ends are gone
                return false
            }
            state.tellServer(id)
            return true
        }
        if changed { signal.wake() }
    }

    /// What the server sent since the last read, waiting for it until `deadline`.
    package func read(_ id: Int, until deadline: ContinuousClock.Instant) async -> ReadResult {
        while true {
            if let result = take(id) { return result }
            if ContinuousClock.now >= deadline { return .timedOut }
            let alarm = Task {
                try? await Task.sleep(until: deadline, clock: .continuous)
                self.nudge(id)
            }
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let ready = state.withLock { state -> Bool in
                    state.withPipe(id) { pipe in
                        if !pipe.toClient.isEmpty || pipe.serverFinished { return true }
                        // The alarm may have gone off before this reader waits: it nudges only a waiting one.
                        if ContinuousClock.now >= deadline { return true }
                        pipe.reader = continuation
                        return false
                    } ?? true
                }
                if ready { continuation.resume() }
            }
            alarm.cancel()
        }
    }

    /// Takes what the client can read now: bytes, the end, or nil (wait).
    private func take(_ id: Int) -> ReadResult? {
        let (result, roomMade) = state.withLock { state -> (ReadResult?, Bool) in
            let taken = state.withPipe(id) { pipe -> (ReadResult?, Bool) in
                guard !pipe.toClient.isEmpty else { return (pipe.serverFinished ? .end : nil, false) }
                defer {
                    pipe.toClient = []
                    pipe.serverBlocked = false
                }
                return (.bytes(pipe.toClient), pipe.serverBlocked)
            } ?? (.end, false)
            if taken.1 { state.tellServer(id) }
            return taken
        }
        if roomMade { signal.wake() }
        return result
    }

    /// Wakes a waiting reader so that it looks again (its deadline may have passed).
    private func nudge(_ id: Int) {
        state.withLock { $0.withPipe(id) { $0.reader.take() } ?? nil }?.resume()
    }

    // MARK: The server's end (InProcessBackend)

    /// The oldest connection waiting to be accepted.
    func accept() -> Int? {
        state.withLock { state in state.pending.isEmpty ? nil : state.pending.removeFirst() }
    }

    /// Whether a connection waits to be accepted.
    var hasPending: Bool { state.withLock { !$0.pending.isEmpty } }

    /// The pipes a client changed since the last call.
    func takeNews(into ids: inout [Int]) {
        state.withLock { state in
            for id in state.news { state.pipes[id]?.hasNews = false }
            ids.append(contentsOf: state.news)
            state.news.removeAll(keepingCapacity: true)
        }
    }

    /// What a receive on the server's end finds.
    enum Received {
        case bytes(Int)
        case end
        case nothing
    }

    /// Moves up to `buffer.count` bytes the client sent into `buffer`.
    func receive(_ id: Int, into buffer: UnsafeMutableRawBufferPointer) -> Received {
        state.withLock { state in
            state.withPipe(id) { pipe -> Received in
                let left = pipe.toServer.count - pipe.received
                guard left > 0 else { return pipe.clientFinished ? .end : .nothing }
                let count = min(buffer.count, left)
                let start = pipe.received
                pipe.toServer.withUnsafeBytes {
                    buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[start..<(start + count)]))
                }
                // Dropped once all are received, not per receive (which would move the rest each time).
                pipe.received += count
                if pipe.received == pipe.toServer.count {
                    pipe.toServer.removeAll(keepingCapacity: true)
                    pipe.received = 0
                }
                return .bytes(count)
            } ?? .end
        }
    }

    /// Whether a receive would find bytes or the end now.
    func hasInput(_ id: Int) -> Bool {
        state.withLock { state in
            guard let pipe = state.pipes[id] else { return true }
            return pipe.toServer.count > pipe.received || pipe.clientFinished
        }
    }

    /// What a send on the server's end did.
    enum Sent {
        case sent(Int)
        /// The client's unread bytes fill the send buffer.
        case blocked
        /// The client closed.
        case failed
    }

    /// Queues the bytes of `iovecs` to the client, as many as its send buffer takes.
    func send(_ id: Int, _ iovecs: UnsafeBufferPointer<iovec>) -> Sent {
        let (result, reader) = state.withLock { state in
            state.withPipe(id) { pipe -> (Sent, CheckedContinuation<Void, Never>?) in
                guard !pipe.clientClosed, !pipe.serverFinished else { return (.failed, nil) }
                var room = sendCapacity - pipe.toClient.count
                guard room > 0 else {
                    pipe.serverBlocked = true
                    return (.blocked, nil)
                }
                var sent = 0
                for iovec in iovecs where room > 0 {
                    let count = min(iovec.iov_len, room)
                    guard count > 0, let base = iovec.iov_base else { continue }
                    pipe.toClient.append(contentsOf: UnsafeRawBufferPointer(start: base, count: count))
                    sent += count
                    room -= count
                }
                return (.sent(sent), pipe.reader.take())
            } ?? (.failed, nil)
        }
        reader?.resume()
        return result
    }

    /// Whether the client read enough for a blocked send to go on.
    func hasRoom(_ id: Int) -> Bool {
        state.withLock { state in
            guard let pipe = state.pipes[id] else { return true }
            return pipe.toClient.count < sendCapacity || pipe.clientClosed
        }
    }

    /// The server shut its write side: the client reads EOF after what was sent.
    func shutdownWrite(_ id: Int) {
        state.withLock { state in
            state.withPipe(id) { pipe in
                pipe.serverFinished = true
                return pipe.reader.take()
            } ?? nil
        }?.resume()
    }

    /// The server closed its end.
    func closeByServer(_ id: Int) {
        state.withLock { state -> CheckedContinuation<Void, Never>? in
            Self.closeByServer(id, &state)
        }?.resume()
    }

    private static func closeByServer(_ id: Int, _ state: inout State) -> CheckedContinuation<Void, Never>? {
        let closed = state.withPipe(id) { pipe in
            pipe.serverFinished = true
            pipe.serverClosed = true
            return (reader: pipe.reader.take(), clientClosed: pipe.clientClosed)
        }
        // Once both ends closed nobody reads the pipe again.
        if closed?.clientClosed == true { state.pipes[id] = nil }
        return closed?.reader ?? nil
    }

    /// The worker ended: every connection is closed by the server, new ones fail.
    func finish() {
        let readers = state.withLock { state in
            state.serving = false
            state.pending.removeAll()
            return Array(state.pipes.keys).compactMap { Self.closeByServer($0, &state) }
        }
        readers.forEach { $0.resume() }
    }
}
