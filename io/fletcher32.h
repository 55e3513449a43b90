/**
 * @file fletcher32.h
 * @brief HDF5's Fletcher32 chunk checksum: the plain reference (HDF5's algorithm, H5checksum.c)
 * and a fast check used by the direct chunk reader.
 *
 * HDF5 sums big-endian 16-bit words, folding both sums into 16 bits as it goes; the folding keeps
 * each sum's value modulo 65535. The fast check computes the exact sums in blocks of 256 words (a
 * loop the compiler vectorises) and compares residues modulo 65535 with the stored checksum, in
 * both byte orders HDF5 accepts. It therefore accepts exactly what HDF5 accepts, except a change of
 * a whole 16-bit word between 0x0000 and 0xffff, the one error Fletcher's residues cannot see.
 */
#ifndef SYNOBS_FLETCHER32_H
#define SYNOBS_FLETCHER32_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** HDF5's H5_checksum_fletcher32, line for line: the reference. */
uint32_t fletcher32_reference(const void *data, size_t nbytes);
/** True when `stored` (decoded little-endian from the chunk's last 4 bytes) matches data. */
bool fletcher32_matches(const void *data, size_t nbytes, uint32_t stored);

#endif
