import Foundation
import Ringside
import Testing

struct TrafficError: Error, CustomStringConvertible {
    let description: String
}

/// `/metrics` read by a real Prometheus parser, its counts checked against the traffic sent.
@Suite("Metrics")
struct MetricsTests {
    /// Sends requests and reads answers, adding up the bytes each way.
    struct Traffic {
        var sent = 0
        var received = 0
        var connections = 0

        mutating func connect(_ port: UInt16) throws -> RawClient {
            connections += 1
            return try RawClient(port: port)
        }

        /// Exchanges so far, to say which one failed.
        var exchanges = 0

        mutating func exchange(_ client: RawClient, _ request: [UInt8], bodyExpected: Bool = true) throws -> HTTPResponse {
            exchanges += 1
            do {
                try client.send(request)
                sent += request.count
                let response = try client.readResponse(bodyExpected: bodyExpected)
                received += response.wireCount
                return response
            } catch {
                let line = String(decoding: request.prefix { $0 != 13 }, as: UTF8.self)
                throw TrafficError(description: "exchange \(exchanges) (\(line)) on connection \(connections): \(error)")
            }
        }
    }

    @Test("every kind of answer is counted under its method, route pattern and status; connections and bytes match",
          arguments: engines)
    func countsMatchTraffic(engine: String) async throws {
        try await withServer(engine: engine, workers: "2") { server in
            var traffic = Traffic()
            // Two keep-alive connections (likely on both workers): prebuilt route.
            for _ in 0..<2 {
                let client = try traffic.connect(server.port)
                for _ in 0..<10 { #expect(try traffic.exchange(client, RawClient.request("GET", "/v1/avatar")).status == 200) }
                client.close()
            }
            let client = try traffic.connect(server.port)
            for _ in 0..<3 {
                let head = try traffic.exchange(client, RawClient.request("HEAD", "/v1/avatar"), bodyExpected: false)
                #expect(head.status == 200)
            }
            for _ in 0..<4 { #expect(try traffic.exchange(client, RawClient.request("GET", "/nope")).status == 404) }
            for _ in 0..<2 { #expect(try traffic.exchange(client, RawClient.request("POST", "/v1/avatar")).status == 405) }
            // A prebuilt answer held back until its body was read past.
            let withBody = Array(requestText("GET", "/v1/avatar", headers: ["Content-Length: 5"]).utf8) + Array("hello".utf8)
            #expect(try traffic.exchange(client, withBody).status == 200)
            for path in ["/demo/async", "/demo/async", "/demo/offload", "/demo/offload", "/demo/sync"] {
                #expect(try traffic.exchange(client, RawClient.request("GET", path)).status == 200, "\(path)")
            }
            for _ in 0..<3 { #expect(try traffic.exchange(client, RawClient.request("GET", "/demo/json/5")).status == 200) }
            #expect(try traffic.exchange(client, RawClient.request("GET", "/demo/json/x")).status == 400)
            client.close()
            // Bytes that are not a request: the server's own 400, then a close.
            let bad = try traffic.connect(server.port)
            let malformed = Array("GET / HTTP/1.1\r\nHost: a\r\nBad Header\r\n\r\n".utf8)
            #expect(try traffic.exchange(bad, malformed).status == 400)
            bad.close()

            // Closes and finished sends reach each worker's counters in its own
            // time, and an offloaded job is counted by its pool thread after it
            // posted its result (a niced thread, preempted under load): scrape
            // until they are all counted (the scrape's own answer is counted
            // once it is sent, so it is not in what it shows).
            var scrapes = 0
            var result: Scrape
            let deadline = monotonicSeconds() + 5
            repeat {
                if scrapes > 0 { pause(0.05) }
                result = try scrape(port: server.port, sent: &traffic.sent, received: &traffic.received)
                scrapes += 1
            } while (result.value("ringside_connections_closed_total") != Double(traffic.connections + scrapes - 1)
                || result.value("ringside_network_io_bytes_total", ["network_io_direction": "transmit"])
                    != Double(traffic.received - result.responseBytes)
                || result.value("ringside_offload_jobs_total") != 2) && monotonicSeconds() < deadline
            let answered = [
                ("GET", "/v1/avatar", 200, 21.0), ("HEAD", "/v1/avatar", 200, 3), ("GET", "unmatched", 404, 4),
                ("POST", "unmatched", 405, 2), ("GET", "/demo/async", 200, 2), ("GET", "/demo/offload", 200, 2),
                ("GET", "/demo/sync", 200, 1), ("GET", "/demo/json/:id", 200, 3), ("GET", "/demo/json/:id", 400, 1),
                ("_OTHER", "unmatched", 400, 1), ("GET", "/metrics", 200, Double(scrapes - 1)),
            ]
            for (method, route, status, count) in answered {
                #expect(result.requests(method, route, status) == count, "\(method) \(route) \(status)")
            }
            let counts = result.values("http_server_request_duration_seconds_count")
            #expect(counts.reduce(0, +) == answered.reduce(0) { $0 + $1.3 }, "answers counted that were not sent")
            // Each histogram: cumulative buckets ending in +Inf = count.
            for sample in result.samples where sample.name == "http_server_request_duration_seconds_count" {
                var labels = sample.labels
                labels["le"] = "+Inf"
                #expect(result.value("http_server_request_duration_seconds_bucket", labels) == sample.value)
                labels.removeValue(forKey: "le")
                let buckets = result.samples.filter {
                    $0.name == "http_server_request_duration_seconds_bucket" && $0.labels.filter { $0.key != "le" } == labels
                }.map(\.value)
                #expect(buckets == buckets.sorted(), "buckets not cumulative: \(labels)")
                #expect(buckets.count == 17)
            }

            let total = Double(traffic.connections + scrapes)
            #expect(result.value("ringside_connections_accepted_total") == total)
            #expect(result.value("ringside_connections_closed_total") == total - 1)
            #expect(result.value("ringside_connections_active") == 1)
            #expect(result.value("http_server_active_requests") == 0)
            // Received: every byte sent, this scrape's request included. Sent: every
            // answer before this scrape's own.
            #expect(result.value("ringside_network_io_bytes_total", ["network_io_direction": "receive"]) == Double(traffic.sent))
            #expect(result.value("ringside_network_io_bytes_total", ["network_io_direction": "transmit"])
                    == Double(traffic.received - result.responseBytes))
            #expect(result.value("ringside_offload_jobs_total") == 2)
            #expect(result.value("ringside_offload_rejected_total") == 0)
            #expect(result.value("ringside_build_info", ["version": RingsideVersion.current]) == 1)
            let engineLabel = engine == "epoll" ? "epoll" : "io_uring"
            let ringside = result.samples.filter { !$0.name.hasPrefix("api_") }
            #expect(ringside.allSatisfy { $0.labels["engine"] == engineLabel }, "a built-in series without engine=\(engineLabel)")
            #expect(result.types["http_server_request_duration_seconds"] == "histogram")
            #expect(result.types["ringside_connections_accepted"] == "counter")
            #expect(result.types["ringside_connections_active"] == "gauge")
        }
    }

    @Test("users' swift-metrics appear at /metrics; offload refusals and run time are counted", arguments: engines)
    func userMetricsAndOffload(engine: String) async throws {
        try await withAPIServer(engine: engine, extraArguments: ["--offload-threads", "1", "--offload-queue", "1"]) { server in
            let client = try RawClient(port: server.port)
            for kind in ["a", "a", "a", "b"] {
                #expect(try client.exchange("GET", "/widgets?kind=\(kind)").status == 200)
            }
            // Four 300 ms jobs at once for one thread and a queue of one: some are refused.
            let clients = try (0..<4).map { _ in try RawClient(port: server.port) }
            for other in clients { try other.send(RawClient.request("GET", "/offload?ms=300")) }
            let statuses = try clients.map { try $0.readResponse().status }
            let done = statuses.filter { $0 == 200 }.count
            let refused = statuses.filter { $0 == 503 }.count
            #expect(done + refused == 4 && done >= 1 && refused >= 1, "\(statuses)")

            var sent = 0
            var received = 0
            // A pool thread adds a job's time once the job (which answered) returns.
            var result: Scrape
            let deadline = monotonicSeconds() + 5
            repeat {
                result = try scrape(port: server.port, sent: &sent, received: &received)
            } while result.value("ringside_offload_jobs_total") != Double(done) && monotonicSeconds() < deadline
            #expect(result.value("api_widgets_total", ["kind": "a"]) == 3)
            #expect(result.value("api_widgets_total", ["kind": "b"]) == 1)
            #expect(result.requests("GET", "/widgets", 200) == 4)
            #expect(result.requests("GET", "/offload", 200) == Double(done))
            #expect(result.requests("GET", "/offload", 503) == Double(refused))
            #expect(result.value("ringside_offload_rejected_total") == Double(refused))
            #expect(result.value("ringside_offload_jobs_total") == Double(done))
            #expect((result.value("ringside_offload_run_seconds_total") ?? 0) >= 0.25 * Double(done))
            #expect(result.value("ringside_offload_queue_depth") == 0)
        }
    }

    @Test("/v1/user's upstream calls are counted by outcome, the pool's connections by state", arguments: engines)
    func upstreamClient(engine: String) async throws {
        // Connection 0 answers three calls, then a malformed status line (closed, 502);
        // connection 1 never answers (head timeout, 504); connection 2 answers and stays pooled.
        let fake = try FakeUpstream { connection in
            var answered = 0
            while connection.readRequest() != nil {
                switch (connection.index, answered) {
                case (0, 3): return connection.write("HTTP/1.1 2OO OK\r\ncontent-length: 2\r\n\r\n{}")
                case (1, _):
                    _ = connection.waitForClose(seconds: 30)
                    return
                default: connection.write(upstreamResponse("{\"n\":1}"))
                }
                answered += 1
            }
        }
        var sent = 0
        var received = 0
        try await withServer(engine: engine, extraArguments: UpstreamTests.upstream(fake.port, idle: "30")) { server in
            let statuses = try (0..<6).map { _ in try UpstreamTests.getUser(server).status }
            #expect(statuses == [200, 200, 200, 502, 504, 200])
            // Each call is counted before its handler answers: nothing to wait for.
            let result = try scrape(port: server.port, sent: &sent, received: &received)
            let outcomes = ["response": 4.0, "invalid_response": 1, "timeout": 1, "connect_failed": 0, "connection_lost": 0,
                            "rejected": 0, "cancelled": 0]
            for (outcome, count) in outcomes {
                #expect(result.value("ringside_http_client_requests_total", ["outcome": outcome]) == count, "\(outcome)")
            }
            #expect(result.value("ringside_http_client_pool_connections", ["state": "idle"]) == 1)
            #expect(result.value("ringside_http_client_pool_connections", ["state": "active"]) == 0)
            #expect(result.requests("GET", "/v1/user", 200) == 4)
            #expect(result.requests("GET", "/v1/user", 502) == 1)
            #expect(result.requests("GET", "/v1/user", 504) == 1)
            #expect(fake.current.connections == 3)
        }
        // An upstream that refuses: every call a connect failure, no connection left in the pool.
        let refused = try FakeUpstream.refusedPort()
        try await withServer(engine: engine, extraArguments: UpstreamTests.upstream(refused)) { server in
            for _ in 0..<3 { #expect(try UpstreamTests.getUser(server).status == 502) }
            let result = try scrape(port: server.port, sent: &sent, received: &received)
            #expect(result.value("ringside_http_client_requests_total", ["outcome": "connect_failed"]) == 3)
            #expect(result.value("ringside_http_client_requests_total", ["outcome": "response"]) == 0)
            #expect(result.value("ringside_http_client_pool_connections", ["state": "idle"]) == 0)
            #expect(result.value("ringside_http_client_pool_connections", ["state": "active"]) == 0)
        }
    }

    @Test("--admin-port serves /metrics on its own port only; --no-metrics serves none", arguments: engines)
    func adminPort(engine: String) async throws {
        let adminPort = try RawClient.findFreePort()
        try await withServer(engine: engine, extraArguments: ["--admin-port", String(adminPort)]) { server in
            #expect(server.stdout.contains("Metrics on http://127.0.0.1:\(adminPort)/metrics\n"))
            let client = try RawClient(port: server.port)
            for _ in 0..<5 { #expect(try client.exchange("GET", "/v1/avatar").status == 200) }
            #expect(try client.exchange("GET", "/metrics").status == 404)
            let admin = try RawClient(port: adminPort)
            #expect(try admin.exchange("GET", "/v1/avatar").status == 404)
            var sent = 0
            var received = 0
            let result = try scrape(port: adminPort, sent: &sent, received: &received)
            #expect(result.requests("GET", "/v1/avatar", 200) == 5)
            #expect(result.requests("GET", "unmatched", 404) == 1)
            // The admin listener's own requests are not the service's.
            #expect(result.requests("GET", "/metrics", 200) == 0)
        }
        try await withServer(engine: engine, extraArguments: ["--no-metrics"]) { server in
            let client = try RawClient(port: server.port)
            #expect(try client.exchange("GET", "/metrics").status == 404)
        }
    }
}
