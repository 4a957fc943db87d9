extension HTTPClient {
    /// A whole response: status, fields and body. Two allocations hold it
    /// (the head's bytes and the body); fields are found by scanning the head.
    public struct Response: Sendable {
        /// The fields, read from the head's bytes.
        public let headers: ResponseHeaders
        /// The body, decoded from chunked transfer coding if it was sent so.
        public let body: [UInt8]

        init(head: [UInt8], body: [UInt8]) {
            headers = ResponseHeaders(head: head)
            self.body = body
        }

        /// The status code and reason phrase as sent.
        public var status: HTTPResponse.Status {
            headers.head.withUnsafeBytes { head in
                // `HTTP/1.1 200 reason\r\n`: the parser checked every byte of it.
                let code = head[9...11].reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
                let end = ResponseHeaders.lineEnd(head, from: 13)
                return HTTPResponse.Status(code: code, reasonPhrase: String(decoding: head[13..<end], as: UTF8.self))
            }
        }

        /// The body as UTF-8 text (invalid sequences replaced).
        public var bodyText: String { String(decoding: body, as: UTF8.self) }
    }

    /// The fields of a response, found by scanning its head (ASCII
    /// case-insensitive names, values without surrounding whitespace).
    public struct ResponseHeaders: Sendable {
        let head: [UInt8]

        /// How many field lines the response has.
        public var count: Int {
            var count = 0
            forEachField { _, _ in count += 1 }
            return count
        }

        /// The first value of `name`, or nil.
        public subscript(name: HTTPField.Name) -> String? {
            var found: String?
            forEach(named: name) { value in
                if found == nil { found = String(decoding: value, as: UTF8.self) }
            }
            return found
        }

        /// Every value of `name`, in order.
        public subscript(values name: HTTPField.Name) -> [String] {
            var values: [String] = []
            forEach(named: name) { values.append(String(decoding: $0, as: UTF8.self)) }
            return values
        }

        /// Whether the response has a field named `name`.
        public func contains(_ name: HTTPField.Name) -> Bool { self[name] != nil }

        /// Every field as swift-http-types' `HTTPFields`. Allocates.
        public var httpFields: HTTPFields {
            var fields = HTTPFields()
            forEachField { name, value in
                guard let name = HTTPField.Name(String(decoding: name, as: UTF8.self)) else { return }
                fields.append(HTTPField(name: name, lenientValue: value))
            }
            return fields
        }

        private func forEach(named name: HTTPField.Name, _ body: (UnsafeRawBufferPointer) -> Void) {
            var wanted = name.canonicalName  // lowercase
            wanted.withUTF8 { wanted in
                forEachField { fieldName, value in
                    if Headers.equalsLowercased(fieldName, wanted) { body(value) }
                }
            }
        }

        /// Calls `body` with each field's name and value, in place.
        func forEachField(_ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) -> Void) {
            head.withUnsafeBytes { head in
                // The head passed `ResponseParser`: lines end in CRLF, each field line has a colon.
                var line = Self.lineEnd(head, from: 0) + 2
                while line + 2 < head.count {
                    let end = Self.lineEnd(head, from: line)
                    var colon = line
                    while head[colon] != UInt8(ascii: ":") { colon += 1 }
                    var valueStart = colon + 1
                    while valueStart < end && (head[valueStart] == 0x20 || head[valueStart] == 0x09) { valueStart += 1 }
                    var valueEnd = end
                    while valueEnd > valueStart && (head[valueEnd - 1] == 0x20 || head[valueEnd - 1] == 0x09) { valueEnd -= 1 }
                    body(UnsafeRawBufferPointer(rebasing: head[line..<colon]),
                         UnsafeRawBufferPointer(rebasing: head[valueStart..<valueEnd]))
                    line = end + 2
                }
            }
        }

        /// The offset of the CR ending the line that contains `start`.
        static func lineEnd(_ head: UnsafeRawBufferPointer, from start: Int) -> Int {
            var index = start
            while index < head.count && head[index] != 0x0D { index += 1 }
            return index
        }
    }
}
