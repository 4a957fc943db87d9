// The I/O engines every integration test runs against.
//
// This is the one place to add an engine: when the epoll engine lands,
// append "epoll" here and every `@Test(arguments: engines)` picks it up.
let engines = ["uring"]
