/* executor_bench.c — fp32 throughput of ajpq_executor on one model (ONNX imported in-process,
 * or MLIR), for bench/executor/run.sh, which interleaves it with ONNX Runtime in the same run.
 * Usage: ajpq-executor-bench model.{onnx|mlir} inputs.npy BATCH THREADS ROUNDS [NAME:SHAPE]
 * Each round runs one batch of BATCH samples (taken cyclically from inputs.npy) after one warm-up
 * batch; prints one JSON line with the median and minimum milliseconds per sample. */
#define _GNU_SOURCE
#include "ajpq_executor.h"
#include "ajpq_io.h"
#include "ajpq_onnx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static int die(ajpq_status_t st) {
  ajpq_status_fprint(stderr, "ajpq-executor-bench", st);
  ajpq_status_free(st);
  return 1;
}

int main(int argc, char **argv) {
  if (argc < 6) {
    fprintf(stderr, "usage: ajpq-executor-bench model inputs.npy BATCH THREADS ROUNDS [NAME:SHAPE]\n");
    return 2;
  }
  const char *model = argv[1];
  int64_t batch = atoll(argv[3]);
  int threads = atoi(argv[4]), rounds = atoi(argv[5]);
  if (batch < 1 || threads < 0 || rounds < 1) {
    fprintf(stderr, "ajpq-executor-bench: bad BATCH/THREADS/ROUNDS\n");
    return 2;
  }
  ajpq_tensor_t *raw, *data;
  ajpq_status_t st = ajpq_npy_read(argv[2], &raw);
  if (st || (st = ajpq_tensor_to_f32(raw, &data)))
    return die(st);
  MlirContext ctx = ajpq_executor_context_create();
  MlirModule m;
  size_t ml = strlen(model);
  if (ml > 5 && !strcmp(model + ml - 5, ".onnx")) {
    ajpq_onnx_load_dialects(ctx);
    ajpq_onnx_options_t o;
    ajpq_onnx_options_init(&o);
    ajpq_onnx_input_shape_t shp;
    char nb[256];
    if (argc > 6) {
      const char *colon = strrchr(argv[6], ':');
      char spec[300];
      snprintf(spec, sizeof spec, "x:%s", colon ? colon + 1 : "");
      if ((st = ajpq_onnx_parse_input_shape(spec, nb, sizeof nb, &shp)))
        return die(st);
      snprintf(nb, sizeof nb, "%.*s", (int)(colon - argv[6]), argv[6]);
      shp.name = nb;
      o.input_shapes = &shp;
      o.n_input_shapes = 1;
    }
    st = ajpq_onnx_import_file(ctx, model, &o, &m);
  } else {
    st = ajpq_executor_parse_file(ctx, model, &m);
  }
  if (st)
    return die(st);
  ajpq_executor_options_t eo;
  ajpq_executor_options_init(&eo);
  eo.batch = batch;
  eo.threads = threads;
  ajpq_executor_t *ex;
  if ((st = ajpq_executor_create_from_module(m, NULL, &eo, &ex)))
    return die(st);
  int64_t per = ajpq_executor_input_info(ex, 0)->numel / batch;
  if (per != data->numel / data->dims[0]) {
    fprintf(stderr, "ajpq-executor-bench: %s does not match the model input\n", argv[2]);
    return 1;
  }
  float *in = malloc(batch * per * sizeof(float));
  for (int64_t s = 0; s < batch; ++s)
    memcpy(in + s * per, (float *)data->data + (s % data->dims[0]) * per, per * sizeof(float));
  int nout = ajpq_executor_num_outputs(ex);
  float **outs = calloc(nout, sizeof(float *));
  for (int i = 0; i < nout; ++i)
    outs[i] = malloc(ajpq_executor_output_info(ex, i)->numel * sizeof(float));
  const float *ins[1] = {in};
  double *t = malloc(rounds * sizeof(double));
  if ((st = ajpq_executor_run(ex, batch, ins, outs)))
    return die(st);
  for (int r = 0; r < rounds; ++r) {
    double t0 = now_ms();
    ajpq_executor_run(ex, batch, ins, outs);
    t[r] = (now_ms() - t0) / batch;
  }
  qsort(t, rounds, sizeof(double), cmp);
  printf("{\"ms_per_sample\":%.6f,\"min_ms_per_sample\":%.6f,\"batch\":%lld,\"threads\":%d,"
         "\"rounds\":%d}\n",
         t[rounds / 2], t[0], (long long)batch, threads, rounds);
  return 0;
}
