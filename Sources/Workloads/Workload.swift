public import Ringside

/// A set of routes that `ringside serve` answers.
///
/// Each workload lives in a file of its own and uses nothing but Ringside's
/// public API, so each is also a worked example of it.
public protocol Workload: Sendable {
    /// Adds this workload's routes to `router`.
    func addRoutes(to router: inout Router)
}

extension Router {
    /// A router answering the routes of every workload, in order.
    public init(workloads: [any Workload]) {
        self.init()
        for workload in workloads {
            workload.addRoutes(to: &self)
        }
    }
}
