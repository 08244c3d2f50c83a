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
 * Pipeline (ajpq_codegen_pipeline_text()): ajpq-lower-to-kernels, then
 *   func.func(tosa-to-linalg-named, tosa-to-linalg, tosa-to-arith, tosa-to-tensor),
 *   one-shot-bufferize{bufferize-function-boundaries
 *                      function-boundary-type-conversion=identity-layout-map},
 *   buffer-deallocation-pipeline, func.func(convert-linalg-to-loops),
 *   convert-vector-to-scf, convert-scf-to-cf, expand-strided-metadata,
 *   lower-affine, convert-vector-to-llvm, convert-math-to-llvm,
 *   convert-arith-to-llvm, convert-ub-to-llvm, convert-cf-to-llvm,
 *   finalize-memref-to-llvm, convert-func-to-llvm, convert-ub-to-llvm,
 *   reconcile-unrealized-casts
 * — every step upstream, so `mlir-opt` can run the same text on the output of
 * ajpq-lower-to-kernels (test/kernels/upstream-pipeline.mlir does).
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

/* The upstream part of the pipeline (after ajpq-lower-to-kernels), as
 * `--pass-pipeline` text. Static string. */
const char *ajpq_codegen_pipeline_text(void);

/* Registers every upstream dialect, pass and LLVM translation in `ctx` and
 * loads the ajpq dialect. Call once per context before parsing. */
bool ajpq_codegen_prepare_context(MlirContext ctx);

/* Runs ajpq-lower-to-kernels with `target_features` (NULL/"" = host) and the
 * upstream pipeline on `module`, in place. On success only `llvm.*` ops and
 * the builtin module remain. Functions meant to be called from C must carry
 * `llvm.emit_c_interface` before this call. */
ajpq_status_t ajpq_codegen_lower(MlirModule module, const char *target_features);

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
 * `module`, which is modified in place and must outlive the model. */
ajpq_status_t ajpq_codegen_model_create(MlirModule module, const char *func_name,
                                        const char *target_features, ajpq_codegen_model_t **out);

/* Inputs/outputs of the model function (borrowed). */
const ajpq_codegen_signature_t *ajpq_codegen_model_signature(const ajpq_codegen_model_t *m);

/* One call: inputs[i] holds sig->inputs[i].numel floats, outputs[i] receives
 * sig->outputs[i].numel floats. INVALID_ARGUMENT on NULL buffers, INTERNAL
 * if the JIT cannot invoke the entry. */
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
