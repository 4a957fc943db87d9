import APIRoutes
import Testing

extension InProcess {
    /// Handlers return a `String`, a `ResponseEncodable` value or array, a status or a prebuilt answer,
    /// and each answers as it says, whatever the handler kind.
    @Suite struct ResponseGeneratorTests {
        @Test
        func handlersReturnWhatTheyMean() async throws {
            try await withAPIRouter { client async throws in
                let text = try await client.exchange("GET", "/generated/text")
                #expect(text.status == 200 && text.bodyText == "plain text\n")
                #expect(text.header("content-type") == "text/plain; charset=utf-8")

                let json = try await client.exchange("GET", "/generated/json/42")
                #expect(json.bodyText == #"{"id":42,"name":"item"}"#)
                #expect(json.header("content-type") == "application/json")
                // A throwing generator's handler answers as any throwing handler does.
                #expect(try await client.exchange("GET", "/generated/json/x").status == 400)

                let list = try await client.exchange("GET", "/generated/list")
                #expect(list.bodyText == #"[{"id":1,"name":"a"},{"id":2,"name":"b"}]"#)

                let deleted = try await client.exchange("DELETE", "/generated/7", bodyExpected: false)
                #expect(deleted.status == 204)

                let prebuilt = try await client.exchange("GET", "/generated/prebuilt")
                #expect(prebuilt.bodyText == "prebuilt, returned" && prebuilt.header("content-type") == "text/plain")

                #expect(try await client.exchange("GET", "/generated/async").bodyText == "async text")
                #expect(try await client.exchange("POST", "/generated/offload", body: "12345").bodyText == "offloaded 5 bytes")
            }
        }
    }
}
