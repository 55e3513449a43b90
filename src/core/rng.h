/**
 * @file rng.h
 * @brief Counter-based random numbers: a stream is a pure function of (seed, stream id), so any
 * rank can draw sample i's numbers without drawing the ones before it (rank-count independence).
 */
#ifndef SYNOBS_RNG_H
#define SYNOBS_RNG_H

#include <stdint.h>

typedef struct { uint64_t s[4]; } rng;

/** Stream `stream` of generator `seed` (xoshiro256** seeded through splitmix64). */
void rng_seed(rng *r, uint64_t seed, uint64_t stream);
uint64_t rng_u64(rng *r);
/** Uniform in [0, 1) with 53 random bits. */
double rng_uniform(rng *r);
/** Standard normal (Box-Muller, both values of a pair are not cached: stateless per call pair). */
double rng_normal(rng *r);

#endif
