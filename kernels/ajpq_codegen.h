/* ajpq_codegen.h — from a module with ajpq ops to machine code: the lowering
 * pipeline (ajpq-lower-to-kernels + upstream MLIR passes down to the LLVM
 * dialect), JIT execution through the MLIR ExecutionEngine, and
 * ahead-of-time object files through the LLVM C API (O3) with a C header.
 *
 * Library `ajpq_codegen` (kernels/codegen.c). Unlike `ajpq_kernels` it links
 * MLIR/LLVM: tools link it with ajpq_link_mlir(). IR-level failures are
 * reported as MLIR diagnostics (to the context's handlers) and summarised in
 * the returned status; nothing aborts on bad input.
 *
 * Pipeline (ajpq_codegen_lower): ajpq-lower-to-kernels, then four upstream
 * phases (ajpq_codegen_print_pipeline prints them exactly):
 *   1. on each func.func holding TOSA ops: tosa-to-linalg-named, tosa-to-linalg,
 *      tosa-to-arith, tosa-to-tensor, linalg-fuse-elementwise-ops, canonicalize;
 *   2a. a transform-dialect script on tensors: every linalg.pooling_nhwc_max
 *      tiled per output pixel and window row, decomposed and vectorized;
 *   2. one-shot-bufferize{bufferize-function-boundaries
 *      function-boundary-type-conversion=identity-layout-map};
 *   3. a transform-dialect script (transform.structured.flatten_elementwise on
 *      every elementwise linalg op with identity indexing maps over contiguous
 *      buffers), applied with
 *      mlirTransformApplyNamedSequence — `mlir-opt
 *      --transform-preload-library=transform-library-paths=script.mlir
 *      --transform-interpreter` does the same;
 *   4a. buffer-deallocation-pipeline's passes on the func.func ops that own
 *      heap buffers (the bufferized model, the C entry, kernels that malloc),
 *      not on the kernels that only use stack buffers (same result, less time);
 *   4. func.func(canonicalize, convert-linalg-to-loops),
 *      convert-vector-to-scf, convert-scf-to-cf, expand-strided-metadata,
 *      lower-affine, convert-vector-to-llvm, convert-to-llvm,
 *      reconcile-unrealized-casts
 * — every step upstream, so `mlir-opt` can run the same phases on the output
 * of ajpq-lower-to-kernels (test/kernels/cgen-upstream-pipeline.test does).
 * The pass managers do not verify after each pass; the result is verified
 * once (AJPQ_VERIFY_EACH_PASS=1 verifies after every pass).
 *
 * Debugging knobs (environment): AJPQ_PIPELINE_TOSA, AJPQ_PIPELINE_BUFFERIZE,
 * AJPQ_TRANSFORM_BUFFERS ("none" skips it), AJPQ_PIPELINE_TO_LLVM replace a
 * phase's text (AJPQ_PIPELINE_DEALLOC=none skips phase 4a, for a phase 4
 * text that deallocates by itself); AJPQ_TRANSFORM_TENSORS replaces the transform script run on
 * the tensors right before bufferization (default: vectorize NHWC max pools;
 * "none" skips it); AJPQ_LLVM_PIPELINE replaces "default<O3>"; AJPQ_PASS_TIMING=1
 * prints MLIR's per-pass timing and each phase's CPU time (=phases: only the
 * latter); AJPQ_JIT_ALLOC_STATS=1 counts the JIT'd model's malloc/free and
 * ajpq_codegen_model_destroy prints the blocks still live (leak check).
 * After lowering, llvm.func argument/result attributes outside `llvm.` (e.g.
 * the importer's `ajpq.name`) are dropped: LLVM IR has no place for them.
 */
#ifndef AJPQ_CODEGEN_H
#define AJPQ_CODEGEN_H

#include <stdio.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ajpq_status.h"
#include "mlir-c/ExecutionEngine.h"
#include "mlir-c/IR.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The upstream part of the pipeline (after ajpq-lower-to-kernels) as ONE
 * `--pass-pipeline` text, without phase 1's fusion and phase 3's
 * flattening: same results, slower float glue. Static string. */
const char *ajpq_codegen_pipeline_text(void);

/* Prints the four upstream phases ajpq_codegen_lower runs, exactly: one
 * `// phase N: <pass pipeline>` line for phases 1, 2 and 4, and phase 3's
 * transform script (a `module` holding @__transform_main) after its
 * `// phase 3` line, so `sed -n '/^module/,/^}/p'` extracts it. */
void ajpq_codegen_print_pipeline(FILE *f);

/* Compile-time stages, in pipeline order (ajpq-translate --timing). */
typedef enum {
  AJPQ_CODEGEN_STAGE_KERNELS,   /* ajpq-lower-to-kernels (weight packing, kernel IR) */
  AJPQ_CODEGEN_STAGE_UPSTREAM,  /* the upstream MLIR pipeline down to the LLVM dialect */
  AJPQ_CODEGEN_STAGE_TRANSLATE, /* LLVM dialect -> LLVM IR (mlirTranslateModuleToLLVMIR) */
  AJPQ_CODEGEN_STAGE_OPTIMIZE,  /* LLVM's middle-end pipeline (default<O3>) */
  AJPQ_CODEGEN_STAGE_EMIT,      /* LLVM code generation to an ELF object in memory */
  AJPQ_CODEGEN_STAGE_COUNT
} ajpq_codegen_stage_t;

/* Seconds spent per stage: wall clock (CLOCK_MONOTONIC) and CPU time of the
 * whole process (CLOCK_PROCESS_CPUTIME_ID, all threads). The timed functions
 * ADD to the fields, so zero-initialise the struct once. */
typedef struct {
  double wall_s[AJPQ_CODEGEN_STAGE_COUNT];
  double cpu_s[AJPQ_CODEGEN_STAGE_COUNT];
} ajpq_codegen_timing_t;

/* Human-readable stage name ("LLVM optimization"); "?" if out of range. */
const char *ajpq_codegen_stage_name(ajpq_codegen_stage_t stage);

/* Registers every upstream dialect, pass and LLVM translation in `ctx` and
 * loads the ajpq dialect. Call once per context before parsing. */
bool ajpq_codegen_prepare_context(MlirContext ctx);

/* Runs ajpq-lower-to-kernels with `target_features` (NULL/"" = host) and the
 * upstream pipeline on `module`, in place. On success only `llvm.*` ops and
 * the builtin module remain. Functions meant to be called from C must carry
 * `llvm.emit_c_interface` before this call. */
ajpq_status_t ajpq_codegen_lower(MlirModule module, const char *target_features);

/* As ajpq_codegen_lower; adds the time of the KERNELS and UPSTREAM stages to
 * `timing` (NULL = not timed). AJPQ_PASS_TIMING=1 in the environment also
 * prints MLIR's per-pass timing report of the upstream pipeline to stderr. */
ajpq_status_t ajpq_codegen_lower_timed(MlirModule module, const char *target_features,
                                       ajpq_codegen_timing_t *timing);

/* Creates an O3 JIT of a lowered module (ajpq_codegen_lower first). Owned:
 * mlirExecutionEngineDestroy. */
ajpq_status_t ajpq_codegen_jit(MlirModule module, MlirExecutionEngine *out);

/* Translates a lowered module to LLVM IR, runs `default<O3>` for the target
 * (host CPU name + `target_features`, NULL/"" = host features) and writes an
 * ELF object to `obj_path` (through a temporary file renamed on success). */
ajpq_status_t ajpq_codegen_emit_object(MlirModule module, const char *target_features,
                                       const char *obj_path);

/* As ajpq_codegen_emit_object, but writes the object bytes to the open
 * stream `obj` (e.g. an ajpq_output_t of support/ajpq_output.h, so the
 * caller decides when the file is committed). Does not close `obj`. */
ajpq_status_t ajpq_codegen_emit_object_to(MlirModule module, const char *target_features,
                                          FILE *obj);

/* Shape of one entry argument/result (f32, row-major, static). */
typedef struct {
  int rank;
  int64_t dims[8];
  int64_t numel;
} ajpq_codegen_tensor_t;

/* The C entry point added by ajpq_codegen_add_entry. */
typedef struct {
  char func[128];  /* the model function, e.g. "main" */
  char entry[160]; /* the wrapper, "<func>_ajpq_entry"; C symbol "_mlir_ciface_<entry>" */
  int num_inputs, num_outputs;
  ajpq_codegen_tensor_t inputs[16], outputs[16];
} ajpq_codegen_signature_t;

/* As ajpq_codegen_emit_object_to; adds the time of the TRANSLATE, OPTIMIZE
 * and EMIT stages to `timing` (NULL = not timed). */
ajpq_status_t ajpq_codegen_emit_object_timed(MlirModule module, const char *target_features,
                                             FILE *obj, ajpq_codegen_timing_t *timing);

/* Adds to `module` (before lowering) a wrapper `@<func>_ajpq_entry(in0…,
 * out0…)` with `llvm.emit_c_interface` that takes every input and output
 * of the model function as an identity-layout f32 memref (the outputs are
 * written in place), so C callers pass plain float buffers. `func_name`
 * NULL picks "main", else the only public func.func. Errors: NOT_FOUND,
 * UNIMPLEMENTED (non-f32 or dynamic tensors, rank > 8, > 16 values). */
ajpq_status_t ajpq_codegen_add_entry(MlirModule module, const char *func_name,
                                     ajpq_codegen_signature_t *sig);

/* Writes the C header of an object file: memref descriptor structs, the
 * `_mlir_ciface_<entry>` prototype and a documented
 * `static inline void <prefix>_run(const float *in0, …, float *out0, …)`
 * (prefix = the model function's name with non-identifier characters
 * replaced by '_'). Written through a temporary file renamed on success. */
ajpq_status_t ajpq_codegen_write_header(const ajpq_codegen_signature_t *sig, const char *source,
                                        const char *path);

/* As ajpq_codegen_write_header, but prints the header to the open stream
 * `f` (not closed). */
ajpq_status_t ajpq_codegen_print_header(const ajpq_codegen_signature_t *sig, const char *source,
                                        FILE *f);

/* ---- A lowered model run through the JIT (ajpq-runner --engine=jit) ---- */

typedef struct ajpq_codegen_model_s ajpq_codegen_model_t;

/* add_entry + lower (host features or `target_features`) + O3 JIT of
 * `module`, which is modified in place and must outlive the model. The JIT
 * compiles here (the entry is looked up once); INTERNAL if it has no entry. */
ajpq_status_t ajpq_codegen_model_create(MlirModule module, const char *func_name,
                                        const char *target_features, ajpq_codegen_model_t **out);

/* Inputs/outputs of the model function (borrowed). */
const ajpq_codegen_signature_t *ajpq_codegen_model_signature(const ajpq_codegen_model_t *m);

/* One call: inputs[i] holds sig->inputs[i].numel floats, outputs[i] receives
 * sig->outputs[i].numel floats. INVALID_ARGUMENT on NULL buffers. Calls the
 * entry's packed wrapper looked up once by ajpq_codegen_model_create (no
 * per-call symbol lookup); concurrent calls with distinct buffers are fine. */
ajpq_status_t ajpq_codegen_model_run(ajpq_codegen_model_t *m, const float *const *inputs,
                                     float *const *outputs);

/* Frees the JIT; NULL is fine. */
void ajpq_codegen_model_destroy(ajpq_codegen_model_t *m);

/* A memref descriptor for C callers of `_mlir_ciface_*` functions of a rank
 * `rank` (≤ 8) identity-layout memref over `data` with `shape`. The storage
 * is `desc` (3 + 2·rank int64 words); returns `desc` as void*. */
void *ajpq_codegen_descriptor(int64_t *desc, void *data, int rank, const int64_t *shape);

#ifdef __cplusplus
}
#endif

#endif /* AJPQ_CODEGEN_H */
