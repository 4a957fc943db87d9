/// Bytes the core sends as they are, allocated once per worker.
struct FixedBytes: ~Copyable {
    private let storage: UnsafeMutableRawBufferPointer
    let continueResponse: UnsafeRawBufferPointer
    let lastChunk: UnsafeRawBufferPointer
    private let keepAliveLine: UnsafeRawBufferPointer
    private let closeLine: UnsafeRawBufferPointer

    init() {
        let pieces: [[UInt8]] = [
            ServerResponses.continueBytes, ServerResponses.lastChunkBytes,
            Array(PrebuiltResponses.Variant.keepAlive10.connectionLine.utf8),
            Array(PrebuiltResponses.Variant.close.connectionLine.utf8),
        ]
        storage = .allocate(byteCount: pieces.reduce(0) { $0 + $1.count }, alignment: 8)
        var views: [UnsafeRawBufferPointer] = []
        var offset = 0
        for piece in pieces {
            UnsafeMutableRawBufferPointer(rebasing: storage[offset..<(offset + piece.count)]).copyBytes(from: piece)
            views.append(UnsafeRawBufferPointer(rebasing: storage[offset..<(offset + piece.count)]))
            offset += piece.count
        }
        continueResponse = views[0]
        lastChunk = views[1]
        keepAliveLine = views[2]
        closeLine = views[3]
    }

    deinit { storage.deallocate() }

    /// The `connection` line of a variant (none for HTTP/1.1 keep-alive).
    func connection(_ variant: PrebuiltResponses.Variant) -> UnsafeRawBufferPointer {
        switch variant {
        case .keepAlive: UnsafeRawBufferPointer(start: nil, count: 0)
        case .keepAlive10: keepAliveLine
        case .close: closeLine
        }
    }
}
