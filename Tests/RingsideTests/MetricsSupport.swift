import Foundation
import Testing

/// One sample of a scrape, as prometheus-client's text parser read it.
struct MetricSample {
    var name: String
    var labels: [String: String]
    var value: Double
}

/// A scrape parsed by a real exposition parser: PyPI's `prometheus-client`
/// (`text_string_to_metric_families`), from the venv `make test-deps` makes.
/// A malformed exposition makes the parser, and so the test, fail.
struct Scrape {
    var samples: [MetricSample]
    /// Family name to type (`counter`, `gauge`, `histogram`).
    var types: [String: String]
    /// The raw text.
    var text: String
    /// The bytes of the response that carried it.
    var responseBytes = 0

    static let python = Fixtures.repoRoot + "/.venv-test/bin/python3"

    /// Prints `{"types": {...}, "samples": [[name, labels, value], ...]}`.
    private static let script = """
        import json, sys
        from prometheus_client.parser import text_string_to_metric_families
        text = open(sys.argv[1]).read()
        types, samples = {}, []
        for family in text_string_to_metric_families(text):
            types[family.name] = family.type
            for s in family.samples:
                samples.append([s.name, s.labels, s.value])
        print(json.dumps({"types": types, "samples": samples}))
        """

    init(parsing text: String) throws {
        try #require(
            FileManager.default.isExecutableFile(atPath: Scrape.python),
            "no \(Scrape.python): run `make test-deps` (a venv with prometheus-client)")
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("scrape-\(UUID().uuidString).txt").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try runCommand(Scrape.python, ["-c", Scrape.script, path])
        try #require(result.status == 0, "prometheus-client rejected the exposition:\n\(result.stderr)\n\(text.prefix(2000))")
        let json = try #require(
            try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        types = json["types"] as? [String: String] ?? [:]
        samples = (json["samples"] as? [[Any]] ?? []).compactMap { row in
            guard row.count == 3, let name = row[0] as? String, let labels = row[1] as? [String: String],
                  let value = (row[2] as? NSNumber)?.doubleValue else { return nil }
            return MetricSample(name: name, labels: labels, value: value)
        }
        self.text = text
    }

    /// The samples called `name` whose labels include `labels`.
    func values(_ name: String, _ labels: [String: String] = [:]) -> [Double] {
        samples.filter { sample in
            sample.name == name && labels.allSatisfy { sample.labels[$0.key] == $0.value }
        }.map(\.value)
    }

    /// The one sample called `name` with `labels`, or nil when there is not exactly one.
    func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        let found = values(name, labels)
        return found.count == 1 ? found[0] : nil
    }

    /// The number of answers counted for one (method, route, status).
    func requests(_ method: String, _ route: String, _ status: Int) -> Double {
        value("http_server_request_duration_seconds_count", [
            "http_request_method": method, "http_route": route, "http_response_status_code": String(status),
        ]) ?? 0
    }
}

extension HTTPResponse {
    /// The bytes this response took on the wire (the server writes `name: value` and CRLFs).
    var wireCount: Int {
        var count = "\(version) \(status) \(reason)\r\n".utf8.count + 2 + body.count
        for field in headers { count += field.name.utf8.count + 2 + field.value.utf8.count + 2 }
        return count
    }
}

/// Reads `/metrics` from `port` on a connection of its own, parsed.
/// `sent`/`received` add the scrape's request and response bytes.
func scrape(port: UInt16, path: String = "/metrics", sent: inout Int, received: inout Int) throws -> Scrape {
    let client = try RawClient(port: port)
    let request = RawClient.request("GET", path)
    try client.send(request)
    let response = try client.readResponse()
    try #require(response.status == 200, "GET \(path): \(response.headSummary)")
    #expect(response.header("content-type") == "text/plain; version=0.0.4; charset=utf-8")
    sent += request.count
    received += response.wireCount
    client.close()
    var result = try Scrape(parsing: response.bodyText)
    result.responseBytes = response.wireCount
    return result
}
