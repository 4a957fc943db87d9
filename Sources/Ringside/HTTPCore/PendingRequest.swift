import HTTP1
import HTTPTypes

/// A handler's request whose body did not arrive with its head: the head,
/// its spans and the body so far, copied out of receive memory and grown
/// until the body ends (bounded by `maxBodyBytes`).
final class PendingRequest {
    let route: Int
    let head: RequestHead
    let hasQueryMark: Bool
    /// How its answer is framed.
    let framing: ResponseFraming
    private let headBytes: [UInt8]
    private let fields: [HeaderField]
    private let parameters: [ByteSpan]
    var body: [UInt8] = []

    init(route: Int, parts: RequestParts, headLength: Int, expectedBody: Int, framing: ResponseFraming) {
        self.route = route
        self.framing = framing
        head = parts.head
        hasQueryMark = parts.hasQueryMark
        headBytes = Array(UnsafeRawBufferPointer(start: parts.base, count: headLength))
        fields = Array(parts.fields)
        parameters = Array(parts.parameters)
        body.reserveCapacity(min(expectedBody, 64 << 10))
    }

    var headLength: Int { headBytes.count }

    /// The request's parts, valid inside `body` only.
    func withParts<Result>(
        socket: Int32, parameterNames: [String], _ use: (RequestParts) -> Result
    ) -> Result {
        headBytes.withUnsafeBytes { head in
            fields.withUnsafeBufferPointer { fields in
                parameters.withUnsafeBufferPointer { parameters in
                    body.withUnsafeBytes { body in
                        use(RequestParts(
                            base: head.baseAddress!, head: self.head, hasQueryMark: hasQueryMark,
                            fields: fields, parameters: parameters, parameterNames: parameterNames,
                            body: body, socket: socket))
                    }
                }
            }
        }
    }
}
