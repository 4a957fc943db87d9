import Glibc

/// Calls `body` with `input` placed so that its last byte is the last readable byte before an
/// inaccessible page: any read past the end crashes the test instead of passing silently.
func withGuardedBytes<R>(_ input: [UInt8], _ body: (UnsafeRawBufferPointer) -> R) -> R {
    let page = Int(sysconf(Int32(_SC_PAGESIZE)))
    let dataPages = (input.count + page - 1) / page
    let mapped = (dataPages + 1) * page
    guard let region = mmap(nil, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
        region != MAP_FAILED
    else { fatalError("mmap failed") }
    defer { munmap(region, mapped) }
    let guardPage = region + dataPages * page
    mprotect(guardPage, page, PROT_NONE)
    let start = guardPage - input.count
    input.withUnsafeBytes { start.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
    return body(UnsafeRawBufferPointer(start: input.isEmpty ? nil : start, count: input.count))
}
