// The example service's routes, tested in process as a user tests theirs
// (the README's testing example is this file).
import RingsideTesting
import Testing

@testable import HelloRingside

@Test func greetsByName() async throws {
    try await helloRouter().test { client in
        let response = try await client.execute(uri: "/hello/ada")
        #expect(response.status == .ok)
        #expect(response.headers[.contentType] == "application/json")
        #expect(response.bodyText == #"{"hello":"ada"}"#)
    }
}

@Test func everyRouteAnswers() async throws {
    try await helloRouter().test { client in
        #expect(try await client.execute(uri: "/").bodyText == "Hello from Ringside\n")
        #expect(try await client.execute(uri: "/later?who=tests").bodyText == "later, tests\n")
        let sum = try await client.execute(TestRequest(method: .post, path: "/sum", body: [1, 2, 3]))
        #expect(sum.bodyText == "6\n")
        #expect(try await client.execute(uri: "/nowhere").status == .notFound)
    }
}
