import CLiburing
#if canImport(Glibc)
import Glibc
#endif

/// Start-up check: can this process use io_uring the way Ringside does?
public enum IOUringAvailability {
    /// Operations Ringside issues; each must be known to the kernel.
    static let requiredOperations: [(opcode: io_uring_op, name: String)] = [
        (IORING_OP_ACCEPT, "accept"), (IORING_OP_RECV, "recv"), (IORING_OP_SEND, "send"),
        (IORING_OP_SENDMSG, "sendmsg"), (IORING_OP_READ, "read"), (IORING_OP_CLOSE, "close"),
        (IORING_OP_ASYNC_CANCEL, "cancel"), (IORING_OP_CONNECT, "connect"),
    ]

    /// Multishot recv and `SINGLE_ISSUER` arrived in Linux 6.0.
    public static let minimumKernel = (major: 6, minor: 0)

    /// Returns nil when io_uring is usable, otherwise one line saying why not.
    public static func unavailableReason() -> String? {
        if let release = kernelRelease(), release < minimumKernel {
            return "io_uring engine needs Linux \(minimumKernel.major).\(minimumKernel.minor) or later (multishot receive); this kernel is \(release.major).\(release.minor)"
        }
        var ring = io_uring()
        let result = io_uring_queue_init(8, &ring, 0)
        if result < 0 { return explain(errno: -result) }
        defer { io_uring_queue_exit(&ring) }

        guard let probe = io_uring_get_probe_ring(&ring) else {
            return "io_uring is present but cannot be probed (IORING_REGISTER_PROBE failed)"
        }
        defer { io_uring_free_probe(probe) }
        let missing = requiredOperations.filter { io_uring_opcode_supported(probe, Int32($0.opcode.rawValue)) == 0 }
        if !missing.isEmpty {
            return "io_uring lacks operations Ringside needs: \(missing.map(\.name).joined(separator: ", "))"
        }
        return nil
    }

    static func explain(errno code: Int32) -> String {
        switch code {
        case ENOSYS:
            return "io_uring is not available: the kernel was built without it (ENOSYS)"
        case EPERM:
            if let disabled = sysctlIOUringDisabled(), disabled != 0 {
                return "io_uring is disabled by sysctl kernel.io_uring_disabled=\(disabled) (EPERM)"
            }
            return "io_uring is blocked for this process (EPERM), most likely by a seccomp filter such as a container's default profile"
        case ENOMEM:
            return "io_uring set-up failed: out of locked memory (ENOMEM); raise RLIMIT_MEMLOCK"
        default:
            return "io_uring set-up failed: \(String(decoding: UnsafeRawBufferPointer(start: strerror(code), count: strlen(strerror(code))), as: UTF8.self)) (errno \(code))"
        }
    }

    static func sysctlIOUringDisabled() -> Int? {
        let fd = open("/proc/sys/kernel/io_uring_disabled", O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: 16)
        let count = read(fd, &bytes, bytes.count)
        guard count > 0 else { return nil }
        return Int(String(decoding: bytes[..<count].filter { (0x30...0x39).contains($0) }, as: UTF8.self))
    }

    static func kernelRelease() -> (major: Int, minor: Int)? {
        var name = utsname()
        guard uname(&name) == 0 else { return nil }
        let release = withUnsafeBytes(of: &name.release) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        let parts = release.split(whereSeparator: { !$0.isNumber }).prefix(2).compactMap { Int($0) }
        return parts.count == 2 ? (parts[0], parts[1]) : nil
    }
}

private func < (lhs: (major: Int, minor: Int), rhs: (major: Int, minor: Int)) -> Bool {
    lhs.major != rhs.major ? lhs.major < rhs.major : lhs.minor < rhs.minor
}
