// A one-call view of llhttp (strict mode) for the differential fuzzers in Fuzz/.
// Compiled into the fuzz targets only, never into the server.
#ifndef RINGSIDE_LLHTTP_SHIM_H
#define RINGSIDE_LLHTTP_SHIM_H

#include <stddef.h>
#include <stdint.h>

/// How one parse of a single request ended.
enum {
    /// The whole message (head and body) was read; the next one starts at `message_length`.
    RS_LLHTTP_COMPLETE = 0,
    /// The input ended first.
    RS_LLHTTP_INCOMPLETE = 1,
    /// llhttp reported an error (`error`, `reason`).
    RS_LLHTTP_ERROR = 2,
};

/// What llhttp made of the first request in a buffer.
typedef struct {
    int outcome;
    /// llhttp_errno (0 unless `outcome` is an error).
    int error;
    const char *reason;
    /// Where the error was found, from the start of the input.
    size_t error_offset;
    /// The head was complete (on_headers_complete ran).
    int head_complete;
    /// Where the next request starts (complete only).
    size_t message_length;
    /// llhttp_method.
    int method;
    /// The request-target, from the start of the input.
    size_t url_offset;
    size_t url_length;
    int version_major;
    int version_minor;
    /// Field lines of the head; trailer fields are counted apart.
    int header_count;
    int trailer_count;
    /// Body bytes delivered (the chunked decoding, for a chunked body).
    size_t body_length;
    /// `Transfer-Encoding` ended in chunked (F_CHUNKED).
    int chunked;
    /// `Content-Length` was present (F_CONTENT_LENGTH).
    int has_content_length;
    int keep_alive;
    int upgrade;
} rs_llhttp_result;

/// Parses the first request in `data[0..<length]` with llhttp in strict mode, no lenient flags.
/// Up to `body_capacity` body bytes are copied to `body` (it may be NULL when 0).
void rs_llhttp_parse_request(
    const uint8_t *data, size_t length, uint8_t *body, size_t body_capacity, rs_llhttp_result *result);

/// The method's name as llhttp spells it (`GET`, `M-SEARCH`, ...).
const char *rs_llhttp_method_name(int method);

#endif
