/// Why ``TestClient`` or ``TestConnection`` could not do what a test asked.
public enum TestClientError: Error, Sendable, CustomStringConvertible {
    /// Nothing (more) arrived within the connection's timeout.
    case timedOut(waitingFor: String)
    /// The server closed the connection before the response was complete.
    case closedBeforeResponse(received: [UInt8])
    /// The server closed the connection: what was written could not be delivered.
    case closedByServer
    /// The bytes received are not an HTTP/1.1 response; the text says what is wrong.
    case invalidResponse(String)
    /// The server could not be started or reached.
    case cannotConnect(String)

    public var description: String {
        switch self {
        case .timedOut(let what): "timed out waiting for \(what)"
        case .closedBeforeResponse(let received):
            "the server closed the connection before a whole response (\(received.count) bytes received: "
                + "\(String(decoding: received.prefix(200), as: UTF8.self).debugDescription))"
        case .closedByServer: "the server closed the connection"
        case .invalidResponse(let why): "invalid response: \(why)"
        case .cannotConnect(let why): "cannot connect: \(why)"
        }
    }
}
