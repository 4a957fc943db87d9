import CNGHTTP2

/// The limits an HTTP/2 connection enforces (``ServerConfiguration/HTTP2``).
///
/// Threats, each ended with GOAWAY and a close, each with a test in `HTTP2AbuseTests`:
/// - rapid reset: streams opened and reset in a loop, each costing a request's
///   work (counted here, ``HTTP2Connection/allowReset(now:)``: ENHANCE_YOUR_CALM);
/// - CONTINUATION floods: a header block in endless pieces (nghttp2's
///   `max_continuations`: ENHANCE_YOUR_CALM);
/// - PING and SETTINGS floods that queue answers faster than the peer reads
///   them (nghttp2's `max_outbound_ack`, and `max_settings` entries per frame);
/// - empty DATA frames (counted in ``HTTP2Connection``);
/// - header blocks past the size limit (431, like HTTP/1.1, without being
///   parsed), stream ids reused or going backwards (nghttp2: PROTOCOL_ERROR
///   or STREAM_CLOSED);
/// - zero-window stalls: a body waiting for a window that never opens is
///   the connection's send timeout (`TimeoutPolicy`).
typealias HTTP2Limits = ServerConfiguration.HTTP2

extension ServerConfiguration.HTTP2 {
    /// nghttp2's share of the limits. Its own reset rate limit stays above ours, which acts first.
    func apply(to option: OpaquePointer) {
        nghttp2_option_set_max_continuations(option, max(maxContinuations, 1))
        nghttp2_option_set_max_outbound_ack(option, max(maxQueuedControlFrames, 1))
        nghttp2_option_set_max_settings(option, 32)
        // Closed streams are kept only for RFC 7540's priority tree, which answers here never follow.
        nghttp2_option_set_no_closed_streams(option, 1)
        nghttp2_option_set_stream_reset_rate_limit(option, UInt64(max(resetBurst, 1)) * 2, UInt64(max(resetRate, 1)) * 2)
    }
}
