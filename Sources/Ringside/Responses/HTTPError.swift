public import HTTPTypes

/// An error a handler throws to answer with a given status and a JSON body
/// `{"error": message, "status": code}`. Any other error answers 500.
public struct HTTPError: Error, Sendable, CustomStringConvertible {
    /// The status to answer with.
    public var status: HTTPResponse.Status
    /// The `error` of the JSON body; the reason phrase when nil.
    public var message: String?
    /// Extra fields for the answer (`retry-after`, `www-authenticate`).
    public var headerFields: HTTPFields

    /// An error answering `status`, with `message` in the body.
    public init(_ status: HTTPResponse.Status, message: String? = nil, headerFields: HTTPFields = [:]) {
        self.status = status
        self.message = message
        self.headerFields = headerFields
    }

    /// `HTTPError(403: message)`.
    public var description: String { "HTTPError(\(status.code)\(message.map { ": \($0)" } ?? ""))" }

    /// The response this error answers with.
    var response: Response {
        var fields = headerFields
        fields[.contentType] = "application/json"
        return Response(status: status, headerFields: fields, bytes: JSONError.body(status, message: message))
    }
}
