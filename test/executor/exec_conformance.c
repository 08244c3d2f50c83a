/* exec_conformance.c — ONNX conformance through the executor: each case is imported with the
 * ONNX importer (ajpq_onnx) and run by ajpq_executor; every output is compared with the output
 * shipped by ONNX (Debian libonnx-testdata), |got - want| <= 1e-5 + 1e-3 |want| (ONNX's own
 * backend-test tolerance). Also a --model mode: a whole model on a seeded input (mulberry32,
 * as scripts/gen-onnx-goldens.mjs) against ONNX Runtime goldens (test/onnx/golden/).
 *
 * Usage:
 *   ajpq-exec-conformance [--root DIR] --list FILE      (cases of FILE, e.g. node/test_relu, relative
 *                                                      to DIR = libonnx-testdata data/; `skip` lines skipped)
 *   ajpq-exec-conformance --model M.onnx --input NAME:SHAPE --seed S --golden PREFIX
 * Binding as in ajpq-onnx-conformance: non-float inputs become constants; if the import then
 * needs more constants (weights), every input but the first is bound as a constant too.
 * Prints PASS/FAIL/SKIP per case and "passed: P failed: F skipped: S"; exit 1 on a failure. */
#define _GNU_SOURCE
#include "ajpq_executor.h"
#include "ajpq_io.h"
#include "ajpq_onnx.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { R_PASS, R_FAIL, R_SKIP };

static int compare(const float *got, const float *want, int64_t n, char *why, size_t wsz) {
  for (int64_t i = 0; i < n; ++i) {
    double g = got[i], w = want[i];
    if (isnan(w) && isnan(g))
      continue;
    if (!(fabs(g - w) <= 1e-5 + 1e-3 * fabs(w))) {
      snprintf(why, wsz, "element %lld: got %.8g want %.8g", (long long)i, g, w);
      return 1;
    }
  }
  return 0;
}

/* Imports and runs `tc`; expected outputs in tc->outputs. */
static int run_case(const ajpq_onnx_testcase_t *tc, const char *name, char *why, size_t wsz) {
  MlirContext ctx = ajpq_executor_context_create();
  ajpq_onnx_load_dialects(ctx);
  int n_in = tc->n_inputs < 64 ? tc->n_inputs : 64;
  int runtime[64];
  MlirModule m = {NULL};
  ajpq_executor_t *ex = NULL;
  int result = R_FAIL;
  ajpq_status_t st = ajpq_onnx_testcase_import(ctx, tc, name, runtime, &m);
  if (st) {
    snprintf(why, wsz, "import: %s", ajpq_status_message(st));
    result = ajpq_status_code(st) == AJPQ_UNIMPLEMENTED ? R_SKIP : R_FAIL;
    ajpq_status_free(st);
    goto done;
  }
  if ((st = ajpq_executor_create_from_module(m, NULL, NULL, &ex))) {
    snprintf(why, wsz, "plan: %s", ajpq_status_message(st));
    ajpq_status_free(st);
    goto done;
  }
  const float *ins[64];
  int k = 0;
  for (int i = 0; i < n_in; ++i)
    if (runtime[i]) {
      const ajpq_executor_tensor_info_t *ii = ajpq_executor_input_info(ex, k);
      if (!ii || ii->numel != tc->inputs[i].numel) {
        snprintf(why, wsz, "input %d: executor wants %lld elements, case has %lld", i,
                 ii ? (long long)ii->numel : -1LL, (long long)tc->inputs[i].numel);
        goto done;
      }
      ins[k++] = tc->inputs[i].f32;
    }
  if (k != ajpq_executor_num_inputs(ex) || tc->n_outputs != ajpq_executor_num_outputs(ex)) {
    snprintf(why, wsz, "arity: executor %d inputs/%d outputs, case %d/%d",
             ajpq_executor_num_inputs(ex), ajpq_executor_num_outputs(ex), k, tc->n_outputs);
    goto done;
  }
  float *outs[64] = {0};
  for (int i = 0; i < tc->n_outputs; ++i) {
    const ajpq_executor_tensor_info_t *oi = ajpq_executor_output_info(ex, i);
    if (oi->numel != tc->outputs[i].numel || !tc->outputs[i].f32) {
      snprintf(why, wsz, "output %d: %lld elements, expected %lld float", i, (long long)oi->numel,
               (long long)tc->outputs[i].numel);
      goto free_outs;
    }
    outs[i] = calloc(oi->numel + 1, sizeof(float));
  }
  if ((st = ajpq_executor_run(ex, 1, ins, outs))) {
    snprintf(why, wsz, "run: %s", ajpq_status_message(st));
    ajpq_status_free(st);
    goto free_outs;
  }
  result = R_PASS;
  for (int i = 0; i < tc->n_outputs && result == R_PASS; ++i) {
    char w2[256];
    if (compare(outs[i], tc->outputs[i].f32, tc->outputs[i].numel, w2, sizeof w2)) {
      snprintf(why, wsz, "output %d %s", i, w2);
      result = R_FAIL;
    }
  }
free_outs:
  for (int i = 0; i < tc->n_outputs && i < 64; ++i)
    free(outs[i]);
done:
  ajpq_executor_destroy(ex);
  if (!mlirModuleIsNull(m))
    mlirModuleDestroy(m);
  mlirContextDestroy(ctx);
  return result;
}

static uint32_t mulberry32(uint32_t *a) {
  *a += 0x6d2b79f5u;
  uint32_t t = *a;
  t = (t ^ (t >> 15)) * (t | 1u);
  t ^= t + (t ^ (t >> 7)) * (t | 61u);
  return t ^ (t >> 14);
}

static int run_model(const char *model, const char *input, uint32_t seed, const char *golden) {
  char nb[256], why[512] = "";
  ajpq_onnx_input_shape_t shp;
  const char *colon = strrchr(input, ':');
  char spec[512];
  snprintf(spec, sizeof spec, "x:%s", colon ? colon + 1 : "");
  ajpq_status_t st = ajpq_onnx_parse_input_shape(spec, nb, sizeof nb, &shp);
  if (st || !colon) {
    fprintf(stderr, "bad --input %s\n", input);
    return 1;
  }
  ajpq_onnx_tensor_t in = {0}, outs[16];
  in.name = strndup(input, colon - input);
  in.dtype = 1;
  in.rank = shp.rank;
  memcpy(in.dims, shp.dims, sizeof in.dims);
  in.numel = 1;
  for (int i = 0; i < in.rank; ++i)
    in.numel *= in.dims[i];
  in.f32 = malloc(in.numel * sizeof(float));
  uint32_t state = seed;
  for (int64_t i = 0; i < in.numel; ++i)
    in.f32[i] = (float)(2.0 * ((double)mulberry32(&state) / 4294967296.0) - 1.0);
  int n_out = 0;
  for (; n_out < 16; ++n_out) {
    char path[4096];
    snprintf(path, sizeof path, "%s.out%d.npy", golden, n_out);
    ajpq_tensor_t *t;
    if ((st = ajpq_npy_read(path, &t))) {
      ajpq_status_free(st);
      break;
    }
    memset(&outs[n_out], 0, sizeof outs[n_out]);
    outs[n_out].dtype = 1;
    outs[n_out].numel = t->numel;
    outs[n_out].f32 = malloc(t->numel * sizeof(float));
    memcpy(outs[n_out].f32, t->data, t->numel * sizeof(float));
    ajpq_tensor_free(t);
  }
  ajpq_onnx_testcase_t tc = {.model_path = (char *)model, .n_inputs = 1, .inputs = &in,
                             .n_outputs = n_out, .outputs = outs};
  int r = n_out ? run_case(&tc, model, why, sizeof why) : R_FAIL;
  printf("%s %s%s%s\n", r == R_PASS ? "PASS" : "FAIL", golden, r == R_PASS ? "" : ": ", why);
  for (int i = 0; i < n_out; ++i)
    free(outs[i].f32);
  free(in.f32);
  free(in.name);
  return r != R_PASS;
}

int main(int argc, char **argv) {
  const char *root = "/usr/share/libonnx-testdata/data", *list = NULL;
  const char *model = NULL, *input = NULL, *golden = NULL;
  uint32_t seed = 1;
  for (int i = 1; i < argc; ++i) {
    if (!strcmp(argv[i], "--root") && i + 1 < argc)
      root = argv[++i];
    else if (!strcmp(argv[i], "--list") && i + 1 < argc)
      list = argv[++i];
    else if (!strcmp(argv[i], "--model") && i + 1 < argc)
      model = argv[++i];
    else if (!strcmp(argv[i], "--input") && i + 1 < argc)
      input = argv[++i];
    else if (!strcmp(argv[i], "--golden") && i + 1 < argc)
      golden = argv[++i];
    else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
      seed = (uint32_t)strtoul(argv[++i], NULL, 10);
    else {
      fprintf(stderr, "ajpq-exec-conformance: unknown argument %s\n", argv[i]);
      return 2;
    }
  }
  if (model)
    return run_model(model, input ? input : "", seed, golden ? golden : "");
  if (!list) {
    fprintf(stderr, "usage: ajpq-exec-conformance --root DIR --list FILE\n");
    return 2;
  }
  FILE *f = fopen(list, "r");
  if (!f) {
    fprintf(stderr, "ajpq-exec-conformance: cannot open %s\n", list);
    return 2;
  }
  char line[4096];
  int np = 0, nf = 0, nsk = 0;
  while (fgets(line, sizeof line, f)) {
    line[strcspn(line, "\r\n")] = 0;
    char *p = line;
    while (*p == ' ')
      ++p;
    if (!*p || *p == '#')
      continue;
    if (!strncmp(p, "skip ", 5)) {
      ++nsk;
      continue;
    }
    char name[512];
    sscanf(p, "%511s", name);
    char dir[4096], why[1024] = "";
    snprintf(dir, sizeof dir, "%s/%s", root, name);
    ajpq_onnx_testcase_t *tc = NULL;
    ajpq_status_t st = ajpq_onnx_testcase_load(dir, &tc);
    int r;
    if (st) {
      snprintf(why, sizeof why, "%s", ajpq_status_message(st));
      ajpq_status_free(st);
      r = R_FAIL;
    } else {
      r = run_case(tc, name, why, sizeof why);
      ajpq_onnx_testcase_free(tc);
    }
    printf("%s %s%s%s\n", r == R_PASS ? "PASS" : r == R_SKIP ? "SKIP" : "FAIL", name,
           r == R_PASS ? "" : ": ", why);
    np += r == R_PASS;
    nf += r == R_FAIL;
    nsk += r == R_SKIP;
  }
  fclose(f);
  printf("passed: %d failed: %d skipped: %d\n", np, nf, nsk);
  return nf ? 1 : 0;
}
