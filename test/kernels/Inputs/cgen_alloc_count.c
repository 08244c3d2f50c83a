/* cgen_alloc_count.c — counts the heap blocks a model object compiled by
 * `ajpq-translate --mlir-to-obj` leaves allocated (test/kernels/cgen-dealloc.test).
 * Linked with -Wl,--wrap=malloc -Wl,--wrap=free so that the object's malloc/free
 * calls go through the counters below; runs the model 3 times on a constant input
 * and prints, per call, the blocks it allocated and how many are still live
 * afterwards (0 = every buffer the generated code allocates is freed: the
 * buffer-deallocation phase ran on every function that owns buffers).
 * Build: cc -DMODEL_H='"m.h"' -I<dir of m.h> cgen_alloc_count.c m.o
 *        -Wl,--wrap=malloc -Wl,--wrap=free */
#include <stdio.h>
#include <stdlib.h>

#include MODEL_H

void *__real_malloc(size_t n);
void __real_free(void *p);

static long g_mallocs, g_live;

void *__wrap_malloc(size_t n) {
  void *p = __real_malloc(n);
  if (p) {
    ++g_mallocs;
    ++g_live;
  }
  return p;
}

void __wrap_free(void *p) {
  if (p)
    --g_live;
  __real_free(p);
}

int main(void) {
  float *in[main_num_inputs > 0 ? main_num_inputs : 1], *out[main_num_outputs];
  /* The harness's own buffers come from calloc, which is not wrapped. */
  for (int i = 0; i < main_num_inputs; ++i) {
    in[i] = calloc((size_t)main_input_numel[i], sizeof(float));
    if (!in[i])
      return 1;
    for (int64_t k = 0; k < main_input_numel[i]; ++k)
      in[i][k] = (float)((k * 7) % 13) / 13.0f - 0.5f;
  }
  for (int i = 0; i < main_num_outputs; ++i)
    if (!(out[i] = calloc((size_t)main_output_numel[i], sizeof(float))))
      return 1;
  for (int call = 1; call <= 3; ++call) {
    long m0 = g_mallocs, l0 = g_live;
    main_run_arrays((const float *const *)in, out);
    printf("TEST: call %d: allocated %ld blocks, %ld still live\n", call, g_mallocs - m0, g_live - l0);
  }
  for (int i = 0; i < main_num_inputs; ++i)
    free(in[i]);
  for (int i = 0; i < main_num_outputs; ++i)
    free(out[i]);
  return 0;
}
