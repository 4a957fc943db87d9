#if canImport(Glibc)
import Glibc
#endif

/// A failed io_uring set-up step, with the errno the kernel gave.
public struct IOUringError: Error, CustomStringConvertible, Sendable {
    public var operation: String
    public var errno: Int32

    public init(_ operation: String, errno: Int32) {
        self.operation = operation
        self.errno = errno
    }

    public var description: String {
        "\(operation): \(String(cString: strerror(errno))) (errno \(errno))"
    }
}
