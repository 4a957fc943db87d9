// The I/O engines every integration test runs against.
//
// This is the one place to add an engine:
// every `@Test(arguments: engines)` runs once per engine listed here.
let engines = ["uring", "epoll"]
