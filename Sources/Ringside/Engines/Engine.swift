/// What a worker runs: one event loop over its listener and its connections.
///
/// Each engine is one file (`IOUringEngine`, `EpollEngine`) doing only I/O;
/// both drive the same `HTTPCore`, so comparing them measures the engine.
protocol Engine: ~Copyable {
    init(context: WorkerContext) throws
    /// Serves until the worker's wake descriptor is written, then drains and returns.
    mutating func run()
}
