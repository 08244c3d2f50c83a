/* check_model.c — cross-checks examples/run_model.c: runs the same model
 * (tiny_model.mlir) on the same image through the EXECUTOR (the reference
 * semantics, implemented independently of the kernels) and compares with the
 * scores printed by ajpq-example-run (the ahead-of-time object).
 * Usage: ajpq-example-check tiny_model.mlir run_output.txt
 * Also runs it through the JIT (ajpq_codegen_model_*, the engine behind
 * `ajpq-runner --engine=jit`), which must agree with the object bit for bit.
 * Prints per-output values and the max abs difference; exit 1 if an output
 * differs from the executor by more than 1e-4·(1 + |reference|), from the
 * JIT at all, or on any error. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ajpq_codegen.h"
#include "ajpq_executor.h"

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: ajpq-example-check model.mlir run_output.txt\n");
    return 1;
  }
  static float image[1 * 6 * 6 * 8], ref[5], got[5], jit[5];
  for (int i = 0; i < (int)(sizeof image / sizeof image[0]); ++i)
    image[i] = (float)((i * 37) % 101) / 50.0f - 1.0f; /* as run_model.c */
  FILE *f = fopen(argv[2], "r");
  if (!f) {
    fprintf(stderr, "ajpq-example-check: cannot open '%s'\n", argv[2]);
    return 1;
  }
  for (int i = 0; i < 5; ++i) {
    int idx;
    if (fscanf(f, " out[%d] = %f", &idx, &got[i]) != 2 || idx != i) {
      fprintf(stderr, "ajpq-example-check: '%s': bad line %d\n", argv[2], i);
      fclose(f);
      return 1;
    }
  }
  fclose(f);
  MlirContext ctx = ajpq_executor_context_create();
  MlirModule m;
  ajpq_executor_t *ex = NULL;
  ajpq_status_t st = ajpq_executor_parse_file(ctx, argv[1], &m);
  if (!st)
    st = ajpq_executor_create_from_module(m, "main", NULL, &ex);
  const float *in[1] = {image};
  float *out[1] = {ref};
  if (!st)
    st = ajpq_executor_run(ex, 1, in, out);
  /* JIT of the same file (a fresh parse: lowering rewrites the module). */
  MlirModule m2 = {NULL};
  ajpq_codegen_model_t *jm = NULL;
  if (!st && !ajpq_codegen_prepare_context(ctx))
    st = ajpq_status_make(AJPQ_INTERNAL, "cannot prepare the context");
  if (!st)
    st = ajpq_executor_parse_file(ctx, argv[1], &m2);
  if (!st)
    st = ajpq_codegen_model_create(m2, "main", NULL, &jm);
  float *jout[1] = {jit};
  if (!st)
    st = ajpq_codegen_model_run(jm, in, jout);
  if (st) {
    ajpq_status_fprint(stderr, "ajpq-example-check", st);
    ajpq_status_free(st);
    return 1;
  }
  double maxd = 0;
  int bad = 0;
  for (int i = 0; i < 5; ++i) {
    double d = fabs((double)got[i] - ref[i]);
    maxd = d > maxd ? d : maxd;
    bad |= d > 1e-4 * (1.0 + fabs((double)ref[i]));
    printf("out[%d]: object %.6g executor %.6g jit %.6g\n", i, (double)got[i], (double)ref[i], (double)jit[i]);
    /* The object prints %.6g: compare the JIT at that precision. */
    char a[32], b[32];
    snprintf(a, sizeof a, "%.6g", (double)got[i]);
    snprintf(b, sizeof b, "%.6g", (double)jit[i]);
    if (strcmp(a, b) != 0) {
      printf("out[%d]: object and jit differ\n", i);
      bad = 1;
    }
  }
  printf("max abs difference: %.3g -> %s\n", maxd, bad ? "MISMATCH" : "match");
  ajpq_codegen_model_destroy(jm);
  mlirModuleDestroy(m2);
  ajpq_executor_destroy(ex);
  mlirModuleDestroy(m);
  mlirContextDestroy(ctx);
  return bad;
}
