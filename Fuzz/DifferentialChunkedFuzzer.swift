// Differential libFuzzer target for chunked bodies: each input is a body that follows a fixed
// `Transfer-Encoding: chunked` head. Ringside's ChunkedDecoder and llhttp in strict mode must agree
// on accepting or refusing it (chunk sizes, extensions, trailers) and, when both accept, on the
// decoded bytes and where the body ends; a difference that no entry of `chunkedAllowList` explains
// traps. See Fuzz/README.md.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    let (_, difference) = bothChunked(input)
    settle(difference, explainedBy: explanation(of: difference, in: chunkedAllowList, input), input)
    return 0
}
