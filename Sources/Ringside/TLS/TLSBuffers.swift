/// A worker's TLS memory: one plaintext buffer records are decrypted into
/// (its bytes are parsed at once, or copied to the connection's spill
/// buffer, as a receive buffer's are), and output buffers lent to a
/// connection only while it has ciphertext to send, so an idle connection
/// holds none and a busy one allocates none after the first.
struct TLSBuffers: ~Copyable {
    /// A TLS record's plaintext is at most 16 KiB.
    static let plaintextSize = 16 << 10
    /// Two full records and their overhead per send.
    static let outputSize = 2 * (16 << 10) + 2 * 512

    let plaintext: UnsafeMutableRawBufferPointer
    private var free: [UnsafeMutableRawBufferPointer] = []

    init() {
        plaintext = .allocate(byteCount: TLSBuffers.plaintextSize, alignment: 64)
        free.reserveCapacity(TLSBuffers.maxPooled)
    }

    deinit {
        plaintext.deallocate()
        free.forEach { $0.deallocate() }
    }

    /// An output buffer: a free one, or a new one.
    mutating func take() -> UnsafeMutableRawBufferPointer {
        free.popLast() ?? .allocate(byteCount: TLSBuffers.outputSize, alignment: 64)
    }

    /// Back from a connection that sent all it held (or closed): kept for the
    /// next one, up to ``maxPooled``; a burst of handshakes lends many at once,
    /// and keeping them all would hold its high-water mark for good.
    mutating func giveBack(_ buffer: UnsafeMutableRawBufferPointer) {
        if free.count < TLSBuffers.maxPooled {
            free.append(buffer)
        } else {
            buffer.deallocate()
        }
    }

    /// Free output buffers kept (about 1 MiB).
    static let maxPooled = 32
}
