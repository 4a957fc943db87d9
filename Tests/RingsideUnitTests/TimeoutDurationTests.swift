import Testing

@testable import Ringside

/// Timeouts are `Duration`s; the workers' timers count in nanoseconds, so
/// each becomes whole nanoseconds, clamped (negative ones to 0, huge ones to
/// the end of time).
struct TimeoutDurationTests {
    @Test(arguments: [
        (Duration.zero, Int64(0)), (.nanoseconds(1), 1), (.milliseconds(1500), 1_500_000_000),
        (.seconds(30), 30_000_000_000), (.seconds(-3), 0), (.seconds(Int64.max), .max),
    ])
    func clampedNanoseconds(duration: Duration, nanoseconds: Int64) {
        #expect(duration.clampedNanoseconds == nanoseconds)
    }

    @Test func policyUsesTheConfiguredNanoseconds() {
        let policy = TimeoutPolicy(timeouts: .init(header: .milliseconds(2500), idle: .seconds(15)))
        #expect(policy.nanoseconds(.header, draining: false) == 2_500_000_000)
        #expect(policy.nanoseconds(.idle, draining: false) == 15_000_000_000)
        #expect(policy.nanoseconds(.idle, draining: true) == 1_000_000_000, "a draining worker gives idle connections a second")
        #expect(policy.nanoseconds(.none, draining: false) == nil)
    }
}
