/* ajpq_dialect.h — the `ajpq` dialect: loading, quantization math, packing,
 * op builders/readers and the C verifier. The one public header of the
 * `ajpq_dialect` library. Semantics: docs/dialect.md (the contract).
 *
 * Three layers:
 *   1. Pure C (no MLIR calls): round-half-to-even, per-channel weight
 *      quantization, the `ajpq.rowpacked-lsb` packing, per-tensor activation
 *      quantization. Shared by the search, the executor and the kernels so
 *      that all of them produce bit-identical codes.
 *   2. MLIR: ajpq_dialect_load() registers the IRDL definition embedded in the
 *      binary; builders create ajpq ops from C structs, readers fill the
 *      structs back from ops.
 *   3. ajpq_dialect_verify_op(): every rule IRDL cannot express (the
 *      `ajpq-verify` pass runs it on every ajpq op).
 * Ownership follows support/ajpq_status.h. IR functions report errors as MLIR
 * diagnostics at the op's (or builder's) location.
 */
#ifndef AJPQ_DIALECT_H
#define AJPQ_DIALECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ajpq_status.h"
#include "mlir-c/IR.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The only packing format (docs/dialect.md, "Packing format"). */
#define AJPQ_PACK_FORMAT "ajpq.rowpacked-lsb"
/* Weight bit-widths of kept channels; 0-bit channels are erased. */
#define AJPQ_MIN_BITS 1
#define AJPQ_MAX_BITS 8

/* ===================== 1. Pure C quantization math ====================== */

/* Round to nearest integer, ties to even (numpy's rule), independent of the
 * FP rounding mode: 0.5 → 0, 1.5 → 2, −2.5 → −2. NaN/±inf returned as is. */
float ajpq_round_half_even(float x);

/* Weight quantization scheme of one channel. */
typedef enum {
  AJPQ_QSCHEME_SYMMETRIC = 0,  /* z = 2^(b−1) (b ≥ 2), z = 0.5 (b = 1). */
  AJPQ_QSCHEME_ASYMMETRIC = 1, /* integer z in [0, 2^b − 1], range includes 0. */
} ajpq_qscheme_t;

/* Quantizes one output channel (K weights) to `bits` ∈ 1..8 unsigned codes,
 * w ≈ s · (q − z) (docs/dialect.md, "Weight quantization"):
 *   symmetric b ≥ 2: s = max|w| / (2^(b−1) − 1), z = 2^(b−1), q ∈ [1, 2^b − 1]
 *   symmetric b = 1: s = 2·mean|w| (binary ±α, α = mean|w|, XNOR-Net),
 *                    z = 0.5, q = 1 iff w > 0
 *   asymmetric:      lo = min(0, min w), hi = max(0, max w),
 *                    s = (hi − lo) / (2^b − 1), z = clamp(rhe(−lo / s), 0, 2^b − 1)
 *   codes:           q = clamp(rhe(w / s) + z, qmin, qmax), w / s in f32.
 * Scales are computed in double and rounded once to f32; −lo / s uses the f32 s.
 * Degenerate channels (all zero, or s below FLT_MIN) get s = 1 (b ≥ 2 or
 * asymmetric; zeros then quantize exactly to q = z) or s = FLT_MIN
 * (symmetric 1-bit); s is clamped to FLT_MAX; so s is always finite, > 0.
 * `codes` receives K bytes. Errors (INVALID_ARGUMENT, outputs untouched):
 * K < 1, bits outside 1..8, a NaN or infinite weight (named by index). */
ajpq_status_t ajpq_quant_channel(const float *w, int64_t K, int bits, ajpq_qscheme_t scheme,
                                 uint8_t *codes, float *scale, float *zero_point);

/* How the range of a weight channel is chosen (docs/search.md "Weight
 * quantization"). Only the producer's choice of s (and asymmetric z): the
 * stored meaning w = s · (q − z) is unchanged. */
typedef enum {
  AJPQ_WCLIP_MINMAX = 0, /* r = 1: the full range, as ajpq_quant_channel (default) */
  AJPQ_WCLIP_MSE = 1,    /* range × r, r ∈ {1, 1 − 1/N, …, 1/N} (N = AJPQ_WCLIP_MSE_STEPS)
                            minimising Σ (w − s·(q − z))² */
  AJPQ_WCLIP_AUTO = 2,   /* MSE for channels quantized to <= AJPQ_WCLIP_AUTO_MAX_BITS bits,
                            MINMAX above: the clip/rounding trade-off only pays where the
                            rounding step is coarse (docs/search.md "Weight quantization") */
  AJPQ_WCLIP_HESSIAN = 3, /* MSE's grid, error weighted per weight: Σ h_k (w_k − s·(q_k − z))²
                             with h_k = E[x_k²] of the input column (the diagonal of the
                             layer-input Hessian 2·XXᵀ of OBQ / GPTQ); plain MSE without h */
} ajpq_wclip_t;
#define AJPQ_WCLIP_MSE_STEPS 100
/* Largest bit-width that AJPQ_WCLIP_AUTO clips with MSE. */
#define AJPQ_WCLIP_AUTO_MAX_BITS 4

/* The rule AJPQ_WCLIP_AUTO applies to a channel of `bits` bits: MSE if
 * bits <= AJPQ_WCLIP_AUTO_MAX_BITS, else MINMAX; other rules are returned
 * unchanged. Pure; never fails. */
ajpq_wclip_t ajpq_quant_clip_resolve(ajpq_wclip_t clip, int bits);

/* ajpq_quant_channel with a clip rule. MINMAX is bit-identical to
 * ajpq_quant_channel. MSE evaluates every clip ratio r = (N − i)/N, i = 0..N−1:
 * symmetric b ≥ 2 s = r·max|w| / (2^(b−1) − 1); asymmetric lo, hi scaled by r
 * (s = (r·hi − r·lo) / (2^b − 1), z as above from r·lo); each candidate's f32
 * scale, codes and dequantized values follow exactly the rules above, and its
 * error Σ_k (s·(q_k − z) − w_k)² is summed in double. The first candidate with
 * the strictly smallest error wins (ties keep the wider range), so the error
 * is never above MINMAX's (r = 1 is the first candidate). Symmetric 1-bit
 * keeps α = mean|w| (already L2-optimal for sign codes). Cost: N·K per
 * channel. Errors: those of ajpq_quant_channel, or an unknown `clip`. */
ajpq_status_t ajpq_quant_channel_clip(const float *w, int64_t K, int bits, ajpq_qscheme_t scheme,
                                      ajpq_wclip_t clip, uint8_t *codes, float *scale,
                                      float *zero_point);

/* ajpq_quant_channel_clip with per-weight error weights `h` [K] (may be NULL).
 * For clip = AJPQ_WCLIP_HESSIAN with h != NULL every candidate of the MSE grid
 * above is scored by Σ_k h[k] · (s·(q_k − z) − w_k)² (in double; ties keep the
 * wider range, r = 1 first, so the weighted error never exceeds MINMAX's).
 * h[k] = E[x_k²], the second moment of the layer input that multiplies w_k,
 * makes this the output error E[(Σ_k (w_k − ŵ_k) x_k)²] without its
 * cross terms — the diagonal of the layer-input Hessian H = 2·X·Xᵀ of
 * Optimal Brain Quantization (Frantar & Alistarh, NeurIPS 2022, §3) and GPTQ
 * (Frantar et al., ICLR 2023, §2) — so weights on large inputs are clipped
 * less. HESSIAN with h == NULL is exactly MSE (layers without calibration
 * statistics); every other rule ignores h. Errors: those of
 * ajpq_quant_channel_clip, or a NaN, infinite or negative h[k] (named by index). */
ajpq_status_t ajpq_quant_channel_clip_weighted(const float *w, const float *h, int64_t K, int bits,
                                               ajpq_qscheme_t scheme, ajpq_wclip_t clip,
                                               uint8_t *codes, float *scale, float *zero_point);

/* w[k] = scale · ((float)codes[k] − zero_point), computed in f32. */
void ajpq_dequant_channel(const uint8_t *codes, int64_t K, float scale, float zero_point, float *w);

/* Bytes of one packed row: ⌈K·bits / 8⌉. Returns −1 if K < 0, bits outside
 * 0..8 or the result overflows int64. bits = 0 gives 0 (erased channel). */
int64_t ajpq_packed_row_bytes(int64_t K, int bits);

/* Total packed size Σ_c ⌈K·bits[c] / 8⌉ over `n` kept channels; −1 on any
 * invalid bits value or overflow. */
int64_t ajpq_packed_size(int64_t K, const int8_t *bits, int64_t n);

/* Packs K codes of `bits` bits, LSB-first, into ⌈K·bits/8⌉ bytes at `out`
 * (pad bits zero). INVALID_ARGUMENT if bits ∉ 1..8 or a code ≥ 2^bits
 * (names the index); `out` may then be partially written. */
ajpq_status_t ajpq_pack_row(const uint8_t *codes, int64_t K, int bits, uint8_t *out);

/* Inverse of ajpq_pack_row: reads ⌈K·bits/8⌉ bytes, writes K codes.
 * bits must be in 1..8 (caller-checked; otherwise nothing is written). */
void ajpq_unpack_row(const uint8_t *in, int64_t K, int bits, uint8_t *codes);

/* Packs `n` rows (codes is row-major [n][K]) one after another in `out`,
 * which must hold `out_size` = ajpq_packed_size(K, bits, n) bytes.
 * INVALID_ARGUMENT on a size mismatch, bad bits, or a code out of range. */
ajpq_status_t ajpq_pack_rows(const uint8_t *codes, int64_t K, const int8_t *bits, int64_t n,
                             uint8_t *out, int64_t out_size);

/* Unpacks `n` rows into codes [n][K]. DATA_LOSS if `in_size` differs from
 * ajpq_packed_size(K, bits, n); INVALID_ARGUMENT on bad bits. */
ajpq_status_t ajpq_unpack_rows(const uint8_t *in, int64_t in_size, int64_t K, const int8_t *bits,
                               int64_t n, uint8_t *codes);

/* Per-tensor activation quantization parameters: x = scale · (x_q − zero_point),
 * x_q ∈ [−2^(bits−1), 2^(bits−1) − 1] stored as int8. */
typedef struct {
  float scale;        /* finite, > 0 */
  int32_t zero_point; /* within the x_q range */
  int32_t bits;       /* 2..8 */
} ajpq_act_qparams_t;

/* Chooses activation parameters covering the calibration range [lo, hi]
 * (extended to contain 0): asymmetric s = (hi − lo)/(2^B − 1),
 * z = clamp(qmin − rhe(lo / s)); symmetric s = max(|lo|,|hi|)/(2^(B−1) − 1),
 * z = 0. A zero range gives s = 1. INVALID_ARGUMENT on NaN/inf bounds,
 * lo > hi or bits ∉ 2..8. */
ajpq_status_t ajpq_act_qparams_from_range(float lo, float hi, int bits, bool symmetric,
                                          ajpq_act_qparams_t *out);

/* x_q = clamp(rhe(x / scale) + zero_point, qmin, qmax), x / scale in f32.
 * NaN maps to zero_point; ±inf saturate. Never UB for any float. */
int8_t ajpq_act_quantize_value(float x, const ajpq_act_qparams_t *p);
void ajpq_act_quantize(const float *x, int64_t n, const ajpq_act_qparams_t *p, int8_t *out);
/* x = scale · (x_q − zero_point), in f32. */
void ajpq_act_dequantize(const int8_t *q, int64_t n, float scale, int32_t zero_point, float *out);

/* OH = ⌊(H + pad0 + pad1 − dil·(k − 1) − 1) / stride⌋ + 1; returns −1 when the
 * window does not fit (numerator < 0) or any argument is invalid (H < 0,
 * k < 1, stride < 1, dil < 1, pad < 0). */
int64_t ajpq_conv_out_dim(int64_t H, int64_t k, int64_t stride, int64_t pad0, int64_t pad1,
                          int64_t dil);

/* ========================= 2. MLIR: load, build, read =================== */

/* The IRDL source of the dialect (dialect/ajpq.irdl.mlir, embedded at build
 * time). Static, NUL-terminated. */
const char *ajpq_dialect_irdl_source(void);

/* Loads the `irdl` dialect and the embedded `ajpq` definition into `ctx`
 * (mlirLoadIRDLDialects). Idempotent: returns true at once if `ajpq` is
 * already loaded. False (after MLIR diagnostics) if the definition fails to
 * parse or load — a build bug, not user error. */
bool ajpq_dialect_load(MlirContext ctx);

/* Deepest nesting of (), [] and {} that MLIR text may have before it is
 * parsed: MLIR's recursive-descent parser overflows an 8 MiB stack near depth
 * 10000 (a crash in upstream mlir-opt too); real IR stays far below this. */
#define AJPQ_MLIR_MAX_NESTING 1000

/* Scans MLIR text (`len` bytes; strings and `//` comments skipped) and
 * returns true if its bracket nesting never exceeds `limit`; otherwise false
 * with the 1-based line/column of the first bracket beyond it, so a tool can
 * reject the input with a clear error before the parser crashes. */
bool ajpq_mlir_nesting_ok(const char *text, size_t len, int limit, unsigned *line, unsigned *col);

/* Kind of an ajpq op; AJPQ_OP_NONE for any other op. */
typedef enum {
  AJPQ_OP_NONE = 0,
  AJPQ_OP_CONV2D,
  AJPQ_OP_MATMUL,
  AJPQ_OP_QUANTIZE,
  AJPQ_OP_DEQUANTIZE,
  AJPQ_OP_GATHER,
  AJPQ_OP_SCATTER,
} ajpq_op_kind_t;

ajpq_op_kind_t ajpq_op_kind(MlirOperation op);
/* "ajpq.conv2d" etc.; "" for AJPQ_OP_NONE. */
const char *ajpq_op_kind_name(ajpq_op_kind_t kind);

/* Parameters of `ajpq.conv2d` / `ajpq.matmul` (docs/dialect.md, "Ops").
 * Per-channel arrays have n_kept entries, in kept order. */
typedef struct {
  ajpq_op_kind_t kind;     /* AJPQ_OP_CONV2D or AJPQ_OP_MATMUL */
  int64_t n_kept;          /* = result channel dim */
  int64_t orig_channels;   /* output channels before erasure */
  const int8_t *bits;      /* [n_kept], 1..8 */
  const int32_t *kept;     /* [n_kept], strictly increasing, < orig_channels */
  const float *scale;      /* [n_kept], finite, > 0 */
  const float *zero_point; /* [n_kept] */
  const float *bias;       /* [n_kept] or NULL (no bias attribute) */
  const uint8_t *weights;  /* packed (AJPQ_PACK_FORMAT), weights_size bytes */
  int64_t weights_size;
  bool has_input_qparams; /* input is i8: input_scale / input_zero_point */
  float input_scale;
  int32_t input_zero_point;
  /* conv2d: kernel = {KH, KW, CinPerGroup}; matmul: kernel[0] = K. */
  int64_t kernel[3];
  int64_t stride[2];   /* conv2d: sh, sw */
  int64_t pad[4];      /* conv2d: top, bottom, left, right */
  int64_t dilation[2]; /* conv2d: dh, dw */
  int64_t groups;      /* conv2d */
  void *owned_;        /* reader-allocated storage; NULL when built by hand */
} ajpq_compute_attrs_t;

/* Weights per output channel: KH·KW·CinPerGroup (conv2d) or K (matmul). */
int64_t ajpq_compute_k(const ajpq_compute_attrs_t *a);

/* How a builder stores the packed weights. */
typedef enum {
  /* `dense_resource<ajpq_weights…>` blob: one copy, freed with the context;
   * no per-attribute uniquing cost. Default for large models. */
  AJPQ_WEIGHTS_RESOURCE = 0,
  /* `dense<…> : tensor<Nxi8>`: readable inline, copied into the context. */
  AJPQ_WEIGHTS_DENSE = 1,
} ajpq_weights_storage_t;

/* Creates an unattached `ajpq.conv2d`/`ajpq.matmul` (insert it with
 * mlirBlockInsertOwnedOperation*). The result type is inferred from `input`
 * (ranked tensor of f32 or i8; conv2d NHWC, matmul [..., K]): f32, NHWC
 * [N, OH, OW, n_kept] or [..., n_kept]; dynamic dims stay dynamic. Copies all
 * arrays. Returns a null op after mlirEmitError at `loc` on a structurally
 * impossible request (non-ranked input, bad conv arithmetic, n_kept < 1,
 * input_scale/zero_point inconsistent with the element type). The semantic
 * rules are checked by ajpq_dialect_verify_op(). */
MlirOperation ajpq_build_compute(MlirLocation loc, MlirValue input, const ajpq_compute_attrs_t *a,
                                 ajpq_weights_storage_t storage);

/* Fills `out` from an ajpq.conv2d/matmul op. Arrays are copies owned by
 * `out` (release with ajpq_compute_attrs_release); dense weights are
 * borrowed from the context (live as long as the attribute), splat and
 * resource weights are copied. Returns false after mlirEmitError at the op
 * if `format` is not AJPQ_PACK_FORMAT, an attribute is missing or of the
 * wrong kind/element type, the arrays' lengths disagree, or a dense_resource
 * blob is missing; `out` is then zeroed and needs no release. Values are not
 * range-checked: run ajpq_dialect_verify_op() first. */
bool ajpq_compute_read(MlirOperation op, ajpq_compute_attrs_t *out);
void ajpq_compute_attrs_release(ajpq_compute_attrs_t *a);

/* `ajpq.quantize` (f32 → i8, uses bits) / `ajpq.dequantize` (i8 → f32). The
 * result has the input's shape. Null op after mlirEmitError on a non-ranked
 * input or a wrong element type. */
MlirOperation ajpq_build_quantize(MlirLocation loc, MlirValue input, const ajpq_act_qparams_t *p);
MlirOperation ajpq_build_dequantize(MlirLocation loc, MlirValue input, float scale,
                                    int32_t zero_point);
/* Reads scale, zero_point (and bits for quantize; 8 for dequantize). */
bool ajpq_act_read(MlirOperation op, ajpq_act_qparams_t *out);

/* `ajpq.gather` / `ajpq.scatter` parameters. */
typedef struct {
  int64_t axis;           /* 0 ≤ axis < rank */
  int64_t n_indices;      /* gather: result dim; scatter: input dim */
  const int32_t *indices; /* strictly increasing */
  int64_t size;           /* scatter only: result dim */
  const float *fill;      /* scatter only: [size] or NULL/n_fill = 0 (zeros) */
  int64_t n_fill;
  void *owned_;
} ajpq_channel_map_t;

/* Result shape: input with dim `axis` = n_indices (gather) or size (scatter);
 * same element type. Null op after mlirEmitError on bad axis/rank. */
MlirOperation ajpq_build_gather(MlirLocation loc, MlirValue input, const ajpq_channel_map_t *m);
MlirOperation ajpq_build_scatter(MlirLocation loc, MlirValue input, const ajpq_channel_map_t *m);
bool ajpq_channel_map_read(MlirOperation op, ajpq_channel_map_t *out);
void ajpq_channel_map_release(ajpq_channel_map_t *m);

/* ============================ 3. Verifier =============================== */

/* Checks one op against every docs/dialect.md verifier rule that IRDL cannot
 * express (and re-checks IRDL's, for ops built in C). Returns true for valid
 * ajpq ops and for non-ajpq ops; otherwise emits one error, for the first
 * broken rule, at the op's location ("'ajpq.conv2d' op attribute 'kept': …")
 * and returns false. */
bool ajpq_dialect_verify_op(MlirOperation op);

/* Walks `root` (pre-order, including nested regions) and verifies every ajpq
 * op; false if any failed. Used by the `ajpq-verify` pass. */
bool ajpq_dialect_verify_all(MlirOperation root);

#ifdef __cplusplus
}
#endif

#endif /* AJPQ_DIALECT_H */
