/* model_check.c — a whole model through the kernels (JIT of the lowered
 * module) against the executor (reference semantics) on a data set:
 *
 *   ajpq-kernels-model-check model.mlir inputs.npy labels.npy BEGIN END [OUTS]
 *
 * Runs samples [BEGIN, END) one at a time (batch 1) through both engines,
 * scores each sample as sigmoid(max logit over the outputs listed in OUTS,
 * default "0,1": the zoo's "max_sigmoid" post-processing), and prints the
 * accuracy at 0.5 of both engines against the labels (1 = positive), the
 * largest absolute difference of any raw output, the number of samples whose
 * decision differs, the lowering + JIT compile time (including the lazy
 * compilation on the first call, which is a warm-up run) and the mean time
 * per sample of each engine (1 thread). Exit 1 on errors only. */
#include "ajpq_codegen.h"
#include "ajpq_executor.h"
#include "ajpq_io.h"

#include <malloc.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int fail(ajpq_status_t st) {
  ajpq_status_fprint(stderr, "ajpq-kernels-model-check", st);
  ajpq_status_free(st);
  return 1;
}

int main(int argc, char **argv) {
  if (argc < 6) {
    fprintf(stderr, "usage: ajpq-kernels-model-check model.mlir inputs.npy labels.npy BEGIN END [OUTS]\n");
    return 1;
  }
  /* The lowered model allocates its intermediate tensors per call; keep
   * glibc from returning them to the kernel (mmap/munmap and page faults on
   * every call cost 2-3x at BlazeFace sizes). See docs/kernels.md. */
  mallopt(M_MMAP_THRESHOLD, 1 << 30);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  mallopt(M_TOP_PAD, 64 << 20);
  long begin = atol(argv[4]), end = atol(argv[5]);
  int outs[16], nouts = 0;
  const char *ol = argc > 6 ? argv[6] : "0,1";
  for (const char *p = ol; *p && nouts < 16;) {
    outs[nouts++] = atoi(p);
    p = strchr(p, ',');
    if (!p)
      break;
    ++p;
  }
  ajpq_tensor_t *raw = NULL, *data = NULL, *labels = NULL, *lab = NULL;
  ajpq_status_t st = ajpq_npy_read(argv[2], &raw);
  if (!st)
    st = ajpq_tensor_to_f32(raw, &data);
  ajpq_tensor_free(raw);
  if (!st)
    st = ajpq_npy_read(argv[3], &lab);
  if (!st)
    st = ajpq_tensor_to_f32(lab, &labels);
  ajpq_tensor_free(lab);
  if (st)
    return fail(st);
  if (begin < 0 || end > data->dims[0] || begin >= end || labels->numel < end) {
    fprintf(stderr, "ajpq-kernels-model-check: bad sample range [%ld, %ld)\n", begin, end);
    return 1;
  }
  int64_t per = data->numel / data->dims[0];
  MlirContext ctx = ajpq_executor_context_create();
  MlirModule m1, m2;
  ajpq_executor_t *ex = NULL;
  ajpq_codegen_model_t *jm = NULL;
  ajpq_executor_options_t eo;
  ajpq_executor_options_init(&eo);
  eo.threads = 1;
  st = ajpq_executor_parse_file(ctx, argv[1], &m1);
  if (!st)
    st = ajpq_executor_create_from_module(m1, NULL, &eo, &ex);
  if (!st && !ajpq_codegen_prepare_context(ctx))
    st = ajpq_status_make(AJPQ_INTERNAL, "cannot prepare the context");
  if (!st)
    st = ajpq_executor_parse_file(ctx, argv[1], &m2);
  double t0 = now();
  if (!st)
    st = ajpq_codegen_model_create(m2, NULL, NULL, &jm);
  double compile = now() - t0;
  if (st)
    return fail(st);
  const ajpq_codegen_signature_t *sig = ajpq_codegen_model_signature(jm);
  if (sig->num_inputs != 1 || sig->inputs[0].numel != per) {
    fprintf(stderr, "ajpq-kernels-model-check: the model wants one input of %lld floats, samples have %lld\n",
            (long long)sig->inputs[0].numel, (long long)per);
    return 1;
  }
  float *o1[16], *o2[16];
  for (int i = 0; i < sig->num_outputs; ++i) {
    o1[i] = malloc((size_t)sig->outputs[i].numel * sizeof(float));
    o2[i] = malloc((size_t)sig->outputs[i].numel * sizeof(float));
  }
  /* Warm-up on the first sample: the ORC JIT compiles functions lazily on
   * their first call; count that as compile time, not as run time. */
  {
    const float *in[1] = {(const float *)data->data + begin * per};
    t0 = now();
    st = ajpq_codegen_model_run(jm, in, o2);
    compile += now() - t0;
    if (!st)
      st = ajpq_executor_run(ex, 1, in, o1);
    if (st)
      return fail(st);
  }
  double t_ex = 0, t_jit = 0, maxdiff = 0;
  long correct1 = 0, correct2 = 0, differ = 0;
  for (long s = begin; s < end; ++s) {
    const float *in[1] = {(const float *)data->data + s * per};
    t0 = now();
    st = ajpq_executor_run(ex, 1, in, o1);
    t_ex += now() - t0;
    t0 = now();
    if (!st)
      st = ajpq_codegen_model_run(jm, in, o2);
    t_jit += now() - t0;
    if (st)
      return fail(st);
    float best1 = -INFINITY, best2 = -INFINITY;
    for (int i = 0; i < sig->num_outputs; ++i)
      for (int64_t k = 0; k < sig->outputs[i].numel; ++k) {
        double d = fabs((double)o1[i][k] - o2[i][k]);
        maxdiff = d > maxdiff ? d : maxdiff;
      }
    for (int j = 0; j < nouts; ++j) {
      int i = outs[j];
      if (i < 0 || i >= sig->num_outputs)
        continue;
      for (int64_t k = 0; k < sig->outputs[i].numel; ++k) {
        best1 = o1[i][k] > best1 ? o1[i][k] : best1;
        best2 = o2[i][k] > best2 ? o2[i][k] : best2;
      }
    }
    int label = ((const float *)labels->data)[s] > 0.5f;
    int d1 = 1.0 / (1.0 + exp(-(double)best1)) >= 0.5, d2 = 1.0 / (1.0 + exp(-(double)best2)) >= 0.5;
    correct1 += d1 == label;
    correct2 += d2 == label;
    differ += d1 != d2;
  }
  long n = end - begin;
  printf("samples: %ld\n", n);
  printf("accuracy executor: %.4f\n", (double)correct1 / (double)n);
  printf("accuracy kernels: %.4f\n", (double)correct2 / (double)n);
  printf("decisions that differ: %ld\n", differ);
  printf("max abs output difference: %.3g\n", maxdiff);
  printf("lowering + JIT compile: %.2f s\n", compile);
  printf("mean time per sample: executor %.3f ms, kernels %.3f ms (%.2fx)\n", t_ex / (double)n * 1e3,
         t_jit / (double)n * 1e3, t_ex / t_jit);
  for (int i = 0; i < sig->num_outputs; ++i) {
    free(o1[i]);
    free(o2[i]);
  }
  ajpq_codegen_model_destroy(jm);
  ajpq_executor_destroy(ex);
  mlirModuleDestroy(m1);
  mlirModuleDestroy(m2);
  mlirContextDestroy(ctx);
  ajpq_tensor_free(data);
  ajpq_tensor_free(labels);
  return 0;
}
