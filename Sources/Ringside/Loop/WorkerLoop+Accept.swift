import Logging
#if canImport(Glibc)
import Glibc
#endif

/// The accept policy, for every backend: accept while there is room; at the
/// connection limit, stop (new connections wait in the listen backlog) and
/// park sockets that were accepted before the stop took effect; after
/// `EMFILE`/`ENFILE` and the like, keep serving and try again on the next
/// tick, logging once per burst.
extension WorkerLoop where B: ~Copyable {
    /// Starts or stops accepting as the policy says.
    mutating func updateAccepting() {
        let wanted = !stopping && !accept.backingOff && !core.isFull && !accept.hasParked
        if wanted != backend.isAccepting {
            if wanted { backend.startAccepting() } else { backend.stopAccepting() }
        }
    }

    mutating func accepted(_ fd: Int32, listener: Int) {
        // Stopping too: the accept completed before the stop took effect, so a client holds a
        // connection it was promised; it is served, its answer saying connection: close.
        if !core.isFull {
            adopt(fd, listener: listener)
        } else if !accept.park(fd, listener: listener) {
            backend.discard(fd)
        }
    }

    mutating func acceptFailed(_ code: Int32) {
        accept.backingOff = true
        if accept.failureLogged != code {
            accept.failureLogged = code
            logger.warning("accept failed; retrying every second", metadata: ["errno": "\(code)"])
        }
    }

    /// Gives a socket `listener` accepted a slot; the loop's flush starts reading it.
    private mutating func adopt(_ fd: Int32, listener: Int) {
        guard let slot = core.open(fd: fd, listener: listener) else {
            backend.discard(fd)
            return
        }
        backend.open(core.socket(slot))
        if core.isFull && !accept.limitLogged {
            accept.limitLogged = true
            logger.warning("connection limit reached; accepting again when one closes",
                           metadata: ["limit": "\(core.capacity)"])
        }
    }

    /// Once stopping and no accept is armed: the connections the kernel completed before the stop,
    /// still in the listen backlog, are served like the accepted ones (a client that connected
    /// and sent its request just before SIGTERM gets its answer) instead of being reset when the
    /// listener closes. Once only: what arrives later waits for the close.
    mutating func acceptBacklog() {
        guard stopping, !accept.backlogTaken, !backend.isAccepting else { return }
        accept.backlogTaken = true
        while !core.isFull, let (fd, listener) = backend.acceptQueued() { adopt(fd, listener: listener) }
    }

    /// A slot came free: the oldest parked socket takes it.
    mutating func adoptParked() {
        guard !stopping, let (fd, listener) = accept.unpark() else { return }
        adopt(fd, listener: listener)
    }
}

/// The accept policy's state (see `WorkerLoop+Accept.swift`).
struct AcceptState: ~Copyable {
    /// Accepting failed: wait for the next tick before trying again.
    var backingOff = false
    /// The accept failure already logged in this burst (0: none).
    var failureLogged: Int32 = 0
    /// The connection limit was logged since the last tick.
    var limitLogged = false
    /// Stopping, the listen backlog was taken (see `acceptBacklog`).
    var backlogTaken = false
    /// Sockets accepted after the connection limit was reached (before the
    /// stop took effect): they wait here, unread, as they would in the
    /// listen backlog, first come first served.
    private let parked: UnsafeMutablePointer<(fd: Int32, listener: Int32)>
    private let parkCapacity: Int
    private var parkedCount = 0

    init(parkCapacity: Int) {
        self.parkCapacity = max(parkCapacity, 1)
        parked = .allocate(capacity: self.parkCapacity)
    }

    deinit { parked.deallocate() }

    var hasParked: Bool { parkedCount > 0 }

    /// Keeps `fd`, accepted by `listener`, for the next free slot; false when there is no room.
    mutating func park(_ fd: Int32, listener: Int) -> Bool {
        guard parkedCount < parkCapacity else { return false }
        parked[parkedCount] = (fd, Int32(listener))
        parkedCount += 1
        return true
    }

    /// The oldest parked socket and its listener, if any.
    mutating func unpark() -> (fd: Int32, listener: Int)? {
        guard parkedCount > 0 else { return nil }
        let (fd, listener) = parked[0]
        parkedCount -= 1
        parked.update(from: parked + 1, count: parkedCount)
        return (fd, Int(listener))
    }

    /// A new second ends a failure burst and allows the limit to be logged again.
    mutating func tick() {
        backingOff = false
        failureLogged = 0
        limitLogged = false
    }

    /// After the loop: parked sockets are never served.
    mutating func closeParked() {
        while let (fd, _) = unpark() { close(fd) }
    }
}
