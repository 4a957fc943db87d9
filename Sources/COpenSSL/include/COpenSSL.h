// COpenSSL: OpenSSL 3 (Debian libssl-dev) for Ringside's TLS layer.
//
// OpenSSL's functions import into Swift as they are; what is defined here,
// prefixed `rs_tls_`, is what does not import (function-like macros) or is
// better done in C:
//   - the context settings that are macros (protocol floor, groups, modes);
//   - the ALPN selection callback;
//   - a BIO over the worker's own memory: OpenSSL reads a connection's
//     ciphertext straight from the receive buffer the kernel filled and
//     writes its ciphertext straight into the buffer the send goes out from,
//     so no memory BIO copies or grows per record.
#ifndef COPENSSL_H
#define COPENSSL_H

#include <stddef.h>
#include <stdint.h>
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509.h>

// Where one connection's ciphertext is, for its BIO.
typedef struct rs_tls_io {
    // Received and not yet read by OpenSSL (the receive buffer, lent for one event).
    const uint8_t *in;
    size_t in_len;
    // Written by OpenSSL and not yet sent: out[0..<out_len] of out_cap.
    uint8_t *out;
    size_t out_cap;
    size_t out_len;
} rs_tls_io;

// A BIO over `io`: reads take from `in`, writes append to `out`; either
// asks OpenSSL to retry when there is nothing to read or no room to write.
BIO *rs_tls_bio_new(rs_tls_io *io);

// TLS 1.2 and 1.3 only; no renegotiation, no compression, the server's
// cipher order; X25519 then P-256; partial writes and moving write buffers
// (and OpenSSL's own record buffers freed while idle with `release_buffers`);
// no session cache (tickets only), one ticket per handshake.
// Returns 1 on success.
int rs_tls_ctx_configure(SSL_CTX *ctx, const char *ciphers12, const char *ciphersuites13, int release_buffers);

// SNI: `other` (one more reference taken) serves the clients whose server
// name its certificate covers; the primary's certificate serves the rest.
// Returns 1 on success.
int rs_tls_ctx_add_sni(SSL_CTX *primary, SSL_CTX *other);

// Session tickets sealed with the process's rotating keys (see tls_shim.c);
// a ticket resumes for at most `lifetime` seconds.
void rs_tls_ctx_use_tickets(SSL_CTX *ctx, long lifetime);

// How long each ticket key seals new tickets (it opens them for as long
// again); process-wide.
void rs_tls_tickets_set_lifetime(long seconds);

// ALPN: what the server speaks, in ALPN's wire format (length-prefixed
// names, the server's order of preference), copied into the context; a
// client that offers none of them is refused with the
// no_application_protocol alert. Returns 1 on success.
int rs_tls_ctx_set_alpn(SSL_CTX *ctx, const unsigned char *protocols, unsigned int length);

// A client context: TLS 1.2 and 1.3 with the server's modern ciphers and
// groups, the peer's certificate verified, ALPN http/1.1, and new sessions
// handed to each connection's session slot (rs_tls_client_prepare).
// Returns 1 on success.
int rs_tls_client_ctx_configure(SSL_CTX *ctx, const char *ciphers12, const char *ciphersuites13);

// Prepares a client connection: the certificate must name `host_name` (also
// sent as SNI) or, without one, the address `ip`; `*sessions` (a pool's slot,
// which must outlive the connection) is offered for resumption and receives
// the sessions the server issues. Returns 1 on success.
int rs_tls_client_prepare(SSL *ssl, const char *host_name, const char *ip, SSL_SESSION **sessions);

#endif
