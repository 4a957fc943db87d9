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
///    until the next whole second or the timer service's next deadline;
/// 3. read the clock once, then hand every event to the owner of its slot's
///    kind (the HTTP core, the outbound connections) or to the accept policy;
/// 4. once a second: dates, accept back-off; then the deadlines that passed,
///    each to its owner, and the worker's ready tasks (handlers, streams,
///    offload results);
/// 5. once stopping and no longer accepting, take the listen backlog (served,
///    not reset: `WorkerLoop+Accept.swift`);
/// 6. turn every slot the turn touched into backend operations
///    (`WorkerLoop+Flush.swift`).
///
/// It owns the slot owners, the dirty list, the timer service, the accept
/// policy, stop and drain; the backend owns only I/O state, so nothing here
/// is written twice.
struct WorkerLoop<B: Backend & ~Copyable>: ~Copyable {
    var backend: B
    /// Served connections.
    var core: HTTPCore
    /// Outbound connections; also the handlers' (``HTTPClient``) via `WorkerRuntime.current`.
    var clients: ClientConnections
    var accept: AcceptState
    /// Slots of every kind whose state changed this turn.
    let dirty: DirtySlots
    let timers: TimerService
    private let runtime: WorkerRuntime
    private var taskEvents: [WorkerRuntime.Event] = []
    private let signal: WorkerSignal
    let logger: Logger
    private var clock = LoopClock()
    private(set) var stopping = false
    /// Once stopping: when connections still open are given up (monotonic nanoseconds).
    private var drainDeadline = Int64.max
    private let drainTimeout: Int64

    init(context: WorkerContext) throws {
        let configuration = context.configuration
        let capacities = SlotCapacities(
            served: configuration.maxConnectionsPerWorker, outbound: configuration.maxOutboundConnectionsPerWorker)
        dirty = DirtySlots(capacities: capacities)
        timers = TimerService(capacities: capacities, now: clock.monotonicNanoseconds)
        clients = ClientConnections(
            capacity: capacities.outbound, dirty: dirty, timers: timers,
            serverAddress: UpstreamAddress(listener: context.listener), metrics: context.metrics?.writer())
        runtime = WorkerRuntime(
            pool: context.pool, signal: context.signal, logger: context.logger, clients: clients, timers: timers)
        backend = try B(BackendSetup(
            configuration: configuration, listeners: context.listeners, signal: context.signal,
            slots: capacities, logger: context.logger, wire: context.wire))
        runtime.metrics = context.metrics?.writer()
        core = HTTPCore(
            configuration: configuration, router: context.router, runtime: runtime, readiness: context.readiness,
            observer: RequestObserver(context: context), dirty: dirty, timers: timers, tls: context.tls)
        accept = AcceptState(parkCapacity: Int(configuration.backlog))
        taskEvents.reserveCapacity(64)
        signal = context.signal
        logger = context.logger
        drainTimeout = configuration.timeouts.drain.clampedNanoseconds
    }

    /// Serves until the server asks the worker to stop, then drains and returns.
    mutating func run() {
        while true {
            updateAccepting()
            let drained = core.openCount == 0 && !backend.isAccepting && accept.backlogTaken
            if stopping && (drained || timers.now >= drainDeadline) { break }
            guard backend.wait(timeoutNanoseconds: waitTimeout()) else { break }
            // The turn's one clock read, right after the wait: request durations and deadlines start from it.
            let ticks = clock.advance()
            timers.advance(to: clock.monotonicNanoseconds)
            core.beginTurn()
            while let event = backend.nextEvent() {
                handle(event)
            }
            if ticks.date { core.refreshDate(wallSeconds: clock.wallSecond) }
            if ticks.second { accept.tick() }
            fireTimers()
            core.runTasks(into: &taskEvents)
            acceptBacklog()
            flushDirty()
            core.endTurn()
        }
        backend.finish()
        clients.shutdown()  // calls still waiting fail, so their handlers finish below
        core.finishTasks(into: &taskEvents)
        if backend.isAccepting || core.openCount > 0 {
            logger.warning("drain timed out", metadata: ["open": "\(core.openCount)"])
            // Their operations die with the backend; the descriptors must not outlive the worker.
            core.closeOpenDescriptors()
        }
        accept.closeParked()
    }

    /// How long the backend may wait: not past the next second (dates flip
    /// when the wall second does) or the timer service's next deadline; not
    /// at all while tasks are ready to run.
    private func waitTimeout() -> Int64 {
        if runtime.hasWork { return 0 }
        let timeout = clock.nanosecondsUntilNextTick
        guard let deadline = timers.nanosecondsUntilNext() else { return timeout }
        // At least a microsecond: a deadline just missed is met on the next turn, not by spinning.
        return min(timeout, max(deadline, 1000))
    }

    // MARK: Events, routed by their slot's kind

    private mutating func handle(_ event: IOEvent) {
        switch event {
        // The two events of every request, straight to their owner.
        case .received(let id, let bytes):
            switch id.kind {
            case .served: core.received(id.index, bytes)
            case .outbound: clients.received(id.index, bytes)
            }
        case .sent(let id, let count):
            switch id.kind {
            case .served: core.sent(id.index, count)
            case .outbound: clients.sent(id.index, count)
            }
        case .changed(let id), .peerFinished(let id), .failed(let id), .connected(let id, _):
            switch id.kind {
            case .served: core.handle(event, id.index)
            case .outbound: clients.handle(event, id.index)
            }
        case .accepted(let fd, let listener):
            accepted(fd, listener: listener)
        case .acceptFailed(let code):
            acceptFailed(code)
        case .woken:
            if signal.stopRequested { stop() }
        }
    }

    /// Deadlines that passed, each to its owner: slots' by kind, exact ones by what waits.
    private mutating func fireTimers() {
        while let id = timers.popExpiredSlot() {
            switch id.kind {
            case .served: core.expired(id.index)
            case .outbound: clients.expired(id.index)
            }
        }
        while let timer = timers.popDue() {
            switch timer {
            case .answer(let answer): core.answerDue(answer)
            case .resume(let continuation): continuation.resume()  // runs on this turn's jobs pass
            case .clientQueue(let pool): clients.expireWaiting(pool)
            }
        }
    }

    /// Stop accepting; answer what is in flight, each with `connection: close`;
    /// close idle connections (see `HTTPCore.beginDrain`).
    private mutating func stop() {
        guard !stopping else { return }
        stopping = true
        drainDeadline = TimerService.adding(drainTimeout, to: timers.now)
        core.beginDrain()
        while let (fd, _) = accept.unpark() { backend.discard(fd) }
        updateAccepting()  // epoll stops at once, so this turn's end takes the backlog
    }
}
