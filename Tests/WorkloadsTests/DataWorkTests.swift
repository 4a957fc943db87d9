import Testing
import Workloads

@Suite("/data work")
struct DataWorkTests {
    // Known answers from an independent implementation (Python's hashlib):
    // d = bytes(32); repeat n times: d = sha256(d).digest()
    @Test(arguments: [
        (0, String(repeating: "0", count: 64)),
        (1, "66687aadf862bd776c8fc18b8e9f8e20089714856ee233b3902a591d0d5f2925"),
        (3, "12771355e46cd47c71ed1721fd5319b383cca3a1f9fce3aa1c8cd3bd37af20d7"),
        (2000, "4aa241482140ae279432edae9365b656b054a9598a28b670340b72545068c117"),
    ])
    func chainMatchesKnownAnswers(iterations: Int, expected: String) {
        #expect(DataWork(iterations: iterations).run() == expected)
    }

    @Test func theWorkIsDeterministic() {
        let work = DataWork(iterations: 777)
        #expect(work.run() == work.run())
        #expect(work.run() != DataWork(iterations: 778).run())
    }

    @Test func measuringGivesAPositiveTime() {
        #expect(DataWork.measureIteration() > .zero)
    }
}
