#if canImport(Glibc)
import Glibc
#endif

/// A system call that failed while a server started: which step, and the errno.
struct SystemCallError: Error, CustomStringConvertible {
    var step: String
    var errno: Int32
    var description: String { "\(step): \(String(cString: strerror(errno)))" }
}
