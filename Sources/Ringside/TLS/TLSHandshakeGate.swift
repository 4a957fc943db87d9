import DequeModule

/// At most `limit` TLS handshakes in progress on a worker; connections
/// beyond it wait, in arrival order, with nothing read (their ClientHello
/// stays in the kernel's socket buffer) until one in progress ends.
///
/// Threat: a client that opens connections, sends a ClientHello and goes
/// (or never finishes) makes the server hold OpenSSL's handshake state and
/// an output buffer for each, about 45 KB, up to the connection table: on
/// io_uring, which accepts eagerly, a flood held hundreds at once. With the
/// gate the memory is `limit` handshakes' worth, and the CPU spent is the
/// same (a handshake costs what it costs). A waiting connection still runs
/// its handshake timeout (the header timeout), so waiting is bounded too.
struct TLSHandshakeGate {
    let limit: Int
    private(set) var inProgress = 0
    private var waiting: Deque<(slot: Int, generation: UInt32)> = []

    init(limit: Int) {
        precondition(limit > 0, "at least one handshake at a time")
        self.limit = limit
    }

    /// A TLS connection opened: true if its handshake may start now, false if it waits its turn.
    mutating func admit(_ slot: Int, generation: UInt32) -> Bool {
        if inProgress < limit {
            inProgress += 1
            return true
        }
        waiting.append((slot, generation))
        return false
    }

    /// A handshake in progress ended (done, failed or its connection gone).
    mutating func finished() {
        inProgress -= 1
    }

    /// The oldest waiting connection, if a handshake may start now; the
    /// caller checks it is still open and calls ``started()`` if so.
    mutating func nextWaiting() -> (slot: Int, generation: UInt32)? {
        inProgress < limit ? waiting.popFirst() : nil
    }

    /// A waiting connection's handshake starts.
    mutating func started() {
        inProgress += 1
    }
}
