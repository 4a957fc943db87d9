public import CLiburing

/// One CQE, copied out of the completion queue.
public struct Completion: Sendable {
    public var userData: UserData
    /// The operation's result: bytes, a file descriptor, or `-errno`.
    public var result: Int32
    public var flags: UInt32

    @inlinable
    init(_ cqe: UnsafePointer<io_uring_cqe>) {
        userData = UserData(rawValue: cqe.pointee.user_data)
        result = cqe.pointee.res
        flags = cqe.pointee.flags
    }

    /// A multishot operation stays armed and will post more completions.
    @inlinable public var hasMore: Bool { flags & IORING_CQE_F_MORE != 0 }

    /// The provided buffer the kernel picked, if any.
    @inlinable
    public var bufferID: UInt16? {
        flags & IORING_CQE_F_BUFFER != 0 ? UInt16(truncatingIfNeeded: flags >> IORING_CQE_BUFFER_SHIFT) : nil
    }
}
