import Logging
#if canImport(Glibc)
import Glibc
#endif

/// One worker's event loop, the same over every backend (h2o's `evloop.c.h`,
/// SwiftNIO's `SelectorGeneric`).
///
/// Each turn:
/// 1. bring accepting in line with the accept policy (`WorkerLoop+Accept.swift`);
/// 2. wait: the backend submits what was queued and waits for events, at most
///    until the next whole second (the tick) or the next worker-clock timer;
/// 3. hand every event to the HTTP core (or the accept policy);
/// 4. tick once a second: dates, timeouts, accept back-off, drain countdown;
/// 5. run the worker's ready tasks (handlers, streams, offload results);
/// 6. turn every connection the turn touched into backend operations
///    (`WorkerLoop+Flush.swift`).
///
/// It owns the HTTP core, the accept policy, ticks, stop and drain; the
/// backend owns only I/O state, so nothing here is written twice.
struct WorkerLoop<B: Backend & ~Copyable>: ~Copyable {
    var backend: B
    var core: HTTPCore
    var accept: AcceptState
    private var taskEvents: [WorkerRuntime.Event] = []
    private let signal: WorkerSignal
    let logger: Logger
    /// The wall-clock second of the last tick.
    private var second: Int
    private(set) var stopping = false
    /// Ticks left for connections to finish once stopping (-1: time is up).
    private var drainTicksLeft = 0
    private let drainTimeout: Int

    init(context: WorkerContext) throws {
        let configuration = context.configuration
        let runtime = WorkerRuntime(
            pool: context.pool, middleware: context.router.middleware, signal: context.signal, logger: context.logger)
        backend = try B(BackendSetup(
            configuration: configuration, listener: context.listener, signal: context.signal,
            slotCapacity: configuration.maxConnectionsPerWorker, logger: context.logger))
        runtime.metrics = context.metrics?.writer()
        core = HTTPCore(
            configuration: configuration, router: context.router, runtime: runtime,
            observer: RequestObserver(context: context))
        accept = AcceptState(parkCapacity: Int(configuration.backlog))
        taskEvents.reserveCapacity(64)
        signal = context.signal
        logger = context.logger
        drainTimeout = configuration.timeouts.drain
        second = WallClock.seconds
    }

    /// Serves until the server asks the worker to stop, then drains and returns.
    mutating func run() {
        while true {
            updateAccepting()
            if stopping && ((core.connections.openCount == 0 && !backend.isAccepting) || drainTicksLeft < 0) { break }
            guard backend.wait(timeoutNanoseconds: waitTimeout()) else { break }
            core.observer.beginTurn()
            while let event = backend.nextEvent() {
                handle(event)
            }
            let seconds = WallClock.seconds
            if seconds != second {
                second = seconds
                tick()
            }
            core.runTasks(into: &taskEvents)
            flushDirty()
            core.observer.endTurn()
        }
        backend.finish()
        core.finishTasks(into: &taskEvents)
        if backend.isAccepting || core.connections.openCount > 0 {
            logger.warning("drain timed out", metadata: ["open": "\(core.connections.openCount)"])
            // Their operations die with the backend; the descriptors must not outlive the worker.
            core.connections.closeOpenDescriptors()
        }
        accept.closeParked()
    }

    /// How long the backend may wait: not past the next whole second (dates
    /// flip when the second does) nor the next worker-clock sleep; not at
    /// all while tasks are ready to run.
    private func waitTimeout() -> Int64 {
        if core.runtime.hasWork { return 0 }
        let untilSecond = 1_000_000_000 - Int64(WallClock.now().tv_nsec)
        guard let timer = core.runtime.nanosecondsUntilNextTimer() else { return untilSecond }
        return min(untilSecond, max(timer, 1000))
    }

    // MARK: Events, one line per kind

    private mutating func handle(_ event: IOEvent) {
        switch event {
        case .received(let slot, let bytes):
            core.receive(slot, bytes)
            core.connections.markDirty(slot)
        case .sent(let slot, let count):
            core.sent(slot, count)
        case .changed(let slot):
            core.connections.markDirty(slot)
        case .peerFinished(let slot):
            core.peerFinished(slot)
        case .failed(let slot):
            core.failed(slot)
        case .accepted(let fd):
            accepted(fd)
        case .acceptFailed(let code):
            acceptFailed(code)
        case .connected:
            break  // no outbound sockets are opened yet
        case .woken:
            if signal.stopRequested { stop() }
        }
    }

    /// Once a second.
    private mutating func tick() {
        core.tick()
        if stopping { drainTicksLeft -= 1 }
        accept.tick()
    }

    /// Stop accepting, finish what is queued, close every connection.
    private mutating func stop() {
        guard !stopping else { return }
        stopping = true
        drainTicksLeft = drainTimeout
        core.closeAllAfterFlush()
        while let fd = accept.unpark() { backend.discard(fd) }
    }
}
