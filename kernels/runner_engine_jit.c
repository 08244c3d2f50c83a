/* runner_engine_jit.c — the `jit` engine of ajpq-runner (issue 6: "ajpq-runner
 * --engine=jit runs the lowered model through the MLIR execution engine").
 *
 * It implements the engine table of tools/ajpq-runner/engine.h on top of
 * ajpq_codegen_model_* (kernels/ajpq_codegen.h): the module is lowered in
 * place (ajpq-lower-to-kernels + the upstream pipeline, host CPU features)
 * and JIT-compiled at O3 once; every run calls the C entry point. The model
 * function's shapes are static, so its leading dimension is the number of
 * samples one JIT call takes (usually 1); a run of n samples makes
 * n / model_batch calls. There is no weight swap (executor() is NULL), so
 * `--weight-bits` stays with `--engine=reference`.
 *
 * Wiring (tools/ajpq-runner/CMakeLists.txt, owned by the executor engineer):
 *   if(TARGET ajpq_codegen)
 *     target_sources(ajpq-runner PRIVATE ${CMAKE_SOURCE_DIR}/kernels/runner_engine_jit.c)
 *     target_include_directories(ajpq-runner PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
 *     target_link_libraries(ajpq-runner PRIVATE ajpq_codegen)
 *     target_compile_definitions(ajpq-runner PRIVATE AJPQ_RUNNER_HAVE_JIT=1)
 *   endif()
 */
#include <stdio.h>
#include <stdlib.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "ajpq_codegen.h"
#include "engine.h"

typedef struct {
  ajpq_codegen_model_t *model;
  int64_t batch;       /* samples per run planned by the runner (opts->batch) */
  int64_t model_batch; /* samples per JIT call: the model's leading dimension */
  int num_in, num_out;
  char names[32][24];
  ajpq_executor_tensor_info_t info[32]; /* inputs, then outputs */
} jit_state_t;

static void jit_destroy(void *s) {
  jit_state_t *j = s;
  if (!j)
    return;
  ajpq_codegen_model_destroy(j->model);
  free(j);
}

static ajpq_status_t jit_create(MlirModule module, const char *func,
                                const ajpq_executor_options_t *opts, void **state) {
  *state = NULL;
  if (!ajpq_codegen_prepare_context(mlirModuleGetContext(module)))
    return ajpq_status_make(AJPQ_INTERNAL, "jit engine: cannot load the ajpq dialect");
  /* The lowered model mallocs and frees its intermediates on every call:
   * keep freed blocks in the heap instead of mmap/munmap + page faults
   * (2.4x on BlazeFace; see the generated headers of --mlir-to-obj). */
#ifdef __GLIBC__
  mallopt(M_MMAP_THRESHOLD, 256 << 20);
  mallopt(M_TRIM_THRESHOLD, 512 << 20);
#endif
  jit_state_t *j = calloc(1, sizeof *j);
  if (!j)
    return ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED, "jit engine: out of memory");
  ajpq_status_t st = ajpq_codegen_model_create(module, func, NULL, &j->model);
  if (st) {
    free(j);
    return ajpq_status_annotate(st, "jit engine");
  }
  const ajpq_codegen_signature_t *sig = ajpq_codegen_model_signature(j->model);
  j->num_in = sig->num_inputs;
  j->num_out = sig->num_outputs;
  j->batch = opts && opts->batch > 0 ? opts->batch : 1;
  for (int i = 0; i < j->num_in + j->num_out; ++i) {
    bool in = i < j->num_in;
    const ajpq_codegen_tensor_t *t = in ? &sig->inputs[i] : &sig->outputs[i - j->num_in];
    if (t->rank < 1 || t->rank > AJPQ_EXECUTOR_MAX_RANK || t->dims[0] < 1 ||
        (i > 0 && t->dims[0] != j->model_batch)) {
      jit_destroy(j);
      return ajpq_status_make(AJPQ_UNIMPLEMENTED,
                              "jit engine: @%s: every input and output needs the same leading "
                              "(batch) dimension",
                              sig->func);
    }
    j->model_batch = t->dims[0];
    ajpq_executor_tensor_info_t *x = &j->info[i];
    snprintf(j->names[i], sizeof j->names[i], "%s%d", in ? "input" : "output",
             in ? i : i - j->num_in);
    x->name = j->names[i];
    x->rank = t->rank;
    x->dims[0] = j->batch;
    x->numel = j->batch;
    for (int d = 1; d < t->rank; ++d) {
      x->dims[d] = t->dims[d];
      x->numel *= t->dims[d];
    }
    x->batched = true;
  }
  if (j->batch % j->model_batch != 0) {
    int64_t mb = j->model_batch;
    jit_destroy(j);
    return ajpq_status_make(AJPQ_INVALID_ARGUMENT,
                            "jit engine: --batch %lld is not a multiple of the model's batch "
                            "dimension %lld",
                            (long long)(opts ? opts->batch : 1), (long long)mb);
  }
  *state = j;
  return NULL;
}

static int jit_num_inputs(void *s) { return ((jit_state_t *)s)->num_in; }
static int jit_num_outputs(void *s) { return ((jit_state_t *)s)->num_out; }

static const ajpq_executor_tensor_info_t *jit_input_info(void *s, int i) {
  jit_state_t *j = s;
  return i >= 0 && i < j->num_in ? &j->info[i] : NULL;
}

static const ajpq_executor_tensor_info_t *jit_output_info(void *s, int i) {
  jit_state_t *j = s;
  return i >= 0 && i < j->num_out ? &j->info[j->num_in + i] : NULL;
}

static ajpq_status_t jit_run(void *s, int64_t n, const float *const *inputs,
                             float *const *outputs) {
  jit_state_t *j = s;
  if (n < 1 || n > j->batch || n % j->model_batch != 0)
    return ajpq_status_make(AJPQ_INVALID_ARGUMENT,
                            "jit engine: %lld samples: must be in 1..%lld and a multiple of the "
                            "model's batch dimension %lld",
                            (long long)n, (long long)j->batch, (long long)j->model_batch);
  const float *in[16];
  float *out[16];
  for (int64_t c = 0; c < n; c += j->model_batch) {
    for (int i = 0; i < j->num_in; ++i)
      in[i] = inputs[i] + c * (j->info[i].numel / j->batch);
    for (int i = 0; i < j->num_out; ++i)
      out[i] = outputs[i] + c * (j->info[j->num_in + i].numel / j->batch);
    ajpq_status_t st = ajpq_codegen_model_run(j->model, in, out);
    if (st)
      return st;
  }
  return NULL;
}

static ajpq_executor_t *jit_executor(void *s) {
  (void)s;
  return NULL;
}

const ajpq_runner_engine_t ajpq_runner_engine_jit = {
    "jit",         jit_create, jit_num_inputs, jit_num_outputs, jit_input_info,
    jit_output_info, jit_run,  jit_executor,   jit_destroy};
