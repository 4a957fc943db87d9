import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Entries in /proc/PID/fd: the server's process descriptors.
func processDescriptorCount(_ pid: Int32) throws -> Int {
    try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count
}

/// Sockets held as direct descriptors in the file tables of `pid`'s io_uring
/// rings: the lines under `UserFiles:` in each ring's /proc/PID/fdinfo entry
/// (`   12: socket:[4711]`). The io_uring engine accepts into these tables
/// where the kernel allows, so no /proc/PID/fd entry shows those sockets.
func directDescriptorCount(_ pid: Int32) throws -> Int {
    var count = 0
    for entry in try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd") {
        guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\(entry)"),
              target == "anon_inode:[io_uring]",
              let info = readProcFile("/proc/\(pid)/fdinfo/\(entry)")
        else { continue }
        var inTable = false
        for line in info.split(separator: "\n") {
            if line.hasPrefix("UserFiles:") {
                inTable = true
            } else if inTable, let colon = line.firstIndex(of: ":"),
                      line[..<colon].allSatisfy({ $0 == " " || $0.isNumber }), line.first == " " {
                count += 1
            } else if inTable {
                inTable = false  // the next section (UserBufs:)
            }
        }
    }
    return count
}

/// Whether the running kernel is at least `major.minor`.
func kernelAtLeast(_ major: Int, _ minor: Int) -> Bool {
    var name = utsname()
    guard uname(&name) == 0 else { return false }
    let release = withUnsafeBytes(of: &name.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    let parts = release.split(whereSeparator: { !$0.isNumber }).prefix(2).compactMap { Int($0) }
    guard parts.count == 2 else { return false }
    return parts[0] != major ? parts[0] > major : parts[1] >= minor
}
