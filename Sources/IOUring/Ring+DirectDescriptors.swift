public import CLiburing
#if canImport(Glibc)
import Glibc
#endif

/// Direct descriptors: sockets that live only in the ring's file table.
///
/// An operation on one names its index with `IOSQE_FIXED_FILE`: the kernel
/// takes the file from the ring's table without looking it up in the
/// process's descriptor table or taking a reference on it, and accepting or
/// closing one touches no process-wide table (no descriptor allocation, no
/// `files_struct` lock).
extension Ring {
    /// Registers an empty file table of `tableSize` slots for accepts to
    /// fill, where the kernel has all that direct descriptors need here:
    /// sparse tables and multishot accept into them (5.19), and
    /// `IORING_OP_FIXED_FD_INSTALL` (6.8), without which a handler could not
    /// learn its peer's address (``directPeerName(index:address:length:userData:)``).
    /// Returns false, changing nothing, where one is missing.
    ///
    /// The kernel refuses tables larger than `RLIMIT_NOFILE`: `tableSize` is
    /// cut to it, and accepts beyond it fail with `ENFILE` as they would
    /// with `EMFILE` on process descriptors.
    public mutating func enableDirectDescriptors(tableSize: Int) -> Bool {
        guard supports(opcode: UInt8(RS_IORING_OP_FIXED_FD_INSTALL)) else { return false }
        var limit = rlimit()
        var size = max(tableSize, 1)
        if getrlimit(RLIMIT_NOFILE_VALUE, &limit) == 0 && limit.rlim_cur != rlim_t.max {
            size = min(size, Int(limit.rlim_cur))
        }
        guard io_uring_register_files_sparse(ring, UInt32(size)) == 0 else { return false }
        features.insert(.directDescriptors)
        return true
    }

    /// Whether the kernel knows `opcode` (`IORING_REGISTER_PROBE`, 5.6).
    public func supports(opcode: UInt8) -> Bool {
        guard let probe = io_uring_get_probe_ring(ring) else { return false }
        defer { io_uring_free_probe(probe) }
        return io_uring_opcode_supported(probe, Int32(opcode)) != 0
    }

    /// Makes this ring the calling thread's, for
    /// ``directPeerName(index:address:length:userData:)``; the owner calls
    /// ``clearThreadRing()`` before the ring goes away.
    public func makeThreadRing() { rs_set_thread_ring(ring) }

    /// The calling thread has no ring any more.
    public static func clearThreadRing() { rs_set_thread_ring(nil) }

    /// `getpeername(2)` for direct descriptor `index` of the calling thread's
    /// ring: a real descriptor is installed for the call and closed after it
    /// (one `io_uring_enter`, then `getpeername` and `close`). Returns 0 or
    /// `-errno` (`-EBADF` on a thread without a ring).
    ///
    /// The install's CQE is re-tagged 0 in place, so the ring's owner must
    /// ignore CQEs whose `user_data` is 0. When it returns `-EAGAIN` the CQE
    /// was not posted yet (the CQ overflowed): it arrives later tagged
    /// `userData`, and the owner closes the descriptor in its result.
    /// `userData` must differ from call to call.
    public static func directPeerName(
        index: UInt32, address: UnsafeMutablePointer<sockaddr>, length: UnsafeMutablePointer<socklen_t>,
        userData: UserData
    ) -> Int32 {
        guard let ring = rs_thread_ring() else { return -EBADF }
        return rs_direct_peer_name(ring, index, address, length, userData.rawValue)
    }
}

/// `RLIMIT_NOFILE` as `getrlimit` takes it (an enum in Glibc's module).
private let RLIMIT_NOFILE_VALUE = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
