/* jc_test_util.h — set-up shared by the C test drivers of --joint-compress in test/passes
 * (masked_erased_test.c, wq_bias_test.c). Header-only (static functions): each driver is one
 * source file linked by rl/CMakeLists.txt, and "" includes resolve next to the source, so no
 * include path or library is needed. Each driver keeps its own error reporting (die()). */
#ifndef AJPQ_JC_TEST_UTIL_H
#define AJPQ_JC_TEST_UTIL_H

#include "ajpq_executor.h"
#include "ajpq_io.h"
#include "ajpq_joint_compress.h"

#include <stdlib.h>
#include <string.h>

/* The channel graph (L1 importance) of the entry function of `mod`, stored in *func; NULL when
 * it cannot be built (ajpq_cg_build has emitted the diagnostic). Caller owns the graph
 * (ajpq_cg_destroy). */
static inline ajpq_channel_graph_t *jc_test_graph(MlirModule mod, MlirOperation *func) {
  *func = ajpq_cg_entry_func(mlirModuleGetOperation(mod));
  return ajpq_cg_build(*func, AJPQ_IMPORTANCE_L1);
}

/* *cfg zeroed, then the pass defaults the drivers compare against: candidate bit-widths 1..8,
 * 0 bits (erasing) allowed, min-keep 1, activation bits act_bits (2..8, or 32 = float). The
 * weight options are left for the caller. Allocates nothing. */
static inline void jc_test_config(ajpq_jc_config_t *cfg, int act_bits) {
  memset(cfg, 0, sizeof *cfg);
  for (int b = 1; b <= 8; b++)
    cfg->cand[cfg->n_cand++] = b;
  cfg->allow_zero = true;
  cfg->min_keep = 1;
  cfg->act_bits = act_bits;
}

/* Reads the .npy file `path` into *d (as stored) and its float32 copy *df ([N, ...], N the
 * samples); the caller frees both with ajpq_tensor_free (*df stays NULL on error). Errors: the
 * status of ajpq_npy_read / ajpq_tensor_to_f32 (unreadable, malformed, unsupported dtype). */
static inline ajpq_status_t jc_test_read_f32(const char *path, ajpq_tensor_t **d,
                                             ajpq_tensor_t **df) {
  *d = NULL;
  *df = NULL;
  ajpq_status_t st = ajpq_npy_read(path, d);
  if (!st)
    st = ajpq_tensor_to_f32(*d, df);
  return st;
}

/* n, or the optional MAX_SAMPLES argument argv[i] when it is given, positive and smaller. */
static inline int64_t jc_test_sample_limit(int64_t n, int argc, char **argv, int i) {
  if (argc > i && atoll(argv[i]) > 0 && atoll(argv[i]) < n)
    n = atoll(argv[i]);
  return n;
}

/* Floats per sample of df ([N, ...]: the product of dims 1..rank-1). */
static inline int64_t jc_test_sample_numel(const ajpq_tensor_t *df) {
  int64_t numel = 1;
  for (int i = 1; i < df->rank; i++)
    numel *= df->dims[i];
  return numel;
}

/* Index of the executor layer of ex planned for operation op (a compressible layer of the
 * channel graph), the last if several; -1 if none. */
static inline int jc_test_exec_layer(const ajpq_executor_t *ex, MlirOperation op) {
  int found = -1;
  for (int j = 0; j < ajpq_executor_num_layers(ex); j++)
    if (mlirOperationEqual(ajpq_executor_layer(ex, j)->op, op))
      found = j;
  return found;
}

#endif /* AJPQ_JC_TEST_UTIL_H */
