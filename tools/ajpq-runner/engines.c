/* engines.c — ajpq-runner's engine table; `reference` wraps ajpq_executor. */
#include "engine.h"

#include <string.h>

static ajpq_status_t ref_create(MlirModule module, const char *func,
                                const ajpq_executor_options_t *opts, void **state) {
  ajpq_executor_t *ex = NULL;
  ajpq_status_t st = ajpq_executor_create_from_module(module, func, opts, &ex);
  *state = ex;
  return st;
}
static int ref_num_inputs(void *s) { return ajpq_executor_num_inputs(s); }
static int ref_num_outputs(void *s) { return ajpq_executor_num_outputs(s); }
static const ajpq_executor_tensor_info_t *ref_input_info(void *s, int i) {
  return ajpq_executor_input_info(s, i);
}
static const ajpq_executor_tensor_info_t *ref_output_info(void *s, int i) {
  return ajpq_executor_output_info(s, i);
}
static ajpq_status_t ref_run(void *s, int64_t n, const float *const *in, float *const *out) {
  return ajpq_executor_run(s, n, in, out);
}
static ajpq_executor_t *ref_executor(void *s) { return s; }
static void ref_destroy(void *s) { ajpq_executor_destroy(s); }

const ajpq_runner_engine_t ajpq_runner_engine_reference = {
    "reference", ref_create,  ref_num_inputs, ref_num_outputs, ref_input_info,
    ref_output_info, ref_run, ref_executor,   ref_destroy};

#ifdef AJPQ_RUNNER_HAVE_JIT
extern const ajpq_runner_engine_t ajpq_runner_engine_jit;
#endif

static const ajpq_runner_engine_t *const k_engines[] = {
    &ajpq_runner_engine_reference,
#ifdef AJPQ_RUNNER_HAVE_JIT
    &ajpq_runner_engine_jit,
#endif
};

const ajpq_runner_engine_t *ajpq_runner_engine_find(const char *name) {
  for (size_t i = 0; i < sizeof k_engines / sizeof k_engines[0]; ++i)
    if (!strcmp(k_engines[i]->name, name))
      return k_engines[i];
  return NULL;
}

const char *ajpq_runner_engine_names(void) {
#ifdef AJPQ_RUNNER_HAVE_JIT
  return "reference jit";
#else
  return "reference";
#endif
}
