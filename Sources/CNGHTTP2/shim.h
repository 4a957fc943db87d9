// CNGHTTP2: the system libnghttp2 (Debian libnghttp2-dev 1.52) for
// Ringside's HTTP/2 layer: framing, HPACK and the stream state machine,
// driven without its I/O (mem_recv/mem_send over the worker's buffers).
#ifndef CNGHTTP2_SHIM_H
#define CNGHTTP2_SHIM_H
#include <nghttp2/nghttp2.h>
#endif
