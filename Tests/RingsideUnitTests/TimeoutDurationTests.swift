import Testing

@testable import Ringside

/// Timeouts are `Duration`s; the workers' wheel turns once a second, so each becomes whole seconds,
/// rounded up (a timeout never fires before its duration).
struct TimeoutDurationTests {
    @Test(arguments: [
        (Duration.zero, 0), (.nanoseconds(1), 1), (.milliseconds(999), 1), (.seconds(1), 1),
        (.milliseconds(1500), 2), (.seconds(30), 30), (.seconds(-3), 0),
    ])
    func wholeSecondsRoundUp(duration: Duration, seconds: Int) {
        #expect(duration.wholeSecondsRoundedUp == seconds)
    }

    @Test func policyUsesRoundedSeconds() {
        let policy = TimeoutPolicy(timeouts: .init(header: .milliseconds(2500), idle: .seconds(15)))
        #expect(policy.seconds(.header, draining: false) == 3)
        #expect(policy.seconds(.idle, draining: false) == 15)
        #expect(policy.seconds(.idle, draining: true) == 1, "a draining worker gives idle connections a second")
        #expect(policy.seconds(.none, draining: false) == nil)
    }
}
