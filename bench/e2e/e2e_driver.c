/* e2e_driver.c — times one model object compiled by `ajpq-translate --mlir-to-obj` at batch 1
 * on one thread, for bench/e2e/run.sh. Compiled by the script against the object's generated
 * header:
 *   cc -O2 -DAJPQ_E2E_HEADER='"model.h"' -DAJPQ_E2E_PREFIX=main e2e_driver.c model.o -o drv
 * Usage: drv inputs.npy ROUNDS IMAGES
 * inputs.npy: float32 array [N, ...] whose per-sample size equals the model's input 0 (NHWC
 * images, e.g. $AJPQ_DATA/lfw/blazeface-front-128.npy). After a warm-up (max(IMAGES, 3) calls), each round runs
 * IMAGES consecutive samples (cyclically) one call each; prints one JSON line with the median
 * and minimum over rounds of milliseconds per image (wall, CLOCK_MONOTONIC), the CPU
 * milliseconds per image of the whole run (CLOCK_PROCESS_CPUTIME_ID) and the sum of output 0 on
 * sample 0 (a cheap cross-check between variants). Exit 1 with a message on bad input. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include AJPQ_E2E_HEADER

#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)
#define SYM(x) CAT(AJPQ_E2E_PREFIX, x)

static double now_ms(clockid_t id) {
  struct timespec t;
  clock_gettime(id, &t);
  return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* Reads a little-endian float32 .npy file (version 1/2, C order). Returns the data (malloc'ed)
 * and the leading dimension and per-sample element count, or NULL after printing an error. */
static float *read_npy(const char *path, long *n, long *per) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "e2e_driver: cannot open '%s'\n", path);
    return NULL;
  }
  unsigned char pre[12];
  char hdr[4096];
  float *data = NULL;
  if (fread(pre, 1, 10, f) != 10 || memcmp(pre, "\x93NUMPY", 6) != 0)
    goto bad;
  size_t hl = pre[8] | (size_t)pre[9] << 8;
  if (pre[6] >= 2) {
    if (fread(pre + 10, 1, 2, f) != 2)
      goto bad;
    hl |= (size_t)pre[10] << 16 | (size_t)pre[11] << 24;
  }
  if (hl >= sizeof hdr || fread(hdr, 1, hl, f) != hl)
    goto bad;
  hdr[hl] = 0;
  if (!strstr(hdr, "'<f4'") || strstr(hdr, "'fortran_order': True"))
    goto bad;
  char *sh = strstr(hdr, "'shape': (");
  if (!sh)
    goto bad;
  sh += 10;
  long dims[8], nd = 0, total = 1;
  while (*sh && *sh != ')' && nd < 8) {
    char *end;
    long v = strtol(sh, &end, 10);
    if (end == sh)
      break;
    if (v <= 0 || v > (1L << 30))
      goto bad;
    dims[nd++] = v;
    total *= v;
    if (total > (1L << 31))
      goto bad;
    sh = end;
    while (*sh == ',' || *sh == ' ')
      ++sh;
  }
  if (nd < 1)
    goto bad;
  data = malloc((size_t)total * sizeof(float));
  if (!data || fread(data, sizeof(float), (size_t)total, f) != (size_t)total)
    goto bad;
  fclose(f);
  *n = dims[0];
  *per = total / dims[0];
  return data;
bad:
  fprintf(stderr, "e2e_driver: '%s': not a readable float32 .npy file\n", path);
  free(data);
  fclose(f);
  return NULL;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s inputs.npy ROUNDS IMAGES\n", argv[0]);
    return 1;
  }
  int rounds = atoi(argv[2]), images = atoi(argv[3]);
  if (rounds < 1 || images < 1 || rounds > 100000 || images > 100000) {
    fprintf(stderr, "e2e_driver: bad ROUNDS/IMAGES\n");
    return 1;
  }
  /* No mallopt here: the generated <prefix>_run does it (docs/kernels.md "Running fast"). */
  long n, per;
  float *x = read_npy(argv[1], &n, &per);
  if (!x)
    return 1;
  if (SYM(_num_inputs) != 1 || per != SYM(_input_numel)[0]) {
    fprintf(stderr, "e2e_driver: the model takes %d input(s) of %lld floats, '%s' has %ld per sample\n",
            (int)SYM(_num_inputs), (long long)SYM(_input_numel)[0], argv[1], per);
    return 1;
  }
  float *outs[16];
  for (int i = 0; i < SYM(_num_outputs); ++i)
    if (!(outs[i] = malloc((size_t)SYM(_output_numel)[i] * sizeof(float)))) {
      fprintf(stderr, "e2e_driver: out of memory\n");
      return 1;
    }
  double *t = malloc((size_t)rounds * sizeof *t);
  if (!t)
    return 1;
  const float *in[1];
  for (int i = 0; i < (images < 3 ? 3 : images); ++i) { /* warm-up */
    in[0] = x + (i % n) * per;
    SYM(_run_arrays)(in, outs);
  }
  double cpu0 = now_ms(CLOCK_PROCESS_CPUTIME_ID);
  for (int r = 0; r < rounds; ++r) {
    double t0 = now_ms(CLOCK_MONOTONIC);
    for (int i = 0; i < images; ++i) {
      in[0] = x + (i % n) * per;
      SYM(_run_arrays)(in, outs);
    }
    t[r] = (now_ms(CLOCK_MONOTONIC) - t0) / images;
  }
  double cpu = (now_ms(CLOCK_PROCESS_CPUTIME_ID) - cpu0) / ((double)rounds * images);
  in[0] = x;
  SYM(_run_arrays)(in, outs);
  double sum = 0;
  for (long i = 0; i < SYM(_output_numel)[0]; ++i)
    sum += outs[0][i];
  qsort(t, (size_t)rounds, sizeof *t, cmp);
  printf("{\"ms_per_sample\": %.4f, \"min_ms_per_sample\": %.4f, \"cpu_ms_per_sample\": %.4f, "
         "\"rounds\": %d, \"images\": %d, \"out0_sum\": %.6g}\n",
         t[rounds / 2], t[0], cpu, rounds, images, sum);
  for (int i = 0; i < SYM(_num_outputs); ++i)
    free(outs[i]);
  free(t);
  free(x);
  return 0;
}
