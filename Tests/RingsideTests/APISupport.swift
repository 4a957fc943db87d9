import Testing

/// Runs `body` against the handler API's test server (`Tests/APIServer`).
func withAPIServer<R>(
    engine: String, extraArguments: [String] = [], sourceLocation: SourceLocation = #_sourceLocation,
    _ body: (ServerProcess) throws -> R
) async throws -> R {
    try await withServer(
        engine: engine, extraArguments: extraArguments, binaryName: "APIServer", sourceLocation: sourceLocation, body)
}

extension RawClient {
    /// Sends one request and reads its response.
    func exchange(
        _ method: String, _ path: String, headers: [String] = [], body: String? = nil, bodyExpected: Bool = true
    ) throws -> HTTPResponse {
        try send(RawClient.request(method, path, headers: headers, body: body))
        return try readResponse(bodyExpected: bodyExpected)
    }
}

/// CPU time process `pid` has used, user and system, in clock ticks (1/100 s here).
func cpuTicks(_ pid: Int32) throws -> Int {
    try #require(ProcStat(path: "/proc/\(pid)/stat")?.cpuTicks)
}

/// The peak resident set of process `pid` (VmHWM), in KiB.
func peakResidentKiB(_ pid: Int32) throws -> Int {
    let status = try #require(readProcFile("/proc/\(pid)/status"))
    let line = try #require(status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") })
    return try #require(Int(line.split(separator: " ", omittingEmptySubsequences: true)[1]))
}
