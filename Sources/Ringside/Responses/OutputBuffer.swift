import HTTP1

/// Bytes a handler's response is encoded into, owned until the send completes.
///
/// One allocation per dynamic response: the bytes are tail-allocated in the
/// object (`ManagedBuffer`), which the connection retains next to the iovec
/// that points into it and releases once the kernel has taken the bytes.
final class OutputBuffer: ManagedBuffer<OutputBuffer.Header, UInt8>, ByteSink {
    struct Header {
        /// The bytes asked for (the allocation may be larger).
        let capacity: Int
        var count: Int
    }

    /// An empty buffer for `capacity` bytes.
    static func make(capacity: Int) -> OutputBuffer {
        // `create` allocates an instance of the class it is called on: this one.
        unsafeDowncast(create(minimumCapacity: max(capacity, 1)) { _ in Header(capacity: capacity, count: 0) },
                       to: OutputBuffer.self)
    }

    var count: Int { header.count }

    /// The bytes written so far. Valid while the buffer lives: the elements
    /// never move, and whoever sends them holds a reference (the send queue's owner).
    var written: UnsafeRawBufferPointer {
        withUnsafeMutablePointerToElements { UnsafeRawBufferPointer(start: $0, count: header.count) }
    }

    /// Empties the buffer for reuse (its owner holds the only reference).
    func clear() { header.count = 0 }

    @inline(__always)
    func append(_ source: UnsafeRawBufferPointer) {
        guard !source.isEmpty else { return }
        let count = header.count
        precondition(count + source.count <= header.capacity, "output buffer overflow")
        withUnsafeMutablePointerToElements {
            UnsafeMutableRawPointer($0 + count).copyMemory(from: source.baseAddress!, byteCount: source.count)
        }
        header.count = count + source.count
    }

    func appendHex(_ value: Int) {
        var digits: (UInt64, UInt64) = (0, 0)
        withUnsafeMutableBytes(of: &digits) { scratch in
            var position = scratch.count
            var remaining = value
            repeat {
                position -= 1
                let digit = UInt8(remaining & 15)
                scratch[position] = digit < 10 ? UInt8(ascii: "0") + digit : UInt8(ascii: "a") + digit - 10
                remaining >>= 4
            } while remaining > 0
            append(UnsafeRawBufferPointer(rebasing: scratch[position...]))
        }
    }
}
