import CLinuxShim

/// The CPUs this process may use, and pinning a thread to one of them.
enum CPUAffinity {
    static var allowedCount: Int { Int(rs_allowed_cpu_count()) }

    /// The `index`-th allowed CPU, wrapping around.
    static func cpu(forWorker index: Int) -> Int32 {
        rs_allowed_cpu(Int32(index % allowedCount))
    }

    /// Returns 0 or `-errno`.
    static func pinCurrentThread(to cpu: Int32) -> Int32 {
        rs_pin_current_thread(cpu)
    }
}
