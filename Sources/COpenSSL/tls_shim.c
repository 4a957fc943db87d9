#include "COpenSSL.h"
#include <pthread.h>
#include <string.h>

static BIO_METHOD *rs_method;
static pthread_once_t rs_method_once = PTHREAD_ONCE_INIT;

static int rs_bio_read(BIO *bio, char *buffer, int size) {
    rs_tls_io *io = BIO_get_data(bio);
    BIO_clear_retry_flags(bio);
    if (io->in_len == 0) {
        BIO_set_retry_read(bio);
        return -1;
    }
    size_t count = io->in_len < (size_t)size ? io->in_len : (size_t)size;
    memcpy(buffer, io->in, count);
    io->in += count;
    io->in_len -= count;
    return (int)count;
}

static int rs_bio_write(BIO *bio, const char *buffer, int size) {
    rs_tls_io *io = BIO_get_data(bio);
    BIO_clear_retry_flags(bio);
    size_t room = io->out_cap - io->out_len;
    if (room == 0) {
        BIO_set_retry_write(bio);
        return -1;
    }
    size_t count = room < (size_t)size ? room : (size_t)size;
    memcpy(io->out + io->out_len, buffer, count);
    io->out_len += count;
    return (int)count;
}

static long rs_bio_ctrl(BIO *bio, int command, long number, void *pointer) {
    (void)bio;
    (void)number;
    (void)pointer;
    switch (command) {
    case BIO_CTRL_FLUSH:
        return 1;  // what was written is already where the send reads it
    default:
        return 0;
    }
}

static int rs_bio_create(BIO *bio) {
    BIO_set_init(bio, 1);
    return 1;
}

static void rs_make_method(void) {
    rs_method = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "ringside");
    BIO_meth_set_read(rs_method, rs_bio_read);
    BIO_meth_set_write(rs_method, rs_bio_write);
    BIO_meth_set_ctrl(rs_method, rs_bio_ctrl);
    BIO_meth_set_create(rs_method, rs_bio_create);
}

BIO *rs_tls_bio_new(rs_tls_io *io) {
    pthread_once(&rs_method_once, rs_make_method);
    BIO *bio = BIO_new(rs_method);
    if (bio) BIO_set_data(bio, io);
    return bio;
}

int rs_tls_ctx_configure(SSL_CTX *ctx, const char *ciphers12, const char *ciphersuites13) {
    if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) return 0;
    // NO_RENEGOTIATION: a TLS 1.2 renegotiation either way is refused (TLS 1.3 has none).
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION | SSL_OP_CIPHER_SERVER_PREFERENCE);
    if (SSL_CTX_set_cipher_list(ctx, ciphers12) != 1) return 0;
    if (SSL_CTX_set_ciphersuites(ctx, ciphersuites13) != 1) return 0;
    if (SSL_CTX_set1_groups_list(ctx, "X25519:P-256") != 1) return 0;
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    return 1;
}

static int rs_alpn_select(SSL *ssl, const unsigned char **out, unsigned char *out_length, const unsigned char *in,
                          unsigned int in_length, void *arg) {
    (void)ssl;
    const rs_tls_alpn *alpn = arg;
    unsigned char *selected = NULL;
    unsigned char selected_length = 0;
    if (SSL_select_next_proto(&selected, &selected_length, alpn->protocols, alpn->length, in, in_length)
        != OPENSSL_NPN_NEGOTIATED) {
        return SSL_TLSEXT_ERR_ALERT_FATAL;
    }
    *out = selected;
    *out_length = selected_length;
    return SSL_TLSEXT_ERR_OK;
}

void rs_tls_ctx_set_alpn(SSL_CTX *ctx, const rs_tls_alpn *alpn) {
    SSL_CTX_set_alpn_select_cb(ctx, rs_alpn_select, (void *)alpn);
}
