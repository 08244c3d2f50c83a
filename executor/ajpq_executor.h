/* ajpq_executor.h — reference executor for imported (TOSA) and compressed (ajpq) models.
 *
 * Runs the entry func.func of a module on batches of float inputs: every op the ONNX importer
 * emits (TOSA + a few arith/tensor ops, docs/import.md) and every `ajpq` op with the exact
 * semantics of docs/dialect.md (int32 accumulation, round-half-to-even, saturation).
 * Float conv/matmul go through im2col + OpenBLAS sgemm (sgemv at M = 1); depthwise convs use a
 * direct NHWC loop.
 *
 * Built for the search's hot loop (issue 5): the function is parsed and planned ONCE (every op
 * resolved to a kernel, static shapes inferred for the chosen batch size, all activation memory
 * allocated once); afterwards the compressible layers' weights can be replaced by fake-quantized
 * or zero-masked copies of the same shape, and activation fake quantization switched on per layer,
 * without re-parsing or re-allocating.
 *
 * Layouts: tensors are row-major in the function's own types (NHWC for conv models). The batch
 * axis is axis 0 of every function input; a plan for batch N replaces that dim (1 in imported
 * models) by N. Layer weights are exchanged in one canonical layout, "OK": one row of K weights
 * per output channel, K ordered (kh, kw, ci) with ci fastest — TOSA's OHWI, the row order of the
 * ajpq packing format (docs/dialect.md).
 *
 * Ownership and errors follow support/ajpq_status.h. The executor borrows the MlirOperation it
 * was created from only during ajpq_executor_create (weights are copied out at plan time); the
 * layer `op` handles it reports stay valid as long as the caller keeps the module alive.
 * One executor runs one batch at a time (it parallelises internally on a process-wide worker
 * pool); distinct executors may run concurrently on different threads (e.g. one per search
 * worker) — a run that finds the pool busy computes on its own thread.
 */
#ifndef AJPQ_EXECUTOR_H
#define AJPQ_EXECUTOR_H

#include <stdbool.h>
#include <stdint.h>

#include "mlir-c/IR.h"
#include "support/ajpq_status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Largest tensor rank the executor handles. */
#define AJPQ_EXECUTOR_MAX_RANK 6

typedef struct ajpq_executor_s ajpq_executor_t;

/* Plan options; fill with ajpq_executor_options_init, then override. */
typedef struct {
  /* Samples per run, >= 1 (default 1). Shapes are planned for this batch size. */
  int64_t batch;
  /* Threads a run may use (the caller plus workers of a process-wide pool; OpenBLAS itself is
   * called single-threaded on disjoint row blocks); 0 = all online CPUs (default). */
  int threads;
} ajpq_executor_options_t;

/* Sets the defaults: batch 1, threads 0. */
void ajpq_executor_options_init(ajpq_executor_options_t *opts);

/* Creates an MLIR context ready for ajpq IR: func, arith, tensor, tosa (and every upstream
 * dialect) registered; the ajpq IRDL dialect loaded when the dialect library provides it,
 * otherwise unregistered ops are allowed so generic-form ajpq ops still parse. Owned by the
 * caller (mlirContextDestroy). */
MlirContext ajpq_executor_context_create(void);

/* Parses the MLIR file at `path` into `ctx`. Errors name the file (and MLIR's diagnostic).
 * *out is owned by the caller (mlirModuleDestroy). */
ajpq_status_t ajpq_executor_parse_file(MlirContext ctx, const char *path, MlirModule *out);

/* Plans `func` (a func.func operation with ranked static tensor arguments and results).
 * Resolves every op to a kernel, infers all shapes for opts->batch, copies every constant and
 * weight out of the IR and allocates all memory. Errors: INVALID_ARGUMENT (not a func.func,
 * dynamic shapes), UNIMPLEMENTED (an op or attribute combination the executor lacks; the message
 * names the op and its location). opts may be NULL (defaults). *out owned by the caller. */
ajpq_status_t ajpq_executor_create(MlirOperation func, const ajpq_executor_options_t *opts,
                                   ajpq_executor_t **out);

/* As ajpq_executor_create on the func.func named `func_name` in `module` (NULL: the function
 * called "main", else the only / first func.func). NOT_FOUND if there is none. */
ajpq_status_t ajpq_executor_create_from_module(MlirModule module, const char *func_name,
                                               const ajpq_executor_options_t *opts,
                                               ajpq_executor_t **out);

/* Frees the plan and all its memory; NULL is fine. */
void ajpq_executor_destroy(ajpq_executor_t *ex);

/* Sets the worker thread count (0 = all online CPUs). Takes effect on the next run. */
void ajpq_executor_set_threads(ajpq_executor_t *ex, int threads);

/* The planned batch size. */
int64_t ajpq_executor_batch(const ajpq_executor_t *ex);

/* ---- Inputs and outputs ------------------------------------------------------------------ */

/* Description of one function argument or result. Borrowed from the executor. */
typedef struct {
  const char *name;   /* importer's name (arg/result attribute "ajpq.name"), else "input0"… */
  int rank;
  int64_t dims[AJPQ_EXECUTOR_MAX_RANK]; /* dims[0] is the planned batch for inputs */
  int64_t numel;      /* product of dims: floats in one batch buffer */
  bool batched;       /* dims[0] is the batch axis (sample s occupies numel/batch floats) */
} ajpq_executor_tensor_info_t;

int ajpq_executor_num_inputs(const ajpq_executor_t *ex);
int ajpq_executor_num_outputs(const ajpq_executor_t *ex);
/* Borrowed descriptions; NULL when `i` is out of range. */
const ajpq_executor_tensor_info_t *ajpq_executor_input_info(const ajpq_executor_t *ex, int i);
const ajpq_executor_tensor_info_t *ajpq_executor_output_info(const ajpq_executor_t *ex, int i);

/* Runs the function on `n` samples (1 <= n <= batch). inputs[i] holds n samples of input i
 * (n * numel/batch floats, row-major, the function's own layout); outputs[i] receives n samples
 * of output i (an output that is not batched is written whole). Missing samples of a partial
 * batch are zero-filled internally. Non-f32 function arguments/results are converted from/to
 * float. Errors: INVALID_ARGUMENT (n out of range, NULL buffers). */
ajpq_status_t ajpq_executor_run(ajpq_executor_t *ex, int64_t n, const float *const *inputs,
                                float *const *outputs);

/* ---- Compressible layers (weight swap for the search) ------------------------------------ */

typedef enum {
  AJPQ_LAYER_CONV2D = 0,           /* tosa.conv2d, weight OHWI [O,KH,KW,Ci] */
  AJPQ_LAYER_DEPTHWISE_CONV2D = 1, /* tosa.depthwise_conv2d, weight HWCM [KH,KW,C,M]; O = C*M */
  AJPQ_LAYER_MATMUL = 2,           /* tosa.matmul with a constant B [1,K,N] (Gemm/MatMul) */
} ajpq_layer_kind_t;

/* One compressible layer, in program order. Borrowed from the executor. */
typedef struct {
  MlirOperation op;        /* the TOSA op in the caller's module */
  ajpq_layer_kind_t kind;
  int64_t out_channels;    /* O: output channels (rows of the canonical weight matrix) */
  int64_t k;               /* weights per output channel: KH*KW*Cin_per_group, or K */
  int64_t kh, kw, cin;     /* conv window and input channels per group (matmul: 1, 1, K) */
  int64_t groups;          /* 1, or C for depthwise */
  int64_t stride[2], pad[4], dilation[2]; /* conv geometry (pad: top, bottom, left, right) */
  int weight_rank;
  int64_t weight_shape[4]; /* the TOSA weight operand's own shape */
  int64_t in_dims[4], out_dims[4]; /* per sample: conv input/output HWC; matmul M,K / M,N */
  int64_t macs;            /* multiply-accumulates per sample */
  bool has_bias;
} ajpq_executor_layer_t;

int ajpq_executor_num_layers(const ajpq_executor_t *ex);
/* Borrowed; NULL when out of range. */
const ajpq_executor_layer_t *ajpq_executor_layer(const ajpq_executor_t *ex, int layer);

/* Copies the layer's ORIGINAL f32 weights (as planned from the IR) into dst, canonical layout
 * [out_channels][k]. dst holds out_channels*k floats. */
ajpq_status_t ajpq_executor_get_weights(const ajpq_executor_t *ex, int layer, float *dst);

/* Copies the layer's bias [out_channels] into dst (zeros when the layer has none). */
ajpq_status_t ajpq_executor_get_bias(const ajpq_executor_t *ex, int layer, float *dst);

/* Replaces the weights used by subsequent runs (canonical layout [out_channels][k]; e.g. a
 * per-channel fake-quantized copy with pruned rows zeroed). Copies; no allocation.
 * Errors: INVALID_ARGUMENT (layer out of range, non-finite values). */
ajpq_status_t ajpq_executor_set_weights(ajpq_executor_t *ex, int layer, const float *w);

/* Restores the original weights of `layer`, or of every layer when layer < 0. */
void ajpq_executor_reset_weights(ajpq_executor_t *ex, int layer);

/* ---- Activation fake quantization and calibration ---------------------------------------- */

/* Per-tensor affine int quantization of a layer's input (docs/dialect.md "Activation
 * quantization"): x -> scale * (clamp(round_half_even(x/scale) + zero_point, -2^(bits-1),
 * 2^(bits-1)-1) - zero_point). */
typedef struct {
  float scale;        /* > 0 */
  int32_t zero_point; /* in [-2^(bits-1), 2^(bits-1)-1] */
  int bits;           /* 2..8 */
} ajpq_executor_act_quant_t;

/* Enables (q != NULL) or disables (q == NULL) fake quantization of `layer`'s input for
 * subsequent runs (applied to a private copy; other consumers see the float tensor).
 * layer < 0 applies to every layer. INVALID_ARGUMENT on a bad layer or parameters. */
ajpq_status_t ajpq_executor_set_input_quant(ajpq_executor_t *ex, int layer,
                                            const ajpq_executor_act_quant_t *q);

/* Runs like ajpq_executor_run (outputs may be NULL) and folds each layer's input range over
 * the n samples into mins[layer] / maxs[layer] (arrays of num_layers floats; initialise them to
 * +INFINITY / -INFINITY to start, keep them to accumulate over several batches). Active weight
 * replacements and input quantizations apply, so ranges can be calibrated on the compressed
 * network. */
ajpq_status_t ajpq_executor_calibrate(ajpq_executor_t *ex, int64_t n, const float *const *inputs,
                                      float *mins, float *maxs);

/* Runs like ajpq_executor_calibrate and adds each layer's input values into a histogram of
 * `bins` equal-width bins over [lo[layer], hi[layer]] (values outside go to the edge bins):
 * hist is [num_layers][bins] counts, accumulated (zero it to start). Layers with
 * hi <= lo are skipped. Integer counts, so the result does not depend on thread count.
 * Used for MSE-optimal / percentile activation clipping (docs/search.md). */
ajpq_status_t ajpq_executor_calibrate_hist(ajpq_executor_t *ex, int64_t n,
                                           const float *const *inputs, const float *lo,
                                           const float *hi, int bins, uint64_t *hist);

/* Observer of layer inputs: `x` is layer `layer`'s float input (before its input fake
 * quantization) for `n` samples, per-sample layout in_dims (conv NHWC [H,W,C], matmul [M,K]),
 * samples contiguous. Borrowed for the call only. */
typedef void (*ajpq_executor_observer_fn)(void *user, int layer, const float *x, int64_t n);

/* Runs like ajpq_executor_run (outputs discarded) and calls `fn` for every compressible layer's
 * input, in program order (per sample when the plan runs sample by sample). Active weight,
 * bias and input-quantization replacements apply. Used by the search's weight quantization
 * (bias correction, docs/search.md "Weight quantization"). INVALID_ARGUMENT if fn is NULL. */
ajpq_status_t ajpq_executor_observe(ajpq_executor_t *ex, int64_t n, const float *const *inputs,
                                    ajpq_executor_observer_fn fn, void *user);

/* Replaces the bias [out_channels] of a conv/depthwise layer for subsequent runs (copies; the
 * original is ajpq_executor_get_bias before any replacement). INVALID_ARGUMENT on a bad layer
 * or a non-finite value; UNIMPLEMENTED for a layer without a bias operand (matmul). */
ajpq_status_t ajpq_executor_set_bias(ajpq_executor_t *ex, int layer, const float *b);

/* Per-tensor activation parameters for `bits` from a range (asymmetric, zero point an integer
 * in range, range widened to contain 0). Pure function; INVALID_ARGUMENT if bits not in 2..8. */
ajpq_status_t ajpq_executor_act_quant_from_range(float min, float max, int bits,
                                                 ajpq_executor_act_quant_t *out);

#ifdef __cplusplus
}
#endif

#endif /* AJPQ_EXECUTOR_H */
