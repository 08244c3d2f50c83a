/* run_npy.c — runs ANY single-input model compiled ahead of time by
 *     ajpq-translate --mlir-to-obj model.mlir -o model.o --header=model.h
 * on every sample of a float32 .npy file and writes one .npy per output, so
 * that a user's own model can be checked against `ajpq-runner --engine
 * reference --save-outputs` (docs/kernels.md, "Running a model of your own").
 * Build it per model (the header fixes the shapes):
 *     cc -O2 -DAJPQ_MODEL_HEADER='"model.h"' examples/run_npy.c model.o -lm -o run-model
 * and, if the model's function is not @main, add -DAJPQ_MODEL_PREFIX=<name>.
 * Usage: run-model inputs.npy OUT_DIR [REPEAT]
 *   inputs.npy: '<f4', C order, version 1 or 2; its element count must be a
 *     multiple of the model input's (the samples are consecutive; a model
 *     with batch dimension B takes B samples per call);
 *   OUT_DIR/output_<i>.npy: shape (calls, numel of output i), float32;
 *   REPEAT (default 1): runs the whole file that many times and prints wall
 *     and CPU milliseconds per call (the first pass included).
 * Links only the object file and the C library (no MLIR, LLVM or ajpq
 * library). Errors (unreadable file, wrong dtype or size) print a message
 * naming the file and exit 1 before any output is written. */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifndef AJPQ_MODEL_HEADER
#error "compile with -DAJPQ_MODEL_HEADER='\"model.h\"' (the header ajpq-translate --header wrote)"
#endif
#include AJPQ_MODEL_HEADER

#ifndef AJPQ_MODEL_PREFIX
#define AJPQ_MODEL_PREFIX main
#endif
#define AJPQ_CAT2(a, b) a##b
#define AJPQ_CAT(a, b) AJPQ_CAT2(a, b)
#define M_(x) AJPQ_CAT(AJPQ_MODEL_PREFIX, x)

static double seconds(clockid_t c) {
  struct timespec t;
  clock_gettime(c, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Reads a float32 C-order .npy; returns its data (malloc'ed) and count. */
static float *read_npy(const char *path, int64_t *count) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "run_npy: %s: cannot open\n", path);
    return NULL;
  }
  unsigned char pre[12];
  float *data = NULL;
  char *hdr = NULL;
  if (fread(pre, 1, 10, f) != 10 || memcmp(pre, "\x93NUMPY", 6) != 0 || (pre[6] != 1 && pre[6] != 2)) {
    fprintf(stderr, "run_npy: %s: not a version 1/2 .npy file\n", path);
    goto out;
  }
  size_t hlen = (size_t)pre[8] | (size_t)pre[9] << 8;
  if (pre[6] == 2) {
    if (fread(pre + 10, 1, 2, f) != 2)
      goto bad;
    hlen |= (size_t)pre[10] << 16 | (size_t)pre[11] << 24;
  }
  if (hlen > (1u << 20) || !(hdr = calloc(hlen + 1, 1)) || fread(hdr, 1, hlen, f) != hlen)
    goto bad;
  if (!strstr(hdr, "'descr': '<f4'") || !strstr(hdr, "'fortran_order': False")) {
    fprintf(stderr, "run_npy: %s: need dtype '<f4' in C order, header: %s\n", path, hdr);
    goto out;
  }
  const char *s = strstr(hdr, "'shape': (");
  if (!s)
    goto bad;
  int64_t n = 1;
  for (s += 10; *s && *s != ')';) {
    char *e;
    long long d = strtoll(s, &e, 10);
    if (e == s || d < 0 || (d && n > INT64_MAX / 4 / d))
      goto bad;
    n *= d;
    s = e;
    while (*s == ',' || *s == ' ')
      ++s;
  }
  if (!(data = malloc((size_t)(n ? n : 1) * sizeof(float))) || fread(data, sizeof(float), (size_t)n, f) != (size_t)n) {
    free(data);
    data = NULL;
    goto bad;
  }
  *count = n;
  goto out;
bad:
  fprintf(stderr, "run_npy: %s: malformed or truncated .npy file\n", path);
out:
  free(hdr);
  fclose(f);
  return data;
}

static int write_npy(const char *path, const float *v, int64_t rows, int64_t cols) {
  char h[128];
  int len = snprintf(h, sizeof h, "{'descr': '<f4', 'fortran_order': False, 'shape': (%lld, %lld), }",
                     (long long)rows, (long long)cols);
  int pad = 64 - (10 + len + 1) % 64;
  FILE *f = fopen(path, "wb");
  if (!f)
    return 0;
  unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (unsigned char)((len + pad + 1) & 0xff),
                           (unsigned char)((len + pad + 1) >> 8)};
  int ok = fwrite(pre, 1, 10, f) == 10 && fwrite(h, 1, (size_t)len, f) == (size_t)len;
  for (int i = 0; ok && i < pad; ++i)
    ok = fputc(' ', f) != EOF;
  ok = ok && fputc('\n', f) != EOF && fwrite(v, sizeof(float), (size_t)(rows * cols), f) == (size_t)(rows * cols);
  return fclose(f) == 0 && ok;
}

int main(int argc, char **argv) {
  if (argc < 3 || argc > 4) {
    fprintf(stderr, "usage: %s inputs.npy OUT_DIR [REPEAT]\n", argv[0]);
    return 1;
  }
  if (M_(_num_inputs) != 1) {
    fprintf(stderr, "run_npy: the model has %d inputs; this harness feeds one\n", (int)M_(_num_inputs));
    return 1;
  }
  int repeat = argc == 4 ? atoi(argv[3]) : 1;
  if (repeat < 1) {
    fprintf(stderr, "run_npy: REPEAT must be a positive integer, got '%s'\n", argv[3]);
    return 1;
  }
  int64_t count = 0, per = M_(_input_numel)[0];
  float *x = read_npy(argv[1], &count);
  if (!x)
    return 1;
  if (count == 0 || count % per != 0) {
    fprintf(stderr, "run_npy: %s: %lld values, not a positive multiple of the model input's %lld\n", argv[1],
            (long long)count, (long long)per);
    free(x);
    return 1;
  }
  int64_t calls = count / per;
  enum { NO = M_(_num_outputs) };
  float *y[NO];
  int ok = 1;
  for (int i = 0; i < NO; ++i)
    ok &= (y[i] = malloc((size_t)(calls * M_(_output_numel)[i]) * sizeof(float))) != NULL;
  double w0 = seconds(CLOCK_MONOTONIC), c0 = seconds(CLOCK_PROCESS_CPUTIME_ID);
  for (int r = 0; ok && r < repeat; ++r)
    for (int64_t s = 0; s < calls; ++s) {
      const float *in[1] = {x + s * per};
      float *out[NO];
      for (int i = 0; i < NO; ++i)
        out[i] = y[i] + s * M_(_output_numel)[i];
      M_(_run_arrays)(in, out);
    }
  double wall = seconds(CLOCK_MONOTONIC) - w0, cpu = seconds(CLOCK_PROCESS_CPUTIME_ID) - c0;
  for (int i = 0; ok && i < NO; ++i) {
    char path[4096];
    snprintf(path, sizeof path, "%s/output_%d.npy", argv[2], i);
    if (!write_npy(path, y[i], calls, M_(_output_numel)[i])) {
      fprintf(stderr, "run_npy: cannot write %s\n", path);
      ok = 0;
    }
  }
  if (ok)
    printf("calls %lld x %d: wall %.4f ms/call, CPU %.4f ms/call\n", (long long)calls, repeat,
           1e3 * wall / (double)(calls * repeat), 1e3 * cpu / (double)(calls * repeat));
  for (int i = 0; i < NO; ++i)
    free(y[i]);
  free(x);
  return ok ? 0 : 1;
}
