#include "io/fletcher32.h"

#include <string.h>

uint32_t fletcher32_reference(const void *data_, size_t nbytes)
{
    const uint8_t *data = data_;
    size_t len = nbytes / 2;
    uint32_t sum1 = 0, sum2 = 0;
    while (len) {
        size_t tlen = len > 360 ? 360 : len;
        len -= tlen;
        do {
            sum1 += (uint32_t)(((uint16_t)data[0]) << 8) | ((uint16_t)data[1]);
            data += 2;
            sum2 += sum1;
        } while (--tlen);
        sum1 = (sum1 & 0xffff) + (sum1 >> 16);
        sum2 = (sum2 & 0xffff) + (sum2 >> 16);
    }
    if (nbytes % 2) {
        sum1 += (uint32_t)(((uint16_t)*data) << 8);
        sum2 += sum1;
        sum1 = (sum1 & 0xffff) + (sum1 >> 16);
        sum2 = (sum2 & 0xffff) + (sum2 >> 16);
    }
    sum1 = (sum1 & 0xffff) + (sum1 >> 16);
    sum2 = (sum2 & 0xffff) + (sum2 >> 16);
    return (sum2 << 16) | sum1;
}

enum { BLOCK = 256 }; /* sum of (BLOCK - k) * 0xffff stays below 2^32 */

bool fletcher32_matches(const void *data_, size_t nbytes, uint32_t stored)
{
    const uint8_t *data = data_;
    size_t n = nbytes / 2;
    uint64_t s1 = 0, s2 = 0; /* residues modulo 65535 */
    for (size_t i = 0; i < n; i += BLOCK) {
        uint32_t m = (uint32_t)(n - i < BLOCK ? n - i : BLOCK), a = 0, b = 0;
        const uint8_t *p = data + 2 * i;
        for (uint32_t k = 0; k < m; k++) {
            uint16_t x;
            memcpy(&x, p + 2 * k, 2);
            uint32_t w = (uint16_t)((x << 8) | (x >> 8)); /* big-endian word on a little-endian host */
            a += w;
            b += (m - k) * w;
        }
        /* sum2 after the block = sum2 + m * sum1 + sum of (m - k) w_k; then sum1 += sum of w_k */
        s2 = (s2 + (uint64_t)m * s1 + b) % 65535;
        s1 = (s1 + a) % 65535;
    }
    if (nbytes % 2) {
        s1 = (s1 + ((uint32_t)data[nbytes - 1] << 8)) % 65535;
        s2 = (s2 + s1) % 65535;
    }
    /* HDF5 also accepts the checksum with the bytes of each half swapped (files before 1.6.3) */
    uint32_t swapped = ((stored & 0x00ff00ffu) << 8) | ((stored & 0xff00ff00u) >> 8);
    uint32_t cand[2] = {stored, swapped};
    for (int c = 0; c < 2; c++)
        if ((cand[c] & 0xffffu) % 65535 == s1 && (cand[c] >> 16) % 65535 == s2) return true;
    return false;
}
