/* SPDX-License-Identifier: MIT */
/*
 * plainhttp: the HTTP/1.1 half shared by the two plain C peers of Ringside's
 * benchmark (bench/peers/c-uring, bench/peers/c-epoll). Each peer owns its
 * I/O loop; this file owns the bytes, so both answer exactly alike.
 *
 * It is the least a server must do to answer the benchmark correctly, not a
 * general HTTP server:
 *
 *   GET /v1/avatar HTTP/1.1   -> 200, the prebuilt response, keep-alive
 *   ... with Connection: close -> the same with "connection: close", then close
 *   any other request line     -> 404 with "connection: close", then close
 *   a head over PC_MAX_HEAD    -> close without an answer
 *
 * Request bodies are not supported (the benchmark sends none). Every complete
 * request in a read is answered (pipelining): the output of a connection is a
 * count of keep-alive 200s, optionally followed by one closing response, so
 * its state is a few integers whatever the pipelining depth.
 *
 * The responses carry the same header fields, in the same order and with
 * values of the same lengths, as Ringside's:
 *
 *   HTTP/1.1 200 OK
 *   content-type: application/json
 *   engine: <8 characters: "liburing" or "epoll(7)", as long as "Ringside">
 *   location: /v1/avatar
 *   date: <IMF-fixdate, rewritten in place once a second>
 *   content-length: 3696
 *   [connection: close]
 */
#ifndef PLAINHTTP_H
#define PLAINHTTP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>
#include <time.h>

/* The largest request head accepted (Ringside's default --max-header-bytes). */
#define PC_MAX_HEAD 16384
/* The most bytes one read may hand to pc_receive (both peers read 4 KiB). */
#define PC_MAX_READ 4096
/* Responses gathered into one send; Ringside queues at most 16 per connection. */
#define PC_IOV_MAX 16
/* Keep-alive responses owed before a connection counts as abusive. */
#define PC_MAX_OWED 65536

/* The response that ends a connection, after its keep-alive 200s. */
enum pc_final {
	PC_FINAL_NONE = 0,
	PC_FINAL_OK_CLOSE,    /* the request said Connection: close */
	PC_FINAL_NOT_FOUND,   /* not GET /v1/avatar: 404, then close */
};

/* A connection's HTTP state; all zero is a fresh connection. */
struct pc_http {
	uint32_t owed;        /* keep-alive 200s answered but not fully sent */
	uint32_t offset;      /* bytes of the first owed response already sent */
	uint8_t final;        /* enum pc_final: queued after the owed 200s */
	uint8_t close_after;  /* close once nothing is owed (final queued, or EOF) */
	uint16_t carry_len;
	char *carry;          /* a head split across reads; malloc'd on first need */
};

/* Rewrites the date in every prebuilt response when the second has changed. */
void pc_refresh_date(void);

/*
 * Takes `len` (<= PC_MAX_READ) received bytes: counts every complete request
 * into h->owed / h->final and keeps an incomplete head for the next read.
 * Input after a closing request is ignored. Returns -1 when the connection
 * must be closed at once (head too large, too many responses owed).
 */
int pc_receive(struct pc_http *h, const char *data, size_t len);

/* Whether anything is left to send. */
static inline int pc_has_output(const struct pc_http *h)
{
	return h->owed > 0 || h->final != PC_FINAL_NONE;
}

/*
 * Fills up to `cap` iovecs with what is owed, in order, pointing into the
 * prebuilt responses (no copy). Returns the iovec count (0: nothing owed).
 */
int pc_output(const struct pc_http *h, struct iovec *iov, int cap);

/* Accounts for `bytes` of pc_output's iovecs having been sent. */
void pc_sent(struct pc_http *h, size_t bytes);

/* Frees what a connection holds; leaves *h all zero for the next one. */
void pc_reset(struct pc_http *h);

/*
 * The start of both peers: parses `--port N --fixture PATH` (both required),
 * builds the responses with `engine` as the engine field's value, raises the
 * descriptor limit to its hard maximum (returned), ignores SIGPIPE, and makes
 * SIGTERM and SIGINT exit at once with status 0.
 */
int pc_setup(int argc, char **argv, const char *engine, int *port);

/*
 * A listening TCP socket on 127.0.0.1:port (SO_REUSEADDR, TCP_NODELAY
 * inherited by accepted sockets, backlog 4096, as Ringside's), with
 * `extra_flags` (SOCK_NONBLOCK) added to its type; exits on failure.
 */
int pc_listen(int port, int extra_flags);

#endif
