import Greeter
import RingsideTesting
import Testing

@Test func greetsByName() async throws {
    try await greeterRouter().test { client in
        let response = try await client.execute(uri: "/greet/ada")
        #expect(response.status == .ok)
        #expect(response.bodyText == "Hello, ada!")
    }
}
