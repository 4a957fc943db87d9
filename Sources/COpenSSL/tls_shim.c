#include "COpenSSL.h"
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

int rs_tls_ctx_configure(SSL_CTX *ctx, const char *ciphers12, const char *ciphersuites13, int release_buffers) {
    if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) return 0;
    // NO_RENEGOTIATION: a TLS 1.2 renegotiation either way is refused (TLS 1.3 has none).
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION | SSL_OP_CIPHER_SERVER_PREFERENCE);
    if (SSL_CTX_set_cipher_list(ctx, ciphers12) != 1) return 0;
    if (SSL_CTX_set_ciphersuites(ctx, ciphersuites13) != 1) return 0;
    if (SSL_CTX_set1_groups_list(ctx, "X25519:P-256") != 1) return 0;
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER
                              | (release_buffers ? SSL_MODE_RELEASE_BUFFERS : 0));
    // Resumption is by tickets only (rs_ticket_callback): no server-side
    // session cache, which would be one more lock shared by the workers.
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    static const unsigned char id[] = "ringside";
    if (SSL_CTX_set_session_id_context(ctx, id, sizeof id - 1) != 1) return 0;
    SSL_CTX_set_num_tickets(ctx, 1);
    return 1;
}

// What a context speaks for ALPN, in ALPN's wire format; kept in the
// context's ex_data (freed with it), since a handshake can outlive the
// Swift object that made the context.
typedef struct rs_tls_alpn {
    unsigned int length;
    unsigned char protocols[];
} rs_tls_alpn;

static int rs_alpn_index = -1;
static pthread_once_t rs_alpn_once = PTHREAD_ONCE_INIT;

static void rs_free_blob(void *parent, void *pointer, CRYPTO_EX_DATA *data, int index, long argl, void *argp) {
    (void)parent;
    (void)data;
    (void)index;
    (void)argl;
    (void)argp;
    free(pointer);
}

static void rs_make_alpn_index(void) {
    rs_alpn_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, rs_free_blob);
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

int rs_tls_ctx_set_alpn(SSL_CTX *ctx, const unsigned char *protocols, unsigned int length) {
    pthread_once(&rs_alpn_once, rs_make_alpn_index);
    rs_tls_alpn *alpn = malloc(sizeof(rs_tls_alpn) + length);
    if (rs_alpn_index < 0 || !alpn) {
        free(alpn);
        return 0;
    }
    alpn->length = length;
    memcpy(alpn->protocols, protocols, length);
    if (!SSL_CTX_set_ex_data(ctx, rs_alpn_index, alpn)) {
        free(alpn);
        return 0;
    }
    SSL_CTX_set_alpn_select_cb(ctx, rs_alpn_select, alpn);
    return 1;
}

// MARK: SNI

// The other contexts of a primary one, kept in its ex_data so they live as
// long as it does: a handshake holds its primary context (OpenSSL's
// session_ctx), so a reload that replaces the set never frees a context a
// handshake in flight could still switch to.
typedef struct rs_tls_sni {
    int count;
    SSL_CTX *contexts[];
} rs_tls_sni;

static int rs_sni_index = -1;
static pthread_once_t rs_sni_once = PTHREAD_ONCE_INIT;

static void rs_sni_free(void *parent, void *pointer, CRYPTO_EX_DATA *data, int index, long argl, void *argp) {
    (void)parent;
    (void)data;
    (void)index;
    (void)argl;
    (void)argp;
    rs_tls_sni *sni = pointer;
    if (!sni) return;
    for (int i = 0; i < sni->count; i++) SSL_CTX_free(sni->contexts[i]);
    free(sni);
}

static void rs_make_sni_index(void) {
    rs_sni_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, rs_sni_free);
}

static int rs_matches(SSL_CTX *ctx, const char *name) {
    X509 *certificate = SSL_CTX_get0_certificate(ctx);
    return certificate && X509_check_host(certificate, name, 0, 0, NULL) == 1;
}

// The client's server name picks the first context whose certificate covers
// it (wildcards as RFC 6125 allows); no name, or none covering it: the
// primary's, as nginx's default server does.
static int rs_servername(SSL *ssl, int *alert, void *arg) {
    (void)alert;
    (void)arg;
    const char *name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    SSL_CTX *primary = SSL_get_SSL_CTX(ssl);
    if (!name || rs_matches(primary, name)) return SSL_TLSEXT_ERR_OK;
    rs_tls_sni *sni = SSL_CTX_get_ex_data(primary, rs_sni_index);
    for (int i = 0; sni && i < sni->count; i++) {
        if (rs_matches(sni->contexts[i], name)) {
            if (!SSL_set_SSL_CTX(ssl, sni->contexts[i])) return SSL_TLSEXT_ERR_ALERT_FATAL;
            break;
        }
    }
    return SSL_TLSEXT_ERR_OK;
}

int rs_tls_ctx_add_sni(SSL_CTX *primary, SSL_CTX *other) {
    pthread_once(&rs_sni_once, rs_make_sni_index);
    if (rs_sni_index < 0) return 0;
    rs_tls_sni *old = SSL_CTX_get_ex_data(primary, rs_sni_index);
    int count = old ? old->count : 0;
    rs_tls_sni *sni = realloc(old, sizeof(rs_tls_sni) + (size_t)(count + 1) * sizeof(SSL_CTX *));
    if (!sni) return 0;
    sni->count = count;
    if (!SSL_CTX_set_ex_data(primary, rs_sni_index, sni)) {
        free(sni);
        return 0;
    }
    if (!SSL_CTX_up_ref(other)) return 0;
    sni->contexts[sni->count++] = other;
    SSL_CTX_set_tlsext_servername_callback(primary, rs_servername);
    return 1;
}

// MARK: Session tickets

// One process-wide set of ticket keys, so a ticket one worker issued resumes
// on any other (SO_REUSEPORT spreads a client's connections) and across
// certificate reloads. Threat: a stolen or long-lived ticket key decrypts
// every session resumed with it and, in TLS 1.2, the traffic of sessions it
// sealed; so keys are random, never leave the process, and rotate: the
// current one seals, the previous one still opens (and asks for a new
// ticket), older ones are forgotten.
typedef struct rs_ticket_key {
    unsigned char name[16];
    unsigned char aes[32];
    unsigned char hmac[32];
} rs_ticket_key;

static pthread_mutex_t rs_tickets_lock = PTHREAD_MUTEX_INITIALIZER;
static rs_ticket_key rs_keys[2];  // [0] current, [1] previous
static int rs_key_count = 0;
static long rs_key_born = 0;
static long rs_key_lifetime = 3600;

static long rs_now_seconds(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long)now.tv_sec;
}

// Under the lock: a new current key when the current one is due.
static int rs_rotate_if_due(void) {
    long now = rs_now_seconds();
    if (rs_key_count > 0 && now - rs_key_born < rs_key_lifetime) return 1;
    if (rs_key_count > 0 && now - rs_key_born < 2 * rs_key_lifetime) {
        rs_keys[1] = rs_keys[0];
        rs_key_count = 2;
    } else {
        rs_key_count = 1;  // the previous one is past its use too
    }
    if (RAND_bytes((unsigned char *)&rs_keys[0], sizeof rs_keys[0]) != 1) {
        rs_key_count = 0;
        return 0;
    }
    rs_key_born = now;
    return 1;
}

void rs_tls_tickets_set_lifetime(long seconds) {
    pthread_mutex_lock(&rs_tickets_lock);
    rs_key_lifetime = seconds > 0 ? seconds : 1;
    pthread_mutex_unlock(&rs_tickets_lock);
}

static int rs_ticket_callback(SSL *ssl, unsigned char name[16], unsigned char *iv, EVP_CIPHER_CTX *cipher,
                              EVP_MAC_CTX *mac, int encrypt) {
    rs_ticket_key key;
    int which = -1;
    pthread_mutex_lock(&rs_tickets_lock);
    if (rs_rotate_if_due()) {
        if (encrypt) {
            which = 0;
        } else {
            for (int i = 0; i < rs_key_count; i++) {
                if (memcmp(name, rs_keys[i].name, 16) == 0) which = i;
            }
        }
        if (which >= 0) key = rs_keys[which];
    }
    pthread_mutex_unlock(&rs_tickets_lock);
    if (which < 0) return 0;  // no key: no ticket; an unknown one: a full handshake
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY, key.hmac, sizeof key.hmac),
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA256", 0),
        OSSL_PARAM_construct_end(),
    };
    int ok;
    if (encrypt) {
        memcpy(name, key.name, 16);
        ok = RAND_bytes(iv, EVP_MAX_IV_LENGTH) == 1
             && EVP_EncryptInit_ex(cipher, EVP_aes_256_cbc(), NULL, key.aes, iv) == 1
             && EVP_MAC_CTX_set_params(mac, params) == 1;
    } else {
        ok = EVP_DecryptInit_ex(cipher, EVP_aes_256_cbc(), NULL, key.aes, iv) == 1
             && EVP_MAC_CTX_set_params(mac, params) == 1;
    }
    OPENSSL_cleanse(&key, sizeof key);
    if (!ok) return -1;
    if (encrypt) return 1;
    // 2 asks for a new ticket: after the previous key opened this one, or in
    // TLS 1.3, whose tickets are for one use (RFC 8446 C.4): OpenSSL's client
    // (curl's, Python's, ours) forgets a ticket once it has resumed, so
    // without a fresh one every other connection would be a full handshake.
    return which == 0 && SSL_version(ssl) != TLS1_3_VERSION ? 1 : 2;
}

void rs_tls_ctx_use_tickets(SSL_CTX *ctx, long lifetime) {
    SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, rs_ticket_callback);
    SSL_CTX_set_timeout(ctx, lifetime);  // a ticket resumes for one key lifetime at most
}

// MARK: Client

// A client connection's SSL points at the pool's session slot; OpenSSL
// calls back with each new session (in TLS 1.3, as a ticket arrives after
// the handshake) and the slot keeps the latest, which the pool's next
// connections offer for resumption.
static int rs_client_index = -1;
static pthread_once_t rs_client_once = PTHREAD_ONCE_INIT;

static void rs_make_client_index(void) {
    rs_client_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
}

static int rs_new_session(SSL *ssl, SSL_SESSION *session) {
    SSL_SESSION **slot = SSL_get_ex_data(ssl, rs_client_index);
    if (!slot) return 0;
    if (*slot) SSL_SESSION_free(*slot);
    *slot = session;
    return 1;  // the reference is the slot's now
}

int rs_tls_client_ctx_configure(SSL_CTX *ctx, const char *ciphers12, const char *ciphersuites13) {
    pthread_once(&rs_client_once, rs_make_client_index);
    if (rs_client_index < 0) return 0;
    if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) return 0;
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
    if (SSL_CTX_set_cipher_list(ctx, ciphers12) != 1) return 0;
    if (SSL_CTX_set_ciphersuites(ctx, ciphersuites13) != 1) return 0;
    if (SSL_CTX_set1_groups_list(ctx, "X25519:P-256") != 1) return 0;
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
    SSL_CTX_sess_set_new_cb(ctx, rs_new_session);
    static const unsigned char alpn[] = "\x08http/1.1";
    return SSL_CTX_set_alpn_protos(ctx, alpn, sizeof alpn - 1) == 0;
}

int rs_tls_client_prepare(SSL *ssl, const char *host_name, const char *ip, SSL_SESSION **sessions) {
    if (!SSL_set_ex_data(ssl, rs_client_index, sessions)) return 0;
    if (host_name) {
        // SNI names a host, never an address (RFC 6066).
        if (SSL_set_tlsext_host_name(ssl, host_name) != 1) return 0;
        if (SSL_set1_host(ssl, host_name) != 1) return 0;
    } else if (ip) {
        if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), ip) != 1) return 0;
    }
    if (*sessions && SSL_SESSION_is_resumable(*sessions)) {
        // A copy is offered: a resumed TLS 1.3 handshake marks the session it
        // used spent, and the slot's must stay usable for the pool's other
        // connections until a newer ticket replaces it (an upstream need not
        // send one on resumption).
        SSL_SESSION *copy = SSL_SESSION_dup(*sessions);
        if (!copy) return 0;
        int ok = SSL_set_session(ssl, copy);
        SSL_SESSION_free(copy);
        if (ok != 1) return 0;
    }
    SSL_set_connect_state(ssl);
    return 1;
}
