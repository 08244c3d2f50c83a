/* rng.c — the search's only source of randomness: xoshiro256** seeded via
 * splitmix64, plus uniform / normal / truncated-normal draws. */
#include "ajpq_rl.h"

#include <math.h>

static uint64_t splitmix64(uint64_t *x) {
  uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

void ajpq_rl_rng_seed(ajpq_rl_rng_t *r, uint64_t seed) {
  uint64_t x = seed;
  for (int i = 0; i < 4; i++)
    r->s[i] = splitmix64(&x);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t ajpq_rl_rng_u64(ajpq_rl_rng_t *r) {
  uint64_t *s = r->s;
  uint64_t result = rotl(s[1] * 5, 7) * 9;
  uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return result;
}

double ajpq_rl_rng_uniform(ajpq_rl_rng_t *r) {
  return (double)(ajpq_rl_rng_u64(r) >> 11) * 0x1.0p-53;
}

uint64_t ajpq_rl_rng_below(ajpq_rl_rng_t *r, uint64_t n) {
  if (n <= 1)
    return 0;
  uint64_t limit = UINT64_MAX - UINT64_MAX % n;
  uint64_t x;
  do
    x = ajpq_rl_rng_u64(r);
  while (x >= limit);
  return x % n;
}

double ajpq_rl_rng_normal(ajpq_rl_rng_t *r) {
  double u1 = ajpq_rl_rng_uniform(r), u2 = ajpq_rl_rng_uniform(r);
  if (u1 < 1e-300)
    u1 = 1e-300;
  return sqrt(-2.0 * log(u1)) * cos(6.283185307179586476925 * u2);
}

double ajpq_rl_rng_truncnorm(ajpq_rl_rng_t *r, double mu, double sigma, double lo, double hi) {
  double c = mu < lo ? lo : mu > hi ? hi : mu;
  if (!(sigma > 0) || !isfinite(mu))
    return isfinite(c) ? c : lo;
  for (int i = 0; i < 1000; i++) {
    double x = mu + sigma * ajpq_rl_rng_normal(r);
    if (x >= lo && x <= hi)
      return x;
  }
  return c;
}
