// CSodium: the parts of libsodium (Debian libsodium-dev 1.0.18) that the
// workloads use: argon2id password hashes and SHA-256.
//
// libsodium's functions import into Swift as they are; what is defined here,
// prefixed `rs_sodium_`, is what does not or what is better done in C:
//   - the argon2id constants, which are macros aliasing other macros;
//   - a hash chain for /data's CPU work, so that the loop runs without a
//     Swift call per iteration.
#ifndef CSODIUM_H
#define CSODIUM_H

#include <stddef.h>
#include <stdint.h>
#include <sodium.h>

// crypto_pwhash_ALG_ARGON2ID13: the only algorithm Ringside hashes or accepts.
static const int RS_SODIUM_ARGON2ID13 = crypto_pwhash_ALG_ARGON2ID13;
// Room for an encoded hash, its terminating NUL included.
static const size_t RS_SODIUM_STRBYTES = crypto_pwhash_STRBYTES;
// libsodium's "interactive" limits: 2 passes over 64 MiB.
static const unsigned long long RS_SODIUM_OPSLIMIT_INTERACTIVE = crypto_pwhash_OPSLIMIT_INTERACTIVE;
static const size_t RS_SODIUM_MEMLIMIT_INTERACTIVE = crypto_pwhash_MEMLIMIT_INTERACTIVE;
// The smallest limits libsodium accepts (for tests only).
static const unsigned long long RS_SODIUM_OPSLIMIT_MIN = crypto_pwhash_OPSLIMIT_MIN;
static const size_t RS_SODIUM_MEMLIMIT_MIN = crypto_pwhash_MEMLIMIT_MIN;

// Replaces `digest` (32 bytes) with SHA-256(digest), `iterations` times.
void rs_sodium_sha256_chain(uint8_t digest[32], uint64_t iterations);

#endif
