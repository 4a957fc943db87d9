import HTTPTypes

/// The JSON body of every error the server or a handler's ``HTTPError`` answers with.
enum JSONError {
    static func body(_ status: HTTPResponse.Status, message: String? = nil) -> [UInt8] {
        let reason = message ?? (status.reasonPhrase.isEmpty ? "Error" : status.reasonPhrase)
        return Array("{\"error\":\(quoted(reason)),\"status\":\(status.code)}".utf8)
    }

    /// `text` as a JSON string literal.
    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
