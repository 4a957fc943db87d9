/// Delayed prebuilt answers (``Response/init(_:after:)``): the connection
/// waits as it would for a handler, on an exact timer of the worker's
/// ``TimerService``, and the loop hands the answer back at its deadline. No
/// task, no continuation, no allocation (the timer queues grow to the most
/// waiting at once).

/// One waiting answer: for the connection in `slot` if still of `generation`.
/// Plain bytes, so the timer queues move entries without retains or releases.
struct LaterAnswer {
    let slot: Int32
    let generation: UInt32
    /// The laid-out answer's catalog index; -1: the response waits in
    /// `HTTPCore.laterResponses` (fields added to it, or not laid out here).
    let index: Int32
}

extension HTTPCore {
    /// `slot` waits for `response`, due `delay` from now.
    mutating func answerLater(_ slot: Int, _ response: Response, after delay: Duration, _ framing: ResponseFraming) {
        let connection = connections[slot]
        observer.answerPending(slot)
        connection.pointee.beginWaiting(framing)
        connections.markDirty(slot)
        let generation = connection.pointee.generation
        var index: Int32 = -1
        if case .prebuilt(let prebuilt) = response.body, response.headerFields.isEmpty,
           response.status == prebuilt.status, let laidOut = catalog.index(of: prebuilt) {
            index = Int32(laidOut)
        } else {
            laterResponses[slot] = (generation, response)
        }
        // From the turn that read the request: the delay counts from its arrival.
        timers.add(.answer(LaterAnswer(slot: Int32(slot), generation: generation, index: index)),
                   after: delay.clampedNanoseconds, from: observer.turnStart)
    }

    /// A delayed answer is due. One whose connection closed or timed out
    /// meanwhile is dropped (`finishWaiting` checks slot, generation and waiting).
    mutating func answerDue(_ due: LaterAnswer) {
        let slot = Int(due.slot)
        guard due.index >= 0 else {
            if let (generation, response) = laterResponses[slot], generation == due.generation {
                laterResponses[slot] = nil
                complete(slot, due.generation, response)
            }
            return
        }
        // `complete`'s path without building a `Response`.
        guard let framing = finishWaiting(slot, due.generation) else { return }
        queueAnswer(slot, Int(due.index), framing)
        if framing.variant == .close { connections[slot].pointee.finishAfterFlush() }
        resumeReading(slot)
    }
}
