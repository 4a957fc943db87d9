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
/// 5. fire client deadlines and send delayed answers that are due, then run
///    the worker's ready tasks (handlers, streams, offload results);
/// 6. once stopping and no longer accepting, take the listen backlog (served,
///    not reset: `WorkerLoop+Accept.swift`);
/// 7. turn every connection the turn touched into backend operations
///    (`WorkerLoop+Flush.swift`).
///
/// It owns the HTTP core, the accept policy, ticks, stop and drain; the
/// backend owns only I/O state, so nothing here is written twice.
struct WorkerLoop<B: Backend & ~Copyable>: ~Copyable {
    var backend: B
    var core: HTTPCore
    var accept: AcceptState
    /// Outbound connections (`WorkerLoop+Client.swift`); also the handlers' via `WorkerRuntime.current`.
    let clients: ClientConnections
    private var taskEvents: [WorkerRuntime.Event] = []
    private let signal: WorkerSignal
    let logger: Logger
    private var clock = LoopClock()
    private(set) var stopping = false
    /// Ticks left for connections to finish once stopping (-1: time is up).
    private var drainTicksLeft = 0
    private let drainTimeout: Int

    init(context: WorkerContext) throws {
        let configuration = context.configuration
        clients = ClientConnections(
            base: configuration.maxConnectionsPerWorker, capacity: configuration.maxOutboundConnectionsPerWorker,
            serverAddress: UpstreamAddress(listener: context.listener), metrics: context.metrics?.writer())
        let runtime = WorkerRuntime(
            pool: context.pool, signal: context.signal, logger: context.logger,
            clients: clients)
        backend = try B(BackendSetup(
            configuration: configuration, listener: context.listener, signal: context.signal,
            slotCapacity: configuration.maxConnectionsPerWorker + configuration.maxOutboundConnectionsPerWorker,
            logger: context.logger, wire: context.wire))
        runtime.metrics = context.metrics?.writer()
        core = HTTPCore(
            configuration: configuration, router: context.router, runtime: runtime, readiness: context.readiness,
            observer: RequestObserver(context: context))
        accept = AcceptState(parkCapacity: Int(configuration.backlog))
        taskEvents.reserveCapacity(64)
        signal = context.signal
        logger = context.logger
        drainTimeout = configuration.timeouts.drain.wholeSecondsRoundedUp
    }

    /// Serves until the server asks the worker to stop, then drains and returns.
    mutating func run() {
        while true {
            updateAccepting()
            let drained = core.connections.openCount == 0 && !backend.isAccepting && accept.backlogTaken
            if stopping && (drained || drainTicksLeft < 0) { break }
            guard backend.wait(timeoutNanoseconds: waitTimeout()) else { break }
            // The turn's one clock read, right after the wait: request durations start from it;
            // dates and timeouts are looked at once the turn's events are handled.
            let ticks = clock.advance()
            core.observer.beginTurn(clock.monotonicNanoseconds)
            while let event = backend.nextEvent() {
                handle(event)
            }
            if ticks.date { core.refreshDate(wallSeconds: clock.wallSecond) }
            if ticks.timeouts { tick() }
            clients.fireTimers()
            core.sendDueAnswers(now: clock.monotonicNanoseconds)
            core.runTasks(into: &taskEvents)
            acceptBacklog()
            flushDirty()
            flushClients()
            core.observer.endTurn()
        }
        backend.finish()
        clients.shutdown()  // calls still waiting fail, so their handlers finish below
        core.finishTasks(into: &taskEvents)
        if backend.isAccepting || core.connections.openCount > 0 {
            logger.warning("drain timed out", metadata: ["open": "\(core.connections.openCount)"])
            // Their operations die with the backend; the descriptors must not outlive the worker.
            core.connections.closeOpenDescriptors()
        }
        accept.closeParked()
    }

    /// How long the backend may wait: not past the next second (timeouts, and
    /// dates that flip when the wall second does), the next worker-clock
    /// sleep, client deadline or delayed answer; not at all while tasks are
    /// ready to run.
    private func waitTimeout() -> Int64 {
        if core.runtime.hasWork { return 0 }
        // At least a microsecond each: a deadline just missed is met on the next turn, not by spinning.
        func earlier(_ timeout: Int64, _ deadline: Int64?) -> Int64 {
            guard let deadline else { return timeout }
            return min(timeout, max(deadline, 1000))
        }
        var timeout = clock.nanosecondsUntilNextTick
        timeout = earlier(timeout, clients.nanosecondsUntilNextDeadline())
        timeout = earlier(timeout, core.runtime.nanosecondsUntilNextTimer())
        return earlier(timeout, core.nanosecondsUntilNextAnswer())
    }

    // MARK: Events, one line per kind

    private mutating func handle(_ event: IOEvent) {
        if handleClient(event) { return }  // outbound sockets' events
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
            break  // only outbound sockets connect (handled above)
        case .woken:
            if signal.stopRequested { stop() }
        }
    }

    /// Once a (monotonic) second.
    private mutating func tick() {
        core.tick(now: clock.monotonicSecond)
        if stopping { drainTicksLeft -= 1 }
        accept.tick()
    }

    /// Stop accepting; answer what is in flight, each with `connection: close`;
    /// close idle connections (see `HTTPCore.beginDrain`).
    private mutating func stop() {
        guard !stopping else { return }
        stopping = true
        drainTicksLeft = drainTimeout
        core.beginDrain()
        while let fd = accept.unpark() { backend.discard(fd) }
        updateAccepting()  // epoll stops at once, so this turn's end takes the backlog
    }
}
