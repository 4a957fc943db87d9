import HTTP1
import HTTPTypes
import Testing

@testable import Ringside

/// The route matcher on its own: which route a method and path find, what it
/// captures, and which `allow` a 405 carries.
struct RouteTableTests {
    /// What a match came to, in terms a test can compare.
    enum Outcome: Equatable, CustomStringConvertible {
        /// Route index (into `router.routes`) and the captured values in order.
        case route(Int, [String])
        /// 405 with this `allow` value.
        case methodNotAllowed(allow: String)
        case notFound

        var description: String {
            switch self {
            case .route(let index, let captured): "route(\(index), \(captured))"
            case .methodNotAllowed(let allow): "methodNotAllowed(allow: \(allow))"
            case .notFound: "notFound"
            }
        }
    }

    static func ok(_: borrowing Request) -> Response { Response(text: "x") }

    /// Matches `path` and turns the captured spans (relative to the path's start) into strings.
    func match(_ table: borrowing RouteTable, _ method: HTTP1.Method, _ path: String) -> Outcome {
        let parameters = UnsafeMutablePointer<ByteSpan>.allocate(capacity: RouteTable.maxParameters)
        defer { parameters.deallocate() }
        let bytes = Array(path.utf8)
        return bytes.withUnsafeBytes { raw in
            switch table.match(method, raw, parameters: parameters) {
            case .route(let index, let count):
                let captured = (0..<count).map { i -> String in
                    let span = parameters[i]
                    precondition(span.end <= bytes.count, "span \(span) outside \(path)")
                    return String(decoding: bytes[span.start..<span.end], as: UTF8.self)
                }
                return .route(index, captured)
            case .methodNotAllowed(let allowed):
                return .methodNotAllowed(allow: RouteTable.allowValue(mask: allowed))
            case .notFound:
                return .notFound
            }
        }
    }

    // MARK: Literals

    @Test func literalRoutesMatchExactly() {
        var router = Router()
        router.get("/", Self.ok)  // 0
        router.get("/ping", Self.ok)  // 1
        router.get("/ping/", Self.ok)  // 2
        router.get("/a/b/c", Self.ok)  // 3
        router.get("/static", StaticResponse(body: "s"))  // 4
        let table = RouteTable(router.routes)
        #expect(match(table, .get, "/") == .route(0, []))
        #expect(match(table, .get, "/ping") == .route(1, []))
        #expect(match(table, .get, "/ping/") == .route(2, []))
        #expect(match(table, .get, "/a/b/c") == .route(3, []))
        #expect(match(table, .get, "/static") == .route(4, []))
        #expect(match(table, .get, "/a/b") == .notFound)
        #expect(match(table, .get, "/a/b/c/") == .notFound)
        #expect(match(table, .get, "/a/b/c/d") == .notFound)
        #expect(match(table, .get, "/pin") == .notFound)
        #expect(match(table, .get, "/pingg") == .notFound)
        #expect(match(table, .get, "/Ping") == .notFound)  // bytes as sent: case matters
        #expect(match(table, .get, "//") == .notFound)
        #expect(match(table, .get, "/ping//") == .notFound)
    }

    @Test func emptyPathMeansRoot() {
        var router = Router()
        router.get("/", Self.ok)
        let table = RouteTable(router.routes)
        #expect(match(table, .get, "") == .route(0, []))

        var other = Router()
        other.get("/ping", Self.ok)
        let withoutRoot = RouteTable(other.routes)
        #expect(match(withoutRoot, .get, "") == .notFound)
        #expect(match(withoutRoot, .get, "/") == .notFound)
    }

    @Test func trailingSlashIsSignificant() {
        var onlyPlain = Router()
        onlyPlain.get("/ping", Self.ok)
        let plain = RouteTable(onlyPlain.routes)
        #expect(match(plain, .get, "/ping") == .route(0, []))
        #expect(match(plain, .get, "/ping/") == .notFound)

        var onlySlash = Router()
        onlySlash.get("/ping/", Self.ok)
        let slash = RouteTable(onlySlash.routes)
        #expect(match(slash, .get, "/ping/") == .route(0, []))
        #expect(match(slash, .get, "/ping") == .notFound)
    }

    @Test func noRoutesFindNothing() {
        let table = RouteTable([])
        #expect(match(table, .get, "/") == .notFound)
        #expect(match(table, .get, "") == .notFound)
        #expect(match(table, .post, "/x") == .notFound)
        #expect(table.allowValues.isEmpty)
    }

    // MARK: Parameters

    @Test func parameterCapturesOneNonEmptySegment() {
        var router = Router()
        router.get("/users/:id", Self.ok)
        let table = RouteTable(router.routes)
        #expect(match(table, .get, "/users/42") == .route(0, ["42"]))
        #expect(match(table, .get, "/users/a%20b") == .route(0, ["a%20b"]))  // not decoded
        #expect(match(table, .get, "/users/") == .notFound)
        #expect(match(table, .get, "/users") == .notFound)
        #expect(match(table, .get, "/users/42/") == .notFound)
        #expect(match(table, .get, "/users/42/x") == .notFound)
        #expect(match(table, .get, "/users//") == .notFound)
    }

    @Test func capturedSpansAreRelativeToThePath() {
        var router = Router()
        router.get("/users/:id/posts/:post", Self.ok)
        let table = RouteTable(router.routes)
        let parameters = UnsafeMutablePointer<ByteSpan>.allocate(capacity: RouteTable.maxParameters)
        defer { parameters.deallocate() }
        let result = Array("/users/42/posts/abc".utf8).withUnsafeBytes {
            table.match(.get, $0, parameters: parameters)
        }
        guard case .route(0, parameterCount: 2) = result else {
            Issue.record("unexpected \(result)")
            return
        }
        #expect(parameters[0] == ByteSpan(offset: 7, count: 2))
        #expect(parameters[1] == ByteSpan(offset: 16, count: 3))
    }

    @Test func severalParameters() {
        var router = Router()
        router.get("/:a/:b", Self.ok)  // 0
        router.get("/users/:id/posts/:post", Self.ok)  // 1
        router.get("/x/:a/y/:b/z/:c", Self.ok)  // 2
        let table = RouteTable(router.routes)
        #expect(match(table, .get, "/one/two") == .route(0, ["one", "two"]))
        #expect(match(table, .get, "/users/7/posts/hello") == .route(1, ["7", "hello"]))
        #expect(match(table, .get, "/x/1/y/2/z/3") == .route(2, ["1", "2", "3"]))
        #expect(match(table, .get, "/users/7/posts/") == .notFound)
        #expect(match(table, .get, "/users//posts/x") == .notFound)
        #expect(match(table, .get, "/one") == .notFound)
        #expect(match(table, .get, "/one/") == .notFound)
        #expect(match(table, .get, "/x/1/y/2/z") == .notFound)
    }

    @Test func maximumParametersAreAllCaptured() {
        let count = RouteTable.maxParameters
        var router = Router()
        router.get("/" + (0..<count).map { ":p\($0)" }.joined(separator: "/"), Self.ok)
        let table = RouteTable(router.routes)
        let values = (0..<count).map { "v\($0)" }
        #expect(match(table, .get, "/" + values.joined(separator: "/")) == .route(0, values))
        #expect(match(table, .get, "/" + values.dropLast().joined(separator: "/")) == .notFound)
        #expect(router.routes[0].pattern.parameterNames == (0..<count).map { "p\($0)" })
    }

    // MARK: Precedence and backtracking

    @Test func literalBeatsParameter() {
        var router = Router()
        router.get("/users/:id", Self.ok)  // 0
        router.get("/users/me", Self.ok)  // 1 (declared after, still wins)
        let table = RouteTable(router.routes)
        #expect(match(table, .get, "/users/me") == .route(1, []))
        #expect(match(table, .get, "/users/mee") == .route(0, ["mee"]))
        #expect(match(table, .get, "/users/m") == .route(0, ["m"]))
    }

    @Test func parameterBeatsCatchAll() {
        var router = Router()
        router.get("/files/*", Self.ok)  // 0
        router.get("/files/:name", Self.ok)  // 1
        router.get("/files/readme", Self.ok)  // 2
        let table = RouteTable(router.routes)
        #expect(match(table, .get, "/files/readme") == .route(2, []))
        #expect(match(table, .get, "/files/x") == .route(1, ["x"]))
        #expect(match(table, .get, "/files/x/y") == .route(0, ["x/y"]))
        #expect(match(table, .get, "/files/readme/y") == .route(0, ["readme/y"]))
        #expect(match(table, .get, "/files/") == .route(0, [""]))
    }

    @Test func backtracksFromALiteralBranchToTheParameter() {
        var router = Router()
        router.get("/a/:x/c", Self.ok)  // 0
        router.get("/a/b/d", Self.ok)  // 1
        let table = RouteTable(router.routes)
        #expect(match(table, .get, "/a/b/c") == .route(0, ["b"]))
        #expect(match(table, .get, "/a/b/d") == .route(1, []))
        #expect(match(table, .get, "/a/z/c") == .route(0, ["z"]))
        #expect(match(table, .get, "/a/z/d") == .notFound)
        #expect(match(table, .get, "/a/b") == .notFound)
    }

    @Test func backtracksSeveralLevels() {
        var router = Router()
        router.get("/:a/:b/end", Self.ok)  // 0
        router.get("/x/y/z/deep", Self.ok)  // 1
        router.get("/x/:q/nope", Self.ok)  // 2
        router.get("/*", Self.ok)  // 3
        let table = RouteTable(router.routes)
        // Literal x → literal y fails at `end`, x → :q fails, then :a → :b → end.
        #expect(match(table, .get, "/x/y/end") == .route(0, ["x", "y"]))
        #expect(match(table, .get, "/x/y/z/deep") == .route(1, []))
        #expect(match(table, .get, "/x/y/nope") == .route(2, ["y"]))
        // Nothing deeper fits: the root catch-all takes the whole path.
        #expect(match(table, .get, "/x/y/z") == .route(3, ["x/y/z"]))
        #expect(match(table, .get, "/x/y/end/") == .route(3, ["x/y/end/"]))
    }

    @Test func backtrackingToACatchAllKeepsEarlierCaptures() {
        var router = Router()
        router.get("/u/:id/*", Self.ok)  // 0
        router.get("/u/:id/a/:b/c", Self.ok)  // 1
        let table = RouteTable(router.routes)
        #expect(match(table, .get, "/u/7/a/8/c") == .route(1, ["7", "8"]))
        // :b captured "8" before failing; the catch-all overwrites that slot.
        #expect(match(table, .get, "/u/7/a/8/d") == .route(0, ["7", "a/8/d"]))
        #expect(match(table, .get, "/u/7/") == .route(0, ["7", ""]))
        #expect(match(table, .get, "/u/7") == .notFound)
    }

    // MARK: Catch-all

    @Test func catchAllTakesTheRestOfThePath() {
        var router = Router()
        router.get("/files/*", Self.ok)
        let table = RouteTable(router.routes)
        #expect(match(table, .get, "/files/a/b/c") == .route(0, ["a/b/c"]))
        #expect(match(table, .get, "/files/a") == .route(0, ["a"]))
        #expect(match(table, .get, "/files/a/") == .route(0, ["a/"]))
        #expect(match(table, .get, "/files//x") == .route(0, ["/x"]))
        #expect(match(table, .get, "/files/") == .route(0, [""]))
        #expect(match(table, .get, "/files") == .notFound)
        #expect(match(table, .get, "/filesx/a") == .notFound)
        #expect(match(table, .get, "/") == .notFound)
    }

    @Test func rootCatchAll() {
        var router = Router()
        router.get("/*", Self.ok)
        let table = RouteTable(router.routes)
        #expect(match(table, .get, "/") == .route(0, [""]))
        #expect(match(table, .get, "") == .route(0, [""]))
        #expect(match(table, .get, "/a") == .route(0, ["a"]))
        #expect(match(table, .get, "/a/b/c/") == .route(0, ["a/b/c/"]))
        #expect(match(table, .post, "/a") == .methodNotAllowed(allow: "GET, HEAD"))
        #expect(match(table, .get, "*") == .notFound)
    }

    @Test func catchAllAfterParameters() {
        var router = Router()
        router.get("/users/:id/files/*", Self.ok)
        let table = RouteTable(router.routes)
        #expect(match(table, .get, "/users/9/files/a/b") == .route(0, ["9", "a/b"]))
        #expect(match(table, .get, "/users/9/files/") == .route(0, ["9", ""]))
        #expect(match(table, .get, "/users/9/files") == .notFound)
        #expect(match(table, .get, "/users//files/a") == .notFound)
    }

    // MARK: Methods

    @Test func headFallsBackToGet() {
        var router = Router()
        router.get("/page", Self.ok)  // 0
        router.get("/files/*", Self.ok)  // 1
        router.get("/users/:id", Self.ok)  // 2
        let table = RouteTable(router.routes)
        #expect(match(table, .head, "/page") == .route(0, []))
        #expect(match(table, .head, "/files/a/b") == .route(1, ["a/b"]))
        #expect(match(table, .head, "/users/3") == .route(2, ["3"]))
        #expect(match(table, .head, "/nope") == .notFound)
    }

    @Test func explicitHeadRouteWinsOverGet() {
        var before = Router()
        before.on(.head, "/page", Self.ok)  // 0
        before.get("/page", Self.ok)  // 1
        let headFirst = RouteTable(before.routes)
        #expect(match(headFirst, .head, "/page") == .route(0, []))
        #expect(match(headFirst, .get, "/page") == .route(1, []))

        var after = Router()
        after.get("/page", Self.ok)  // 0
        after.on(.head, "/page", Self.ok)  // 1
        after.get("/files/*", Self.ok)  // 2
        after.on(.head, "/files/*", Self.ok)  // 3
        let headLast = RouteTable(after.routes)
        #expect(match(headLast, .head, "/page") == .route(1, []))
        #expect(match(headLast, .get, "/page") == .route(0, []))
        #expect(match(headLast, .head, "/files/x") == .route(3, ["x"]))
        #expect(match(headLast, .get, "/files/x") == .route(2, ["x"]))
    }

    @Test func headOnlyRouteDoesNotAnswerGet() {
        var router = Router()
        router.on(.head, "/probe", Self.ok)
        let table = RouteTable(router.routes)
        #expect(match(table, .head, "/probe") == .route(0, []))
        #expect(match(table, .get, "/probe") == .methodNotAllowed(allow: "HEAD"))
    }

    @Test func everyRoutableMethodMatchesItsOwnRoute() {
        let methods: [(HTTPRequest.Method, HTTP1.Method)] = [
            (.get, .get), (.head, .head), (.post, .post), (.put, .put), (.delete, .delete),
            (.connect, .connect), (.options, .options), (.trace, .trace), (.patch, .patch),
        ]
        var router = Router()
        for (method, _) in methods { router.on(method, "/r", Self.ok) }
        let table = RouteTable(router.routes)
        for (index, (_, method)) in methods.enumerated() {
            #expect(match(table, method, "/r") == .route(index, []), "\(method)")
        }
        #expect(table.allowValues == ["GET, HEAD, POST, PUT, DELETE, CONNECT, OPTIONS, TRACE, PATCH"])
    }

    @Test func differentMethodsOnPatternsThatDifferOnlyInParameterName() {
        // `/a/:x` and `/a/:y` share the trie's parameter node, each method in its own slot.
        var router = Router()
        router.get("/a/:x", Self.ok)  // 0
        router.post("/a/:y", Self.ok)  // 1
        let table = RouteTable(router.routes)
        #expect(match(table, .get, "/a/1") == .route(0, ["1"]))
        #expect(match(table, .post, "/a/1") == .route(1, ["1"]))
        #expect(router.routes[0].pattern.parameterNames == ["x"])
        #expect(router.routes[1].pattern.parameterNames == ["y"])
    }

    // MARK: 405 and 404

    @Test func methodNotAllowedListsThePathsMethods() {
        var router = Router()
        router.get("/items/:id", Self.ok)  // 0
        router.put("/items/:id", Self.ok)  // 1
        router.post("/items", Self.ok)  // 2
        let table = RouteTable(router.routes)
        #expect(match(table, .delete, "/items/5") == .methodNotAllowed(allow: "GET, HEAD, PUT"))
        #expect(match(table, .post, "/items/5") == .methodNotAllowed(allow: "GET, HEAD, PUT"))
        #expect(match(table, .patch, "/items/5") == .methodNotAllowed(allow: "GET, HEAD, PUT"))
        #expect(match(table, .options, "/items/5") == .methodNotAllowed(allow: "GET, HEAD, PUT"))
        #expect(match(table, .get, "/items/5") == .route(0, ["5"]))
        #expect(match(table, .head, "/items/5") == .route(0, ["5"]))
        #expect(match(table, .put, "/items/5") == .route(1, ["5"]))
        #expect(match(table, .get, "/items") == .methodNotAllowed(allow: "POST"))
        #expect(match(table, .head, "/items") == .methodNotAllowed(allow: "POST"))
        #expect(match(table, .post, "/items") == .route(2, []))
        // An unknown path is 404 whatever the method.
        #expect(match(table, .delete, "/items/5/x") == .notFound)
        #expect(match(table, .delete, "/other") == .notFound)
    }

    @Test func catchAllUnderOtherMethodsIsMethodNotAllowed() {
        var router = Router()
        router.post("/upload/*", Self.ok)
        let table = RouteTable(router.routes)
        #expect(match(table, .get, "/upload/a/b") == .methodNotAllowed(allow: "POST"))
        #expect(match(table, .get, "/upload/") == .methodNotAllowed(allow: "POST"))
        #expect(match(table, .get, "/upload") == .notFound)
        #expect(match(table, .post, "/upload/a/b") == .route(0, ["a/b"]))
    }

    @Test func methodAwareMatchingPrefersABranchWithTheMethod() {
        var router = Router()
        router.get("/users/me", Self.ok)  // 0
        router.post("/users/:id", Self.ok)  // 1
        let table = RouteTable(router.routes)
        // The literal `me` has no POST: the parameter branch, which has, answers.
        #expect(match(table, .post, "/users/me") == .route(1, ["me"]))
        #expect(match(table, .get, "/users/me") == .route(0, []))
        #expect(match(table, .head, "/users/me") == .route(0, []))
        #expect(match(table, .post, "/users/7") == .route(1, ["7"]))
        // GET on another id: only the parameter branch fits the path, and it has no GET.
        #expect(match(table, .get, "/users/7") == .methodNotAllowed(allow: "POST"))
    }

    @Test func methodAwareMatchingFallsThroughToTheCatchAll() {
        var router = Router()
        router.get("/files/:name", Self.ok)  // 0
        router.post("/files/*", Self.ok)  // 1
        router.put("/files/readme", Self.ok)  // 2
        router.get("/*", Self.ok)  // 3
        let table = RouteTable(router.routes)
        #expect(match(table, .post, "/files/readme") == .route(1, ["readme"]))
        #expect(match(table, .get, "/files/readme") == .route(0, ["readme"]))
        #expect(match(table, .put, "/files/readme") == .route(2, []))
        // A deeper branch lacking the method gives way to a shallower catch-all with it.
        #expect(match(table, .get, "/files/a/b") == .route(3, ["files/a/b"]))
        #expect(match(table, .post, "/files/a/b") == .route(1, ["a/b"]))
    }

    /// RFC 9110 §15.5.6: a 405's `allow` MUST list the target resource's currently
    /// supported methods. `/users/me` is answered by GET (literal route) and by POST
    /// (parameter route, as `methodAwareMatchingPrefersABranchWithTheMethod` shows),
    /// so a DELETE to it should be told `GET, HEAD, POST`.
    @Test func methodNotAllowedListsEveryMethodThatWouldAnswerThePath() {
        var router = Router()
        router.get("/users/me", Self.ok)  // 0
        router.post("/users/:id", Self.ok)  // 1
        let table = RouteTable(router.routes)
        #expect(match(table, .post, "/users/me") == .route(1, ["me"]))  // POST does answer it
        #expect(match(table, .delete, "/users/me") == .methodNotAllowed(allow: "GET, HEAD, POST"))

        var files = Router()
        files.get("/files/readme", Self.ok)  // 0
        files.put("/files/*", Self.ok)  // 1
        let filesTable = RouteTable(files.routes)
        #expect(match(filesTable, .put, "/files/readme") == .route(1, ["readme"]))  // PUT does answer it
        #expect(match(filesTable, .delete, "/files/readme") == .methodNotAllowed(allow: "GET, HEAD, PUT"))

        var three = Router()
        three.get("/users/me", Self.ok)  // 0
        three.post("/users/:id", Self.ok)  // 1
        three.put("/users/*", Self.ok)  // 2
        let threeTable = RouteTable(three.routes)
        #expect(match(threeTable, .put, "/users/7") == .route(2, ["7"]))  // PUT does answer it
        #expect(match(threeTable, .delete, "/users/7") == .methodNotAllowed(allow: "POST, PUT"))
        #expect(match(threeTable, .delete, "/users/7/x") == .methodNotAllowed(allow: "PUT"))  // only * fits
    }

    /// Two routes for one method whose patterns differ only in a parameter's name
    /// (`GET /a/:x`, `GET /a/:y`) match exactly the same requests; the router's
    /// "declared twice" check compares names too, so it lets both through and the
    /// table silently keeps only the last one. It should refuse them at declaration.
    @Test func routesDifferingOnlyInParameterNameAreRejected() async {
        // The second would hide the first: the router refuses it at declaration.
        await #expect(processExitsWith: .failure) {
            var router = Router()
            router.get("/a/:x") { _ in Response(text: "x") }
            router.get("/a/:y") { _ in Response(text: "y") }
        }
    }

    @Test func otherMethodIsNotFound() {
        var router = Router()
        router.get("/", Self.ok)
        router.get("/*", Self.ok)
        router.get("/x", Self.ok)
        let table = RouteTable(router.routes)
        #expect(match(table, .other, "/") == .notFound)
        #expect(match(table, .other, "/x") == .notFound)
        #expect(match(table, .other, "/y/z") == .notFound)
    }

    @Test func pathNotStartingWithSlashIsNotFound() {
        var router = Router()
        router.get("/", Self.ok)
        router.get("/*", Self.ok)
        router.on(.options, "/*", Self.ok)
        let table = RouteTable(router.routes)
        #expect(match(table, .options, "*") == .notFound)
        #expect(match(table, .get, "*") == .notFound)
        #expect(match(table, .get, "x") == .notFound)
        #expect(match(table, .get, "x/") == .notFound)
        #expect(match(table, .get, "http://host/") == .notFound)
    }

    // MARK: Allow values

    @Test func allowValueUnionForOptionsStar() {
        #expect(RouteTable.allowValue(union: []) == "GET, HEAD")
        #expect(RouteTable.allowValue(union: [.get]) == "GET, HEAD")
        #expect(RouteTable.allowValue(union: [.post]) == "POST")
        #expect(RouteTable.allowValue(union: [.head]) == "HEAD")
        #expect(RouteTable.allowValue(union: [.put, .get, .put, .delete]) == "GET, HEAD, PUT, DELETE")
        #expect(RouteTable.allowValue(union: [.patch, .trace, .options, .connect, .post])
            == "POST, CONNECT, OPTIONS, TRACE, PATCH")

        var router = Router()
        router.get("/a", Self.ok)
        router.put("/b", Self.ok)
        router.patch("/c/*", Self.ok)
        #expect(RouteTable.allowValue(union: router.routes.map(\.method)) == "GET, HEAD, PUT, PATCH")
    }

    @Test func eachMethodTableHasItsAllowValue() {
        var router = Router()
        router.get("/a", Self.ok)
        router.delete("/a", Self.ok)
        router.post("/b/*", Self.ok)
        router.patch("/c/:id", Self.ok)
        let table = RouteTable(router.routes)
        #expect(table.allowValues.sorted() == ["GET, HEAD, DELETE", "PATCH", "POST"])
        #expect(match(table, .put, "/a") == .methodNotAllowed(allow: "GET, HEAD, DELETE"))
        #expect(match(table, .put, "/b/x") == .methodNotAllowed(allow: "POST"))
        #expect(match(table, .put, "/c/1") == .methodNotAllowed(allow: "PATCH"))
        #expect(match(table, .head, "/a") == .route(0, []))
        #expect(match(table, .delete, "/a") == .route(1, []))
    }

    @Test func methodTableCoversTheRoutableMethods() {
        #expect(RouteTable.methodCount == 9)
        // Both directions of the swift-http-types mapping come from the one table.
        for method in HTTP1.Method.known {
            #expect(HTTP1.Method(method.httpMethod) == method)
            #expect(method.httpMethod.rawValue == method.name)
            #expect(method.bit == 1 << UInt16(method.rawValue))
        }
        #expect(HTTP1.Method(HTTPRequest.Method.get) == .get)
        #expect(HTTP1.Method(HTTPRequest.Method("PROPFIND")!) == nil)
        #expect(RouteTable.allowValue(mask: HTTP1.Method.get.bit | HTTP1.Method.patch.bit) == "GET, PATCH")
    }

    // MARK: RoutePattern

    @Test func patternSegments() {
        #expect(RoutePattern("/").segments == [.literal([])])
        #expect(RoutePattern("/ping").segments == [.literal(Array("ping".utf8))])
        #expect(RoutePattern("/ping/").segments == [.literal(Array("ping".utf8)), .literal([])])
        #expect(RoutePattern("/a//b").segments == [.literal(Array("a".utf8)), .literal([]), .literal(Array("b".utf8))])
        #expect(RoutePattern("/users/:id").segments == [.literal(Array("users".utf8)), .parameter("id")])
        #expect(RoutePattern("/files/*").segments == [.literal(Array("files".utf8)), .catchAll])
        #expect(RoutePattern("/*").segments == [.catchAll])
        #expect(
            RoutePattern("/users/:id/files/*").segments == [
                .literal(Array("users".utf8)), .parameter("id"), .literal(Array("files".utf8)), .catchAll,
            ])
        // Only a whole `*` segment is a catch-all, only a leading `:` a parameter.
        #expect(RoutePattern("/a*/b:c/x*y").segments == [
            .literal(Array("a*".utf8)), .literal(Array("b:c".utf8)), .literal(Array("x*y".utf8)),
        ])
        #expect(RoutePattern("/users/:id").description == "/users/:id")
    }

    @Test func patternParameterNames() {
        #expect(RoutePattern("/").parameterNames == [])
        #expect(RoutePattern("/a/b").parameterNames == [])
        #expect(RoutePattern("/users/:id").parameterNames == ["id"])
        #expect(RoutePattern("/:a/x/:b").parameterNames == ["a", "b"])
        #expect(RoutePattern("/files/*").parameterNames == ["*"])
        #expect(RoutePattern("/users/:id/files/*").parameterNames == ["id", "*"])
        #expect(RoutePattern("/*").parameterNames == ["*"])
    }

    @Test func patternEquality() {
        #expect(RoutePattern("/a/:x") == RoutePattern("/a/:x"))
        #expect(RoutePattern("/a/:x") != RoutePattern("/a/:y"))
        #expect(RoutePattern("/a") != RoutePattern("/a/"))
    }

    @Test func invalidPatternsAreRejected() async {
        await #expect(processExitsWith: .failure) { _ = RoutePattern("users") }
        await #expect(processExitsWith: .failure) { _ = RoutePattern("/a?b=1") }
        await #expect(processExitsWith: .failure) { _ = RoutePattern("/a/:") }
        await #expect(processExitsWith: .failure) { _ = RoutePattern("/a/:x/:x") }
        await #expect(processExitsWith: .failure) { _ = RoutePattern("/a/*/b") }
        await #expect(processExitsWith: .failure) {
            _ = RoutePattern("/" + (0...RouteTable.maxParameters).map { ":p\($0)" }.joined(separator: "/"))
        }
    }
}
