// Differential libFuzzer target: each input is one request (head and body) read by Ringside's HTTP1
// module and by llhttp in strict mode. They must agree on accepting or refusing it and, when both
// accept, on the method, target, version, header count, keep-alive, body and where the next request
// starts; a difference that no entry of `requestAllowList` explains traps. See Fuzz/README.md.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    let difference = compare(ringsideRequest(input), llhttpRequest(input), fields: true)
    settle(difference, explainedBy: explanation(of: difference, in: requestAllowList, input), input)
    return 0
}
