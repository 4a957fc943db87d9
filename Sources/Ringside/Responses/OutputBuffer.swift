import HTTP1

/// Bytes a handler's response is encoded into, owned until the send completes.
///
/// Two allocations per dynamic response (the object and its bytes); the
/// connection keeps a retained reference next to the iovec that points into
/// it and releases it once the kernel has taken the bytes.
final class OutputBuffer: ByteSink {
    let bytes: UnsafeMutableRawBufferPointer
    private(set) var count = 0

    init(capacity: Int) {
        bytes = .allocate(byteCount: max(capacity, 1), alignment: 16)
    }

    deinit { bytes.deallocate() }

    var written: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: bytes[0..<count]) }

    @inline(__always)
    func append(_ source: UnsafeRawBufferPointer) {
        guard !source.isEmpty else { return }
        precondition(count + source.count <= bytes.count, "output buffer overflow")
        (bytes.baseAddress! + count).copyMemory(from: source.baseAddress!, byteCount: source.count)
        count += source.count
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
