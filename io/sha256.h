/**
 * @file sha256.h
 * @brief SHA-256 (FIPS 180-4) of memory and of whole files, for the provenance of weight files.
 */
#ifndef SYNOBS_SHA256_H
#define SYNOBS_SHA256_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint32_t h[8];
    uint64_t nbytes;     /**< message length so far */
    unsigned char buf[64];
    size_t nbuf;         /**< bytes waiting in buf */
} sha256_ctx;

void sha256_init(sha256_ctx *c);
void sha256_update(sha256_ctx *c, const void *data, size_t n);
/** Finish and write the 64 lowercase hex digits and a NUL into hex. */
void sha256_final_hex(sha256_ctx *c, char hex[65]);
/** The digest of n bytes. */
void sha256_hex(const void *data, size_t n, char hex[65]);
/**
 * @brief The digest of the whole file at path.
 * @return 0, or -1 with error_set naming the file.
 */
int sha256_file(const char *path, char hex[65]);

#endif
