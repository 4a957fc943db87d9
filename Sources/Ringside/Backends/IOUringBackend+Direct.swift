import IOUring
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Direct descriptors as the rest of the server sees them.
///
/// With ``IOUringFeatures/directDescriptors`` an accepted socket is a slot
/// of the worker ring's file table, not a process descriptor. The loop and
/// the HTTP core keep it where they keep any descriptor (`SocketHandle.fd`),
/// as `Int32.min | index`: a negative number, so a plain system call made
/// with it (`close` after a drain timed out, `getpeername`) fails with
/// `EBADF` instead of touching an unrelated descriptor. Only the io_uring
/// backend turns it back into an index (and `IOSQE_FIXED_FILE`), and only
/// ``peerName(_:_:_:)`` answers `getpeername` for it.
enum DirectDescriptor {
    /// How the loop sees file-table slot `index`.
    @inline(__always)
    static func fd(index: Int32) -> Int32 { Int32.min | index }

    /// What an SQE names for `fd`: the descriptor itself, or its table index
    /// with `fixed`. -1 (no descriptor) is never an encoded index.
    @inline(__always)
    static func target(_ fd: Int32) -> (fd: Int32, fixed: Bool) {
        fd < -1 ? (fd & Int32.max, true) : (fd, false)
    }

    /// `getpeername(2)` for any socket the loop holds. For a direct
    /// descriptor it asks the calling thread's ring (a worker's: handlers
    /// and the HTTP core run there) for a real descriptor for the call,
    /// once per call; see `Ring.directPeerName`.
    static func peerName(
        _ socket: Int32, _ address: UnsafeMutablePointer<sockaddr>, _ length: UnsafeMutablePointer<socklen_t>
    ) -> Int32 {
        let target = target(socket)
        guard target.fixed else { return getpeername(socket, address, length) }
        // A fresh tag per lookup: a late CQE (see `Ring.directPeerName`) is never taken for another's.
        let sequence = lookups.add(1, ordering: .relaxed).newValue
        let userData = Token(
            kind: IOUringBackend.Kind.installedDescriptor.rawValue, slot: Int(sequence & 0xFFFF_FFFF)
        ).userData
        let result = Ring.directPeerName(index: UInt32(target.fd), address: address, length: length, userData: userData)
        if result == 0 { return 0 }
        errno = -result
        return -1
    }

    private static let lookups = Atomic<UInt64>(0)
}
