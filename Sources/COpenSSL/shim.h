// OpenSSL for CyberMesh: TLS 1.3 links and the development PKI. Only
// Sources/Wire/TLS uses it. Macros Swift cannot import are wrapped here as
// static inline functions.
#ifndef CYBERMESH_COPENSSL_H
#define CYBERMESH_COPENSSL_H
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <openssl/pem.h>
#include <openssl/evp.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/rand.h>

static inline int cybermesh_ssl_ctx_set_min_proto_version(SSL_CTX *ctx, int version) {
    return (int)SSL_CTX_set_min_proto_version(ctx, version);
}
static inline int cybermesh_ssl_ctx_set_max_proto_version(SSL_CTX *ctx, int version) {
    return (int)SSL_CTX_set_max_proto_version(ctx, version);
}
static inline long cybermesh_ssl_ctx_set_mode(SSL_CTX *ctx, long mode) {
    return SSL_CTX_set_mode(ctx, mode);
}
static inline long cybermesh_ssl_ctx_set_session_cache_mode(SSL_CTX *ctx, long mode) {
    return SSL_CTX_set_session_cache_mode(ctx, mode);
}
static inline long cybermesh_bio_get_mem_data(BIO *bio, char **data) {
    return BIO_get_mem_data(bio, data);
}
static inline int cybermesh_tls1_3_version(void) { return TLS1_3_VERSION; }
static inline long cybermesh_ssl_mode_partial_write(void) {
    return SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER;
}
static inline uint64_t cybermesh_ssl_op_no_renegotiation(void) { return SSL_OP_NO_RENEGOTIATION; }
static inline uint64_t cybermesh_ssl_op_no_tickets(void) { return SSL_OP_NO_TICKET; }
static inline long cybermesh_ssl_sess_cache_off(void) { return SSL_SESS_CACHE_OFF; }
#endif
