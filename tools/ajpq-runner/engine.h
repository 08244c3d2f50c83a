/* engine.h — how ajpq-runner executes a model: a small table of functions per engine.
 * `reference` is ajpq_executor (executor/ajpq_executor.h). Another engine (e.g. `jit`, the
 * lowered AVX-512 kernels) is added by writing one file that defines a const
 * ajpq_runner_engine_t, listing it in engines.c under its own #ifdef and adding the file and the
 * define in this folder's CMakeLists.txt; main.c needs no change. Tensor layouts and the batch
 * contract are those of ajpq_executor_run. */
#ifndef AJPQ_RUNNER_ENGINE_H
#define AJPQ_RUNNER_ENGINE_H

#include "ajpq_executor.h"

typedef struct {
  const char *name;
  /* Plans the func.func `func` (NULL: "main" or the first) of `module` for opts->batch samples
   * and opts->threads threads; *state is owned by the engine (destroy). */
  ajpq_status_t (*create)(MlirModule module, const char *func, const ajpq_executor_options_t *opts,
                          void **state);
  int (*num_inputs)(void *state);
  int (*num_outputs)(void *state);
  /* Borrowed descriptions (dims[0] = planned batch when batched). */
  const ajpq_executor_tensor_info_t *(*input_info)(void *state, int i);
  const ajpq_executor_tensor_info_t *(*output_info)(void *state, int i);
  /* Runs n <= batch samples: inputs[i] / outputs[i] hold n samples, row-major, f32. */
  ajpq_status_t (*run)(void *state, int64_t n, const float *const *inputs, float *const *outputs);
  /* The reference executor behind this engine when it supports the weight swap, else NULL. */
  ajpq_executor_t *(*executor)(void *state);
  void (*destroy)(void *state);
} ajpq_runner_engine_t;

/* The reference engine (always built). */
extern const ajpq_runner_engine_t ajpq_runner_engine_reference;

/* The engine called `name`, or NULL. */
const ajpq_runner_engine_t *ajpq_runner_engine_find(const char *name);
/* Space-separated names of the built-in engines (for messages). */
const char *ajpq_runner_engine_names(void);

#endif
