// See llhttp_shim.h. Built with -DLLHTTP_STRICT_MODE=1 next to /usr/share/llhttp/*.c.
#include "llhttp_shim.h"

#include <string.h>

#include "llhttp.h"

typedef struct {
    const char *start;
    rs_llhttp_result *result;
    uint8_t *body;
    size_t body_capacity;
    int head_done;
    int url_seen;
} context_t;

static context_t *context_of(llhttp_t *parser) { return (context_t *)parser->data; }

static int on_url(llhttp_t *parser, const char *at, size_t length) {
    context_t *c = context_of(parser);
    // One execute call over the whole input: the URL arrives as one span unless the input ends in it.
    if (!c->url_seen) c->result->url_offset = (size_t)(at - c->start);
    c->url_seen = 1;
    c->result->url_length += length;
    return 0;
}

static int on_header_value_complete(llhttp_t *parser) {
    context_t *c = context_of(parser);
    if (c->head_done) c->result->trailer_count += 1;
    else c->result->header_count += 1;
    return 0;
}

static int on_headers_complete(llhttp_t *parser) {
    context_t *c = context_of(parser);
    c->head_done = 1;
    c->result->method = parser->method;
    c->result->version_major = parser->http_major;
    c->result->version_minor = parser->http_minor;
    c->result->chunked = (parser->flags & F_CHUNKED) != 0;
    c->result->has_content_length = (parser->flags & F_CONTENT_LENGTH) != 0;
    c->result->keep_alive = llhttp_should_keep_alive(parser);
    c->result->upgrade = parser->upgrade;
    return 0;
}

static int on_body(llhttp_t *parser, const char *at, size_t length) {
    context_t *c = context_of(parser);
    size_t offset = c->result->body_length;
    if (offset < c->body_capacity) {
        size_t room = c->body_capacity - offset;
        memcpy(c->body + offset, at, length < room ? length : room);
    }
    c->result->body_length += length;
    return 0;
}

static int on_message_complete(llhttp_t *parser) {
    (void)parser;
    // Stop right after the first message: llhttp_execute returns HPE_PAUSED there.
    return HPE_PAUSED;
}

static const llhttp_settings_t settings = {
    .on_url = on_url,
    .on_header_value_complete = on_header_value_complete,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_message_complete = on_message_complete,
};

void rs_llhttp_parse_request(
    const uint8_t *data, size_t length, uint8_t *body, size_t body_capacity, rs_llhttp_result *result) {
    memset(result, 0, sizeof(*result));
    context_t c = {.start = (const char *)data, .result = result, .body = body, .body_capacity = body_capacity};
    llhttp_t parser;
    llhttp_init(&parser, HTTP_REQUEST, &settings);
    parser.data = &c;
    const char *start = (const char *)data;
    llhttp_errno_t error = llhttp_execute(&parser, start, length);
    if (error == HPE_PAUSED || error == HPE_PAUSED_UPGRADE) {
        // Paused in on_message_complete (an upgrade completes its message first).
        result->outcome = RS_LLHTTP_COMPLETE;
        result->message_length = (size_t)(llhttp_get_error_pos(&parser) - start);
    } else if (error == HPE_OK) {
        result->outcome = RS_LLHTTP_INCOMPLETE;
    } else {
        result->outcome = RS_LLHTTP_ERROR;
        result->error = error;
        result->reason = llhttp_get_error_reason(&parser);
        const char *position = llhttp_get_error_pos(&parser);
        result->error_offset = position ? (size_t)(position - start) : 0;
    }
    result->head_complete = c.head_done;
}

const char *rs_llhttp_method_name(int method) { return llhttp_method_name((llhttp_method_t)method); }
