/// Delayed prebuilt answers (``Response/init(_:after:)``): the connection
/// waits as it would for a handler, on an entry in the worker's answer
/// timers, and the loop queues the answer at its deadline. No task, no
/// continuation, no allocation (the timer arrays grow to the most waiting at once).

/// One waiting answer: for the connection in `slot` if still of `generation`.
/// Plain bytes, so the heap moves entries without retains or releases.
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
        deferAnswer(slot)
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
        let deadline = observer.turnStart.addingReportingOverflow(delay.clampedNanoseconds)
        laterAnswers.add(
            deadline: deadline.overflow ? .max : deadline.partialValue,
            LaterAnswer(slot: Int32(slot), generation: generation, index: index))
    }

    /// Queues the answers that are due. One whose connection closed or timed
    /// out meanwhile is dropped (`complete` checks slot, generation and waiting).
    mutating func sendDueAnswers(now: Int64) {
        while let due = laterAnswers.popDue(now: now) {
            let slot = Int(due.slot)
            if due.index >= 0 {
                answerDue(slot, due.generation, index: Int(due.index))
            } else if let (generation, response) = laterResponses[slot], generation == due.generation {
                laterResponses[slot] = nil
                complete(slot, due.generation, response)
            }
        }
    }

    /// A laid-out answer is due: `complete`'s path without building a `Response`.
    private mutating func answerDue(_ slot: Int, _ generation: UInt32, index: Int) {
        guard let framing = finishWaiting(slot, generation) else { return }
        queueAnswer(slot, index, framing)
        if framing.variant == .close { connections[slot].pointee.finishAfterFlush() }
        resumeReading(slot)
    }

    /// Nanoseconds until the loop should wake for the next delayed answer
    /// (nil without any): its deadline rounded up to a whole millisecond, so
    /// thousands of answers due a few microseconds apart go out in batches,
    /// one wake a millisecond at most, instead of one wake each.
    func nanosecondsUntilNextAnswer() -> Int64? {
        guard !laterAnswers.isEmpty else { return nil }  // no clock read on a turn without any
        // Read afresh: the wait starts after this turn's work, not at its start.
        guard let next = laterAnswers.nanosecondsUntilNext(now: MonotonicClock.nanoseconds) else { return nil }
        return (next + 999_999) / 1_000_000 * 1_000_000
    }
}
