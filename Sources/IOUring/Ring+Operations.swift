public import CLiburing
#if canImport(Glibc)
import Glibc
#endif

/// SQE preparation: one method per operation Ringside issues.
extension Ring {
    /// Multishot accept: one SQE, one CQE per accepted connection while `hasMore`.
    @inlinable
    public func acceptMultishot(listener: Int32, userData: UserData) {
        let sqe = nextSQE()
        io_uring_prep_multishot_accept(sqe, listener, nil, nil, Int32(SOCK_CLOEXEC.rawValue))
        io_uring_sqe_set_data64(sqe, userData.rawValue)
    }

    /// Multishot receive into buffers picked by the kernel from `bufferGroup`.
    @inlinable
    public func receiveMultishot(fd: Int32, bufferGroup: UInt16, userData: UserData) {
        let sqe = nextSQE()
        io_uring_prep_recv_multishot(sqe, fd, nil, 0, 0)
        sqe.pointee.flags |= UInt8(RS_IOSQE_BUFFER_SELECT)
        sqe.pointee.buf_group = bufferGroup
        io_uring_sqe_set_data64(sqe, userData.rawValue)
    }

    /// Sends `count` bytes from memory that must stay untouched until the CQE.
    @inlinable
    public func send(fd: Int32, bytes: UnsafeRawPointer, count: Int, userData: UserData) {
        let sqe = nextSQE()
        io_uring_prep_send(sqe, fd, bytes, count, Int32(MSG_NOSIGNAL))
        io_uring_sqe_set_data64(sqe, userData.rawValue)
    }

    /// Gathered send; the message, its iovecs and their bytes stay untouched until the CQE.
    @inlinable
    public func sendMessage(fd: Int32, message: UnsafePointer<msghdr>, userData: UserData) {
        let sqe = nextSQE()
        io_uring_prep_sendmsg(sqe, fd, message, UInt32(MSG_NOSIGNAL))
        io_uring_sqe_set_data64(sqe, userData.rawValue)
    }

    @inlinable
    public func read(fd: Int32, into buffer: UnsafeMutableRawPointer, count: UInt32, userData: UserData) {
        let sqe = nextSQE()
        io_uring_prep_read(sqe, fd, buffer, count, 0)
        io_uring_sqe_set_data64(sqe, userData.rawValue)
    }

    /// Closes `fd`; `skipCompletion` asks for no CQE when it succeeds.
    @inlinable
    public func close(fd: Int32, userData: UserData, skipCompletion: Bool = true) {
        let sqe = nextSQE()
        io_uring_prep_close(sqe, fd)
        if skipCompletion { sqe.pointee.flags |= UInt8(RS_IOSQE_CQE_SKIP_SUCCESS) }
        io_uring_sqe_set_data64(sqe, userData.rawValue)
    }

    /// Connects socket `fd` to `address`, which must stay valid until the CQE.
    @inlinable
    public func connect(fd: Int32, address: UnsafePointer<sockaddr>, length: socklen_t, userData: UserData) {
        let sqe = nextSQE()
        io_uring_prep_connect(sqe, fd, address, length)
        io_uring_sqe_set_data64(sqe, userData.rawValue)
    }

    /// Cancels the operation queued with `target`.
    ///
    /// - Parameter thenNext: hard-link the next SQE after this one, so it runs
    ///   once the cancel is done whether or not it found its target; the
    ///   cancel then posts a CQE only when it fails.
    @inlinable
    public func cancel(_ target: UserData, userData: UserData, thenNext: Bool = false) {
        let sqe = nextSQE()
        io_uring_prep_cancel64(sqe, target.rawValue, 0)
        if thenNext { sqe.pointee.flags |= UInt8(RS_IOSQE_IO_HARDLINK | RS_IOSQE_CQE_SKIP_SUCCESS) }
        io_uring_sqe_set_data64(sqe, userData.rawValue)
    }

    /// Posts a CQE carrying `userData` and `result` on the ring `targetRing`
    /// (`IORING_OP_MSG_RING`): how another thread wakes a worker's loop. No
    /// CQE on this ring unless it fails.
    @inlinable
    public func message(ring targetRing: Int32, result: UInt32, userData: UserData) {
        let sqe = nextSQE()
        io_uring_prep_msg_ring(sqe, targetRing, result, userData.rawValue, 0)
        io_uring_sqe_set_data64(sqe, 0)
        sqe.pointee.flags |= UInt8(RS_IOSQE_CQE_SKIP_SUCCESS)
    }
}
