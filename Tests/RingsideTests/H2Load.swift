import Testing

/// Runs h2load with `arguments` and expects every one of its `requests` answered 2xx,
/// the connection speaking `protocolName` (`h2c`, `h2`, `http/1.1`).
@discardableResult
func expectH2load(
    _ arguments: [String], requests: Int, protocolName: String, sourceLocation: SourceLocation = #_sourceLocation
) throws -> CommandResult {
    let result = try runCommand("/usr/bin/h2load", arguments)
    let label = arguments.last ?? ""
    #expect(result.stdout.contains("\(requests) total, \(requests) started, \(requests) done, \(requests) succeeded, 0 failed, 0 errored"),
            "\(label): \(result.stdout.suffix(900)) \(result.stderr)", sourceLocation: sourceLocation)
    #expect(result.stdout.contains("status codes: \(requests) 2xx"), "\(label)", sourceLocation: sourceLocation)
    #expect(result.stdout.contains("Application protocol: \(protocolName)\n"), "\(label): \(result.stdout.prefix(900))",
            sourceLocation: sourceLocation)
    return result
}
