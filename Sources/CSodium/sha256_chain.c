// The hash chain behind /data: deterministic CPU work with no memory traffic.
#include "CSodium.h"

#include <string.h>

void rs_sodium_sha256_chain(uint8_t digest[32], uint64_t iterations) {
    // Two buffers in turn: crypto_hash_sha256 does not promise in-place use.
    unsigned char buffers[2][32];
    memcpy(buffers[0], digest, 32);
    for (uint64_t i = 0; i < iterations; i++) {
        crypto_hash_sha256(buffers[(i + 1) & 1], buffers[i & 1], 32);
    }
    memcpy(digest, buffers[iterations & 1], 32);
}
