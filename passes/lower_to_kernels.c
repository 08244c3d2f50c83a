/* lower_to_kernels.c — the `ajpq-lower-to-kernels` pass.
 *
 * Rewrites every ajpq op of a module into standard MLIR (func, arith, math,
 * scf, memref, vector, bufferization, and one LLVM-dialect helper that calls
 * `llvm.x86.avx512.vpdpbusd.512`). Float TOSA ops are left for the upstream
 * pipeline (see ajpq_lower_pipeline() in ajpq-translate and docs/kernels.md).
 *
 * Each ajpq op becomes a call of a generated private kernel function that
 * works on memrefs of the op's static shapes:
 *     %xm = bufferization.to_buffer %x read_only
 *     %ym = memref.alloc()
 *     func.call @__ajpq_kN(%xm, %ym)
 *     %y  = bufferization.to_tensor %ym restrict writable
 * (fused chains add a residual argument and/or an int8 output).
 * Kernel bodies are generated as text and parsed (mlirModuleCreateParse);
 * large constants (packed weight streams) are built as memref.global ops
 * from raw buffers. Weights are repacked at compile time by ajpq_kernels_pack
 * (kernels/ajpq_kernels.h) into the byte-sliced per-class stream layout.
 *
 * Kernels (docs/kernels.md, "Kernels"):
 *   - i8-input conv2d (groups = 1) and matmul with >= 8 output pixels on the
 *     VNNI path: GEMM microkernel (MR = 8 pixels x NR = 32 channels, vpdpbusd
 *     on a u8 panel decoded from the bit-packed streams once per process into
 *     a static workspace guarded by an atomic state word); activations read
 *     in place for 1x1/s1/p0 convs and matmuls (emit_direct_rows) and from a
 *     z_x-padded input copy for convs with window rows <= 64 bytes
 *     (emit_padded_copy, weights re-laid by relayout_windows), implicit
 *     im2col rows otherwise;
 *   - other i8-input conv2d/matmul (GEMV, grouped, portable path): implicit
 *     im2col into a per-pixel row buffer, PB pixels × 4 channels per register
 *     tile, byte-sliced decode (shift+mask), vpdpbusd (VNNI) or widening
 *     multiplies (portable), horizontal reductions;
 *   - i8-input depthwise: direct vector kernel, 16 channels per vector, 4 taps
 *     per vpdpbusd on the VNNI path, interior pixels without bounds checks;
 *   - all int8 kernels: int32 accumulators, zero-point compensation by qsum,
 *     fp32 epilogue; the GEMM and depthwise epilogues absorb a following
 *     residual tosa.add and tosa.clamp (and, with AJPQ_FUSE_QUANT=1, the
 *     ajpq.quantize of the result) bit-exactly (find_fusion), also when the
 *     residual is a zero-padding concat (find_pad_concat);
 *   - f32-input matmul / 1x1 conv: vector f32 kernel in the exact f32-rule
 *     order; f32-input convs with < 8 output channels per group and
 *     stride_w 1: 16 output pixels per vector over a planar padded copy of
 *     the input (emit_f32_pixels); other f32-input convs: a scalar f32
 *     kernel over dequantized weights (Σ in (kh,kw,ci) order, + bias);
 *   - float tosa.matmul (unquantized linear layers, attention products):
 *     16 columns x up to 6 rows per register block (emit_f32_matmul);
 *   - quantize / dequantize: 16-wide vector loops; gather / scatter: scalar.
 * Every kernel call carries discardable attributes ajpq.kernel, ajpq.fused
 * and ajpq.macs (profiles: bench/kernels/profile.c).
 * Target: the VNNI path iff the feature string has +avx512f, +avx512bw and
 * +avx512vnni; functions using 512-bit vectors carry
 * "min-legal-vector-width"="512".
 * Errors (non-static shapes, bad attributes, packing failures) are MLIR
 * diagnostics at the op; the pass then fails and leaves the op in place.
 */
#include "ajpq_dialect.h"
#include "ajpq_kernels.h"
#include "ajpq_passes.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llvm-c/Core.h"
#include "llvm-c/TargetMachine.h"
#include "mlir-c/BuiltinAttributes.h"
#include "mlir-c/BuiltinTypes.h"
#include "mlir-c/Diagnostics.h"
#include "mlir-c/IR.h"

/* ------------------------------------------------------------------ text */

/* Kernels get internal linkage so that several compiled models link together;
 * the compute kernels are also kept out of line (one call per layer costs
 * nothing, and profiles then name the layer). */
static const char k_internal[] = "llvm.linkage = #llvm.linkage<internal>";

typedef struct {
  char *s;
  size_t n, cap;
  int oom;
  int id; /* SSA name counter */
} sb_t;

static void sb_printf(sb_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sb_t *b, const char *fmt, ...) {
  if (b->oom)
    return;
  for (;;) {
    va_list ap;
    va_start(ap, fmt);
    int need = vsnprintf(b->s ? b->s + b->n : NULL, b->s ? b->cap - b->n : 0, fmt, ap);
    va_end(ap);
    if (need < 0) {
      b->oom = 1;
      return;
    }
    if (b->s && b->n + (size_t)need < b->cap) {
      b->n += (size_t)need;
      return;
    }
    size_t cap = (b->cap ? b->cap * 2 : 4096) + (size_t)need;
    char *s = realloc(b->s, cap);
    if (!s) {
      b->oom = 1;
      return;
    }
    b->s = s;
    b->cap = cap;
  }
}

/* A fresh SSA name "%vN" (ring of buffers: valid for the next 64 calls). */
static const char *fresh(sb_t *b) {
  static char ring[64][24];
  static int at;
  char *s = ring[at++ & 63];
  snprintf(s, 24, "%%v%d", b->id++);
  return s;
}

/* Emits an index constant and returns its name. */
static const char *cidx(sb_t *b, int64_t v) {
  const char *n = fresh(b);
  sb_printf(b, "    %s = arith.constant %lld : index\n", n, (long long)v);
  return n;
}

/* Declares `char var[24]` holding the name of a fresh index constant. */
#define CIDXP(var, val)                                                                            \
  char var[24];                                                                                    \
  snprintf(var, sizeof var, "%s", cidx(b, (val)))
#define CIDX(var, val)                                                                             \
  char var[24];                                                                                    \
  snprintf(var, sizeof var, "%s", cidx(&b, (val)))

/* "AxBxC" of a static shape. */
static void shape_text(MlirType t, char *out, size_t len) {
  size_t at = 0;
  out[0] = 0;
  intptr_t r = mlirShapedTypeGetRank(t);
  for (intptr_t i = 0; i < r && at < len; ++i)
    at += (size_t)snprintf(out + at, len - at, "%lldx", (long long)mlirShapedTypeGetDimSize(t, i));
}

static void elt_text(MlirType t, char *out, size_t len) {
  MlirType e = mlirShapedTypeGetElementType(t);
  snprintf(out, len, "%s", mlirTypeIsAF32(e) ? "f32" : mlirIntegerTypeGetWidth(e) == 8 ? "i8" : "i32");
}

/* --------------------------------------------------------------- module */

typedef struct {
  char name[128];
  MlirAttribute init;
} pending_t;

typedef struct {
  MlirOperation module;
  pending_t *pending; /* globals declared by the current kernel text */
  size_t num_pending, cap_pending;
  MlirContext ctx;
  MlirBlock body;
  MlirSymbolTable symbols;
  int vnni;
  int counter;
  MlirOperation *consumed; /* quantize ops erased by fusion (skipped later) */
  size_t num_consumed, cap_consumed;
} lower_t;

/* Parses `text` (a module body) and moves its top-level ops into the module. */
static int splice(lower_t *L, MlirOperation at, const char *text) {
  if (getenv("AJPQ_LOWER_DUMP"))
    fputs(text, stderr);
  MlirModule m = mlirModuleCreateParse(L->ctx, mlirStringRefCreateFromCString(text));
  if (mlirModuleIsNull(m)) {
    L->num_pending = 0;
    mlirEmitError(mlirOperationGetLocation(at),
                  "ajpq-lower-to-kernels: internal error: generated kernel text does not parse");
    return 0;
  }
  MlirBlock b = mlirModuleGetBody(m);
  for (MlirOperation op = mlirBlockGetFirstOperation(b); !mlirOperationIsNull(op);) {
    MlirOperation next = mlirOperationGetNextInBlock(op);
    MlirAttribute sn = mlirOperationGetAttributeByName(op, mlirStringRefCreateFromCString("sym_name"));
    mlirOperationRemoveFromParent(op);
    if (!mlirAttributeIsNull(sn) &&
        !mlirOperationIsNull(mlirSymbolTableLookup(L->symbols, mlirStringAttrGetValue(sn)))) {
      mlirOperationDestroy(op); /* shared helper already present */
      op = next;
      continue;
    }
    mlirBlockAppendOwnedOperation(L->body, op);
    if (!mlirAttributeIsNull(sn))
      mlirSymbolTableInsert(L->symbols, op);
    sn = mlirOperationGetAttributeByName(op, mlirStringRefCreateFromCString("sym_name"));
    for (size_t i = 0; !mlirAttributeIsNull(sn) && i < L->num_pending; ++i)
      if (mlirStringRefEqual(mlirStringAttrGetValue(sn), mlirStringRefCreateFromCString(L->pending[i].name))) {
        mlirOperationSetAttributeByName(op, mlirStringRefCreateFromCString("initial_value"), L->pending[i].init);
        mlirOperationSetAttributeByName(op, mlirStringRefCreateFromCString("constant"), mlirUnitAttrGet(L->ctx));
      }
    op = next;
  }
  L->num_pending = 0;
  mlirModuleDestroy(m);
  return 1;
}

static MlirNamedAttribute named(MlirContext ctx, const char *name, MlirAttribute a) {
  return mlirNamedAttributeGet(mlirIdentifierGet(ctx, mlirStringRefCreateFromCString(name)), a);
}

/* Declares `memref.global "private" constant @name : memref<count x elt>`
 * in the kernel text `b` (as `uninitialized`, so that the text parses on its
 * own) and records the raw little-endian contents (elt "i8", "i32" or
 * "f32"); splice() attaches them as the initial value. */
static int add_global(lower_t *L, sb_t *b, const char *name, const char *elt, int64_t count,
                      const void *data) {
  if (L->num_pending == L->cap_pending) {
    size_t cap = L->cap_pending ? 2 * L->cap_pending : 16;
    pending_t *p = realloc(L->pending, cap * sizeof *p);
    if (!p)
      return 0;
    L->pending = p;
    L->cap_pending = cap;
  }
  char ty[64];
  snprintf(ty, sizeof ty, "tensor<%lldx%s>", (long long)count, elt);
  MlirType tt = mlirTypeParseGet(L->ctx, mlirStringRefCreateFromCString(ty));
  size_t esz = strcmp(elt, "i8") == 0 ? 1 : 4;
  pending_t *p = &L->pending[L->num_pending++];
  snprintf(p->name, sizeof p->name, "%s", name);
  p->init = mlirDenseElementsAttrRawBufferGet(tt, (size_t)count * esz, data);
  sb_printf(b, "memref.global \"private\" @%s : memref<%lldx%s> = uninitialized {alignment = 64 : i64}\n",
            name, (long long)count, elt);
  return 1;
}

/* The LLVM-dialect vpdpbusd helper, appended to every VNNI kernel text
 * (splice() keeps one copy). It lives in an llvm.func, outside func.func
 * bodies, so that upstream buffer deallocation (which rejects ops with
 * unknown memory effects) never sees the intrinsic call. */
static const char k_dpbusd_text[] =
    "llvm.func internal @__ajpq_dpbusd(%a: vector<16xi32>, %u: vector<64xi8>, %s: vector<64xi8>)"
    " -> vector<16xi32> attributes {passthrough = [\"alwaysinline\", [\"min-legal-vector-width\","
    " \"512\"]]} {\n"
    "  %r = llvm.call_intrinsic \"llvm.x86.avx512.vpdpbusd.512\"(%a, %u, %s) : (vector<16xi32>,"
    " vector<64xi8>, vector<64xi8>) -> vector<16xi32>\n"
    "  llvm.return %r : vector<16xi32>\n}\n";

/* Emits `acc = acc + dot4(u8 w, s8 x)` per 32-bit lane (VNNI) or per byte
 * lane into a vector<64xi32> accumulator (portable). */
static const char *acc_type(const lower_t *L) { return L->vnni ? "vector<16xi32>" : "vector<64xi32>"; }

static void emit_dp(lower_t *L, sb_t *b, const char *out, const char *acc, const char *w,
                    const char *x) {
  if (L->vnni) {
    sb_printf(b,
              "    %s = llvm.call @__ajpq_dpbusd(%s, %s, %s) : (vector<16xi32>, vector<64xi8>,"
              " vector<64xi8>) -> vector<16xi32>\n",
              out, acc, w, x);
  } else {
    int id = b->id++;
    sb_printf(b, "    %%we%d = arith.extui %s : vector<64xi8> to vector<64xi32>\n", id, w);
    sb_printf(b, "    %%xe%d = arith.extsi %s : vector<64xi8> to vector<64xi32>\n", id, x);
    sb_printf(b, "    %%pr%d = arith.muli %%we%d, %%xe%d : vector<64xi32>\n", id, id, id);
    sb_printf(b, "    %s = arith.addi %s, %%pr%d : vector<64xi32>\n", out, acc, id);
  }
}

/* ---------------------------------------------------- compute: int8 path */

/* Float ops after a compute op that its kernel absorbs into its epilogue
 * (find_fusion): ajpq.conv2d/matmul → [tosa.add with a same-shaped residual]
 * → [tosa.clamp] → {f32 users, one ajpq.quantize}. The kernel then writes the
 * chain's f32 value (%y, if anything else reads it) and/or its quantization
 * (%q, int8), in the exact op order of the upstream lowering of those ops
 * (arith.addf lhs, rhs; clamp = maximumf(minimumf(v, max), min); quantize as
 * emit_quant), so results stay bit-identical. */
typedef struct {
  MlirOperation add, clamp, quant; /* null when absent */
  MlirValue resid;                 /* add's other operand (or the real channels of a zero-padding concat) */
  MlirOperation pad_concat;        /* tosa.concat(resid, zeros) the add read, absorbed (null when absent) */
  int64_t resid_n;                 /* channels of resid (< N when pad_concat absorbed; else N) */
  MlirValue value;                 /* the chain's f32 value (the last fused float op's result) */
  int resid_first;                 /* the residual is the add's lhs */
  float lo, hi;                    /* clamp bounds */
  int want_y;                      /* the kernel writes the f32 value */
  ajpq_act_qparams_t q;            /* quant's parameters */
} fuse_t;

typedef struct {
  ajpq_kernels_conv_t g; /* matmul: batch = M, h = w = 1, kh = kw = 1, cin = K */
  int is_matmul;
  MlirType xt, yt;
  const fuse_t *F; /* never NULL: {.want_y = 1} for a plain op */
  int64_t win_kwc4; /* > 0: GEMM windows read in place from a padded input copy; each
                       window row is kw·cin codes padded with zero codes to this
                       multiple of 4 (relayout_windows) */
} geom_t;

/* `out` = a [P][N] view (memref<PxNxelt>) of %`v` : memref<shape x elt>
 * (rank 1: expand; rank 2: cast; more: collapse the leading dims). */
static void emit_view2d(sb_t *b, const char *v, const char *out, MlirType t, const char *elt, int64_t P,
                        int64_t N) {
  char s[256];
  shape_text(t, s, sizeof s);
  intptr_t r = mlirShapedTypeGetRank(t);
  if (r == 1) {
    sb_printf(b, "    %s = memref.expand_shape %s [[0, 1]] output_shape [1, %lld] : memref<%s%s> into memref<1x%lldx%s>\n",
              out, v, (long long)N, s, elt, (long long)N, elt);
  } else if (r == 2) {
    sb_printf(b, "    %s = memref.cast %s : memref<%s%s> to memref<%lldx%lldx%s>\n", out, v, s, elt, (long long)P,
              (long long)N, elt);
  } else {
    sb_printf(b, "    %s = memref.collapse_shape %s [[", out, v);
    for (intptr_t i = 0; i + 1 < r; ++i)
      sb_printf(b, "%s%ld", i ? ", " : "", (long)i);
    sb_printf(b, "], [%ld]] : memref<%s%s> into memref<%lldx%lldx%s>\n", (long)(r - 1), s, elt, (long long)P,
              (long long)N, elt);
  }
}

/* Function header with the arguments (%x, [%r], [%y], [%q]) of G->F and the
 * [P][N] views %res2, %y2, %qo2 (and %x2 [M][K] for a matmul). */
static void emit_header(sb_t *b, const char *name, const geom_t *G, const char *xelt, int wide) {
  char xs[256], ys[256];
  shape_text(G->xt, xs, sizeof xs);
  shape_text(G->yt, ys, sizeof ys);
  const fuse_t *F = G->F;
  char rs[256];
  MlirType rt = F->add.ptr ? mlirValueGetType(F->resid) : G->yt; /* fewer channels with a pad concat */
  shape_text(rt, rs, sizeof rs);
  sb_printf(b, "func.func private @%s(%%x: memref<%s%s>", name, xs, xelt);
  if (F->add.ptr)
    sb_printf(b, ", %%r: memref<%sf32>", rs);
  if (F->want_y)
    sb_printf(b, ", %%y: memref<%sf32>", ys);
  if (F->quant.ptr)
    sb_printf(b, ", %%q: memref<%si8>", ys);
  sb_printf(b, ") attributes {%s%s} {\n", k_internal,
            wide ? ", passthrough = [\"noinline\", [\"min-legal-vector-width\", \"512\"]]" : ", passthrough = [\"noinline\"]");
  int64_t P = G->g.batch * G->g.oh * G->g.ow, N = G->g.n;
  if (F->add.ptr)
    emit_view2d(b, "%r", "%res2", rt, "f32", P, F->resid_n);
  if (F->want_y)
    emit_view2d(b, "%y", "%y2", G->yt, "f32", P, N);
  if (F->quant.ptr)
    emit_view2d(b, "%q", "%qo2", G->yt, "i8", P, N);
  if (G->is_matmul)
    emit_view2d(b, "%x", "%x2", G->xt, xelt, P, G->g.cin);
}

/* Splat constants of the fused epilogue and of vector quantization:
 * %fz16 (0.0), %clo/%chi (clamp), %qsv %qzv %qlo %qhi (quantize). */
static void emit_quant16_consts(sb_t *b, const ajpq_act_qparams_t *q) {
  int qmin = -(1 << (q->bits - 1)), qmax = (1 << (q->bits - 1)) - 1;
  sb_printf(b, "    %%qsv = arith.constant dense<%.9e> : vector<16xf32>\n", (double)q->scale);
  sb_printf(b, "    %%qzv = arith.constant dense<%d.0> : vector<16xf32>\n", q->zero_point);
  sb_printf(b, "    %%qlo = arith.constant dense<%d.0> : vector<16xf32>\n", qmin);
  sb_printf(b, "    %%qhi = arith.constant dense<%d.0> : vector<16xf32>\n", qmax);
}

static void emit_fuse_consts(sb_t *b, const geom_t *G) {
  const fuse_t *F = G->F;
  sb_printf(b, "    %%fz16 = arith.constant dense<0.0> : vector<16xf32>\n");
  if (F->clamp.ptr) {
    sb_printf(b, "    %%clo = arith.constant dense<%.9e> : vector<16xf32>\n", (double)F->lo);
    sb_printf(b, "    %%chi = arith.constant dense<%.9e> : vector<16xf32>\n", (double)F->hi);
  }
  if (F->quant.ptr)
    emit_quant16_consts(b, &F->q);
}

/* `out` (vector<16xi8>) = quantize(`v` : vector<16xf32>) with the constants
 * of emit_quant16_consts: the per-element ops of emit_quant, vectorized.
 * (A division-free variant — multiply by fl(1/s), divide only vectors with a
 * lane within 2^-20 of a rounding tie, provably the same result — measured
 * 1.3-1.6x slower both in the fused epilogues and in the streaming quantize
 * pass: vdivps is not the bottleneck.) */
static void emit_quant16(sb_t *b, const char *v, const char *out) {
  int id = b->id++;
  sb_printf(b, "    %%qd%d = arith.divf %s, %%qsv : vector<16xf32>\n", id, v);
  sb_printf(b, "    %%qr%d = math.roundeven %%qd%d : vector<16xf32>\n", id, id);
  sb_printf(b, "    %%qa%d = arith.addf %%qr%d, %%qzv : vector<16xf32>\n", id, id);
  sb_printf(b, "    %%qc%d = arith.maxnumf %%qa%d, %%qlo : vector<16xf32>\n    %%qe%d = arith.minnumf %%qc%d, %%qhi : vector<16xf32>\n",
            id, id, id, id);
  sb_printf(b, "    %%qn%d = arith.cmpf uno, %s, %s : vector<16xf32>\n", id, v, v);
  sb_printf(b, "    %%qf%d = arith.select %%qn%d, %%qzv, %%qe%d : vector<16xi1>, vector<16xf32>\n", id, id, id);
  sb_printf(b, "    %s = arith.fptosi %%qf%d : vector<16xf32> to vector<16xi8>\n", out, id);
}

/* Stores the compute result `v` (vector<16xf32>) of row `pix`, channels
 * [n, n+16) under mask `m` through the fused chain of G->F: residual add,
 * clamp, f32 store to %y2 and/or quantized store to %qo2. */
static void emit_store16(sb_t *b, const geom_t *G, const char *v, const char *pix, const char *n, const char *m) {
  const fuse_t *F = G->F;
  int64_t P = G->g.batch * G->g.oh * G->g.ow, N = G->g.n;
  int id = b->id++;
  char cur[32];
  snprintf(cur, sizeof cur, "%s", v);
  if (F->add.ptr) {
    const char *rm = m;
    char rmask[32];
    if (F->resid_n < N) { /* absorbed zero-padding concat: channels >= resid_n read the +0.0 pass-through */
      sb_printf(b, "    %%frn%d = arith.subi %s, %s : index\n", id, cidx(b, F->resid_n), n);
      sb_printf(b, "    %%frm%d = vector.create_mask %%frn%d : vector<16xi1>\n", id, id);
      snprintf(rmask, sizeof rmask, "%%frm%d", id);
      rm = rmask;
    }
    sb_printf(b, "    %%fr%d = vector.maskedload %%res2[%s, %s], %s, %%fz16 : memref<%lldx%lldxf32>, vector<16xi1>, vector<16xf32> into vector<16xf32>\n",
              id, pix, n, rm, (long long)P, (long long)F->resid_n);
    if (F->resid_first)
      sb_printf(b, "    %%fa%d = arith.addf %%fr%d, %s : vector<16xf32>\n", id, id, cur);
    else
      sb_printf(b, "    %%fa%d = arith.addf %s, %%fr%d : vector<16xf32>\n", id, cur, id);
    snprintf(cur, sizeof cur, "%%fa%d", id);
  }
  if (F->clamp.ptr) {
    sb_printf(b, "    %%fm%d = arith.minimumf %s, %%chi : vector<16xf32>\n", id, cur);
    sb_printf(b, "    %%fc%d = arith.maximumf %%fm%d, %%clo : vector<16xf32>\n", id, id);
    snprintf(cur, sizeof cur, "%%fc%d", id);
  }
  if (F->want_y)
    sb_printf(b, "    vector.maskedstore %%y2[%s, %s], %s, %s : memref<%lldx%lldxf32>, vector<16xi1>, vector<16xf32>\n", pix,
              n, m, cur, (long long)P, (long long)N);
  if (F->quant.ptr) {
    char qo[32];
    snprintf(qo, sizeof qo, "%%fq%d", id);
    emit_quant16(b, cur, qo);
    sb_printf(b, "    vector.maskedstore %%qo2[%s, %s], %s, %s : memref<%lldx%lldxi8>, vector<16xi1>, vector<16xi8>\n", pix,
              n, m, qo, (long long)P, (long long)N);
  }
}

/* Globals of an f32-input kernel: NAME_wf, the dequantized weights [K][N]
 * (scale[j]·(code − zero_point[j]), in f32 as ajpq_dequant_channel), and
 * NAME_bias [N] (N = the op's output channels). Returns 0 on failure (out of memory, or add_global's
 * diagnostic); b is freed then. */
static int emit_f32_tables(lower_t *L, sb_t *b, const char *name, const ajpq_kernels_packed_t *p,
                           int64_t N) {
  int64_t K = p->k;
  char gname[128];
  float *wf = malloc((size_t)(K * N) * sizeof(float));
  if (!wf) {
    free(b->s);
    return 0;
  }
  for (int64_t kk = 0; kk < K; ++kk)
    for (int64_t j = 0; j < N; ++j)
      wf[kk * N + j] = p->scale[j] * ((float)p->codes[kk * N + j] - p->zero_point[j]);
  snprintf(gname, sizeof gname, "%s_wf", name);
  int ok = add_global(L, b, gname, "f32", K * N, wf);
  free(wf);
  snprintf(gname, sizeof gname, "%s_bias", name);
  if (!ok || !add_global(L, b, gname, "f32", N, p->bias)) {
    free(b->s);
    return 0;
  }
  return 1;
}

/* Per-channel tables of an int8 kernel as globals NAME_qsum (if `qsum`),
 * NAME_scl (input_scale·scale), NAME_zp, NAME_bias; emit_table_loads binds
 * them to %qsum %scl %zpt %bias in the function body. */
static int emit_tables(lower_t *L, sb_t *b, const char *name, const ajpq_kernels_packed_t *p, float in_scale,
                       int qsum) {
  char gname[128];
  int64_t N = p->n;
  float *scl = malloc((size_t)N * sizeof(float));
  if (!scl)
    return 0;
  for (int64_t j = 0; j < N; ++j)
    scl[j] = in_scale * p->scale[j];
  int ok = 1;
  if (qsum) {
    snprintf(gname, sizeof gname, "%s_qsum", name);
    ok &= add_global(L, b, gname, "i32", N, p->qsum);
  }
  snprintf(gname, sizeof gname, "%s_scl", name);
  ok &= add_global(L, b, gname, "f32", N, scl);
  snprintf(gname, sizeof gname, "%s_zp", name);
  ok &= add_global(L, b, gname, "f32", N, p->zero_point);
  snprintf(gname, sizeof gname, "%s_bias", name);
  ok &= add_global(L, b, gname, "f32", N, p->bias);
  free(scl);
  return ok;
}

static void emit_table_loads(sb_t *b, const char *name, int64_t N, int qsum) {
  if (qsum)
    sb_printf(b, "    %%qsum = memref.get_global @%s_qsum : memref<%lldxi32>\n", name, (long long)N);
  sb_printf(b, "    %%scl = memref.get_global @%s_scl : memref<%lldxf32>\n", name, (long long)N);
  sb_printf(b, "    %%zpt = memref.get_global @%s_zp : memref<%lldxf32>\n", name, (long long)N);
  sb_printf(b, "    %%bias = memref.get_global @%s_bias : memref<%lldxf32>\n", name, (long long)N);
}

/* Globals NAME_wI (stream bytes) and NAME_cI (output channel of each padded
 * row; pad rows get `pad_chan`) of every stream. */
static int emit_stream_globals(lower_t *L, sb_t *b, const char *name, const ajpq_kernels_packed_t *p,
                               int32_t pad_chan) {
  char gname[128];
  for (size_t si = 0; si < p->num_streams; ++si) {
    const ajpq_kernels_stream_t *st = &p->streams[si];
    snprintf(gname, sizeof gname, "%s_w%zu", name, si);
    if (!add_global(L, b, gname, "i8", st->rows_padded * st->blocks * 64, st->data))
      return 0;
    int32_t *ch = malloc((size_t)st->rows_padded * sizeof(int32_t));
    if (!ch)
      return 0;
    for (int64_t r = 0; r < st->rows_padded; ++r)
      ch[r] = st->chan[r] < 0 ? pad_chan : st->chan[r];
    snprintf(gname, sizeof gname, "%s_c%zu", name, si);
    int ok = add_global(L, b, gname, "i32", st->rows_padded, ch);
    free(ch);
    if (!ok)
      return 0;
  }
  return 1;
}

/* Input coordinates of window tap (%ky<sfx>, %kx<sfx>) for the output pixel
 * with coordinates %py<tag>, %px<tag>: %iy<sfx>, %ix<sfx> and %ok<sfx>
 * (inside the input). */
static void emit_window_tap(sb_t *b, const geom_t *G, int tag, const char *sfx) {
  const ajpq_kernels_conv_t *g = &G->g;
  CIDXP(cSH, g->stride_h);
  CIDXP(cSW, g->stride_w);
  CIDXP(cPT, g->pad_top);
  CIDXP(cPL, g->pad_left);
  CIDXP(cDH, g->dil_h);
  CIDXP(cDW, g->dil_w);
  CIDXP(cH, g->h);
  CIDXP(cW, g->w);
  const char *t = sfx;
  sb_printf(b, "    %%iy0%s = arith.muli %%py%d, %s : index\n    %%iy1%s = arith.subi %%iy0%s, %s : index\n", t, tag, cSH,
            t, t, cPT);
  sb_printf(b, "    %%kyd%s = arith.muli %%ky%s, %s : index\n    %%iy%s = arith.addi %%iy1%s, %%kyd%s : index\n", t, t, cDH,
            t, t, t);
  sb_printf(b, "    %%ix0%s = arith.muli %%px%d, %s : index\n    %%ix1%s = arith.subi %%ix0%s, %s : index\n", t, tag, cSW,
            t, t, cPL);
  sb_printf(b, "    %%kxd%s = arith.muli %%kx%s, %s : index\n    %%ix%s = arith.addi %%ix1%s, %%kxd%s : index\n", t, t, cDW,
            t, t, t);
  sb_printf(b, "    %%okh%s = arith.cmpi ult, %%iy%s, %s : index\n    %%okw%s = arith.cmpi ult, %%ix%s, %s : index\n", t, t,
            cH, t, t, cW);
  sb_printf(b, "    %%ok%s = arith.andi %%okh%s, %%okw%s : i1\n", t, t, t);
}

/* Parses the finished kernel text `b` into the module (frees it). */
static int finish_kernel(lower_t *L, MlirOperation op, sb_t *b) {
  int ok = !b->oom && splice(L, op, b->s);
  free(b->s);
  return ok;
}

/* %xf: the NHWC int8 input %x as one flat memref. */
static void emit_view2d_flat(sb_t *b, MlirType xt) {
  char s[256];
  shape_text(xt, s, sizeof s);
  int64_t n = 1;
  for (intptr_t i = 0; i < mlirShapedTypeGetRank(xt); ++i)
    n *= mlirShapedTypeGetDimSize(xt, i);
  sb_printf(b, "    %%xf = memref.collapse_shape %%x [[0, 1, 2, 3]] : memref<%si8> into memref<%lldxi8>\n", s, (long long)n);
}

/* Emits b/oy/ox index values for pixel %pix (conv only): %pb_, %py_, %px_. */
static void emit_pixel_coords(sb_t *b, const geom_t *G, const char *pix, int tag) {
  const char *ohw = cidx(b, G->g.oh * G->g.ow);
  sb_printf(b, "    %%pb%d = arith.divui %s, %s : index\n", tag, pix, ohw);
  sb_printf(b, "    %%pr%d = arith.remui %s, %s : index\n", tag, pix, ohw);
  const char *ow = cidx(b, G->g.ow);
  sb_printf(b, "    %%py%d = arith.divui %%pr%d, %s : index\n", tag, tag, ow);
  sb_printf(b, "    %%px%d = arith.remui %%pr%d, %s : index\n", tag, tag, ow);
}

/* Zeroes the [rows][len] i8 row buffer %row (len a multiple of 64). */
static void emit_zero_rows(sb_t *b, const char *c_rows, const char *c_len, int64_t rows, int64_t len) {
  sb_printf(b, "    scf.for %%i = %%c0 to %s step %%c1 {\n    scf.for %%k = %%c0 to %s step %%c64 {\n"
               "    vector.store %%z8, %%row[%%i, %%k] : memref<%lldx%lldxi8>, vector<64xi8>\n    }\n    }\n",
            c_rows, c_len, (long long)rows, (long long)len);
}

/* Field f of the byte-sliced vector `wv` (vector<64xi8>, slice width s):
 * (wv >> f·s) & mask, mask `mk` = 2^s − 1 (no mask for the top field, no
 * shift for field 0, nothing for s = 8). Writes the value's name to `out`
 * (32 bytes). */
static void emit_field(sb_t *b, const char *wv, int s, int f, const char *mk, char *out) {
  int nf = 8 / s, id = b->id++;
  if (s == 8) {
    snprintf(out, 32, "%s", wv);
    return;
  }
  char src[32];
  snprintf(src, sizeof src, "%s", wv);
  if (f > 0) {
    sb_printf(b, "    %%sh%d = arith.constant dense<%d> : vector<64xi8>\n", id, f * s);
    sb_printf(b, "    %%sr%d = arith.shrui %s, %%sh%d : vector<64xi8>\n", id, wv, id);
    snprintf(src, sizeof src, "%%sr%d", id);
  }
  if (f < nf - 1) {
    sb_printf(b, "    %%fd%d = arith.andi %s, %s : vector<64xi8>\n", id, src, mk);
    snprintf(out, 32, "%%fd%d", id);
  } else {
    snprintf(out, 32, "%s", src);
  }
}

/* Emits the implicit im2col of conv group `gr` (or the row copy of a
 * matmul) for the PB pixels of the current pixel block (%pbase) into %row
 * (`rowT`, zero beyond K), and S = Σ row − z_x·K into %sg[%p, gr]. Needs
 * %c0 %c1 %c64 %z8 %one8 %zacc %zxv %pbase %row %sg in scope. `span` (groups = 1,
 * dilation_w = 1): a window row that lies inside the input is copied as its
 * kw·cin contiguous bytes of %xf (emit_view2d_flat), not tap by tap. */
static void emit_gather(lower_t *L, sb_t *b, const geom_t *G, int64_t gr, int64_t K, int64_t PB,
                        int32_t zx, const char *cPB, const char *cPm1, const char *cKP, const char *rowT,
                        int span) {
  const ajpq_kernels_conv_t *g = &G->g;
  int64_t P = g->batch * g->oh * g->ow, cpg = g->cin_per_group;
  char xs[256];
  shape_text(G->xt, xs, sizeof xs);
  const char *AT = acc_type(L);
  /* ---- implicit im2col: gather each pixel's window of group gr ---- */
  sb_printf(b, "    scf.for %%p = %%c0 to %s step %%c1 {\n", cPB);
  sb_printf(b, "    %%pu = arith.addi %%pbase, %%p : index\n    %%pix = arith.minui %%pu, %s : index\n", cPm1);
  if (G->is_matmul) {
    CIDXP(cK, K);
    sb_printf(b, "    scf.for %%c = %%c0 to %s step %%c64 {\n", cK);
    sb_printf(b, "    %%rem = arith.subi %s, %%c : index\n    %%m = vector.create_mask %%rem : vector<64xi1>\n", cK);
    sb_printf(b, "    %%v = vector.maskedload %%x2[%%pix, %%c], %%m, %%z8 : memref<%lldx%lldxi8>, vector<64xi1>, vector<64xi8> into vector<64xi8>\n",
              (long long)P, (long long)K);
    sb_printf(b, "    vector.maskedstore %%row[%%p, %%c], %%m, %%v : %s, vector<64xi1>, vector<64xi8>\n    }\n", rowT);
  } else {
    int tag = b->id++;
    emit_pixel_coords(b, G, "%pix", tag);
    CIDXP(cKH, g->kh);
    CIDXP(cKW, g->kw);
    CIDXP(cCPG, cpg);
    CIDXP(cCOFF, gr * cpg);
    sb_printf(b, "    scf.for %%ky = %%c0 to %s step %%c1 {\n", cKH);
    if (span) {
      /* a window row inside the input is kw·cin contiguous bytes of %xf */
      int64_t sp = g->kw * g->cin;
      CIDXP(cKW1, g->kw - 1);
      CIDXP(cWs, g->w);
      CIDXP(cHs, g->h);
      CIDXP(cCs, g->cin);
      CIDXP(cSP, sp);
      sb_printf(b, "    %%ky_s = arith.addi %%ky, %%c0 : index\n    %%kx_s = arith.addi %%c0, %%c0 : index\n");
      emit_window_tap(b, G, tag, "_s");
      sb_printf(b, "    %%ixe = arith.addi %%ix_s, %s : index\n    %%oke = arith.cmpi ult, %%ixe, %s : index\n", cKW1, cWs);
      sb_printf(b, "    %%full = arith.andi %%ok_s, %%oke : i1\n    scf.if %%full {\n");
      sb_printf(b, "    %%l0 = arith.muli %%pb%d, %s : index\n    %%l1 = arith.addi %%l0, %%iy_s : index\n", tag, cHs);
      sb_printf(b, "    %%l2 = arith.muli %%l1, %s : index\n    %%l3 = arith.addi %%l2, %%ix_s : index\n", cWs);
      sb_printf(b, "    %%lin = arith.muli %%l3, %s : index\n    %%rb = arith.muli %%ky, %s : index\n", cCs, cSP);
      sb_printf(b, "    scf.for %%c = %%c0 to %s step %%c64 {\n", cSP);
      sb_printf(b, "    %%rem = arith.subi %s, %%c : index\n    %%m = vector.create_mask %%rem : vector<64xi1>\n", cSP);
      sb_printf(b, "    %%src = arith.addi %%lin, %%c : index\n    %%dst = arith.addi %%rb, %%c : index\n");
      sb_printf(b, "    %%v = vector.maskedload %%xf[%%src], %%m, %%zxv : memref<%lldxi8>, vector<64xi1>, vector<64xi8> into vector<64xi8>\n",
                (long long)(g->batch * g->h * g->w * g->cin));
      sb_printf(b, "    vector.maskedstore %%row[%%p, %%dst], %%m, %%v : %s, vector<64xi1>, vector<64xi8>\n    }\n", rowT);
      sb_printf(b, "    } else {\n");
    }
    sb_printf(b, "    scf.for %%kx = %%c0 to %s step %%c1 {\n", cKW);
    emit_window_tap(b, G, tag, "");
    sb_printf(b, "    %%kk0 = arith.muli %%ky, %s : index\n    %%kk1 = arith.addi %%kk0, %%kx : index\n", cKW);
    sb_printf(b, "    %%base = arith.muli %%kk1, %s : index\n", cCPG);
    sb_printf(b, "    scf.for %%c = %%c0 to %s step %%c64 {\n", cCPG);
    sb_printf(b, "    %%rem = arith.subi %s, %%c : index\n    %%m = vector.create_mask %%rem : vector<64xi1>\n", cCPG);
    sb_printf(b, "    %%dst = arith.addi %%base, %%c : index\n");
    sb_printf(b, "    %%val = scf.if %%ok -> (vector<64xi8>) {\n");
    sb_printf(b, "    %%ci = arith.addi %%c, %s : index\n", cCOFF);
    sb_printf(b, "    %%v = vector.maskedload %%x[%%pb%d, %%iy, %%ix, %%ci], %%m, %%zxv : memref<%si8>, vector<64xi1>, vector<64xi8> into vector<64xi8>\n",
              tag, xs);
    sb_printf(b, "    scf.yield %%v : vector<64xi8>\n    } else {\n    scf.yield %%zxv : vector<64xi8>\n    }\n");
    sb_printf(b, "    vector.maskedstore %%row[%%p, %%dst], %%m, %%val : %s, vector<64xi1>, vector<64xi8>\n", rowT);
    sb_printf(b, "    }\n    }\n%s    }\n", span ? "    }\n" : "");
  }
  /* S = Σ row − z_x·K (bytes beyond K are 0) */
  {
    const char *s_acc = fresh(b);
    char sacc[24];
    snprintf(sacc, sizeof sacc, "%s", s_acc);
    sb_printf(b, "    %s = scf.for %%k = %%c0 to %s step %%c64 iter_args(%%sa = %%zacc) -> (%s) {\n", sacc, cKP, AT);
    sb_printf(b, "    %%xv = vector.load %%row[%%p, %%k] : %s, vector<64xi8>\n", rowT);
    emit_dp(L, b, "%sa2", "%sa", "%one8", "%xv");
    sb_printf(b, "    scf.yield %%sa2 : %s\n    }\n", AT);
    const char *red = fresh(b);
    char rn[24];
    snprintf(rn, sizeof rn, "%s", red);
    sb_printf(b, "    %s = vector.reduction <add>, %s : %s into i32\n", rn, sacc, AT);
    const char *zk = fresh(b);
    char zkn[24];
    snprintf(zkn, sizeof zkn, "%s", zk);
    sb_printf(b, "    %s = arith.constant %d : i32\n", zkn, (int32_t)((uint32_t)zx * (uint32_t)K));
    sb_printf(b, "    %%sv = arith.subi %s, %s : i32\n", rn, zkn);
    CIDXP(cg, gr);
    sb_printf(b, "    memref.store %%sv, %%sg[%%p, %s] : memref<%lldx%lldxi32>\n", cg, (long long)PB,
              (long long)g->groups);
  }
  sb_printf(b, "    }\n"); /* scf.for %p */
}

/* Generates the int8 vector kernel: globals + function text. */
static int emit_i8_vector(lower_t *L, MlirOperation op, const char *name, const geom_t *G,
                          const ajpq_kernels_packed_t *p, int32_t zx, float in_scale) {
  const ajpq_kernels_conv_t *g = &G->g;
  int64_t P = g->batch * g->oh * g->ow, N = g->n, K = p->k, KPAD = p->kpad;
  int64_t PB = (L->vnni && P >= 4) ? 4 : 1;
  int64_t NPB = (P + PB - 1) / PB, per_group = N / g->groups;
  /* software prefetch distances in stream bytes for 8-bit streams and for
   * narrower slices (AJPQ_PREFETCH / AJPQ_PREFETCH_SUB8 override; 0 = none) */
  int64_t prefetch8 = getenv("AJPQ_PREFETCH") ? atoll(getenv("AJPQ_PREFETCH")) : 1024;
  int64_t prefetch_sub = getenv("AJPQ_PREFETCH_SUB8") ? atoll(getenv("AJPQ_PREFETCH_SUB8")) : 0;
  sb_t b = {0};
  if (L->vnni)
    sb_printf(&b, "%s", k_dpbusd_text);
  if (!emit_tables(L, &b, name, p, in_scale, 1) || !emit_stream_globals(L, &b, name, p, (int32_t)N)) {
    free(b.s); /* pad rows -> dummy slot N */
    return 0;
  }
  char xs[256];
  shape_text(G->xt, xs, sizeof xs);
  emit_header(&b, name, G, "i8", L->vnni);
  const char *AT = acc_type(L);
  sb_printf(&b, "    %%c0 = arith.constant 0 : index\n    %%c1 = arith.constant 1 : index\n");
  sb_printf(&b, "    %%c64 = arith.constant 64 : index\n");
  sb_printf(&b, "    %%z8 = arith.constant dense<0> : vector<64xi8>\n");
  sb_printf(&b, "    %%one8 = arith.constant dense<1> : vector<64xi8>\n");
  sb_printf(&b, "    %%zacc = arith.constant dense<0> : %s\n", AT);
  sb_printf(&b, "    %%zx8 = arith.constant %d : i8\n    %%zxv = vector.broadcast %%zx8 : i8 to vector<64xi8>\n", zx);
  sb_printf(&b, "    %%zx32 = arith.constant %d : i32\n    %%zi32 = arith.constant 0 : i32\n", zx);
  sb_printf(&b, "    %%row = memref.alloca() {alignment = 64 : i64} : memref<%lldx%lldxi8>\n", (long long)PB, (long long)KPAD);
  sb_printf(&b, "    %%dot = memref.alloca() : memref<%lldx%lldxi32>\n", (long long)PB, (long long)(N + 1));
  sb_printf(&b, "    %%sg = memref.alloca() : memref<%lldx%lldxi32>\n", (long long)PB, (long long)g->groups);
  emit_table_loads(&b, name, N, 1);
  for (size_t si = 0; si < p->num_streams; ++si) {
    const ajpq_kernels_stream_t *st = &p->streams[si];
    sb_printf(&b, "    %%w%zu = memref.get_global @%s_w%zu : memref<%lldxi8>\n", si, name, si,
              (long long)(st->rows_padded * st->blocks * 64));
    sb_printf(&b, "    %%ch%zu = memref.get_global @%s_c%zu : memref<%lldxi32>\n", si, name, si,
              (long long)st->rows_padded);
  }
  /* Zero the row buffer once: bytes beyond K stay 0 (their weights are 0 too). */
  CIDX(cPB, PB);
  CIDX(cKP, KPAD);
  emit_zero_rows(&b, cPB, cKP, PB, KPAD);
  CIDX(cNPB, NPB);
  CIDX(cPm1, P - 1);
  CIDX(cN1, N + 1);
  sb_printf(&b, "    scf.for %%blkp = %%c0 to %s step %%c1 {\n", cNPB);
  sb_printf(&b, "    %%pbase = arith.muli %%blkp, %s : index\n", cPB);
  /* zero dot */
  sb_printf(&b, "    scf.for %%i = %%c0 to %s step %%c1 {\n    scf.for %%j = %%c0 to %s step %%c1 {\n"
                "    memref.store %%zi32, %%dot[%%i, %%j] : memref<%lldx%lldxi32>\n    }\n    }\n",
            cPB, cN1, (long long)PB, (long long)(N + 1));
  char rowT[64];
  snprintf(rowT, sizeof rowT, "memref<%lldx%lldxi8>", (long long)PB, (long long)KPAD);
  for (int64_t gr = 0; gr < g->groups; ++gr) {
    emit_gather(L, &b, G, gr, K, PB, zx, cPB, cPm1, cKP, rowT, 0);
    /* ---- streams of this group ---- */
    for (size_t si = 0; si < p->num_streams; ++si) {
      const ajpq_kernels_stream_t *st = &p->streams[si];
      if (st->group != gr)
        continue;
      int s = st->slice_bits, nf = 8 / s;
      int64_t bytes = st->rows_padded * st->blocks * 64;
      int tag = b.id++;
      CIDX(cRG, st->rows_padded / 4);
      CIDX(cBL, st->blocks);
      sb_printf(&b, "    scf.for %%rg%d = %%c0 to %s step %%c1 {\n", tag, cRG);
      int nacc = (int)(4 * PB);
      sb_printf(&b, "    %%acc%d:%d = scf.for %%bk%d = %%c0 to %s step %%c1 iter_args(", tag, nacc, tag, cBL);
      for (int a = 0; a < nacc; ++a)
        sb_printf(&b, "%s%%a%d_%d = %%zacc", a ? ", " : "", tag, a);
      sb_printf(&b, ") -> (");
      for (int a = 0; a < nacc; ++a)
        sb_printf(&b, "%s%s", a ? ", " : "", AT);
      sb_printf(&b, ") {\n");
      CIDX(cBLn, st->blocks);
      sb_printf(&b, "    %%t0_%d = arith.muli %%rg%d, %s : index\n    %%t1_%d = arith.addi %%t0_%d, %%bk%d : index\n",
                tag, tag, cBLn, tag, tag, tag);
      CIDX(c256, 256);
      sb_printf(&b, "    %%wb%d = arith.muli %%t1_%d, %s : index\n", tag, tag, c256);
      /* The stream is read sequentially; a software prefetch `pfd` bytes
       * ahead of each 64-byte load keeps more DRAM lines in flight than the
       * out-of-order window alone (see docs/kernels.md, "GEMV"). One clamp
       * per block (the 4 lines of a block share it), so that the address
       * never leaves the global. */
      int64_t pfd = s == 8 ? prefetch8 : prefetch_sub;
      int do_pf = pfd > 0 && bytes > pfd;
      if (do_pf) {
        CIDX(cpf, pfd);
        CIDX(clast, bytes - 256);
        sb_printf(&b, "    %%pf%d = arith.addi %%wb%d, %s : index\n    %%pm%d = arith.minui %%pf%d, %s : index\n", tag,
                  tag, cpf, tag, tag, clast);
      }
      for (int r = 0; r < 4; ++r) {
        CIDX(co, r * 64);
        sb_printf(&b, "    %%wo%d_%d = arith.addi %%wb%d, %s : index\n", tag, r, tag, co);
        sb_printf(&b, "    %%wv%d_%d = vector.load %%w%zu[%%wo%d_%d] : memref<%lldxi8>, vector<64xi8>\n", tag, r, si,
                  tag, r, (long long)bytes);
        if (do_pf) {
          sb_printf(&b, "    %%pa%d_%d = arith.addi %%pm%d, %s : index\n", tag, r, tag, co);
          sb_printf(&b, "    memref.prefetch %%w%zu[%%pa%d_%d], read, locality<0>, data : memref<%lldxi8>\n", si, tag, r,
                    (long long)bytes);
        }
      }
      CIDX(cPer, 512 / s);
      sb_printf(&b, "    %%xb%d = arith.muli %%bk%d, %s : index\n", tag, tag, cPer);
      if (s < 8)
        sb_printf(&b, "    %%mask%d = arith.constant dense<%d> : vector<64xi8>\n", tag, (1 << s) - 1);
      /* current accumulator names */
      char cur[32][32];
      for (int a = 0; a < nacc; ++a)
        snprintf(cur[a], 32, "%%a%d_%d", tag, a);
      for (int f = 0; f < nf; ++f) {
        char wf[4][32];
        for (int r = 0; r < 4; ++r) {
          char wv[32], mk[32];
          snprintf(wv, sizeof wv, "%%wv%d_%d", tag, r);
          snprintf(mk, sizeof mk, "%%mask%d", tag);
          emit_field(&b, wv, s, f, mk, wf[r]);
        }
        for (int64_t pp = 0; pp < PB; ++pp) {
          int id = b.id++;
          CIDX(cp, pp);
          CIDX(cf, f * 64);
          sb_printf(&b, "    %%xo%d = arith.addi %%xb%d, %s : index\n", id, tag, cf);
          sb_printf(&b, "    %%xv%d = vector.load %%row[%s, %%xo%d] : %s, vector<64xi8>\n", id, cp, id, rowT);
          for (int r = 0; r < 4; ++r) {
            int a = (int)(r * PB + pp);
            char out[32], xv[32];
            snprintf(out, sizeof out, "%%d%d_%d", b.id++, a);
            snprintf(xv, sizeof xv, "%%xv%d", id);
            emit_dp(L, &b, out, cur[a], wf[r], xv);
            snprintf(cur[a], 32, "%s", out);
          }
        }
      }
      sb_printf(&b, "    scf.yield ");
      for (int a = 0; a < nacc; ++a)
        sb_printf(&b, "%s%s", a ? ", " : "", cur[a]);
      sb_printf(&b, " : ");
      for (int a = 0; a < nacc; ++a)
        sb_printf(&b, "%s%s", a ? ", " : "", AT);
      sb_printf(&b, "\n    }\n");
      /* reduce and scatter into dot */
      CIDX(c4, 4);
      sb_printf(&b, "    %%rb%d = arith.muli %%rg%d, %s : index\n", tag, tag, c4);
      for (int r = 0; r < 4; ++r) {
        int id = b.id++;
        CIDX(cr, r);
        sb_printf(&b, "    %%ri%d = arith.addi %%rb%d, %s : index\n", id, tag, cr);
        sb_printf(&b, "    %%cw%d = memref.load %%ch%zu[%%ri%d] : memref<%lldxi32>\n", id, si, id,
                  (long long)st->rows_padded);
        sb_printf(&b, "    %%cx%d = arith.index_cast %%cw%d : i32 to index\n", id, id);
        for (int64_t pp = 0; pp < PB; ++pp) {
          int a = (int)(r * PB + pp), id2 = b.id++;
          CIDX(cp, pp);
          sb_printf(&b, "    %%rd%d = vector.reduction <add>, %%acc%d#%d : %s into i32\n", id2, tag, a, AT);
          if (st->shift) {
            sb_printf(&b, "    %%rs%d = arith.constant %d : i32\n", id2, st->shift);
            sb_printf(&b, "    %%rv%d = arith.shli %%rd%d, %%rs%d : i32\n", id2, id2, id2);
          } else {
            sb_printf(&b, "    %%rv%d = arith.addi %%rd%d, %%zi32 : i32\n", id2, id2);
          }
          sb_printf(&b, "    %%ol%d = memref.load %%dot[%s, %%cx%d] : memref<%lldx%lldxi32>\n", id2, cp, id,
                    (long long)PB, (long long)(N + 1));
          sb_printf(&b, "    %%nw%d = arith.addi %%ol%d, %%rv%d : i32\n", id2, id2, id2);
          sb_printf(&b, "    memref.store %%nw%d, %%dot[%s, %%cx%d] : memref<%lldx%lldxi32>\n", id2, cp, id,
                    (long long)PB, (long long)(N + 1));
        }
      }
      sb_printf(&b, "    }\n"); /* rg */
    }
  }
  /* ---- epilogue ---- */
  CIDX(cP, P);
  CIDX(cN, N);
  CIDX(cPG, per_group);
  sb_printf(&b, "    scf.for %%p = %%c0 to %s step %%c1 {\n", cPB);
  sb_printf(&b, "    %%pix = arith.addi %%pbase, %%p : index\n    %%inr = arith.cmpi ult, %%pix, %s : index\n", cP);
  if (g->groups == 1) {
    /* 16 channels per step (GEMV: N scalar epilogues cost 2-5% of a
     * 4096x4096 8-bit layer, more at fewer bits); the same ops in the same
     * order per lane as the scalar form below, so results stay bit-exact */
    CIDX(c16, 16);
    sb_printf(&b, "    scf.if %%inr {\n");
    sb_printf(&b, "    %%sj = memref.load %%sg[%%p, %%c0] : memref<%lldx1xi32>\n", (long long)PB);
    sb_printf(&b, "    %%sf = arith.sitofp %%sj : i32 to f32\n    %%sfv = vector.broadcast %%sf : f32 to vector<16xf32>\n");
    sb_printf(&b, "    %%zxv16 = vector.broadcast %%zx32 : i32 to vector<16xi32>\n");
    sb_printf(&b, "    %%zi16 = arith.constant dense<0> : vector<16xi32>\n    %%zf16 = arith.constant dense<0.0> : vector<16xf32>\n");
    sb_printf(&b, "    scf.for %%j = %%c0 to %s step %s {\n", cN, c16);
    sb_printf(&b, "    %%rem = arith.subi %s, %%j : index\n    %%m = vector.create_mask %%rem : vector<16xi1>\n", cN);
    sb_printf(&b, "    %%dj = vector.maskedload %%dot[%%p, %%j], %%m, %%zi16 : memref<%lldx%lldxi32>, vector<16xi1>, vector<16xi32> into vector<16xi32>\n",
              (long long)PB, (long long)(N + 1));
    sb_printf(&b, "    %%qj = vector.maskedload %%qsum[%%j], %%m, %%zi16 : memref<%lldxi32>, vector<16xi1>, vector<16xi32> into vector<16xi32>\n",
              (long long)N);
    sb_printf(&b, "    %%zq = arith.muli %%zxv16, %%qj : vector<16xi32>\n    %%accj = arith.subi %%dj, %%zq : vector<16xi32>\n");
    sb_printf(&b, "    %%af = arith.sitofp %%accj : vector<16xi32> to vector<16xf32>\n");
    const char *tabs[3][2] = {{"zpj", "zpt"}, {"sc", "scl"}, {"bj", "bias"}};
    for (int t = 0; t < 3; ++t)
      sb_printf(&b, "    %%%s = vector.maskedload %%%s[%%j], %%m, %%zf16 : memref<%lldxf32>, vector<16xi1>, vector<16xf32> into vector<16xf32>\n",
                tabs[t][0], tabs[t][1], (long long)N);
    sb_printf(&b, "    %%zs = arith.mulf %%zpj, %%sfv : vector<16xf32>\n    %%t = arith.subf %%af, %%zs : vector<16xf32>\n");
    sb_printf(&b, "    %%st = arith.mulf %%sc, %%t : vector<16xf32>\n    %%yv = arith.addf %%st, %%bj : vector<16xf32>\n");
    sb_printf(&b, "    vector.maskedstore %%y2[%%pix, %%j], %%m, %%yv : memref<%lldx%lldxf32>, vector<16xi1>, vector<16xf32>\n",
              (long long)P, (long long)N);
    sb_printf(&b, "    }\n    }\n    }\n");
    sb_printf(&b, "    }\n    return\n}\n"); /* blkp */
    return finish_kernel(L, op, &b);
  }
  sb_printf(&b, "    scf.if %%inr {\n    scf.for %%j = %%c0 to %s step %%c1 {\n", cN);
  sb_printf(&b, "    %%dj = memref.load %%dot[%%p, %%j] : memref<%lldx%lldxi32>\n", (long long)PB, (long long)(N + 1));
  sb_printf(&b, "    %%qj = memref.load %%qsum[%%j] : memref<%lldxi32>\n", (long long)N);
  sb_printf(&b, "    %%zq = arith.muli %%zx32, %%qj : i32\n    %%accj = arith.subi %%dj, %%zq : i32\n");
  sb_printf(&b, "    %%gj = arith.divui %%j, %s : index\n", cPG);
  sb_printf(&b, "    %%sj = memref.load %%sg[%%p, %%gj] : memref<%lldx%lldxi32>\n", (long long)PB, (long long)g->groups);
  sb_printf(&b, "    %%af = arith.sitofp %%accj : i32 to f32\n    %%sf = arith.sitofp %%sj : i32 to f32\n");
  sb_printf(&b, "    %%zpj = memref.load %%zpt[%%j] : memref<%lldxf32>\n", (long long)N);
  sb_printf(&b, "    %%zs = arith.mulf %%zpj, %%sf : f32\n    %%t = arith.subf %%af, %%zs : f32\n");
  sb_printf(&b, "    %%sc = memref.load %%scl[%%j] : memref<%lldxf32>\n", (long long)N);
  sb_printf(&b, "    %%bj = memref.load %%bias[%%j] : memref<%lldxf32>\n", (long long)N);
  sb_printf(&b, "    %%st = arith.mulf %%sc, %%t : f32\n    %%yv = arith.addf %%st, %%bj : f32\n");
  sb_printf(&b, "    memref.store %%yv, %%y2[%%pix, %%j] : memref<%lldx%lldxf32>\n", (long long)P, (long long)N);
  sb_printf(&b, "    }\n    }\n    }\n");
  sb_printf(&b, "    }\n    return\n}\n"); /* blkp */
  return finish_kernel(L, op, &b);
}


/* The GEMM's first-call decoder, one function per module (splice() keeps
 * one copy) instead of one unrolled copy per stream and kernel: stream `w`
 * (slice width `s` bits, rows in groups of 4, `blocks` 64-byte blocks per
 * row, layout of docs/kernels.md) OR-ed into the u8 panel [K/4][ns][4]:
 * field f of byte j of block bk of row r lands at column ch[r] of panel
 * row (bk·128/s + 16·f + j/4), shifted left by `shift` (the slice's bit
 * offset in the code). Same panel bytes as the unrolled form (fields read
 * as (w >> f·s) & (2^s − 1); panel positions of a single-slice class are 0
 * before, so the OR with the gathered old value changes nothing). It runs
 * once per process; before, it was ~45% of the GEMM kernels' code and
 * ~1 s of compile time on a mixed-bit BlazeFace. */
static const char k_gemm_decode_text[] =
    "func.func private @__ajpq_gemm_decode(%w: memref<?xi8>, %ch: memref<?xi32>, %panel: memref<?xi32>,"
    " %rows: index, %blocks: index, %s: index, %shift: index, %ns: index) attributes"
    " {llvm.linkage = #llvm.linkage<internal>, passthrough = [\"noinline\", [\"min-legal-vector-width\", \"512\"]]} {\n"
    "  %c0 = arith.constant 0 : index\n  %c1 = arith.constant 1 : index\n  %c4 = arith.constant 4 : index\n"
    "  %c8 = arith.constant 8 : index\n  %c16 = arith.constant 16 : index\n  %c64 = arith.constant 64 : index\n"
    "  %c128 = arith.constant 128 : index\n  %c256 = arith.constant 256 : index\n"
    "  %ones = arith.constant dense<true> : vector<16xi1>\n  %z = arith.constant dense<0> : vector<16xi32>\n"
    "  %iota = arith.constant dense<[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]> : vector<16xi32>\n"
    "  %ns32 = arith.index_cast %ns : index to i32\n  %nsv = vector.broadcast %ns32 : i32 to vector<16xi32>\n"
    "  %offs = arith.muli %iota, %nsv : vector<16xi32>\n"
    "  %nf = arith.divui %c8, %s : index\n  %k4pb = arith.divui %c128, %s : index\n"
    "  %one32 = arith.constant 1 : i32\n  %s32 = arith.index_cast %s : index to i32\n"
    "  %p32 = arith.shli %one32, %s32 : i32\n  %m32 = arith.subi %p32, %one32 : i32\n"
    "  %m8 = arith.trunci %m32 : i32 to i8\n  %mask = vector.broadcast %m8 : i8 to vector<64xi8>\n"
    "  %sh8 = arith.index_cast %shift : index to i8\n  %shv = vector.broadcast %sh8 : i8 to vector<64xi8>\n"
    "  scf.for %r = %c0 to %rows step %c1 {\n"
    "    %cw = memref.load %ch[%r] : memref<?xi32>\n    %cx = arith.index_cast %cw : i32 to index\n"
    "    %rg = arith.divui %r, %c4 : index\n    %ri = arith.remui %r, %c4 : index\n"
    "    scf.for %bk = %c0 to %blocks step %c1 {\n"
    "      %t0 = arith.muli %rg, %blocks : index\n      %t1 = arith.addi %t0, %bk : index\n"
    "      %t2 = arith.muli %t1, %c256 : index\n      %t3 = arith.muli %ri, %c64 : index\n"
    "      %wo = arith.addi %t2, %t3 : index\n"
    "      %wv = vector.load %w[%wo] : memref<?xi8>, vector<64xi8>\n"
    "      %k4b = arith.muli %bk, %k4pb : index\n"
    "      scf.for %f = %c0 to %nf step %c1 {\n"
    "        %fs = arith.muli %f, %s : index\n        %fs8 = arith.index_cast %fs : index to i8\n"
    "        %fsv = vector.broadcast %fs8 : i8 to vector<64xi8>\n"
    "        %sr = arith.shrui %wv, %fsv : vector<64xi8>\n        %fd = arith.andi %sr, %mask : vector<64xi8>\n"
    "        %sl = arith.shli %fd, %shv : vector<64xi8>\n"
    "        %v32 = vector.bitcast %sl : vector<64xi8> to vector<16xi32>\n"
    "        %f16 = arith.muli %f, %c16 : index\n        %k4 = arith.addi %k4b, %f16 : index\n"
    "        %pb0 = arith.muli %k4, %ns : index\n        %pb = arith.addi %pb0, %cx : index\n"
    "        %old = vector.gather %panel[%pb] [%offs], %ones, %z : memref<?xi32>, vector<16xi32>, vector<16xi1>,"
    " vector<16xi32> into vector<16xi32>\n"
    "        %new = arith.ori %old, %v32 : vector<16xi32>\n"
    "        vector.scatter %panel[%pb] [%offs], %ones, %new : memref<?xi32>, vector<16xi32>, vector<16xi1>,"
    " vector<16xi32>\n"
    "      }\n    }\n  }\n  return\n}\n";

/* GEMM microkernel for many-pixel int8 convs/matmuls on the VNNI path
 * (groups = 1). The bit-packed streams stay in the object; the first call
 * decodes them into a u8 panel [K/4][NS][4] (NS = N rounded up to 32, + 16
 * spare columns for pad rows; codes of the slices OR-ed together) held in a
 * zero-initialised static workspace (@NAME_panel), guarded by an atomic state
 * word (@NAME_state: 0 = not decoded, 1 = being decoded by some thread,
 * 2 = ready; concurrent first calls wait for the decoder). Then per block of
 * MR = 8 pixels (implicit im2col rows of KR = K rounded up to 64 bytes) and
 * NR = 32 channels, 16 zmm accumulators take vpdpbusd(panel, broadcast 4
 * activation bytes) over K/4 steps — no horizontal reductions; the epilogue
 * is vectorized over channels and carries the fused chain (emit_store16). */
static void emit_flat_view(sb_t *b, const char *v, const char *out, MlirType t, const char *elt);
static int64_t num_elements(MlirType t);

/* One k4 step (4 input bytes) of the GEMM microkernel for the current
 * pixel block and 32-channel block %n0: the two panel vectors of k4 row
 * `k4` and, per pixel pp < MR, its 4 activation bytes broadcast to every
 * lane — from the im2col rows (%row32[pp, k4]) or, `direct`, from the flat
 * input %xf at %dbo<pp> + 4·k4 (emit_direct_rows; an unaligned 4-byte load;
 * `tail` > 0: only the first `tail` bytes, masked, the rest read as 0 and
 * meet zero codes) — then 2·MR vpdpbusd. Accumulators in: in[2·pp + h];
 * out: %d<sfx><pp>_<h>. */
static void emit_mk_step(lower_t *L, sb_t *b, const char *k4, int64_t NS, int64_t PW, int64_t MR, int64_t KR,
                         int direct, int64_t tail, int64_t xn, char in[][24], const char *sfx, const geom_t *G) {
  /* windowed (G->win_kwc4): k4 = (ky, j4) -> byte offset ky·Wp·cin + 4·j4 of %xf (the padded copy) */
  int64_t wq = G->win_kwc4 / 4, wrs = (G->g.w + G->g.pad_left + G->g.pad_right) * G->g.cin;
  CIDXP(cNSb, NS);
  const char *t = sfx;
  sb_printf(b, "    %%po0%s = arith.muli %s, %s : index\n    %%po%s = arith.addi %%po0%s, %%n0 : index\n", t, k4, cNSb, t, t);
  sb_printf(b, "    %%po1%s = arith.addi %%po%s, %%c16 : index\n", t, t);
  sb_printf(b, "    %%wa%s = vector.load %%panel[%%po%s] : memref<%lldxi32>, vector<16xi32>\n", t, t, (long long)PW);
  sb_printf(b, "    %%wb%s = vector.load %%panel[%%po1%s] : memref<%lldxi32>, vector<16xi32>\n", t, t, (long long)PW);
  sb_printf(b, "    %%wa8%s = vector.bitcast %%wa%s : vector<16xi32> to vector<64xi8>\n", t, t);
  sb_printf(b, "    %%wb8%s = vector.bitcast %%wb%s : vector<16xi32> to vector<64xi8>\n", t, t);
  if (direct && wq) {
    CIDXP(cwq, wq);
    CIDXP(cwrs, wrs);
    CIDXP(c4, 4);
    sb_printf(b, "    %%k4y%s = arith.divui %s, %s : index\n    %%k4r%s = arith.remui %s, %s : index\n", t, k4, cwq, t, k4, cwq);
    sb_printf(b, "    %%k4yo%s = arith.muli %%k4y%s, %s : index\n    %%k4ro%s = arith.muli %%k4r%s, %s : index\n", t, t, cwrs, t,
              t, c4);
    sb_printf(b, "    %%k4x%s = arith.addi %%k4yo%s, %%k4ro%s : index\n", t, t, t);
  } else if (direct) {
    CIDXP(c4, 4);
    sb_printf(b, "    %%k4x%s = arith.muli %s, %s : index\n", t, k4, c4);
    if (tail) {
      sb_printf(b, "    %%tm%s = vector.constant_mask [%lld] : vector<4xi1>\n", t, (long long)tail);
      sb_printf(b, "    %%z4%s = arith.constant dense<0> : vector<4xi8>\n", t);
    }
  }
  for (int64_t pp = 0; pp < MR; ++pp) {
    long long q = (long long)pp;
    if (direct) {
      sb_printf(b, "    %%di%s%lld = arith.addi %%dbo%lld, %%k4x%s : index\n", t, q, q, t);
      const char *xbuf = wq ? "%xp" : "%xf"; /* the padded copy, or the input itself */
      if (tail)
        sb_printf(b, "    %%xl%s%lld = vector.maskedload %s[%%di%s%lld], %%tm%s, %%z4%s : memref<%lldxi8>, vector<4xi1>, vector<4xi8> into vector<4xi8>\n",
                  t, q, xbuf, t, q, t, t, (long long)xn);
      else
        sb_printf(b, "    %%xl%s%lld = vector.load %s[%%di%s%lld] : memref<%lldxi8>, vector<4xi8>\n", t, q, xbuf, t, q, (long long)xn);
      sb_printf(b, "    %%xc%s%lld = vector.bitcast %%xl%s%lld : vector<4xi8> to vector<1xi32>\n", t, q, t, q);
      sb_printf(b, "    %%xs%s%lld = vector.extract %%xc%s%lld[0] : i32 from vector<1xi32>\n", t, q, t, q);
    } else {
      CIDXP(cp, pp);
      sb_printf(b, "    %%xs%s%lld = memref.load %%row32[%s, %s] : memref<%lldx%lldxi32>\n", t, q, cp, k4, (long long)MR,
                (long long)(KR / 4));
    }
    sb_printf(b, "    %%xb%s%lld = vector.broadcast %%xs%s%lld : i32 to vector<16xi32>\n", t, q, t, q);
    sb_printf(b, "    %%xv%s%lld = vector.bitcast %%xb%s%lld : vector<16xi32> to vector<64xi8>\n", t, q, t, q);
    char o0[24], o1[24], xv[24], wa[16], wb[16];
    snprintf(o0, sizeof o0, "%%d%s%lld_0", t, q);
    snprintf(o1, sizeof o1, "%%d%s%lld_1", t, q);
    snprintf(xv, sizeof xv, "%%xv%s%lld", t, q);
    snprintf(wa, sizeof wa, "%%wa8%s", t);
    snprintf(wb, sizeof wb, "%%wb8%s", t);
    emit_dp(L, b, o0, in[2 * pp], wa, xv);
    emit_dp(L, b, o1, in[2 * pp + 1], wb, xv);
  }
}

/* Direct rows (1x1 stride-1 unpadded conv, matmul: a pixel's im2col row is
 * its K contiguous input bytes): per pixel of the block, S = Σ x − z_x·K
 * into %sg[p, 0] from masked 64-byte loads of %xf, and the row offsets
 * %dbo<pp> = min(pixel, P − 1)·K for emit_mk_step. No copy: the gather of
 * the 1x1 convs cost as much as their MACs (BlazeFace 64x64 pointwise convs:
 * 21 of 51 us). */
static void emit_direct_rows(lower_t *L, sb_t *b, int64_t K, int64_t MR, int32_t zx, const char *cPB,
                             const char *cPm1, const char *cKR, int64_t xn) {
  const char *AT = acc_type(L);
  CIDXP(cK, K);
  sb_printf(b, "    scf.for %%p = %%c0 to %s step %%c1 {\n", cPB);
  sb_printf(b, "    %%pu = arith.addi %%pbase, %%p : index\n    %%pix = arith.minui %%pu, %s : index\n", cPm1);
  sb_printf(b, "    %%xo = arith.muli %%pix, %s : index\n", cK);
  sb_printf(b, "    %%sacc = scf.for %%k = %%c0 to %s step %%c64 iter_args(%%sa = %%zacc) -> (%s) {\n", cKR, AT);
  sb_printf(b, "    %%rem = arith.subi %s, %%k : index\n    %%m = vector.create_mask %%rem : vector<64xi1>\n", cK);
  sb_printf(b, "    %%src = arith.addi %%xo, %%k : index\n");
  sb_printf(b, "    %%xv = vector.maskedload %%xf[%%src], %%m, %%z8 : memref<%lldxi8>, vector<64xi1>, vector<64xi8> into vector<64xi8>\n",
            (long long)xn);
  emit_dp(L, b, "%sa2", "%sa", "%one8", "%xv");
  sb_printf(b, "    scf.yield %%sa2 : %s\n    }\n", AT);
  sb_printf(b, "    %%sred = vector.reduction <add>, %%sacc : %s into i32\n", AT);
  sb_printf(b, "    %%szk = arith.constant %d : i32\n", (int32_t)((uint32_t)zx * (uint32_t)K));
  sb_printf(b, "    %%sv = arith.subi %%sred, %%szk : i32\n");
  sb_printf(b, "    memref.store %%sv, %%sg[%%p, %%c0] : memref<%lldx1xi32>\n    }\n", (long long)MR);
  for (int64_t pp = 0; pp < MR; ++pp) {
    CIDXP(cp, pp);
    sb_printf(b, "    %%dp%lld = arith.addi %%pbase, %s : index\n    %%dq%lld = arith.minui %%dp%lld, %s : index\n", (long long)pp,
              cp, (long long)pp, (long long)pp, cPm1);
    sb_printf(b, "    %%dbo%lld = arith.muli %%dq%lld, %s : index\n", (long long)pp, (long long)pp, cK);
  }
}

/* Windowed GEMM input (G->win_kwc4): %xf := a copy of the NHWC input with
 * its padding materialized as z_x ([B][H+pt+pb][W+pl+pr][C] plus 64 bytes
 * of slack for the window rows' zero-code tails), so that every window row
 * of every output pixel is kw·cin contiguous bytes and the microkernel
 * reads its activations in place (no im2col copy, no border cases). Returns
 * the copy's size in bytes. Padding bytes are z_x exactly as in the
 * implicit im2col, so acc and S do not change. */
static int64_t emit_padded_copy(sb_t *b, const geom_t *G, int32_t zx) {
  const ajpq_kernels_conv_t *g = &G->g;
  int64_t Hp = g->h + g->pad_top + g->pad_bottom, Wp = g->w + g->pad_left + g->pad_right, C = g->cin;
  int64_t xpn = (g->batch * Hp * Wp * C + 64 + 63) / 64 * 64, rowb = g->w * C, xn = num_elements(G->xt);
  emit_view2d_flat(b, G->xt); /* %xf: the input, flat */
  sb_printf(b, "    %%xp = memref.alloc() {alignment = 64 : i64} : memref<%lldxi8>\n", (long long)xpn);
  CIDXP(cXPN, xpn);
  sb_printf(b, "    scf.for %%fi = %%c0 to %s step %%c64 {\n    vector.store %%zxv, %%xp[%%fi] : memref<%lldxi8>, vector<64xi8>\n    }\n",
            cXPN, (long long)xpn);
  CIDXP(cBH, g->batch * g->h);
  CIDXP(cH, g->h);
  CIDXP(cHp, Hp);
  CIDXP(cWpC, Wp * C);
  CIDXP(cRB, rowb);
  CIDXP(cOFF, g->pad_top * Wp * C + g->pad_left * C);
  CIDXP(cHpad, (g->pad_top + g->pad_bottom) * Wp * C);
  (void)cHp;
  sb_printf(b, "    scf.for %%ri = %%c0 to %s step %%c1 {\n", cBH);
  /* input row ri = (bb, y) -> padded row bb·Hp + y + pt: offset ri·Wp·C + bb·(pt+pb)·Wp·C + pt·Wp·C + pl·C */
  sb_printf(b, "    %%rbb = arith.divui %%ri, %s : index\n    %%rpo = arith.muli %%rbb, %s : index\n", cH, cHpad);
  sb_printf(b, "    %%rd0 = arith.muli %%ri, %s : index\n    %%rd1 = arith.addi %%rd0, %%rpo : index\n", cWpC);
  sb_printf(b, "    %%rdst = arith.addi %%rd1, %s : index\n    %%rsrc = arith.muli %%ri, %s : index\n", cOFF, cRB);
  sb_printf(b, "    scf.for %%rc = %%c0 to %s step %%c64 {\n", cRB);
  sb_printf(b, "    %%rrem = arith.subi %s, %%rc : index\n    %%rm = vector.create_mask %%rrem : vector<64xi1>\n", cRB);
  sb_printf(b, "    %%rs = arith.addi %%rsrc, %%rc : index\n    %%rt = arith.addi %%rdst, %%rc : index\n");
  sb_printf(b, "    %%rv = vector.maskedload %%xf[%%rs], %%rm, %%zxv : memref<%lldxi8>, vector<64xi1>, vector<64xi8> into vector<64xi8>\n",
            (long long)xn);
  sb_printf(b, "    vector.maskedstore %%xp[%%rt], %%rm, %%rv : memref<%lldxi8>, vector<64xi1>, vector<64xi8>\n    }\n    }\n",
            (long long)xpn);
  return xpn;
}

/* Windowed rows: for each pixel pp of the block (clamped to P − 1) its
 * window origin %dbo<pp> in the padded copy %xp and S = Σ of its kh window
 * rows of kw·cin bytes − z_x·K into %sg[pp, 0] (masked 64-byte loads,
 * vpdpbusd with ones). */
static void emit_window_rows(lower_t *L, sb_t *b, const geom_t *G, int64_t MR, int32_t zx, const char *cPm1,
                             int64_t xpn) {
  const ajpq_kernels_conv_t *g = &G->g;
  const char *AT = acc_type(L);
  int64_t Hp = g->h + g->pad_top + g->pad_bottom, Wp = g->w + g->pad_left + g->pad_right, C = g->cin;
  int64_t kwc = g->kw * C;
  CIDXP(cHp, Hp);
  CIDXP(cWp, Wp);
  CIDXP(cC, C);
  CIDXP(cSH, g->stride_h);
  CIDXP(cSW, g->stride_w);
  CIDXP(cKWC, kwc);
  sb_printf(b, "    %%wm = vector.create_mask %s : vector<64xi1>\n", cKWC);
  for (int64_t pp = 0; pp < MR; ++pp) {
    long long q = (long long)pp;
    int tag = b->id++;
    CIDXP(cp, pp);
    char pix[24];
    snprintf(pix, sizeof pix, "%%wq%lld", q);
    sb_printf(b, "    %%wp%lld = arith.addi %%pbase, %s : index\n    %s = arith.minui %%wp%lld, %s : index\n", q, cp, pix, q,
              cPm1);
    emit_pixel_coords(b, G, pix, tag);
    sb_printf(b, "    %%wy%d = arith.muli %%py%d, %s : index\n    %%wb%d = arith.muli %%pb%d, %s : index\n", tag, tag, cSH, tag,
              tag, cHp);
    sb_printf(b, "    %%wr%d = arith.addi %%wb%d, %%wy%d : index\n    %%wr2%d = arith.muli %%wr%d, %s : index\n", tag, tag, tag,
              tag, tag, cWp);
    sb_printf(b, "    %%wx%d = arith.muli %%px%d, %s : index\n    %%wr3%d = arith.addi %%wr2%d, %%wx%d : index\n", tag, tag, cSW,
              tag, tag, tag);
    sb_printf(b, "    %%dbo%lld = arith.muli %%wr3%d, %s : index\n", q, tag, cC);
    char acc[48];
    snprintf(acc, sizeof acc, "%%zacc");
    for (int64_t ky = 0; ky < g->kh; ++ky) {
      CIDXP(cky, ky * Wp * C);
      sb_printf(b, "    %%ws%d_%lld = arith.addi %%dbo%lld, %s : index\n", tag, (long long)ky, q, cky);
      sb_printf(b, "    %%wv%d_%lld = vector.maskedload %%xp[%%ws%d_%lld], %%wm, %%z8 : memref<%lldxi8>, vector<64xi1>, vector<64xi8> into vector<64xi8>\n",
                tag, (long long)ky, tag, (long long)ky, (long long)xpn);
      char out[48], xv[48];
      snprintf(out, sizeof out, "%%wa%d_%lld", tag, (long long)ky);
      snprintf(xv, sizeof xv, "%%wv%d_%lld", tag, (long long)ky);
      emit_dp(L, b, out, acc, "%one8", xv);
      snprintf(acc, sizeof acc, "%s", out);
    }
    sb_printf(b, "    %%wsr%d = vector.reduction <add>, %s : %s into i32\n", tag, acc, AT);
    sb_printf(b, "    %%wsz%d = arith.constant %d : i32\n", tag, (int32_t)((uint32_t)zx * (uint32_t)(g->kh * kwc)));
    sb_printf(b, "    %%wsv%d = arith.subi %%wsr%d, %%wsz%d : i32\n", tag, tag, tag);
    sb_printf(b, "    memref.store %%wsv%d, %%sg[%s, %%c0] : memref<%lldx1xi32>\n", tag, cp, (long long)MR);
  }
}

static int emit_i8_gemm(lower_t *L, MlirOperation op, const char *name, const geom_t *G,
                        const ajpq_kernels_packed_t *p, int32_t zx, float in_scale) {
  const ajpq_kernels_conv_t *g = &G->g;
  const int64_t MR = 8;
  int64_t P = g->batch * g->oh * g->ow, N = g->n, K = p->k, KPAD = p->kpad;
  int64_t NPAD = (N + 31) / 32 * 32, NS = NPAD + 16, KP4 = KPAD / 4, K4 = (K + 3) / 4;
  int64_t KR = (K + 63) / 64 * 64, NPB = (P + MR - 1) / MR, PW = KP4 * NS;
  sb_t b = {0};
  sb_printf(&b, "%s%s", k_dpbusd_text, k_gemm_decode_text);
  if (!emit_tables(L, &b, name, p, in_scale, 1) || !emit_stream_globals(L, &b, name, p, (int32_t)NPAD)) {
    free(b.s); /* pad rows -> spare column NPAD */
    return 0;
  }
  sb_printf(&b, "memref.global \"private\" @%s_panel : memref<%lldxi32> = dense<0> {alignment = 64 : i64}\n", name,
            (long long)PW);
  sb_printf(&b, "memref.global \"private\" @%s_state : memref<1xi32> = dense<0>\n", name);
  emit_header(&b, name, G, "i8", 1);
  const char *AT = "vector<16xi32>";
  sb_printf(&b, "    %%c0 = arith.constant 0 : index\n    %%c1 = arith.constant 1 : index\n");
  sb_printf(&b, "    %%c16 = arith.constant 16 : index\n    %%c64 = arith.constant 64 : index\n");
  sb_printf(&b, "    %%z8 = arith.constant dense<0> : vector<64xi8>\n");
  sb_printf(&b, "    %%one8 = arith.constant dense<1> : vector<64xi8>\n");
  sb_printf(&b, "    %%zacc = arith.constant dense<0> : %s\n", AT);
  sb_printf(&b, "    %%zf = arith.constant dense<0.0> : vector<16xf32>\n");
  sb_printf(&b, "    %%ones16 = arith.constant dense<true> : vector<16xi1>\n");
  sb_printf(&b, "    %%zx8 = arith.constant %d : i8\n    %%zxv = vector.broadcast %%zx8 : i8 to vector<64xi8>\n", zx);
  sb_printf(&b, "    %%zxs = arith.constant %d : i32\n    %%zx16 = vector.broadcast %%zxs : i32 to vector<16xi32>\n", zx);
  sb_printf(&b, "    %%zi32 = arith.constant 0 : i32\n    %%one32 = arith.constant 1 : i32\n    %%two32 = arith.constant 2 : i32\n");
  emit_fuse_consts(&b, G);
  sb_printf(&b, "    %%panel = memref.get_global @%s_panel : memref<%lldxi32>\n", name, (long long)PW);
  sb_printf(&b, "    %%state = memref.get_global @%s_state : memref<1xi32>\n", name);
  emit_table_loads(&b, name, N, 1);
  /* ---- first call: decode the streams into the panel ---- */
  sb_printf(&b, "    %%old = memref.atomic_rmw maxs %%one32, %%state[%%c0] : (i32, memref<1xi32>) -> i32\n");
  sb_printf(&b, "    %%need = arith.cmpi eq, %%old, %%zi32 : i32\n    scf.if %%need {\n");
  sb_printf(&b, "    %%paneld = memref.cast %%panel : memref<%lldxi32> to memref<?xi32>\n", (long long)PW);
  for (size_t si = 0; si < p->num_streams; ++si) {
    const ajpq_kernels_stream_t *st = &p->streams[si];
    int64_t bytes = st->rows_padded * st->blocks * 64;
    sb_printf(&b, "    %%w%zu = memref.get_global @%s_w%zu : memref<%lldxi8>\n", si, name, si, (long long)bytes);
    sb_printf(&b, "    %%ch%zu = memref.get_global @%s_c%zu : memref<%lldxi32>\n", si, name, si, (long long)st->rows_padded);
    sb_printf(&b, "    %%wd%zu = memref.cast %%w%zu : memref<%lldxi8> to memref<?xi8>\n", si, si, (long long)bytes);
    sb_printf(&b, "    %%chd%zu = memref.cast %%ch%zu : memref<%lldxi32> to memref<?xi32>\n", si, si,
              (long long)st->rows_padded);
    CIDX(cRP, st->rows_padded);
    CIDX(cBL, st->blocks);
    CIDX(cS, st->slice_bits);
    CIDX(cSH, st->shift);
    CIDX(cNS, NS);
    sb_printf(&b, "    func.call @__ajpq_gemm_decode(%%wd%zu, %%chd%zu, %%paneld, %s, %s, %s, %s, %s) : (memref<?xi8>,"
                  " memref<?xi32>, memref<?xi32>, index, index, index, index, index) -> ()\n",
              si, si, cRP, cBL, cS, cSH, cNS);
  }
  sb_printf(&b, "    %%ost = memref.atomic_rmw assign %%two32, %%state[%%c0] : (i32, memref<1xi32>) -> i32\n    }\n");
  /* another thread is decoding: wait until it is done */
  sb_printf(&b, "    %%busy = arith.cmpi eq, %%old, %%one32 : i32\n    scf.if %%busy {\n");
  sb_printf(&b, "    scf.while : () -> () {\n");
  sb_printf(&b, "    %%sv = memref.atomic_rmw addi %%zi32, %%state[%%c0] : (i32, memref<1xi32>) -> i32\n");
  sb_printf(&b, "    %%wait = arith.cmpi ne, %%sv, %%two32 : i32\n    scf.condition(%%wait)\n");
  sb_printf(&b, "    } do {\n    scf.yield\n    }\n    }\n");
  /* ---- pixel blocks ---- */
  /* 1x1 / stride 1 / no padding convs and matmuls: the im2col row of a
   * pixel is its input row, read in place (emit_direct_rows) */
  int direct = ((G->is_matmul || (g->kh == 1 && g->kw == 1 && g->stride_h == 1 && g->stride_w == 1 &&
                                  g->pad_top + g->pad_bottom + g->pad_left + g->pad_right == 0)) &&
                !getenv("AJPQ_NO_DIRECT_ROWS")) ||
               G->win_kwc4 > 0;
  int64_t xn = num_elements(G->xt);
  if (G->win_kwc4 > 0) {
    xn = emit_padded_copy(&b, G, zx);
  } else if (!direct) {
    sb_printf(&b, "    %%rowb = memref.alloca() {alignment = 64 : i64} : memref<%lldxi8>\n", (long long)(MR * KR));
    sb_printf(&b, "    %%row = memref.view %%rowb[%%c0][] : memref<%lldxi8> to memref<%lldx%lldxi8>\n", (long long)(MR * KR),
              (long long)MR, (long long)KR);
    sb_printf(&b, "    %%row32 = memref.view %%rowb[%%c0][] : memref<%lldxi8> to memref<%lldx%lldxi32>\n", (long long)(MR * KR),
              (long long)MR, (long long)(KR / 4));
  } else {
    emit_flat_view(&b, "%x", "%xf", G->xt, "i8");
  }
  sb_printf(&b, "    %%sg = memref.alloca() : memref<%lldx1xi32>\n", (long long)MR);
  CIDX(cPB, MR);
  CIDX(cKR, KR);
  if (!direct)
    emit_zero_rows(&b, cPB, cKR, MR, KR);
  CIDX(cNPB, NPB);
  CIDX(cPm1, P - 1);
  char rowT[64];
  snprintf(rowT, sizeof rowT, "memref<%lldx%lldxi8>", (long long)MR, (long long)KR);
  sb_printf(&b, "    scf.for %%blkp = %%c0 to %s step %%c1 {\n", cNPB);
  sb_printf(&b, "    %%pbase = arith.muli %%blkp, %s : index\n", cPB);
  /* whole window rows at once (groups = 1, no horizontal dilation) */
  int span = !G->is_matmul && g->dil_w == 1 && g->kw > 1;
  if (span && !direct)
    emit_view2d_flat(&b, G->xt);
  if (G->win_kwc4 > 0)
    emit_window_rows(L, &b, G, MR, zx, cPm1, xn);
  else if (direct)
    emit_direct_rows(L, &b, K, MR, zx, cPB, cPm1, cKR, xn);
  else
    emit_gather(L, &b, G, 0, K, MR, zx, cPB, cPm1, cKR, rowT, span);
  CIDX(cNB, NPAD / 32);
  CIDX(cK4, direct ? K / 4 : K4); /* direct rows: the K % 4 tail step is peeled (masked loads) */
  sb_printf(&b, "    scf.for %%nb = %%c0 to %s step %%c1 {\n", cNB);
  CIDX(c32, 32);
  sb_printf(&b, "    %%n0 = arith.muli %%nb, %s : index\n", c32);
  sb_printf(&b, "    %%acc:16 = scf.for %%k4 = %%c0 to %s step %%c1 iter_args(", cK4);
  for (int a = 0; a < 16; ++a)
    sb_printf(&b, "%s%%a%d = %%zacc", a ? ", " : "", a);
  sb_printf(&b, ") -> (");
  for (int a = 0; a < 16; ++a)
    sb_printf(&b, "%s%s", a ? ", " : "", AT);
  sb_printf(&b, ") {\n");
  char accn[16][24];
  for (int a = 0; a < 16; ++a)
    snprintf(accn[a], sizeof accn[a], "%%a%d", a);
  emit_mk_step(L, &b, "%k4", NS, PW, MR, KR, direct, 0, xn, accn, "", G);
  sb_printf(&b, "    scf.yield ");
  for (int64_t pp = 0; pp < MR; ++pp)
    sb_printf(&b, "%s%%d%lld_0, %%d%lld_1", pp ? ", " : "", (long long)pp, (long long)pp);
  sb_printf(&b, " : ");
  for (int a = 0; a < 16; ++a)
    sb_printf(&b, "%s%s", a ? ", " : "", AT);
  sb_printf(&b, "\n    }\n");
  for (int a = 0; a < 16; ++a) /* the chain's accumulators */
    snprintf(accn[a], sizeof accn[a], "%%acc#%d", a);
  if (direct && K % 4) { /* peeled tail step: K % 4 bytes of each row, masked */
    CIDX(cK4t, K / 4);
    emit_mk_step(L, &b, cK4t, NS, PW, MR, KR, direct, K % 4, xn, accn, "t", G);
    for (int a = 0; a < 16; ++a)
      snprintf(accn[a], sizeof accn[a], "%%dt%d_%d", a / 2, a % 2);
  }
  /* ---- vectorized epilogue: two halves of 16 channels ---- */
  CIDX(cN, N);
  CIDX(cP, P);
  for (int h = 0; h < 2; ++h) {
    sb_printf(&b, "    %%e%d_n = arith.addi %%n0, %s : index\n", h, h ? "%c16" : "%c0");
    sb_printf(&b, "    %%e%d_rem = arith.subi %s, %%e%d_n : index\n", h, cN, h);
    sb_printf(&b, "    %%e%d_m = vector.create_mask %%e%d_rem : vector<16xi1>\n", h, h);
    sb_printf(&b, "    %%e%d_q = vector.maskedload %%qsum[%%e%d_n], %%e%d_m, %%zacc : memref<%lldxi32>, vector<16xi1>, vector<16xi32> into vector<16xi32>\n",
              h, h, h, (long long)N);
    const char *tabs[3] = {"scl", "zpt", "bias"};
    for (int t = 0; t < 3; ++t)
      sb_printf(&b, "    %%e%d_%s = vector.maskedload %%%s[%%e%d_n], %%e%d_m, %%zf : memref<%lldxf32>, vector<16xi1>, vector<16xf32> into vector<16xf32>\n",
                h, tabs[t], tabs[t], h, h, (long long)N);
    sb_printf(&b, "    %%e%d_zq = arith.muli %%zx16, %%e%d_q : vector<16xi32>\n", h, h);
    for (int64_t pp = 0; pp < MR; ++pp) {
      int id = b.id++;
      CIDX(cp, pp);
      sb_printf(&b, "    %%pix%d = arith.addi %%pbase, %s : index\n", id, cp);
      if (P % MR) { /* the last pixel block is partial */
        sb_printf(&b, "    %%in%d = arith.cmpi ult, %%pix%d, %s : index\n", id, id, cP);
        sb_printf(&b, "    scf.if %%in%d {\n", id);
      }
      sb_printf(&b, "    %%ac%d = arith.subi %s, %%e%d_zq : vector<16xi32>\n", id, accn[2 * pp + h], h);
      sb_printf(&b, "    %%af%d = arith.sitofp %%ac%d : vector<16xi32> to vector<16xf32>\n", id, id);
      sb_printf(&b, "    %%sv%d = memref.load %%sg[%s, %%c0] : memref<%lldx1xi32>\n", id, cp, (long long)MR);
      sb_printf(&b, "    %%sf%d = arith.sitofp %%sv%d : i32 to f32\n", id, id);
      sb_printf(&b, "    %%sb%d = vector.broadcast %%sf%d : f32 to vector<16xf32>\n", id, id);
      sb_printf(&b, "    %%zs%d = arith.mulf %%e%d_zpt, %%sb%d : vector<16xf32>\n", id, h, id);
      sb_printf(&b, "    %%t%d = arith.subf %%af%d, %%zs%d : vector<16xf32>\n", id, id, id);
      sb_printf(&b, "    %%st%d = arith.mulf %%e%d_scl, %%t%d : vector<16xf32>\n", id, h, id);
      sb_printf(&b, "    %%yv%d = arith.addf %%st%d, %%e%d_bias : vector<16xf32>\n", id, id, h);
      char yv[32], pix[32], en[32], em[32];
      snprintf(yv, sizeof yv, "%%yv%d", id);
      snprintf(pix, sizeof pix, "%%pix%d", id);
      snprintf(en, sizeof en, "%%e%d_n", h);
      snprintf(em, sizeof em, "%%e%d_m", h);
      emit_store16(&b, G, yv, pix, en, em);
      if (P % MR)
        sb_printf(&b, "    }\n");
    }
  }
  sb_printf(&b, "    }\n"); /* nb */
  sb_printf(&b, "    }\n    return\n}\n");
  return finish_kernel(L, op, &b);
}


/* Depthwise int8 conv with one output channel per input channel (NHWC makes
 * the channels contiguous): per 16-channel chunk, the KH·KW code vectors are
 * loaded and widened once (codes table [K][N] u8); then per output pixel the
 * taps are unrolled, each an int32 vector multiply-add of (x − z_x)·q and
 * S += x − z_x (LLVM turns it into vpmaddwd/vpdpwssd), skipped when the tap
 * falls into the padding (contributes 0) — interior pixels take a copy
 * without the per-tap checks; the fp32 epilogue is vectorized and carries
 * the fused chain (emit_store16). */
static int emit_dw_vector(lower_t *L, MlirOperation op, const char *name, const geom_t *G,
                          const ajpq_kernels_packed_t *p, int32_t zx, float in_scale) {
  const ajpq_kernels_conv_t *g = &G->g;
  int64_t P = g->batch * g->oh * g->ow, N = g->n, K = p->k, taps = g->kh * g->kw;
  int vnni = L->vnni;
  int64_t NG = (taps + 3) / 4, NP16 = (N + 15) / 16 * 16;
  char gname[128];
  sb_t b = {0};
  if (vnni) {
    /* codes as [tap group][channel (padded to 16)][4 taps] u8 (0 beyond) */
    uint8_t *c4 = calloc((size_t)(NG * NP16 * 4), 1);
    if (!c4)
      return 0;
    for (int64_t t = 0; t < taps; ++t)
      for (int64_t c = 0; c < N; ++c)
        c4[((t / 4) * NP16 + c) * 4 + t % 4] = p->codes[t * N + c];
    sb_printf(&b, "%s", k_dpbusd_text);
    snprintf(gname, sizeof gname, "%s_codes4", name);
    int ok = add_global(L, &b, gname, "i8", NG * NP16 * 4, c4);
    free(c4);
    if (!ok || !emit_tables(L, &b, name, p, in_scale, 1)) {
      free(b.s);
      return 0;
    }
  } else {
    snprintf(gname, sizeof gname, "%s_codes", name);
    if (!add_global(L, &b, gname, "i8", K * N, p->codes) || !emit_tables(L, &b, name, p, in_scale, 0)) {
      free(b.s);
      return 0;
    }
  }
  char xs[256];
  shape_text(G->xt, xs, sizeof xs);
  emit_header(&b, name, G, "i8", 1);
  sb_printf(&b, "    %%c0 = arith.constant 0 : index\n    %%c1 = arith.constant 1 : index\n    %%c16 = arith.constant 16 : index\n");
  if (vnni)
    sb_printf(&b, "    %%codes4 = memref.get_global @%s_codes4 : memref<%lldxi8>\n", name, (long long)(NG * NP16 * 4));
  else
    sb_printf(&b, "    %%codes = memref.get_global @%s_codes : memref<%lldxi8>\n", name, (long long)(K * N));
  emit_table_loads(&b, name, N, vnni);
  sb_printf(&b, "    %%z32 = arith.constant dense<0> : vector<16xi32>\n    %%z8 = arith.constant dense<0> : vector<16xi8>\n");
  sb_printf(&b, "    %%zf = arith.constant dense<0.0> : vector<16xf32>\n");
  sb_printf(&b, "    %%zxs = arith.constant %d : i32\n    %%zx16 = vector.broadcast %%zxs : i32 to vector<16xi32>\n", zx);
  sb_printf(&b, "    %%true = arith.constant true\n");
  if (vnni) {
    sb_printf(&b, "    %%zx8 = arith.constant %d : i8\n    %%zxb = vector.broadcast %%zx8 : i8 to vector<16xi8>\n", zx);
    sb_printf(&b, "    %%zxt = arith.constant dense<%d> : vector<16xi32>\n", (int32_t)((uint32_t)zx * (uint32_t)taps));
    for (int64_t gi = 0; gi < NG; ++gi) { /* 1 for the real taps of the group (S = Σ x) */
      sb_printf(&b, "    %%ones%lld = arith.constant dense<[", (long long)gi);
      for (int i = 0; i < 64; ++i)
        sb_printf(&b, "%s%d", i ? ", " : "", 4 * gi + i % 4 < taps ? 1 : 0);
      sb_printf(&b, "]> : vector<64xi8>\n");
    }
  }
  emit_fuse_consts(&b, G);
  CIDX(cP, P);
  CIDX(cN, N);
  sb_printf(&b, "    scf.for %%n0 = %%c0 to %s step %%c16 {\n", cN);
  sb_printf(&b, "    %%rem = arith.subi %s, %%n0 : index\n    %%m = vector.create_mask %%rem : vector<16xi1>\n", cN);
  if (vnni) {
    CIDX(c4, 4);
    for (int64_t gi = 0; gi < NG; ++gi) {
      CIDX(cgo, gi * NP16);
      sb_printf(&b, "    %%go%lld = arith.addi %%n0, %s : index\n    %%gb%lld = arith.muli %%go%lld, %s : index\n", (long long)gi,
                cgo, (long long)gi, (long long)gi, c4);
      sb_printf(&b, "    %%qg%lld = vector.load %%codes4[%%gb%lld] : memref<%lldxi8>, vector<64xi8>\n", (long long)gi,
                (long long)gi, (long long)(NG * NP16 * 4));
    }
    sb_printf(&b, "    %%qs = vector.maskedload %%qsum[%%n0], %%m, %%z32 : memref<%lldxi32>, vector<16xi1>, vector<16xi32> into vector<16xi32>\n",
              (long long)N);
    sb_printf(&b, "    %%zq = arith.muli %%zx16, %%qs : vector<16xi32>\n");
  } else {
    for (int64_t t = 0; t < taps; ++t) {
      CIDX(cto, t * N);
      sb_printf(&b, "    %%ci%lld = arith.addi %%n0, %s : index\n", (long long)t, cto);
      sb_printf(&b, "    %%qv%lld = vector.maskedload %%codes[%%ci%lld], %%m, %%z8 : memref<%lldxi8>, vector<16xi1>, vector<16xi8> into vector<16xi8>\n",
                (long long)t, (long long)t, (long long)(K * N));
      sb_printf(&b, "    %%qt%lld = arith.extui %%qv%lld : vector<16xi8> to vector<16xi32>\n", (long long)t, (long long)t);
    }
  }
  const char *tabs[3] = {"scl", "zpt", "bias"};
  for (int t = 0; t < 3; ++t)
    sb_printf(&b, "    %%e_%s = vector.maskedload %%%s[%%n0], %%m, %%zf : memref<%lldxf32>, vector<16xi1>, vector<16xf32> into vector<16xf32>\n",
              tabs[t], tabs[t], (long long)N);
  sb_printf(&b, "    scf.for %%pix = %%c0 to %s step %%c1 {\n", cP);
  int tag = b.id++;
  emit_pixel_coords(&b, G, "%pix", tag);
  /* Interior output pixels (every tap inside the input) skip the per-tap
   * bounds checks: oy in [oy_lo, oy_hi], ox in [ox_lo, ox_hi]. */
  int64_t oy_lo = (g->pad_top + g->stride_h - 1) / g->stride_h;
  int64_t oy_hi = g->h - 1 - (g->kh - 1) * g->dil_h + g->pad_top;
  oy_hi = oy_hi < 0 ? -1 : oy_hi / g->stride_h;
  int64_t ox_lo = (g->pad_left + g->stride_w - 1) / g->stride_w;
  int64_t ox_hi = g->w - 1 - (g->kw - 1) * g->dil_w + g->pad_left;
  ox_hi = ox_hi < 0 ? -1 : ox_hi / g->stride_w;
  oy_hi = oy_hi > g->oh - 1 ? g->oh - 1 : oy_hi;
  ox_hi = ox_hi > g->ow - 1 ? g->ow - 1 : ox_hi;
  int interior = oy_lo <= oy_hi && ox_lo <= ox_hi;
  if (interior) {
    CIDX(cYL, oy_lo);
    CIDX(cYN, oy_hi - oy_lo + 1);
    CIDX(cXL, ox_lo);
    CIDX(cXN, ox_hi - ox_lo + 1);
    sb_printf(&b, "    %%iny0 = arith.subi %%py%d, %s : index\n    %%iny = arith.cmpi ult, %%iny0, %s : index\n", tag, cYL, cYN);
    sb_printf(&b, "    %%inx0 = arith.subi %%px%d, %s : index\n    %%inx = arith.cmpi ult, %%inx0, %s : index\n", tag, cXL, cXN);
    sb_printf(&b, "    %%inner = arith.andi %%iny, %%inx : i1\n");
    sb_printf(&b, "    %%acc:2 = scf.if %%inner -> (vector<16xi32>, vector<16xi32>) {\n");
  }
  /* transposing shuffle: byte 4c + j of the vpdpbusd operand = tap j of channel c */
  char tmask[512];
  size_t tm = 0;
  for (int i = 0; i < 64; ++i)
    tm += (size_t)snprintf(tmask + tm, sizeof tmask - tm, "%s%d", i ? ", " : "", 16 * (i % 4) + i / 4);
  for (int checked = interior ? 0 : 1; checked < 2; ++checked) {
    char acc[32] = "%z32", sum[32] = "%z32";
    for (int64_t t = 0; t < taps; ++t) {
      char sfx[24];
      snprintf(sfx, sizeof sfx, "_%lld", (long long)t);
      sb_printf(&b, "    %%ky%s = arith.constant %lld : index\n    %%kx%s = arith.constant %lld : index\n", sfx,
                (long long)(t / g->kw), sfx, (long long)(t % g->kw));
      emit_window_tap(&b, G, tag, sfx);
      if (vnni) { /* padding taps read as z_x: (z_x − z_x)·q = 0 after the qsum correction */
        if (checked)
          sb_printf(&b, "    %%xv%s = scf.if %%ok%s -> (vector<16xi8>) {\n", sfx, sfx);
        sb_printf(&b, "    %%xl%s = vector.maskedload %%x[%%pb%d, %%iy%s, %%ix%s, %%n0], %%m, %%zxb : memref<%si8>, vector<16xi1>, vector<16xi8> into vector<16xi8>\n",
                  sfx, tag, sfx, sfx, xs);
        if (checked)
          sb_printf(&b, "    scf.yield %%xl%s : vector<16xi8>\n    } else {\n    scf.yield %%zxb : vector<16xi8>\n    }\n", sfx);
        else
          sb_printf(&b, "    %%xv%s = arith.addi %%xl%s, %%z8 : vector<16xi8>\n", sfx, sfx);
        if (t % 4 == 3 || t == taps - 1) { /* a group of 4 taps: transpose + 2 vpdpbusd */
          int64_t gi = t / 4;
          char v4[4][32];
          for (int j = 0; j < 4; ++j) {
            if (4 * gi + j < taps)
              snprintf(v4[j], sizeof v4[j], "%%xv_%lld", (long long)(4 * gi + j));
            else
              snprintf(v4[j], sizeof v4[j], "%%zxb");
          }
          sb_printf(&b, "    %%pa%s = vector.shuffle %s, %s [", sfx, v4[0], v4[1]);
          for (int i = 0; i < 32; ++i)
            sb_printf(&b, "%s%d", i ? ", " : "", i);
          sb_printf(&b, "] : vector<16xi8>, vector<16xi8>\n    %%pb%s = vector.shuffle %s, %s [", sfx, v4[2], v4[3]);
          for (int i = 0; i < 32; ++i)
            sb_printf(&b, "%s%d", i ? ", " : "", i);
          sb_printf(&b, "] : vector<16xi8>, vector<16xi8>\n");
          sb_printf(&b, "    %%pt%s = vector.shuffle %%pa%s, %%pb%s [%s] : vector<32xi8>, vector<32xi8>\n", sfx, sfx, sfx, tmask);
          char qg[32], on[32], pt[32], o1[32], o2[32];
          snprintf(qg, sizeof qg, "%%qg%lld", (long long)gi);
          snprintf(on, sizeof on, "%%ones%lld", (long long)gi);
          snprintf(pt, sizeof pt, "%%pt%s", sfx);
          snprintf(o1, sizeof o1, "%%da%s", sfx);
          snprintf(o2, sizeof o2, "%%ds%s", sfx);
          emit_dp(L, &b, o1, acc, qg, pt);
          emit_dp(L, &b, o2, sum, on, pt);
          snprintf(acc, sizeof acc, "%s", o1);
          snprintf(sum, sizeof sum, "%s", o2);
        }
        continue;
      }
      if (checked)
        sb_printf(&b, "    %%r%s:2 = scf.if %%ok%s -> (vector<16xi32>, vector<16xi32>) {\n", sfx, sfx);
      sb_printf(&b, "    %%xv%s = vector.maskedload %%x[%%pb%d, %%iy%s, %%ix%s, %%n0], %%m, %%z8 : memref<%si8>, vector<16xi1>, vector<16xi8> into vector<16xi8>\n",
                sfx, tag, sfx, sfx, xs);
      /* masked-off lanes: x loaded as 0 -> xd = -zx, q = 0: acc unaffected; S
       * garbage in lanes that are never stored. */
      sb_printf(&b, "    %%x32%s = arith.extsi %%xv%s : vector<16xi8> to vector<16xi32>\n", sfx, sfx);
      sb_printf(&b, "    %%xd%s = arith.subi %%x32%s, %%zx16 : vector<16xi32>\n    %%pr%s = arith.muli %%xd%s, %%qt%lld : vector<16xi32>\n",
                sfx, sfx, sfx, sfx, (long long)t);
      sb_printf(&b, "    %%a3%s = arith.addi %s, %%pr%s : vector<16xi32>\n    %%s3%s = arith.addi %s, %%xd%s : vector<16xi32>\n", sfx,
                acc, sfx, sfx, sum, sfx);
      if (checked) {
        sb_printf(&b, "    scf.yield %%a3%s, %%s3%s : vector<16xi32>, vector<16xi32>\n    } else {\n", sfx, sfx);
        sb_printf(&b, "    scf.yield %s, %s : vector<16xi32>, vector<16xi32>\n    }\n", acc, sum);
        snprintf(acc, sizeof acc, "%%r%s#0", sfx);
        snprintf(sum, sizeof sum, "%%r%s#1", sfx);
      } else {
        snprintf(acc, sizeof acc, "%%a3%s", sfx);
        snprintf(sum, sizeof sum, "%%s3%s", sfx);
      }
    }
    if (interior)
      sb_printf(&b, "    scf.yield %s, %s : vector<16xi32>, vector<16xi32>\n    }%s\n", acc, sum, checked ? "" : " else {");
    else
      sb_printf(&b, "    %%acc:2 = scf.if %%true -> (vector<16xi32>, vector<16xi32>) {\n    scf.yield %s, %s : vector<16xi32>, vector<16xi32>\n"
                    "    } else {\n    scf.yield %%z32, %%z32 : vector<16xi32>, vector<16xi32>\n    }\n", acc, sum);
  }
  if (vnni) { /* acc = Σ x·q − z_x·qsum, S = Σ x − z_x·taps */
    sb_printf(&b, "    %%accv = arith.subi %%acc#0, %%zq : vector<16xi32>\n    %%sumv = arith.subi %%acc#1, %%zxt : vector<16xi32>\n");
    sb_printf(&b, "    %%af = arith.sitofp %%accv : vector<16xi32> to vector<16xf32>\n    %%sf = arith.sitofp %%sumv : vector<16xi32> to vector<16xf32>\n");
  } else {
    sb_printf(&b, "    %%af = arith.sitofp %%acc#0 : vector<16xi32> to vector<16xf32>\n    %%sf = arith.sitofp %%acc#1 : vector<16xi32> to vector<16xf32>\n");
  }
  sb_printf(&b, "    %%zs = arith.mulf %%e_zpt, %%sf : vector<16xf32>\n    %%t = arith.subf %%af, %%zs : vector<16xf32>\n");
  sb_printf(&b, "    %%st = arith.mulf %%e_scl, %%t : vector<16xf32>\n    %%yv = arith.addf %%st, %%e_bias : vector<16xf32>\n");
  emit_store16(&b, G, "%yv", "%pix", "%n0", "%m");
  sb_printf(&b, "    }\n    }\n    return\n}\n");
  return finish_kernel(L, op, &b);
}

/* The types of PB vector<16xf32> accumulators: "vector<16xf32>, ..." (emit_f32_vector). */
static void emit_acc_types(sb_t *b, int64_t PB) {
  for (int64_t pp = 0; pp < PB; ++pp)
    sb_printf(b, "%svector<16xf32>", pp ? ", " : "");
}

/* The rest of an scf.for header carrying PB vector<16xf32> accumulators, after
 * "iter_args(": "%<name>0 = <init0>, ...) -> (vector<16xf32>, ...) {\n", each
 * initialised from %<from><pp> (the enclosing loop's iter_args) or, with from
 * NULL, from %zf (zero) (emit_f32_vector). */
static void emit_acc_iter_args(sb_t *b, const char *name, const char *from, int64_t PB) {
  for (int64_t pp = 0; pp < PB; ++pp) {
    sb_printf(b, "%s%%%s%lld = ", pp ? ", " : "", name, (long long)pp);
    if (from)
      sb_printf(b, "%%%s%lld", from, (long long)pp);
    else
      sb_printf(b, "%%zf");
  }
  sb_printf(b, ") -> (");
  emit_acc_types(b, PB);
  sb_printf(b, ") {\n");
}

/* "scf.yield %<prefix>0, ... : vector<16xf32>, ..." closing a loop of PB
 * accumulators (emit_f32_vector). */
static void emit_acc_yield(sb_t *b, const char *prefix, int64_t PB) {
  sb_printf(b, "    scf.yield ");
  for (int64_t pp = 0; pp < PB; ++pp)
    sb_printf(b, "%s%%%s%lld", pp ? ", " : "", prefix, (long long)pp);
  sb_printf(b, " : ");
  emit_acc_types(b, PB);
  sb_printf(b, "\n    }\n");
}

/* f32-input matmul / 1×1 conv (stride 1, no padding, groups = 1): the
 * activation rows are [P][K] and the f32 rule of docs/dialect.md (w =
 * scale·(q − z), acc = Σ_k x·w in k order from 0.0, y = acc + bias) is
 * evaluated per output lane in exactly that order, vectorized over 16
 * channels ([K][N16] dequantized table) and 4 pixels per block (4
 * independent addition chains), mulf then addf (no contraction). */
static int emit_f32_vector(lower_t *L, MlirOperation op, const char *name, const geom_t *G,
                           const ajpq_kernels_packed_t *p) {
  const ajpq_kernels_conv_t *g = &G->g;
  const int64_t PB = 4;
  int64_t P = g->batch * g->oh * g->ow, N = g->n, K = p->k, NP = (N + 15) / 16 * 16;
  int64_t NPB = (P + PB - 1) / PB;
  char gname[128];
  sb_t b = {0};
  float *wf = calloc((size_t)(K * NP), sizeof(float)), *bias = calloc((size_t)NP, sizeof(float));
  if (!wf || !bias) {
    free(wf);
    free(bias);
    return 0;
  }
  for (int64_t kk = 0; kk < K; ++kk)
    for (int64_t j = 0; j < N; ++j)
      wf[kk * NP + j] = p->scale[j] * ((float)p->codes[kk * N + j] - p->zero_point[j]);
  memcpy(bias, p->bias, (size_t)N * sizeof(float));
  snprintf(gname, sizeof gname, "%s_wf", name);
  int ok = add_global(L, &b, gname, "f32", K * NP, wf);
  snprintf(gname, sizeof gname, "%s_bias", name);
  ok = ok && add_global(L, &b, gname, "f32", NP, bias);
  free(wf);
  free(bias);
  if (!ok) {
    free(b.s);
    return 0;
  }
  /* win: any other conv (groups 1). The K loop becomes ky, kx, ci loops and
   * a tap outside the input reads 0.0: the sum then gains +0.0 or -0.0,
   * which leaves it bit-identical to the reference that skips the tap (the
   * sum starts at +0.0 and never becomes -0.0; weights are finite). */
  int win = !G->is_matmul && !(g->kh == 1 && g->kw == 1 && g->stride_h == 1 && g->stride_w == 1 &&
                               g->pad_top + g->pad_bottom + g->pad_left + g->pad_right == 0);
  emit_header(&b, name, G, "f32", 1);
  if (!G->is_matmul && !win)
    emit_view2d(&b, "%x", "%x2", G->xt, "f32", P, K);
  sb_printf(&b, "    %%c0 = arith.constant 0 : index\n    %%c1 = arith.constant 1 : index\n    %%c16 = arith.constant 16 : index\n");
  char xs[256];
  shape_text(G->xt, xs, sizeof xs);
  CIDX(cKH, g->kh);
  CIDX(cKW, g->kw);
  CIDX(cC, g->cin);
  CIDX(cH, g->h);
  CIDX(cW, g->w);
  CIDX(cDH, g->dil_h);
  CIDX(cDW, g->dil_w);
  CIDX(cKWC, g->kw * g->cin);
  sb_printf(&b, "    %%f0 = arith.constant 0.0 : f32\n");
  sb_printf(&b, "    %%wf = memref.get_global @%s_wf : memref<%lldxf32>\n", name, (long long)(K * NP));
  sb_printf(&b, "    %%bias = memref.get_global @%s_bias : memref<%lldxf32>\n", name, (long long)NP);
  sb_printf(&b, "    %%zf = arith.constant dense<0.0> : vector<16xf32>\n");
  CIDX(cNPB, NPB);
  CIDX(cPB, PB);
  CIDX(cPm1, P - 1);
  CIDX(cNP, NP);
  CIDX(cK, K);
  CIDX(cN, N);
  CIDX(cP, P);
  sb_printf(&b, "    scf.for %%blk = %%c0 to %s step %%c1 {\n    %%pbase = arith.muli %%blk, %s : index\n", cNPB, cPB);
  for (int64_t pp = 0; pp < PB; ++pp) {
    CIDX(cpp, pp);
    sb_printf(&b, "    %%pu%lld = arith.addi %%pbase, %s : index\n    %%px%lld = arith.minui %%pu%lld, %s : index\n",
              (long long)pp, cpp, (long long)pp, (long long)pp, cPm1);
  }
  if (win) /* window origin of each pixel: %wy/%wx (may be negative), batch %pb */
    for (int64_t pp = 0; pp < PB; ++pp) {
      char pix[32];
      snprintf(pix, sizeof pix, "%%px%lld", (long long)pp);
      emit_pixel_coords(&b, G, pix, (int)(100 + pp));
      sb_printf(&b, "    %%wy%lld = affine.apply affine_map<(d0) -> (d0 * %lld - %lld)>(%%py%d)\n", (long long)pp,
                (long long)g->stride_h, (long long)g->pad_top, (int)(100 + pp));
      sb_printf(&b, "    %%wx%lld = affine.apply affine_map<(d0) -> (d0 * %lld - %lld)>(%%px%d)\n", (long long)pp,
                (long long)g->stride_w, (long long)g->pad_left, (int)(100 + pp));
    }
  sb_printf(&b, "    scf.for %%n0 = %%c0 to %s step %%c16 {\n", cNP);
  if (win) { /* ky and kx loops around the ci loop below, the accumulators passed through */
    for (int lv = 0; lv < 2; ++lv) {
      /* results: %acc (ky, read by the epilogue), %accX (kx), %accI (ci); each
       * inner loop starts from the enclosing loop's iter_args */
      sb_printf(&b, "    %%acc%s:%lld = scf.for %%%s = %%c0 to %s step %%c1 iter_args(", lv ? "X" : "", (long long)PB,
                lv ? "kx" : "ky", lv ? cKW : cKH);
      emit_acc_iter_args(&b, lv ? "bx" : "by", lv ? "by" : NULL, PB);
      for (int64_t pp = 0; pp < PB; ++pp) {
        long long q = (long long)pp;
        if (!lv) {
          sb_printf(&b, "    %%iy%lld = affine.apply affine_map<(d0, d1) -> (d0 + d1 * %lld)>(%%wy%lld, %%ky)\n", q,
                    (long long)g->dil_h, q);
          continue;
        }
        sb_printf(&b, "    %%ix%lld = affine.apply affine_map<(d0, d1) -> (d0 + d1 * %lld)>(%%wx%lld, %%kx)\n", q,
                  (long long)g->dil_w, q);
        sb_printf(&b, "    %%i0%lld = arith.cmpi sge, %%iy%lld, %%c0 : index\n", q, q);
        sb_printf(&b, "    %%i1%lld = arith.cmpi slt, %%iy%lld, %s : index\n", q, q, cH);
        sb_printf(&b, "    %%i2%lld = arith.cmpi sge, %%ix%lld, %%c0 : index\n", q, q);
        sb_printf(&b, "    %%i3%lld = arith.cmpi slt, %%ix%lld, %s : index\n", q, q, cW);
        sb_printf(&b, "    %%i4%lld = arith.andi %%i0%lld, %%i1%lld : i1\n", q, q, q);
        sb_printf(&b, "    %%i5%lld = arith.andi %%i2%lld, %%i3%lld : i1\n", q, q, q);
        sb_printf(&b, "    %%ok%lld = arith.andi %%i4%lld, %%i5%lld : i1\n", q, q, q);
        sb_printf(&b, "    %%cy%lld = arith.select %%ok%lld, %%iy%lld, %%c0 : index\n", q, q, q);
        sb_printf(&b, "    %%cx%lld = arith.select %%ok%lld, %%ix%lld, %%c0 : index\n", q, q, q);
      }
    }
    sb_printf(&b, "    %%kb0 = arith.muli %%ky, %s : index\n    %%kb1 = arith.muli %%kx, %s : index\n"
                  "    %%kb = arith.addi %%kb0, %%kb1 : index\n",
              cKWC, cC);
  }
  sb_printf(&b, "    %%acc%s:%lld = scf.for %%%s = %%c0 to %s step %%c1 iter_args(", win ? "I" : "", (long long)PB,
            win ? "ci" : "k", win ? cC : cK);
  emit_acc_iter_args(&b, "a", win ? "bx" : NULL, PB);
  if (win)
    sb_printf(&b, "    %%k = arith.addi %%kb, %%ci : index\n");
  sb_printf(&b, "    %%wo0 = arith.muli %%k, %s : index\n    %%wo = arith.addi %%wo0, %%n0 : index\n", cNP);
  sb_printf(&b, "    %%wv = vector.load %%wf[%%wo] : memref<%lldxf32>, vector<16xf32>\n", (long long)(K * NP));
  for (int64_t pp = 0; pp < PB; ++pp) {
    if (win)
      sb_printf(&b,
                "    %%xl%lld = memref.load %%x[%%pb%d, %%cy%lld, %%cx%lld, %%ci] : memref<%sf32>\n"
                "    %%xs%lld = arith.select %%ok%lld, %%xl%lld, %%f0 : f32\n",
                (long long)pp, (int)(100 + pp), (long long)pp, (long long)pp, xs, (long long)pp, (long long)pp,
                (long long)pp);
    else
      sb_printf(&b, "    %%xs%lld = memref.load %%x2[%%px%lld, %%k] : memref<%lldx%lldxf32>\n", (long long)pp, (long long)pp,
                (long long)P, (long long)K);
    sb_printf(&b, "    %%xb%lld = vector.broadcast %%xs%lld : f32 to vector<16xf32>\n", (long long)pp, (long long)pp);
    sb_printf(&b, "    %%pr%lld = arith.mulf %%xb%lld, %%wv : vector<16xf32>\n", (long long)pp, (long long)pp);
    sb_printf(&b, "    %%sum%lld = arith.addf %%a%lld, %%pr%lld : vector<16xf32>\n", (long long)pp, (long long)pp, (long long)pp);
  }
  emit_acc_yield(&b, "sum", PB);
  for (int lv = 1; win && lv >= 0; --lv) /* close kx, then ky: yield the inner loop's results */
    emit_acc_yield(&b, lv ? "accI#" : "accX#", PB);
  sb_printf(&b, "    %%bv = vector.load %%bias[%%n0] : memref<%lldxf32>, vector<16xf32>\n", (long long)NP);
  sb_printf(&b, "    %%rem = arith.subi %s, %%n0 : index\n    %%m = vector.create_mask %%rem : vector<16xi1>\n", cN);
  for (int64_t pp = 0; pp < PB; ++pp) {
    sb_printf(&b, "    %%in%lld = arith.cmpi ult, %%pu%lld, %s : index\n    scf.if %%in%lld {\n", (long long)pp, (long long)pp, cP,
              (long long)pp);
    sb_printf(&b, "    %%yv%lld = arith.addf %%acc#%lld, %%bv : vector<16xf32>\n", (long long)pp, (long long)pp);
    sb_printf(&b, "    vector.maskedstore %%y2[%%pu%lld, %%n0], %%m, %%yv%lld : memref<%lldx%lldxf32>, vector<16xi1>, vector<16xf32>\n    }\n",
              (long long)pp, (long long)pp, (long long)P, (long long)N);
  }
  sb_printf(&b, "    }\n    }\n    return\n}\n");
  return finish_kernel(L, op, &b);
}

/* ------------------------------------- compute: f32 pixel-vector kernel */

/* f32-input conv2d with stride_w 1 and fewer than 8 output channels (any
 * groups): 16 output PIXELS of a row per vector instead of 16 output
 * channels, which the channel-vector kernel would leave mostly empty
 * (PP-OCRv4 det's head, a ConvTranspose imported as a 2x2 conv with one
 * output channel over a zero-stuffed 223x223x23 input, used 1 of 16 lanes:
 * 2.4 ms). The kernel first copies its NHWC input into a zeroed planar,
 * padded buffer T[b][c][pt + y][pl + x] (rows of Wp = pl + W + pr + 16·V
 * floats rounded up to 16: the slack keeps the last block's loads inside
 * the row), so that
 * the 16 inputs of a tap are one contiguous, unmasked vector load
 * T[b][c][oy·sh + ky·dh][ox + kx·dw .. +16] — no bounds checks and no
 * gathers (a vector.gather version was no faster than the channel kernel on
 * the EPYC VM). Per output row and block of 16 pixels and per group: the
 * taps (ky, kx, ci) in order, per output channel of the group acc += x·w
 * (mulf, addf) with w broadcast from the dequantized table [K][N], then +
 * bias; lanes past the row's end are not stored. Each lane sums over (ky,
 * kx, ci) in order from +0.0 like emit_direct; a padding tap adds x·w =
 * ±0.0 to a sum that is never −0.0, so the result is bit-identical to the
 * scalar kernel, which skips it. Any kernel size, stride_h, padding,
 * dilation, groups and batch. */
static int emit_f32_pixels(lower_t *L, MlirOperation op, const char *name, const geom_t *G,
                           const ajpq_kernels_packed_t *p) {
  const ajpq_kernels_conv_t *g = &G->g;
  int64_t N = g->n, K = p->k, OPG = N / g->groups, CPG = g->cin_per_group, C = g->cin;
  const int64_t V = OPG <= 4 ? 2 : 1; /* vectors of 16 pixels per block */
  int64_t Hp = g->h + g->pad_top + g->pad_bottom, Wp = (g->pad_left + g->w + g->pad_right + 16 * V + 15) / 16 * 16;
  int64_t CP = (C + 15) / 16 * 16; /* channel planes of T: whole 16x16 transposes, the extra planes unused */
  int64_t TN = g->batch * CP * Hp * Wp, TN16 = (TN + 15) / 16 * 16 + 16 /* 16 floats of slack, unused */, NXB = (g->ow + 16 * V - 1) / (16 * V);
  int64_t Y = num_elements(G->yt);
  sb_t b = {0};
  if (!emit_f32_tables(L, &b, name, p, N))
    return 0;
  char xs[256], ys[256];
  shape_text(G->xt, xs, sizeof xs);
  shape_text(G->yt, ys, sizeof ys);
  sb_printf(&b, "func.func private @%s(%%x: memref<%sf32>, %%y: memref<%sf32>) attributes {%s, passthrough = "
                "[\"noinline\", [\"min-legal-vector-width\", \"512\"]]} {\n",
            name, xs, ys, k_internal);
  emit_flat_view(&b, "%y", "%yf", G->yt, "f32");
  sb_printf(&b, "    %%c0 = arith.constant 0 : index\n    %%c1 = arith.constant 1 : index\n"
                "    %%c16 = arith.constant 16 : index\n    %%zf = arith.constant dense<0.0> : vector<16xf32>\n"
                "    %%f0 = arith.constant 0.0 : f32\n    %%iota = arith.constant dense<[");
  for (int i = 0; i < 16; ++i)
    sb_printf(&b, "%s%d", i ? ", " : "", i);
  sb_printf(&b, "]> : vector<16xindex>\n");
  sb_printf(&b, "    %%wf = memref.get_global @%s_wf : memref<%lldxf32>\n", name, (long long)(K * N));
  sb_printf(&b, "    %%bias = memref.get_global @%s_bias : memref<%lldxf32>\n", name, (long long)N);
  /* The planar padded copy T: per input row (b, y) and block of 16 pixels,
   * 16 loads of 16 channels (masked only past W and past the end of the
   * input, which read 0.0: the right padding; lanes past C read the next
   * pixel's channels, which land in planes C..CP-1 and are not stored), one
   * 16x16 transpose, 16 stores into the planes. Only the padding that these stores
   * do not overwrite with data or zeros is zeroed: the pt/pb rows and, per
   * row, columns [0, pl) and [pl + ceil16(W), Wp), before the row's data
   * (whole vectors: those reaching into data columns are overwritten next;
   * rows are multiples of 16 floats, so none reaches into another row). */
  sb_printf(&b, "    %%t = memref.alloc() {alignment = 64 : i64} : memref<%lldxf32>\n", (long long)TN16);
  CIDX(cBH, g->batch * g->h);
  CIDX(cH, g->h);
  CIDX(cW, g->w);
  CIDX(cC, C);
  CIDX(cCP, CP);
  CIDX(cX, num_elements(G->xt));
  CIDX(cHpWp, Hp * Wp);
  CIDX(cCHpWp, CP * Hp * Wp);
  CIDX(cWp, Wp);
  CIDX(cOFF, g->pad_top * Wp + g->pad_left);
  CIDX(cBCP, g->batch * CP);
  CIDX(cPTW, g->pad_top * Wp);
  CIDX(cPBW, g->pad_bottom * Wp);
  CIDX(cBOT, (g->pad_top + g->h) * Wp);
  /* right zeroing: whole vectors ending exactly at the row's end (Wp is a
   * multiple of 16), starting at or before pl + ceil16(W) */
  CIDX(cR0, Wp - (Wp - (g->pad_left + (g->w + 15) / 16 * 16) + 15) / 16 * 16);
  CIDX(cPL_, g->pad_left);
  emit_flat_view(&b, "%x", "%xf", G->xt, "f32");
  /* pt and pb rows of every plane */
  sb_printf(&b, "    scf.for %%zp = %%c0 to %s step %%c1 {\n    %%zpo = arith.muli %%zp, %s : index\n"
                "    scf.for %%zi = %%c0 to %s step %%c16 {\n    %%zio = arith.addi %%zpo, %%zi : index\n"
                "    vector.store %%zf, %%t[%%zio] : memref<%lldxf32>, vector<16xf32>\n    }\n"
                "    %%zbo = arith.addi %%zpo, %s : index\n"
                "    scf.for %%zi = %%c0 to %s step %%c16 {\n    %%zio = arith.addi %%zbo, %%zi : index\n"
                "    vector.store %%zf, %%t[%%zio] : memref<%lldxf32>, vector<16xf32>\n    }\n    }\n",
            cBCP, cHpWp, cPTW, (long long)TN16, cBOT, cPBW, (long long)TN16);
  sb_printf(&b, "    scf.for %%tr = %%c0 to %s step %%c1 {\n    %%tb = arith.divui %%tr, %s : index\n"
                "    %%ty = arith.remui %%tr, %s : index\n    %%tbo = arith.muli %%tb, %s : index\n"
                "    %%tyo0 = arith.muli %%ty, %s : index\n    %%tyo1 = arith.addi %%tyo0, %s : index\n"
                "    %%tyo = arith.addi %%tyo1, %%tbo : index\n    %%trow = arith.subi %%tyo, %s : index\n"
                "    %%tsrc = arith.muli %%tr, %s : index\n",
            cBH, cH, cH, cCHpWp, cWp, cOFF, cPL_, cW);
  /* zero columns [0, pl) and [cR0, Wp) of this row in every plane */
  sb_printf(&b, "    scf.for %%zc = %%c0 to %s step %%c1 {\n    %%zco = arith.muli %%zc, %s : index\n"
                "    %%zr = arith.addi %%trow, %%zco : index\n"
                "    scf.for %%zi = %%c0 to %s step %%c16 {\n    %%zio = arith.addi %%zr, %%zi : index\n"
                "    vector.store %%zf, %%t[%%zio] : memref<%lldxf32>, vector<16xf32>\n    }\n"
                "    scf.for %%zi = %s to %s step %%c16 {\n    %%zio = arith.addi %%zr, %%zi : index\n"
                "    vector.store %%zf, %%t[%%zio] : memref<%lldxf32>, vector<16xf32>\n    }\n    }\n",
            cCP, cHpWp, cPL_, (long long)TN16, cR0, cWp, (long long)TN16);
  sb_printf(&b, "    scf.for %%tx = %%c0 to %s step %%c16 {\n    %%txo = arith.addi %%tyo, %%tx : index\n"
                "    scf.for %%tc = %%c0 to %s step %%c16 {\n",
            cW, cC);
  for (int i = 0; i < 16; ++i) { /* pixel tx + i: 16 channels from tc, or 0.0 past W / past the input */
    CIDX(ci, i);
    sb_printf(&b, "    %%tp%d = arith.addi %%tx, %s : index\n    %%tin%d = arith.cmpi ult, %%tp%d, %s : index\n"
                  "    %%tq%d = arith.addi %%tsrc, %%tp%d : index\n    %%tq2%d = arith.muli %%tq%d, %s : index\n"
                  "    %%toff%d = arith.addi %%tq2%d, %%tc : index\n    %%tav%d = arith.subi %s, %%toff%d : index\n"
                  "    %%tn0%d = arith.minsi %%tav%d, %%c16 : index\n    %%tn%d = arith.select %%tin%d, %%tn0%d, %%c0 : index\n"
                  "    %%tmk%d = vector.create_mask %%tn%d : vector<16xi1>\n"
                  "    %%trv%d = vector.maskedload %%xf[%%toff%d], %%tmk%d, %%zf : memref<%lldxf32>, vector<16xi1>, vector<16xf32> "
                  "into vector<16xf32>\n",
              i, ci, /* tp */ i, i, cW, /* tin */ i, i, /* tq */ i, i, cC, /* tq2 */ i, i, /* toff */ i, cX, i, /* tav */
              i, i, /* tn0 */ i, i, i, /* tn */ i, i, /* tmk */ i, i, i, (long long)num_elements(G->xt) /* trv */);
  }
  /* 16x16 transpose in 4 stages of vector.shuffle (one vpermt2ps each;
   * upstream lowers vector.transpose element by element): stage k swaps bit
   * k of the row index with bit k of the column index. Row r (bit k clear)
   * and r' = r + 2^k become, lane c: bit k of c clear ? (r[c], r[c + 2^k])
   * : (r'[c - 2^k], r'[c]). */
  int cur = 0;
  for (int k = 0; k < 4; ++k) {
    int d = 1 << k;
    for (int r = 0; r < 16; ++r) {
      if (r & d)
        continue;
      for (int hi = 0; hi < 2; ++hi) {
        char ra[24], rb[24];
        if (cur) {
          snprintf(ra, sizeof ra, "%%ts%d_%d", k, r);
          snprintf(rb, sizeof rb, "%%ts%d_%d", k, r + d);
        } else {
          snprintf(ra, sizeof ra, "%%trv%d", r);
          snprintf(rb, sizeof rb, "%%trv%d", r + d);
        }
        sb_printf(&b, "    %%ts%d_%d = vector.shuffle %s, %s [", k + 1, r + hi * d, ra, rb);
        for (int c = 0; c < 16; ++c) {
          int idx = !hi ? ((c & d) ? 16 + c - d : c) : ((c & d) ? 16 + c : c + d);
          sb_printf(&b, "%s%d", c ? ", " : "", idx);
        }
        sb_printf(&b, "] : vector<16xf32>, vector<16xf32>\n");
      }
    }
    cur = 1;
  }
  sb_printf(&b, "    %%tco = arith.muli %%tc, %s : index\n    %%tbase = arith.addi %%txo, %%tco : index\n", cHpWp);
  for (int i = 0; i < 16; ++i) {
    CIDX(ci_off, i * Hp * Wp);
    if (C % 16 == 0) {
      sb_printf(&b, "    %%to%d = arith.addi %%tbase, %s : index\n"
                    "    vector.store %%ts4_%d, %%t[%%to%d] : memref<%lldxf32>, vector<16xf32>\n",
                i, ci_off, i, i, (long long)TN16);
      continue;
    }
    CIDX(cci, i);
    /* planes C..CP-1 are never read: not written either (memory traffic) */
    sb_printf(&b, "    %%tcc%d = arith.addi %%tc, %s : index\n    %%tcv%d = arith.cmpi ult, %%tcc%d, %s : index\n"
                  "    scf.if %%tcv%d {\n    %%to%d = arith.addi %%tbase, %s : index\n"
                  "    vector.store %%ts4_%d, %%t[%%to%d] : memref<%lldxf32>, vector<16xf32>\n    }\n",
              i, cci, i, i, cC, i, i, ci_off, i, i, (long long)TN16);
  }
  sb_printf(&b, "    }\n    }\n    }\n");
  CIDX(cB, g->batch);
  CIDX(cNXB, NXB);
  CIDX(cXBW, 16 * V);
  CIDX(cOH, g->oh);
  CIDX(cOW, g->ow);
  CIDX(cSH, g->stride_h);
  CIDX(cG, g->groups);
  CIDX(cCPG, CPG);
  CIDX(cOPG, OPG);
  CIDX(cKH, g->kh);
  CIDX(cKW, g->kw);
  CIDX(cDH, g->dil_h);
  CIDX(cDW, g->dil_w);
  CIDX(cN, N);
  /* V vectors of 16 pixels per block: independent addition chains (one
   * chain per output channel is latency-bound when OPG is 1) */
  const int64_t NA = OPG * V;
  sb_printf(&b, "    scf.for %%ob = %%c0 to %s step %%c1 {\n    %%obt = arith.muli %%ob, %s : index\n"
                "    scf.for %%oy = %%c0 to %s step %%c1 {\n    %%oyr = arith.muli %%oy, %s : index\n"
                "    %%orow0 = arith.muli %%ob, %s : index\n    %%orow = arith.addi %%orow0, %%oy : index\n"
                "    %%opix0 = arith.muli %%orow, %s : index\n"
                "    scf.for %%xb = %%c0 to %s step %%c1 {\n    %%ox = arith.muli %%xb, %s : index\n"
                "    %%opix = arith.addi %%opix0, %%ox : index\n",
            cB, cCHpWp, cOH, cSH, cOH, cOW, cNXB, cXBW);
  for (int64_t v = 0; v < V; ++v) {
    CIDX(cv, 16 * v);
    sb_printf(&b, "    %%oxv%lld = arith.addi %%ox, %s : index\n    %%orem%lld = arith.subi %s, %%oxv%lld : index\n"
                  "    %%live%lld = vector.create_mask %%orem%lld : vector<16xi1>\n"
                  "    %%opixv%lld = arith.addi %%opix0, %%oxv%lld : index\n",
              (long long)v, cv, (long long)v, cOW, (long long)v, (long long)v, (long long)v, (long long)v, (long long)v);
  }
  sb_printf(&b, "    scf.for %%g = %%c0 to %s step %%c1 {\n    %%cb = arith.muli %%g, %s : index\n"
                "    %%jb = arith.muli %%g, %s : index\n",
            cG, cCPG, cOPG);
  const char *lv_name[3] = {"ky", "kx", "ci"}, *lv_ub[3] = {cKH, cKW, cCPG}, *res[3] = {"acc", "accX", "accI"},
             *arg[3] = {"by", "bx", "a"};
  for (int lv = 0; lv < 3; ++lv) {
    sb_printf(&b, "    %%%s:%lld = scf.for %%%s = %%c0 to %s step %%c1 iter_args(", res[lv], (long long)NA, lv_name[lv],
              lv_ub[lv]);
    emit_acc_iter_args(&b, arg[lv], lv ? arg[lv - 1] : NULL, NA);
    if (lv == 0) /* padded row oy·sh + ky·dh */
      sb_printf(&b, "    %%kyd = arith.muli %%ky, %s : index\n    %%tr0 = arith.addi %%oyr, %%kyd : index\n"
                    "    %%tr1 = arith.muli %%tr0, %s : index\n    %%tr = arith.addi %%tr1, %%obt : index\n",
                cDH, cWp);
    if (lv == 1)
      sb_printf(&b, "    %%kxd = arith.muli %%kx, %s : index\n    %%tc0 = arith.addi %%tr, %%ox : index\n"
                    "    %%tcol = arith.addi %%tc0, %%kxd : index\n"
                    "    %%kt0 = arith.muli %%ky, %s : index\n    %%kt1 = arith.addi %%kt0, %%kx : index\n"
                    "    %%kt = arith.muli %%kt1, %s : index\n",
                cDW, cKW, cCPG);
  }
  sb_printf(&b, "    %%cc = arith.addi %%cb, %%ci : index\n    %%cco = arith.muli %%cc, %s : index\n"
                "    %%ti = arith.addi %%tcol, %%cco : index\n"
                "    %%kk = arith.addi %%kt, %%ci : index\n    %%wo0 = arith.muli %%kk, %s : index\n"
                "    %%wo = arith.addi %%wo0, %%jb : index\n",
            cHpWp, cN);
  for (int64_t v = 0; v < V; ++v) {
    CIDX(cv, 16 * v);
    sb_printf(&b, "    %%tiv%lld = arith.addi %%ti, %s : index\n"
                  "    %%xv%lld = vector.load %%t[%%tiv%lld] : memref<%lldxf32>, vector<16xf32>\n",
              (long long)v, cv, (long long)v, (long long)v, (long long)TN16);
  }
  for (int64_t n = 0; n < OPG; ++n) {
    long long q = (long long)n;
    CIDX(cn, n);
    sb_printf(&b, "    %%wi%lld = arith.addi %%wo, %s : index\n    %%ws%lld = memref.load %%wf[%%wi%lld] : memref<%lldxf32>\n"
                  "    %%wb%lld = vector.broadcast %%ws%lld : f32 to vector<16xf32>\n",
              q, cn, q, q, (long long)(K * N), q, q);
    for (int64_t v = 0; v < V; ++v) {
      long long a_ = (long long)(n * V + v);
      sb_printf(&b, "    %%pr%lld = arith.mulf %%xv%lld, %%wb%lld : vector<16xf32>\n"
                    "    %%sum%lld = arith.addf %%a%lld, %%pr%lld : vector<16xf32>\n",
                a_, (long long)v, q, a_, a_, a_);
    }
  }
  emit_acc_yield(&b, "sum", NA);
  emit_acc_yield(&b, "accI#", NA);
  emit_acc_yield(&b, "accX#", NA);
  if (N > 1)
    for (int64_t v = 0; v < V; ++v)
      sb_printf(&b, "    %%opv%lld = vector.broadcast %%opixv%lld : index to vector<16xindex>\n"
                    "    %%opl%lld = arith.addi %%opv%lld, %%iota : vector<16xindex>\n"
                    "    %%nv%lld = vector.broadcast %s : index to vector<16xindex>\n"
                    "    %%yo%lld = arith.muli %%opl%lld, %%nv%lld : vector<16xindex>\n",
                (long long)v, (long long)v, (long long)v, (long long)v, (long long)v, cN, (long long)v, (long long)v,
                (long long)v);
  for (int64_t n = 0; n < OPG; ++n) {
    long long q = (long long)n;
    CIDX(cn, n);
    sb_printf(&b, "    %%bj%lld = arith.addi %%jb, %s : index\n    %%bs%lld = memref.load %%bias[%%bj%lld] : memref<%lldxf32>\n"
                  "    %%bb%lld = vector.broadcast %%bs%lld : f32 to vector<16xf32>\n",
              q, cn, q, q, (long long)N, q, q);
    for (int64_t v = 0; v < V; ++v) {
      long long a_ = (long long)(n * V + v), w = (long long)v;
      sb_printf(&b, "    %%yv%lld = arith.addf %%acc#%lld, %%bb%lld : vector<16xf32>\n", a_, a_, q);
      if (v) /* the second vector may lie past the row: no store at all then */
        sb_printf(&b, "    %%vin%lld = arith.cmpi slt, %%oxv%lld, %s : index\n    scf.if %%vin%lld {\n", a_, w, cOW, a_);
      if (N == 1) /* [P][1]: the 16 pixels are contiguous */
        sb_printf(&b, "    vector.maskedstore %%yf[%%opixv%lld], %%live%lld, %%yv%lld : memref<%lldxf32>, vector<16xi1>, "
                      "vector<16xf32>\n",
                  w, w, a_, (long long)Y);
      else
        sb_printf(&b, "    %%jv%lld = vector.broadcast %%bj%lld : index to vector<16xindex>\n"
                      "    %%yi%lld = arith.addi %%yo%lld, %%jv%lld : vector<16xindex>\n"
                      "    vector.scatter %%yf[%%c0] [%%yi%lld], %%live%lld, %%yv%lld : memref<%lldxf32>, vector<16xindex>, "
                      "vector<16xi1>, vector<16xf32>\n",
                  a_, q, a_, w, a_, a_, w, a_, (long long)Y);
      if (v)
        sb_printf(&b, "    }\n");
    }
  }
  sb_printf(&b, "    }\n    }\n    }\n    }\n    return\n}\n");
  return finish_kernel(L, op, &b);
}

/* ------------------------------------------ compute: scalar direct kernel */

/* Direct kernel over the window, for i8 depthwise (int32 accumulation with
 * codes table [K][N]) and for every f32-input op (f32 accumulation with
 * dequantized weights [N][K]). */
static int emit_direct(lower_t *L, MlirOperation op, const char *name, const geom_t *G,
                       const ajpq_kernels_packed_t *p, int is_i8, int32_t zx, float in_scale) {
  const ajpq_kernels_conv_t *g = &G->g;
  int64_t P = g->batch * g->oh * g->ow, N = g->n, K = p->k, per_group = N / g->groups;
  char gname[128];
  sb_t b = {0};
  if (is_i8) {
    snprintf(gname, sizeof gname, "%s_codes", name);
    if (!add_global(L, &b, gname, "i8", K * N, p->codes) || !emit_tables(L, &b, name, p, in_scale, 0)) {
      free(b.s);
      return 0;
    }
  } else if (!emit_f32_tables(L, &b, name, p, N)) {
    return 0;
  }

  char xs[256];
  shape_text(G->xt, xs, sizeof xs);
  const char *xe = is_i8 ? "i8" : "f32";
  emit_header(&b, name, G, xe, 0);
  sb_printf(&b, "    %%c0 = arith.constant 0 : index\n    %%c1 = arith.constant 1 : index\n");
  if (is_i8) {
    emit_table_loads(&b, name, N, 0);
    sb_printf(&b, "    %%codes = memref.get_global @%s_codes : memref<%lldxi8>\n", name, (long long)(K * N));
    sb_printf(&b, "    %%zx32 = arith.constant %d : i32\n", zx);
  } else {
    sb_printf(&b, "    %%bias = memref.get_global @%s_bias : memref<%lldxf32>\n", name, (long long)N);
    sb_printf(&b, "    %%wf = memref.get_global @%s_wf : memref<%lldxf32>\n", name, (long long)(K * N));
  }
  const char *AT = is_i8 ? "i32" : "f32";
  sb_printf(&b, "    %%zero = arith.constant 0%s : %s\n", is_i8 ? "" : ".0", AT);
  CIDX(cP, P);
  CIDX(cN, N);
  CIDX(cPG, per_group);
  CIDX(cNN, N);
  CIDX(cKH, g->kh);
  CIDX(cKW, g->kw);
  CIDX(cCPG, g->cin_per_group);
  sb_printf(&b, "    scf.for %%pix = %%c0 to %s step %%c1 {\n", cP);
  int tag = b.id++;
  if (!G->is_matmul)
    emit_pixel_coords(&b, G, "%pix", tag);
  sb_printf(&b, "    scf.for %%j = %%c0 to %s step %%c1 {\n", cN);
  sb_printf(&b, "    %%gj = arith.divui %%j, %s : index\n", cPG);
  CIDX(cCPG2, g->cin_per_group);
  sb_printf(&b, "    %%coff = arith.muli %%gj, %s : index\n", cCPG2);
  sb_printf(&b, "    %%r:2 = scf.for %%ky = %%c0 to %s step %%c1 iter_args(%%a0 = %%zero, %%s0 = %%zero) -> (%s, %s) {\n", cKH, AT, AT);
  sb_printf(&b, "    %%r2:2 = scf.for %%kx = %%c0 to %s step %%c1 iter_args(%%a1 = %%a0, %%s1 = %%s0) -> (%s, %s) {\n", cKW, AT, AT);
  if (G->is_matmul) {
    sb_printf(&b, "    %%ok = arith.constant true\n");
  } else {
    emit_window_tap(&b, G, tag, "");
  }
  sb_printf(&b, "    %%r3:2 = scf.if %%ok -> (%s, %s) {\n", AT, AT);
  sb_printf(&b, "    %%kb0 = arith.muli %%ky, %s : index\n    %%kb1 = arith.addi %%kb0, %%kx : index\n", cKW);
  sb_printf(&b, "    %%kb = arith.muli %%kb1, %s : index\n", cCPG);
  sb_printf(&b, "    %%r4:2 = scf.for %%ci = %%c0 to %s step %%c1 iter_args(%%a2 = %%a1, %%s2 = %%s1) -> (%s, %s) {\n", cCPG, AT, AT);
  sb_printf(&b, "    %%cc = arith.addi %%coff, %%ci : index\n    %%kk = arith.addi %%kb, %%ci : index\n");
  if (G->is_matmul)
    sb_printf(&b, "    %%xv = memref.load %%x2[%%pix, %%cc] : memref<%lldx%lldx%s>\n", (long long)P, (long long)K, xe);
  else
    sb_printf(&b, "    %%xv = memref.load %%x[%%pb%d, %%iy, %%ix, %%cc] : memref<%s%s>\n", tag, xs, xe);
  sb_printf(&b, "    %%wi0 = arith.muli %%kk, %s : index\n    %%wi = arith.addi %%wi0, %%j : index\n", cNN);
  if (is_i8) {
    sb_printf(&b, "    %%q8 = memref.load %%codes[%%wi] : memref<%lldxi8>\n", (long long)(K * N));
    sb_printf(&b, "    %%q = arith.extui %%q8 : i8 to i32\n    %%x32 = arith.extsi %%xv : i8 to i32\n");
    sb_printf(&b, "    %%xd = arith.subi %%x32, %%zx32 : i32\n    %%pr = arith.muli %%xd, %%q : i32\n");
    sb_printf(&b, "    %%a3 = arith.addi %%a2, %%pr : i32\n    %%s3 = arith.addi %%s2, %%xd : i32\n");
  } else {
    sb_printf(&b, "    %%wv = memref.load %%wf[%%wi] : memref<%lldxf32>\n", (long long)(K * N));
    sb_printf(&b, "    %%pr = arith.mulf %%xv, %%wv : f32\n    %%a3 = arith.addf %%a2, %%pr : f32\n");
    sb_printf(&b, "    %%s3 = arith.addf %%s2, %%zero : f32\n");
  }
  sb_printf(&b, "    scf.yield %%a3, %%s3 : %s, %s\n    }\n", AT, AT);
  sb_printf(&b, "    scf.yield %%r4#0, %%r4#1 : %s, %s\n    } else {\n    scf.yield %%a1, %%s1 : %s, %s\n    }\n", AT, AT, AT, AT);
  sb_printf(&b, "    scf.yield %%r3#0, %%r3#1 : %s, %s\n    }\n", AT, AT);
  sb_printf(&b, "    scf.yield %%r2#0, %%r2#1 : %s, %s\n    }\n", AT, AT);
  sb_printf(&b, "    %%bj = memref.load %%bias[%%j] : memref<%lldxf32>\n", (long long)N);
  if (is_i8) {
    sb_printf(&b, "    %%af = arith.sitofp %%r#0 : i32 to f32\n    %%sf = arith.sitofp %%r#1 : i32 to f32\n");
    sb_printf(&b, "    %%zpj = memref.load %%zpt[%%j] : memref<%lldxf32>\n", (long long)N);
    sb_printf(&b, "    %%zs = arith.mulf %%zpj, %%sf : f32\n    %%t = arith.subf %%af, %%zs : f32\n");
    sb_printf(&b, "    %%sc = memref.load %%scl[%%j] : memref<%lldxf32>\n", (long long)N);
    sb_printf(&b, "    %%stt = arith.mulf %%sc, %%t : f32\n    %%yv = arith.addf %%stt, %%bj : f32\n");
  } else {
    sb_printf(&b, "    %%yv = arith.addf %%r#0, %%bj : f32\n");
  }
  sb_printf(&b, "    memref.store %%yv, %%y2[%%pix, %%j] : memref<%lldx%lldxf32>\n", (long long)P, (long long)N);
  sb_printf(&b, "    }\n    }\n    return\n}\n");
  return finish_kernel(L, op, &b);
}

/* --------------------------------------------- elementwise / channel maps */

/* Flattened 1-D views %x1 / %y1 of the whole tensors. */
static void emit_flat_view(sb_t *b, const char *v, const char *out, MlirType t, const char *elt) {
  char s[256];
  shape_text(t, s, sizeof s);
  intptr_t r = mlirShapedTypeGetRank(t);
  int64_t total = 1;
  for (intptr_t i = 0; i < r; ++i)
    total *= mlirShapedTypeGetDimSize(t, i);
  if (r == 1) {
    sb_printf(b, "    %s = memref.cast %s : memref<%s%s> to memref<%lldx%s>\n", out, v, s, elt, (long long)total, elt);
    return;
  }
  sb_printf(b, "    %s = memref.collapse_shape %s [[", out, v);
  for (intptr_t i = 0; i < r; ++i)
    sb_printf(b, "%s%ld", i ? ", " : "", (long)i);
  sb_printf(b, "]] : memref<%s%s> into memref<%lldx%s>\n", s, elt, (long long)total, elt);
}

static int64_t num_elements(MlirType t) {
  int64_t total = 1;
  for (intptr_t i = 0; i < mlirShapedTypeGetRank(t); ++i)
    total *= mlirShapedTypeGetDimSize(t, i);
  return total;
}

/* ajpq.quantize / ajpq.dequantize over the flattened tensor, 16 elements
 * per step (masked tail); per element the ops of docs/dialect.md:
 * quantize q = NaN ? z : clamp(roundeven(x / s) + z) (maxnumf, minnumf),
 * dequantize y = s·(float)(q − z). */
static int emit_quant(lower_t *L, MlirOperation op, const char *name, MlirType xt, MlirType yt,
                      int quantize, const ajpq_act_qparams_t *q) {
  sb_t b = {0};
  char xs[256], ys[256];
  shape_text(xt, xs, sizeof xs);
  shape_text(yt, ys, sizeof ys);
  const char *xe = quantize ? "f32" : "i8", *ye = quantize ? "i8" : "f32";
  int64_t n = num_elements(xt);
  sb_printf(&b, "func.func private @%s(%%x: memref<%s%s>, %%y: memref<%s%s>) attributes {%s, passthrough = [[\"min-legal-vector-width\", \"512\"]]} {\n",
            name, xs, xe, ys, ye, k_internal);
  emit_flat_view(&b, "%x", "%x1", xt, xe);
  emit_flat_view(&b, "%y", "%y1", yt, ye);
  sb_printf(&b, "    %%c0 = arith.constant 0 : index\n    %%c16 = arith.constant 16 : index\n");
  CIDX(cn, n);
  if (quantize) {
    emit_quant16_consts(&b, q);
    sb_printf(&b, "    %%zin = arith.constant dense<0.0> : vector<16xf32>\n");
  } else {
    sb_printf(&b, "    %%dsv = arith.constant dense<%.9e> : vector<16xf32>\n", (double)q->scale);
    sb_printf(&b, "    %%dzv = arith.constant dense<%d> : vector<16xi32>\n", q->zero_point);
    sb_printf(&b, "    %%zin = arith.constant dense<0> : vector<16xi8>\n");
  }
  /* full vectors without masks, then one masked tail */
  int64_t nmain = n / 16 * 16;
  CIDX(cnm, nmain);
  for (int tail = 0; tail < 2; ++tail) {
    if (tail && nmain == n)
      break;
    if (!tail) {
      sb_printf(&b, "    scf.for %%i = %%c0 to %s step %%c16 {\n", cnm);
      sb_printf(&b, "    %%v = vector.load %%x1[%%i] : memref<%lldx%s>, vector<16x%s>\n", (long long)n, xe, xe);
    } else {
      sb_printf(&b, "    scf.for %%i = %s to %s step %%c16 {\n", cnm, cn);
      sb_printf(&b, "    %%rem = arith.subi %s, %%i : index\n    %%m = vector.create_mask %%rem : vector<16xi1>\n", cn);
      sb_printf(&b, "    %%v = vector.maskedload %%x1[%%i], %%m, %%zin : memref<%lldx%s>, vector<16xi1>, vector<16x%s> into vector<16x%s>\n",
                (long long)n, xe, xe, xe);
    }
    if (quantize) {
      emit_quant16(&b, "%v", "%o");
    } else {
      sb_printf(&b, "    %%w = arith.extsi %%v : vector<16xi8> to vector<16xi32>\n");
      sb_printf(&b, "    %%dd = arith.subi %%w, %%dzv : vector<16xi32>\n    %%f = arith.sitofp %%dd : vector<16xi32> to vector<16xf32>\n");
      sb_printf(&b, "    %%o = arith.mulf %%dsv, %%f : vector<16xf32>\n");
    }
    if (!tail)
      sb_printf(&b, "    vector.store %%o, %%y1[%%i] : memref<%lldx%s>, vector<16x%s>\n    }\n", (long long)n, ye, ye);
    else
      sb_printf(&b, "    vector.maskedstore %%y1[%%i], %%m, %%o : memref<%lldx%s>, vector<16xi1>, vector<16x%s>\n    }\n",
                (long long)n, ye, ye);
  }
  sb_printf(&b, "    return\n}\n");
  return finish_kernel(L, op, &b);
}

static int emit_channel_map(lower_t *L, MlirOperation op, const char *name, MlirType xt, MlirType yt,
                            int scatter, const ajpq_channel_map_t *m) {
  char xs[256], ys[256], el[8], gname[128];
  shape_text(xt, xs, sizeof xs);
  shape_text(yt, ys, sizeof ys);
  elt_text(xt, el, sizeof el);
  intptr_t r = mlirShapedTypeGetRank(xt);
  int64_t outer = 1, inner = 1;
  for (intptr_t i = 0; i < m->axis; ++i)
    outer *= mlirShapedTypeGetDimSize(xt, i);
  for (intptr_t i = (intptr_t)m->axis + 1; i < r; ++i)
    inner *= mlirShapedTypeGetDimSize(xt, i);
  int64_t cx = mlirShapedTypeGetDimSize(xt, (intptr_t)m->axis), cy = mlirShapedTypeGetDimSize(yt, (intptr_t)m->axis);
  sb_t b = {0};
  snprintf(gname, sizeof gname, "%s_idx", name);
  add_global(L, &b, gname, "i32", m->n_indices, m->indices);
  int has_fill = scatter && m->n_fill > 0;
  if (has_fill) {
    snprintf(gname, sizeof gname, "%s_fill", name);
    add_global(L, &b, gname, "f32", m->n_fill, m->fill);
  }
  sb_printf(&b, "func.func private @%s(%%x: memref<%s%s>, %%y: memref<%s%s>) attributes {%s} {\n", name, xs, el,
            ys, el, k_internal);
  emit_flat_view(&b, "%x", "%x1", xt, el);
  emit_flat_view(&b, "%y", "%y1", yt, el);
  int64_t nx = num_elements(xt), ny = num_elements(yt);
  sb_printf(&b, "    %%c0 = arith.constant 0 : index\n    %%c1 = arith.constant 1 : index\n");
  sb_printf(&b, "    %%idx = memref.get_global @%s_idx : memref<%lldxi32>\n", name, (long long)m->n_indices);
  CIDX(cO, outer);
  CIDX(cI, inner);
  CIDX(cJ, m->n_indices);
  CIDX(cX, cx);
  CIDX(cY, cy);
  if (scatter) { /* fill every channel first */
    if (has_fill)
      sb_printf(&b, "    %%fill = memref.get_global @%s_fill : memref<%lldxf32>\n", name, (long long)m->n_fill);
    sb_printf(&b, "    scf.for %%o = %%c0 to %s step %%c1 {\n    scf.for %%c = %%c0 to %s step %%c1 {\n", cO, cY);
    if (has_fill)
      sb_printf(&b, "    %%fv = memref.load %%fill[%%c] : memref<%lldxf32>\n", (long long)m->n_fill);
    else
      sb_printf(&b, "    %%fv = arith.constant 0%s : %s\n", strcmp(el, "f32") ? "" : ".0", el);
    sb_printf(&b, "    scf.for %%i = %%c0 to %s step %%c1 {\n", cI);
    sb_printf(&b, "    %%t0 = arith.muli %%o, %s : index\n    %%t1 = arith.addi %%t0, %%c : index\n", cY);
    sb_printf(&b, "    %%t2 = arith.muli %%t1, %s : index\n    %%t3 = arith.addi %%t2, %%i : index\n", cI);
    sb_printf(&b, "    memref.store %%fv, %%y1[%%t3] : memref<%lldx%s>\n    }\n    }\n    }\n", (long long)ny, el);
  }
  sb_printf(&b, "    scf.for %%o = %%c0 to %s step %%c1 {\n    scf.for %%j = %%c0 to %s step %%c1 {\n", cO, cJ);
  sb_printf(&b, "    %%iw = memref.load %%idx[%%j] : memref<%lldxi32>\n    %%ic = arith.index_cast %%iw : i32 to index\n",
            (long long)m->n_indices);
  /* gather: y[o,j,i] = x[o,idx[j],i]; scatter: y[o,idx[j],i] = x[o,j,i] */
  sb_printf(&b, "    scf.for %%i = %%c0 to %s step %%c1 {\n", cI);
  sb_printf(&b, "    %%s0 = arith.muli %%o, %s : index\n    %%s1 = arith.addi %%s0, %s : index\n", cX,
            scatter ? "%j" : "%ic");
  sb_printf(&b, "    %%s2 = arith.muli %%s1, %s : index\n    %%s3 = arith.addi %%s2, %%i : index\n", cI);
  sb_printf(&b, "    %%d0 = arith.muli %%o, %s : index\n    %%d1 = arith.addi %%d0, %s : index\n", cY,
            scatter ? "%ic" : "%j");
  sb_printf(&b, "    %%d2 = arith.muli %%d1, %s : index\n    %%d3 = arith.addi %%d2, %%i : index\n", cI);
  sb_printf(&b, "    %%v = memref.load %%x1[%%s3] : memref<%lldx%s>\n", (long long)nx, el);
  sb_printf(&b, "    memref.store %%v, %%y1[%%d3] : memref<%lldx%s>\n    }\n    }\n    }\n    return\n}\n", (long long)ny, el);
  int ok = !b.oom && splice(L, op, b.s);
  free(b.s);
  return ok;
}

/* ------------------------------------------------------------------ glue */

static MlirType memref_of(MlirType tensor) {
  intptr_t r = mlirShapedTypeGetRank(tensor);
  int64_t shape[16];
  for (intptr_t i = 0; i < r && i < 16; ++i)
    shape[i] = mlirShapedTypeGetDimSize(tensor, i);
  return mlirMemRefTypeContiguousGet(mlirShapedTypeGetElementType(tensor), r, shape, mlirAttributeGetNull());
}

static MlirOperation insert_before(MlirOperation at, MlirOperationState *st) {
  MlirOperation o = mlirOperationCreate(st);
  mlirBlockInsertOwnedOperationBefore(mlirOperationGetBlock(at), at, o);
  return o;
}

/* bufferization.to_buffer %v read_only, before `at`. */
static MlirValue to_buffer(lower_t *L, MlirOperation at, MlirValue v) {
  MlirOperationState st = mlirOperationStateGet(mlirStringRefCreateFromCString("bufferization.to_buffer"),
                                                mlirOperationGetLocation(at));
  MlirType m = memref_of(mlirValueGetType(v));
  mlirOperationStateAddOperands(&st, 1, &v);
  mlirOperationStateAddResults(&st, 1, &m);
  MlirNamedAttribute ro = named(L->ctx, "read_only", mlirUnitAttrGet(L->ctx));
  mlirOperationStateAddAttributes(&st, 1, &ro);
  return mlirOperationGetResult(insert_before(at, &st), 0);
}

/* memref.alloc {alignment = 64} of the memref type of `tensor`, before `at`. */
static MlirValue alloc_for(lower_t *L, MlirOperation at, MlirType tensor) {
  MlirOperationState st = mlirOperationStateGet(mlirStringRefCreateFromCString("memref.alloc"),
                                                mlirOperationGetLocation(at));
  MlirType m = memref_of(tensor);
  mlirOperationStateAddResults(&st, 1, &m);
  MlirNamedAttribute seg = named(L->ctx, "operandSegmentSizes", mlirDenseI32ArrayGet(L->ctx, 2, (const int32_t[]){0, 0}));
  MlirNamedAttribute al = named(L->ctx, "alignment", mlirIntegerAttrGet(mlirIntegerTypeGet(L->ctx, 64), 64));
  MlirNamedAttribute attrs[] = {seg, al};
  mlirOperationStateAddAttributes(&st, 2, attrs);
  return mlirOperationGetResult(insert_before(at, &st), 0);
}

/* bufferization.to_tensor %m restrict writable (of `tensor` type), before `at`. */
static MlirValue to_tensor(lower_t *L, MlirOperation at, MlirValue m, MlirType tensor) {
  MlirOperationState st = mlirOperationStateGet(mlirStringRefCreateFromCString("bufferization.to_tensor"),
                                                mlirOperationGetLocation(at));
  mlirOperationStateAddOperands(&st, 1, &m);
  mlirOperationStateAddResults(&st, 1, &tensor);
  MlirNamedAttribute attrs[] = {named(L->ctx, "restrict", mlirUnitAttrGet(L->ctx)),
                                named(L->ctx, "writable", mlirUnitAttrGet(L->ctx))};
  mlirOperationStateAddAttributes(&st, 2, attrs);
  return mlirOperationGetResult(insert_before(at, &st), 0);
}

/* Replaces `op` (one operand, one result) and the float ops of its fused
 * chain `F` by a call of kernel `name` with the arguments of emit_header:
 *     %xm = to_buffer %x; [%rm = to_buffer %resid]; [%ym = alloc]; [%qm = alloc]
 *     func.call @name(%xm, [%rm], [%ym], [%qm])
 *     [chain value := to_tensor %ym]; [quantize result := to_tensor %qm]
 * inserted where the chain's add sits (its residual is defined by then), or
 * at `op`. The replaced ops are erased. */
static void replace_with_call(lower_t *L, MlirOperation op, const char *name, const fuse_t *F,
                              const char *kind, int64_t macs) {
  MlirOperation at = F->add.ptr ? F->add : op;
  MlirValue args[4];
  int na = 0;
  args[na++] = to_buffer(L, at, mlirOperationGetOperand(op, 0));
  if (F->add.ptr)
    args[na++] = to_buffer(L, at, F->resid);
  MlirValue v = F->value.ptr ? F->value : mlirOperationGetResult(op, 0);
  MlirValue ym = {0}, qm = {0};
  if (F->want_y)
    args[na++] = ym = alloc_for(L, at, mlirValueGetType(v));
  if (F->quant.ptr)
    args[na++] = qm = alloc_for(L, at, mlirValueGetType(mlirOperationGetResult(F->quant, 0)));
  MlirOperationState call = mlirOperationStateGet(mlirStringRefCreateFromCString("func.call"), mlirOperationGetLocation(op));
  mlirOperationStateAddOperands(&call, na, args);
  MlirNamedAttribute callee = named(L->ctx, "callee", mlirFlatSymbolRefAttrGet(L->ctx, mlirStringRefCreateFromCString(name)));
  char fused[64];
  snprintf(fused, sizeof fused, "%s%s%s", F->add.ptr ? (F->pad_concat.ptr ? "+add(padded)" : "+add") : "", F->clamp.ptr ? "+clamp" : "",
           F->quant.ptr ? "+quantize" : "");
  /* discardable attributes naming the kernel (profiles, dumps) */
  MlirNamedAttribute info[] = {
      callee,
      named(L->ctx, "ajpq.kernel", mlirStringAttrGet(L->ctx, mlirStringRefCreateFromCString(kind))),
      named(L->ctx, "ajpq.fused", mlirStringAttrGet(L->ctx, mlirStringRefCreateFromCString(fused))),
      named(L->ctx, "ajpq.macs", mlirIntegerAttrGet(mlirIntegerTypeGet(L->ctx, 64), macs))};
  mlirOperationStateAddAttributes(&call, 4, info);
  insert_before(at, &call);
  if (F->want_y)
    mlirValueReplaceAllUsesOfWith(v, to_tensor(L, at, ym, mlirValueGetType(v)));
  if (F->quant.ptr) {
    MlirValue qv = mlirOperationGetResult(F->quant, 0);
    mlirValueReplaceAllUsesOfWith(qv, to_tensor(L, at, qm, mlirValueGetType(qv)));
    mlirOperationDestroy(F->quant);
  }
  if (F->clamp.ptr)
    mlirOperationDestroy(F->clamp);
  if (F->add.ptr)
    mlirOperationDestroy(F->add);
  if (F->pad_concat.ptr && mlirOpOperandIsNull(mlirValueGetFirstUse(mlirOperationGetResult(F->pad_concat, 0)))) {
    MlirValue zeros = mlirOperationGetOperand(F->pad_concat, 1);
    mlirOperationDestroy(F->pad_concat);
    if (mlirOpOperandIsNull(mlirValueGetFirstUse(zeros)))
      mlirOperationDestroy(mlirOpResultGetOwner(zeros));
  }
  mlirOperationDestroy(op);
}

/* ------------------------------------------------------------- fusion */

static int op_is(MlirOperation op, const char *name) {
  MlirStringRef s = mlirIdentifierStr(mlirOperationGetName(op));
  return s.length == strlen(name) && strncmp(s.data, name, s.length) == 0;
}

/* The only op using `v` (exactly one use), else null. */
static MlirOperation single_user(MlirValue v) {
  MlirOpOperand u = mlirValueGetFirstUse(v);
  if (mlirOpOperandIsNull(u) || !mlirOpOperandIsNull(mlirOpOperandGetNextUse(u)))
    return (MlirOperation){0};
  return mlirOpOperandGetOwner(u);
}

static void attr_print_cb(MlirStringRef s, void *ud) {
  sb_t *b = ud;
  sb_printf(b, "%.*s", (int)s.length, s.data);
}

/* True iff the printed form of `a` contains `word`. */
static int attr_mentions(MlirAttribute a, const char *word) {
  sb_t b = {0};
  mlirAttributePrint(a, attr_print_cb, &b);
  int yes = !b.oom && b.s && strstr(b.s, word) != NULL;
  free(b.s);
  return yes;
}

static float float_attr(MlirOperation op, const char *name, int *ok) {
  MlirAttribute a = mlirOperationGetAttributeByName(op, mlirStringRefCreateFromCString(name));
  if (mlirAttributeIsNull(a) || !mlirAttributeIsAFloat(a) || !mlirTypeIsAF32(mlirAttributeGetType(a))) {
    *ok = 0;
    return 0;
  }
  return (float)mlirFloatAttrGetValueDouble(a);
}

/* True iff `v` is defined by a tosa.const whose value is a splat of +0.0
 * (not -0.0: v + (-0.0) keeps a -0.0 of v, the kernel's +0.0 would not). */
static int is_pos_zero_splat(MlirValue v) {
  if (!mlirValueIsAOpResult(v))
    return 0;
  MlirOperation c = mlirOpResultGetOwner(v);
  if (!op_is(c, "tosa.const"))
    return 0;
  MlirAttribute a = mlirOperationGetAttributeByName(c, mlirStringRefCreateFromCString("values"));
  if (mlirAttributeIsNull(a) || !mlirAttributeIsADenseElements(a) || !mlirDenseElementsAttrIsSplat(a) ||
      !mlirTypeIsAF32(mlirShapedTypeGetElementType(mlirAttributeGetType(a))))
    return 0;
  float z = mlirDenseElementsAttrGetFloatSplatValue(a);
  uint32_t bits;
  memcpy(&bits, &z, sizeof bits);
  return bits == 0;
}

/* BlazeFace-style channel padding before a residual add: the residual is
 * tosa.concat(%a, zeros) along the channel (last) axis, with %a holding the
 * leading channels. The kernel then reads %a and adds +0.0 to the padded
 * channels (the masked load's pass-through), exactly what the add did with
 * the concatenated zeros; the concat is erased when nothing else reads it.
 * Saves the concat's copy of the whole tensor (BlazeFace front: 11 concats,
 * 0.08 ms/image). Sets F->resid / resid_n / pad_concat. */
static void find_pad_concat(fuse_t *F, MlirType t) {
  if (!mlirValueIsAOpResult(F->resid) || getenv("AJPQ_NO_PAD_CONCAT"))
    return;
  MlirOperation c = mlirOpResultGetOwner(F->resid);
  intptr_t r = mlirShapedTypeGetRank(t);
  if (!op_is(c, "tosa.concat") || mlirOperationGetNumOperands(c) != 2 || r < 1)
    return;
  MlirAttribute ax = mlirOperationGetAttributeByName(c, mlirStringRefCreateFromCString("axis"));
  if (mlirAttributeIsNull(ax) || !mlirAttributeIsAInteger(ax) || mlirIntegerAttrGetValueInt(ax) != r - 1)
    return;
  MlirValue a = mlirOperationGetOperand(c, 0);
  MlirType at = mlirValueGetType(a);
  if (!mlirValueEqual(mlirOperationGetResult(c, 0), F->resid) || !is_pos_zero_splat(mlirOperationGetOperand(c, 1)) ||
      !mlirTypeIsARankedTensor(at) || !mlirShapedTypeHasStaticShape(at) || mlirShapedTypeGetRank(at) != r ||
      !mlirTypeIsAF32(mlirShapedTypeGetElementType(at)))
    return;
  for (intptr_t i = 0; i + 1 < r; ++i)
    if (mlirShapedTypeGetDimSize(at, i) != mlirShapedTypeGetDimSize(t, i))
      return;
  int64_t na = mlirShapedTypeGetDimSize(at, r - 1);
  if (na < 1 || na >= mlirShapedTypeGetDimSize(t, r - 1))
    return;
  F->pad_concat = c;
  F->resid = a;
  F->resid_n = na;
}

/* Finds the float chain after compute op `op` that its kernel can absorb
 * (fuse_t). Everything must have `op`'s result type; tosa.clamp only with
 * f32 bounds and NaN propagation (the default); a quantize of the chain
 * value only with AJPQ_FUSE_QUANT=1 (see below). AJPQ_NO_FUSE=1 disables
 * fusion. */
static void find_fusion(MlirOperation op, fuse_t *F) {
  memset(F, 0, sizeof *F);
  F->want_y = 1;
  if (getenv("AJPQ_NO_FUSE"))
    return;
  MlirValue v = mlirOperationGetResult(op, 0);
  MlirType t = mlirValueGetType(v);
  MlirOperation u = single_user(v);
  if (!mlirOperationIsNull(u) && op_is(u, "tosa.add") && mlirOperationGetNumOperands(u) == 2 &&
      mlirOperationGetNumResults(u) == 1 && mlirTypeEqual(mlirValueGetType(mlirOperationGetOperand(u, 0)), t) &&
      mlirTypeEqual(mlirValueGetType(mlirOperationGetOperand(u, 1)), t) &&
      mlirTypeEqual(mlirValueGetType(mlirOperationGetResult(u, 0)), t)) {
    int lhs = mlirValueEqual(mlirOperationGetOperand(u, 0), v);
    F->add = u;
    F->resid = mlirOperationGetOperand(u, lhs ? 1 : 0);
    F->resid_first = !lhs;
    F->resid_n = mlirShapedTypeGetDimSize(t, mlirShapedTypeGetRank(t) - 1);
    find_pad_concat(F, t);
    v = mlirOperationGetResult(u, 0);
    u = single_user(v);
  }
  if (!mlirOperationIsNull(u) && op_is(u, "tosa.clamp") && mlirOperationGetNumResults(u) == 1 &&
      mlirTypeEqual(mlirValueGetType(mlirOperationGetResult(u, 0)), t)) {
    int ok = 1;
    float lo = float_attr(u, "min_val", &ok), hi = float_attr(u, "max_val", &ok);
    MlirAttribute nm = mlirOperationGetAttributeByName(u, mlirStringRefCreateFromCString("nan_mode"));
    if (!mlirAttributeIsNull(nm) && !attr_mentions(nm, "PROPAGATE")) /* string or enum attribute */
      ok = 0;
    if (ok) {
      F->clamp = u;
      F->lo = lo;
      F->hi = hi;
      v = mlirOperationGetResult(u, 0);
    }
  }
  F->value = v;
  /* The quantize joins the epilogue only on request: measured on BlazeFace,
   * the division-bound requantize costs more inside the GEMM/depthwise
   * epilogues (lanes padded to 16, divider shared with the kernel) than as
   * its own streaming pass (conv + add + clamp fused and the quantize
   * separate: 0.82 ms/image; everything fused: 0.89; nothing fused: 0.87). */
  int others = 0, fuse_quant = getenv("AJPQ_FUSE_QUANT") != NULL;
  for (MlirOpOperand use = mlirValueGetFirstUse(v); !mlirOpOperandIsNull(use); use = mlirOpOperandGetNextUse(use)) {
    MlirOperation o = mlirOpOperandGetOwner(use);
    ajpq_act_qparams_t q;
    if (fuse_quant && mlirOperationIsNull(F->quant) && ajpq_op_kind(o) == AJPQ_OP_QUANTIZE && mlirOperationGetNumResults(o) == 1 &&
        mlirShapedTypeGetRank(mlirValueGetType(mlirOperationGetResult(o, 0))) == mlirShapedTypeGetRank(t) &&
        mlirShapedTypeHasStaticShape(mlirValueGetType(mlirOperationGetResult(o, 0))) && ajpq_act_read(o, &q) &&
        q.bits >= 1 && q.bits <= 8) {
      F->quant = o;
      F->q = q;
    } else {
      ++others;
    }
  }
  F->want_y = others > 0 || mlirOperationIsNull(F->quant);
}

/* True iff `op` was erased as part of an earlier kernel's fused chain. */
static int consumed(const lower_t *L, MlirOperation op) {
  for (size_t i = 0; i < L->num_consumed; ++i)
    if (L->consumed[i].ptr == op.ptr)
      return 1;
  return 0;
}

/* ------------------------------------------------------------------ ops */

static int static_ranked(MlirOperation op, MlirValue v, const char *what) {
  MlirType t = mlirValueGetType(v);
  if (!mlirTypeIsARankedTensor(t) || !mlirShapedTypeHasStaticShape(t) || mlirShapedTypeGetRank(t) > 16) {
    char buf[160];
    snprintf(buf, sizeof buf,
             "ajpq-lower-to-kernels: needs a statically shaped ranked tensor (rank <= 16) as the op's %s",
             what);
    mlirEmitError(mlirOperationGetLocation(op), buf);
    return 0;
  }
  return 1;
}

static void emit_errorf(MlirOperation op, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void emit_errorf(MlirOperation op, const char *fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  mlirEmitError(mlirOperationGetLocation(op), buf);
}

/* Re-lays the codes of a windowed GEMM conv (geom_t.win_kwc4): the K =
 * kh·kwc codes of a channel in (ky, kx, ci) order become kh rows of kwc4
 * codes, the kwc real ones followed by zero codes. A zero code adds x·0 to
 * Σ x·q and nothing to qsum, and S counts only the real bytes, so every
 * accumulator stays the same. Returns malloc'ed ajpq.rowpacked-lsb bytes
 * (size in *size) or NULL. */
static uint8_t *relayout_windows(const ajpq_kernels_weights_t *w, int64_t kh, int64_t kwc, int64_t kwc4,
                                 size_t *size) {
  int64_t k2 = kh * kwc4;
  uint8_t *codes = calloc((size_t)(w->n * k2), 1);
  *size = ajpq_kernels_rowpacked_size(w->n, k2, w->bits);
  uint8_t *out = malloc(*size ? *size : 1);
  if (!codes || !out) {
    free(codes);
    free(out);
    return NULL;
  }
  int valid = w->packed_size == ajpq_kernels_rowpacked_size(w->n, w->k, w->bits) && w->k == kh * kwc;
  for (int64_t c = 0; c < w->n; ++c)
    valid &= w->bits[c] >= 1 && w->bits[c] <= 8;
  if (!valid) { /* malformed: leave the diagnostic to ajpq_kernels_pack */
    free(codes);
    free(out);
    return NULL;
  }
  const uint8_t *row = w->packed;
  for (int64_t c = 0; c < w->n; ++c) {
    for (int64_t ky = 0; ky < kh; ++ky)
      for (int64_t j = 0; j < kwc; ++j)
        codes[c * k2 + ky * kwc4 + j] = (uint8_t)ajpq_kernels_rowpacked_get(row, w->bits[c], ky * kwc + j);
    row += (w->k * w->bits[c] + 7) / 8;
  }
  ajpq_status_t st = ajpq_kernels_rowpacked_pack(w->n, k2, w->bits, codes, out, *size);
  free(codes);
  if (st) {
    ajpq_status_free(st);
    free(out);
    return NULL;
  }
  return out;
}

static int lower_compute(lower_t *L, MlirOperation op, const char *name) {
  ajpq_compute_attrs_t a;
  if (!ajpq_compute_read(op, &a))
    return 0;
  MlirValue x = mlirOperationGetOperand(op, 0), y = mlirOperationGetResult(op, 0);
  int ok = 0;
  ajpq_kernels_packed_t *p = NULL;
  if (!static_ranked(op, x, "input") || !static_ranked(op, y, "result"))
    goto done;
  geom_t G = {0};
  G.xt = mlirValueGetType(x);
  G.yt = mlirValueGetType(y);
  int is_i8 = !mlirTypeIsAF32(mlirShapedTypeGetElementType(G.xt));
  intptr_t xr = mlirShapedTypeGetRank(G.xt);
  if (a.kind == AJPQ_OP_CONV2D) {
    if (xr != 4) {
      emit_errorf(op, "ajpq-lower-to-kernels: conv2d input must be NHWC (rank 4)");
      goto done;
    }
    G.g = (ajpq_kernels_conv_t){mlirShapedTypeGetDimSize(G.xt, 0), mlirShapedTypeGetDimSize(G.xt, 1),
                                mlirShapedTypeGetDimSize(G.xt, 2), mlirShapedTypeGetDimSize(G.xt, 3),
                                a.kernel[0], a.kernel[1], a.kernel[2], a.groups, a.stride[0], a.stride[1],
                                a.pad[0], a.pad[1], a.pad[2], a.pad[3], a.dilation[0], a.dilation[1],
                                a.n_kept, 0, 0};
  } else {
    int64_t M = 1;
    for (intptr_t i = 0; i + 1 < xr; ++i)
      M *= mlirShapedTypeGetDimSize(G.xt, i);
    int64_t K = mlirShapedTypeGetDimSize(G.xt, xr - 1);
    G.is_matmul = 1;
    G.g = (ajpq_kernels_conv_t){M, 1, 1, K, 1, 1, K, 1, 1, 1, 0, 0, 0, 0, 1, 1, a.n_kept, 0, 0};
  }
  ajpq_status_t st = ajpq_kernels_conv_check(&G.g);
  ajpq_kernels_weights_t w = {a.n_kept, ajpq_compute_k(&a), a.bits, a.weights, (size_t)a.weights_size,
                              a.scale, a.zero_point, a.bias};
  if (!st && w.k != G.g.kh * G.g.kw * G.g.cin_per_group)
    st = ajpq_status_make(AJPQ_INVALID_ARGUMENT, "kernel K=%lld does not match the input's K=%lld",
                          (long long)w.k, (long long)(G.g.kh * G.g.kw * G.g.cin_per_group));
  if (!st && num_elements(G.yt) != G.g.batch * G.g.oh * G.g.ow * G.g.n)
    st = ajpq_status_make(AJPQ_INVALID_ARGUMENT, "result shape does not match the conv arithmetic");
  int64_t pixels0 = G.g.batch * G.g.oh * G.g.ow, kwc = G.g.kw * G.g.cin;
  uint8_t *relaid = NULL;
  /* Windowed GEMM (emit_padded_copy): groups = 1, no dilation, window rows
   * of at most 64 bytes, not a 1x1/s1/p0 conv (those read their rows in
   * place anyway). BlazeFace's 5x5/s2 stem with 3 input channels. */
  if (!st && is_i8 && !G.is_matmul && L->vnni && G.g.groups == 1 && G.g.cin > 1 && pixels0 >= 8 &&
      G.g.dil_h == 1 && G.g.dil_w == 1 && kwc <= 64 && !getenv("AJPQ_NO_GEMM") && !getenv("AJPQ_NO_WINDOWS") &&
      !(G.g.kh == 1 && G.g.kw == 1 && G.g.stride_h == 1 && G.g.stride_w == 1 &&
        G.g.pad_top + G.g.pad_bottom + G.g.pad_left + G.g.pad_right == 0)) {
    G.win_kwc4 = (kwc + 3) / 4 * 4;
    ajpq_kernels_weights_t w2 = w;
    if (G.win_kwc4 != kwc) {
      relaid = relayout_windows(&w, G.g.kh, kwc, G.win_kwc4, &w2.packed_size);
      if (relaid) {
        w2.packed = relaid;
        w2.k = G.g.kh * G.win_kwc4;
      } else { /* malformed weights (or no memory): the plain path reports it */
        G.win_kwc4 = 0;
      }
    }
    st = ajpq_kernels_pack(&w2, 1, &p);
  } else if (!st) {
    st = ajpq_kernels_pack(&w, G.g.groups, &p);
  }
  free(relaid);
  if (st) {
    emit_errorf(op, "ajpq-lower-to-kernels: %s", ajpq_status_message(st));
    ajpq_status_free(st);
    goto done;
  }
  int64_t pixels = G.g.batch * G.g.oh * G.g.ow;
  int gemm = is_i8 && G.g.cin_per_group > 1 && L->vnni && G.g.groups == 1 && pixels >= 8 && !getenv("AJPQ_NO_GEMM");
  int dw = !gemm && is_i8 && !G.is_matmul && G.g.cin_per_group == 1 && G.g.n == G.g.groups &&
           !getenv("AJPQ_NO_DW_VECTOR");
  /* f32 input, groups 1: matmul or 1x1/s1/p0 conv (input rows are GEMM rows) or any other conv (windowed) */
  int f32v = !is_i8 && G.g.groups == 1 && !getenv("AJPQ_NO_F32_VECTOR");
  /* f32 conv with < 8 output channels: 16 pixels per vector instead (emit_f32_pixels), except
   * 1x1/s1/p0 convs with groups 1, whose rows the channel kernel reads in place (the planar copy
   * made BlazeFace's 2- and 6-channel 1x1 heads slower: 1.9 -> 3.7 us). Not for more channels:
   * a 3x3 depthwise over 56x56x96 took 0.78 ms (one scatter per channel and block) against
   * 0.43 ms for emit_direct, whose channel loop LLVM vectorizes. */
  int f32px = !is_i8 && !G.is_matmul && G.g.n < 8 && G.g.stride_w == 1 && !getenv("AJPQ_NO_F32_VECTOR") &&
              !getenv("AJPQ_NO_F32_PIXELS") &&
              !(G.g.groups == 1 && G.g.kh == 1 && G.g.kw == 1 && G.g.stride_h == 1 &&
                G.g.pad_top + G.g.pad_bottom + G.g.pad_left + G.g.pad_right == 0);
  if (f32px)
    f32v = 0;
  /* The vectorized epilogues (GEMM, depthwise) absorb the float chain. */
  fuse_t F;
  find_fusion(op, &F);
  if (!gemm && !dw)
    F = (fuse_t){.want_y = 1};
  G.F = &F;
  if (F.quant.ptr) {
    if (L->num_consumed == L->cap_consumed) {
      size_t cap = L->cap_consumed ? 2 * L->cap_consumed : 16;
      MlirOperation *c = realloc(L->consumed, cap * sizeof *c);
      if (!c)
        goto done;
      L->consumed = c;
      L->cap_consumed = cap;
    }
    L->consumed[L->num_consumed++] = F.quant;
  }
  if (gemm)
    ok = emit_i8_gemm(L, op, name, &G, p, a.input_zero_point, a.input_scale);
  else if (is_i8 && G.g.cin_per_group > 1)
    ok = emit_i8_vector(L, op, name, &G, p, a.input_zero_point, a.input_scale);
  else if (dw)
    ok = emit_dw_vector(L, op, name, &G, p, a.input_zero_point, a.input_scale);
  else if (f32v)
    ok = emit_f32_vector(L, op, name, &G, p);
  else if (f32px)
    ok = emit_f32_pixels(L, op, name, &G, p);
  else
    ok = emit_direct(L, op, name, &G, p, is_i8, a.input_zero_point, a.input_scale);
  if (ok) {
    const char *kind = gemm ? "gemm" : (is_i8 && G.g.cin_per_group > 1) ? "reduction" : dw ? "depthwise"
                       : f32v ? "f32-vector" : f32px ? "f32-pixels" : is_i8 ? "direct-i8" : "direct-f32";
    replace_with_call(L, op, name, &F, kind, pixels * G.g.n * w.k);
  }
done:
  ajpq_kernels_packed_destroy(p);
  ajpq_compute_attrs_release(&a);
  return ok;
}

/* ----------------------------------------------- float tosa.matmul kernel */

/* Float `tosa.matmul` A [BA,M,K] x B [BB,K,N] -> C [BA,M,N] (BB = BA or 1;
 * the unquantized linear layers and attention products of e.g. PP-OCRv4
 * rec, whose 20x120x6625 CTC head took 13 of its 20 ms as upstream scalar
 * loops with B read column-wise). Vectorized over 16 columns of N, MR rows
 * of A per register block (MR <= 6, balanced so that ceil(M/MR)·MR - M is
 * small; tail rows recompute row M-1 and are not stored), the column block
 * of B (K x 16 floats) reused from L1 by every row block. Each output lane
 * is Σ_k a·b in k order from +0.0 with mulf then addf: bit-identical to the
 * upstream lowering (fill 0.0, then c += a·b over k), which the reference
 * executor matches to float tolerance (it calls OpenBLAS). Zero points are
 * ignored: TOSA requires them to be 0 for f32. */
static int emit_f32_matmul(lower_t *L, MlirOperation op, const char *name, MlirType at, MlirType bt, MlirType ct) {
  int64_t BA = mlirShapedTypeGetDimSize(at, 0), M = mlirShapedTypeGetDimSize(at, 1), K = mlirShapedTypeGetDimSize(at, 2);
  int64_t BB = mlirShapedTypeGetDimSize(bt, 0), N = mlirShapedTypeGetDimSize(bt, 2);
  /* row blocks of at most 6 rows (rec's 20x120x6625 head, sum of per-op minima at load 12: 12 rows
   * per block 0.95 ms, 8: 0.80, 6: 0.63-0.78, 4: 0.82-0.87, 20: 1.3 with spills) */
  int64_t nmb = (M + 5) / 6, MR = (M + nmb - 1) / nmb, NF = N / 16 * 16;
  sb_t b = {0};
  char as[128], bs[128], cs[128];
  shape_text(at, as, sizeof as);
  shape_text(bt, bs, sizeof bs);
  shape_text(ct, cs, sizeof cs);
  sb_printf(&b, "func.func private @%s(%%a: memref<%sf32>, %%b: memref<%sf32>, %%c: memref<%sf32>) attributes {%s, "
                "passthrough = [\"noinline\", [\"min-legal-vector-width\", \"512\"]]} {\n",
            name, as, bs, cs, k_internal);
  sb_printf(&b, "    %%c0 = arith.constant 0 : index\n    %%c1 = arith.constant 1 : index\n"
                "    %%c16 = arith.constant 16 : index\n    %%zf = arith.constant dense<0.0> : vector<16xf32>\n");
  CIDX(cBA, BA);
  CIDX(cK, K);
  CIDX(cN, N);
  CIDX(cNF, NF);
  CIDX(cNMB, nmb);
  CIDX(cMR, MR);
  CIDX(cMm1, M - 1);
  CIDX(cM, M);
  sb_printf(&b, "    scf.for %%i = %%c0 to %s step %%c1 {\n", cBA);
  sb_printf(&b, "    %%ib = %s\n", BB == 1 ? "arith.constant 0 : index" : "arith.addi %i, %c0 : index");
  for (int tail = 0; tail < 2; ++tail) {
    if (tail && NF == N)
      break;
    if (!tail)
      sb_printf(&b, "    scf.for %%n0 = %%c0 to %s step %%c16 {\n", cNF);
    else
      sb_printf(&b, "    scf.for %%n0 = %s to %s step %%c16 {\n    %%rem = arith.subi %s, %%n0 : index\n"
                    "    %%m = vector.create_mask %%rem : vector<16xi1>\n",
                cNF, cN, cN);
    sb_printf(&b, "    scf.for %%mb = %%c0 to %s step %%c1 {\n    %%m0 = arith.muli %%mb, %s : index\n", cNMB, cMR);
    for (int64_t r = 0; r < MR; ++r) {
      CIDX(cr, r);
      sb_printf(&b, "    %%mu%lld = arith.addi %%m0, %s : index\n    %%mr%lld = arith.minui %%mu%lld, %s : index\n",
                (long long)r, cr, (long long)r, (long long)r, cMm1);
    }
    sb_printf(&b, "    %%acc:%lld = scf.for %%k = %%c0 to %s step %%c1 iter_args(", (long long)MR, cK);
    for (int64_t r = 0; r < MR; ++r)
      sb_printf(&b, "%s%%s%lld = %%zf", r ? ", " : "", (long long)r);
    sb_printf(&b, ") -> (");
    for (int64_t r = 0; r < MR; ++r)
      sb_printf(&b, "%svector<16xf32>", r ? ", " : "");
    sb_printf(&b, ") {\n");
    if (!tail)
      sb_printf(&b, "    %%bv = vector.load %%b[%%ib, %%k, %%n0] : memref<%sf32>, vector<16xf32>\n", bs);
    else
      sb_printf(&b, "    %%bv = vector.maskedload %%b[%%ib, %%k, %%n0], %%m, %%zf : memref<%sf32>, vector<16xi1>, "
                    "vector<16xf32> into vector<16xf32>\n",
                bs);
    for (int64_t r = 0; r < MR; ++r) {
      long long q = (long long)r;
      sb_printf(&b, "    %%as%lld = memref.load %%a[%%i, %%mr%lld, %%k] : memref<%sf32>\n", q, q, as);
      sb_printf(&b, "    %%ab%lld = vector.broadcast %%as%lld : f32 to vector<16xf32>\n", q, q);
      sb_printf(&b, "    %%pr%lld = arith.mulf %%ab%lld, %%bv : vector<16xf32>\n", q, q);
      sb_printf(&b, "    %%t%lld = arith.addf %%s%lld, %%pr%lld : vector<16xf32>\n", q, q, q);
    }
    sb_printf(&b, "    scf.yield ");
    for (int64_t r = 0; r < MR; ++r)
      sb_printf(&b, "%s%%t%lld", r ? ", " : "", (long long)r);
    sb_printf(&b, " : ");
    for (int64_t r = 0; r < MR; ++r)
      sb_printf(&b, "%svector<16xf32>", r ? ", " : "");
    sb_printf(&b, "\n    }\n");
    for (int64_t r = 0; r < MR; ++r) {
      long long q = (long long)r;
      int guard = nmb * MR > M;
      if (guard)
        sb_printf(&b, "    %%in%lld = arith.cmpi ult, %%mu%lld, %s : index\n    scf.if %%in%lld {\n", q, q, cM, q);
      if (!tail)
        sb_printf(&b, "    vector.store %%acc#%lld, %%c[%%i, %%mu%lld, %%n0] : memref<%sf32>, vector<16xf32>\n", q, q, cs);
      else
        sb_printf(&b, "    vector.maskedstore %%c[%%i, %%mu%lld, %%n0], %%m, %%acc#%lld : memref<%sf32>, vector<16xi1>, "
                      "vector<16xf32>\n",
                  q, q, cs);
      if (guard)
        sb_printf(&b, "    }\n");
    }
    sb_printf(&b, "    }\n    }\n");
  }
  sb_printf(&b, "    }\n    return\n}\n");
  return finish_kernel(L, op, &b);
}

/* Replaces a float `tosa.matmul` with static shapes by a call of
 * emit_f32_matmul's kernel (AJPQ_NO_F32_MATMUL=1: left to the upstream
 * pipeline, for A/B timing). Anything else (integer, dynamic shapes, a
 * batch mismatch) is left as it is. */
static int lower_tosa_matmul(lower_t *L, MlirOperation op) {
  if (getenv("AJPQ_NO_F32_MATMUL") || mlirOperationGetNumOperands(op) < 2 || mlirOperationGetNumResults(op) != 1)
    return 1;
  MlirValue a = mlirOperationGetOperand(op, 0), bv = mlirOperationGetOperand(op, 1), c = mlirOperationGetResult(op, 0);
  MlirType at = mlirValueGetType(a), bt = mlirValueGetType(bv), ct = mlirValueGetType(c);
  MlirType ts[3] = {at, bt, ct};
  for (int i = 0; i < 3; ++i)
    if (!mlirTypeIsARankedTensor(ts[i]) || !mlirShapedTypeHasStaticShape(ts[i]) || mlirShapedTypeGetRank(ts[i]) != 3 ||
        !mlirTypeIsAF32(mlirShapedTypeGetElementType(ts[i])))
      return 1;
  int64_t BA = mlirShapedTypeGetDimSize(at, 0), BB = mlirShapedTypeGetDimSize(bt, 0);
  if ((BB != BA && BB != 1) || mlirShapedTypeGetDimSize(at, 2) != mlirShapedTypeGetDimSize(bt, 1) ||
      mlirShapedTypeGetDimSize(ct, 0) != BA || mlirShapedTypeGetDimSize(ct, 1) != mlirShapedTypeGetDimSize(at, 1) ||
      mlirShapedTypeGetDimSize(ct, 2) != mlirShapedTypeGetDimSize(bt, 2) || num_elements(ct) == 0 ||
      mlirShapedTypeGetDimSize(at, 2) == 0)
    return 1;
  char name[64];
  do {
    snprintf(name, sizeof name, "__ajpq_k%d", L->counter++);
  } while (!mlirOperationIsNull(mlirSymbolTableLookup(L->symbols, mlirStringRefCreateFromCString(name))));
  if (!emit_f32_matmul(L, op, name, at, bt, ct))
    return 0;
  MlirValue args[3] = {to_buffer(L, op, a), to_buffer(L, op, bv), alloc_for(L, op, ct)};
  MlirOperationState call = mlirOperationStateGet(mlirStringRefCreateFromCString("func.call"), mlirOperationGetLocation(op));
  mlirOperationStateAddOperands(&call, 3, args);
  int64_t macs = BA * mlirShapedTypeGetDimSize(at, 1) * mlirShapedTypeGetDimSize(at, 2) * mlirShapedTypeGetDimSize(bt, 2);
  MlirNamedAttribute info[] = {
      named(L->ctx, "callee", mlirFlatSymbolRefAttrGet(L->ctx, mlirStringRefCreateFromCString(name))),
      named(L->ctx, "ajpq.kernel", mlirStringAttrGet(L->ctx, mlirStringRefCreateFromCString("f32-matmul"))),
      named(L->ctx, "ajpq.fused", mlirStringAttrGet(L->ctx, mlirStringRefCreateFromCString(""))),
      named(L->ctx, "ajpq.macs", mlirIntegerAttrGet(mlirIntegerTypeGet(L->ctx, 64), macs))};
  mlirOperationStateAddAttributes(&call, 4, info);
  insert_before(op, &call);
  mlirValueReplaceAllUsesOfWith(c, to_tensor(L, op, args[2], ct));
  mlirOperationDestroy(op);
  return 1;
}

static int lower_one(lower_t *L, MlirOperation op) {
  if (op_is(op, "tosa.matmul"))
    return lower_tosa_matmul(L, op);
  ajpq_op_kind_t kind = ajpq_op_kind(op);
  char name[64];
  do {
    snprintf(name, sizeof name, "__ajpq_k%d", L->counter++);
  } while (!mlirOperationIsNull(mlirSymbolTableLookup(L->symbols, mlirStringRefCreateFromCString(name))));
  int ok = 0;
  if (mlirOperationGetNumOperands(op) != 1 || mlirOperationGetNumResults(op) != 1) {
    emit_errorf(op, "ajpq-lower-to-kernels: expected one operand and one result");
    return 0;
  }
  switch (kind) {
  case AJPQ_OP_CONV2D:
  case AJPQ_OP_MATMUL:
    return lower_compute(L, op, name); /* replaces op itself */
  case AJPQ_OP_QUANTIZE:
  case AJPQ_OP_DEQUANTIZE: {
    ajpq_act_qparams_t q;
    if (!ajpq_act_read(op, &q) || !static_ranked(op, mlirOperationGetOperand(op, 0), "input"))
      return 0;
    ok = emit_quant(L, op, name, mlirValueGetType(mlirOperationGetOperand(op, 0)),
                    mlirValueGetType(mlirOperationGetResult(op, 0)), kind == AJPQ_OP_QUANTIZE, &q);
    break;
  }
  case AJPQ_OP_GATHER:
  case AJPQ_OP_SCATTER: {
    ajpq_channel_map_t m;
    if (!ajpq_channel_map_read(op, &m))
      return 0;
    if (static_ranked(op, mlirOperationGetOperand(op, 0), "input"))
      ok = emit_channel_map(L, op, name, mlirValueGetType(mlirOperationGetOperand(op, 0)),
                            mlirValueGetType(mlirOperationGetResult(op, 0)), kind == AJPQ_OP_SCATTER, &m);
    ajpq_channel_map_release(&m);
    break;
  }
  default:
    return 1;
  }
  if (!ok)
    return 0;
  static const char *const kinds[] = {[AJPQ_OP_QUANTIZE] = "quantize", [AJPQ_OP_DEQUANTIZE] = "dequantize",
                                      [AJPQ_OP_GATHER] = "gather", [AJPQ_OP_SCATTER] = "scatter"};
  replace_with_call(L, op, name, &(fuse_t){.want_y = 1}, kinds[kind], 0);
  return 1;
}

typedef struct {
  MlirOperation *ops;
  size_t n, cap;
  int oom;
} op_list_t;

static MlirWalkResult collect(MlirOperation op, void *ud) {
  op_list_t *l = ud;
  if (ajpq_op_kind(op) == AJPQ_OP_NONE && !op_is(op, "tosa.matmul"))
    return MlirWalkResultAdvance;
  if (l->n == l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 16;
    MlirOperation *o = realloc(l->ops, cap * sizeof *o);
    if (!o) {
      l->oom = 1;
      return MlirWalkResultInterrupt;
    }
    l->ops = o;
    l->cap = cap;
  }
  l->ops[l->n++] = op;
  return MlirWalkResultAdvance;
}

/* True iff `features` (LLVM "+a,-b" form) enables `name`. Later entries win. */
static int has_feature(const char *features, const char *name) {
  int on = 0;
  size_t n = strlen(name);
  for (const char *p = features; p && *p;) {
    const char *e = strchr(p, ',');
    size_t len = e ? (size_t)(e - p) : strlen(p);
    if (len == n + 1 && strncmp(p + 1, name, n) == 0)
      on = p[0] == '+';
    p = e ? e + 1 : p + len;
  }
  return on;
}

/* Checks a user-given feature string: a comma-separated list of `+name` or
 * `-name` items, each name one the host's LLVM X86 feature list knows
 * (LLVMGetHostCPUFeatures names every ISA feature, enabled or not). LLVM
 * itself only warns and ignores unknown features, which would silently
 * produce portable code for a typo such as "+avx512vnn". On failure writes
 * the offending item to `bad`. */
static bool features_valid(const char *features, char *bad, size_t bad_size) {
  char *host = LLVMGetHostCPUFeatures();
  bool ok = true;
  for (const char *p = features; ok && *p;) {
    const char *e = strchr(p, ',');
    size_t len = e ? (size_t)(e - p) : strlen(p);
    ok = len >= 2 && (p[0] == '+' || p[0] == '-');
    if (ok) {
      ok = false;
      for (const char *h = host; h && *h && !ok;) {
        const char *he = strchr(h, ',');
        size_t hl = he ? (size_t)(he - h) : strlen(h);
        ok = hl == len && strncmp(h + 1, p + 1, len - 1) == 0;
        h = he ? he + 1 : h + hl;
      }
    }
    if (!ok)
      snprintf(bad, bad_size, "%.*s", (int)(len > 200 ? 200 : len), p);
    p = e ? e + 1 : p + len;
  }
  LLVMDisposeMessage(host);
  return ok;
}

/* Spatial zero padding in front of an int8 conv, as TF/Keras exports write
 * SAME padding of strided convs (MLSD: tosa.pad of 0.0 by (0,1,0,1), then
 * ajpq.quantize, then ajpq.conv2d with pad 0):
 *     conv(quantize(pad(x, 0.0)), pad P)  ==  conv(quantize(x), pad P + p)
 * bit for bit, because quantize(0.0) is the conv's input zero point z_x and
 * the conv's own padding holds z_x (a padded tap adds 0 to both int32
 * sums). Rewrites the quantize to read x and widens the conv's pad, so the
 * padded copy of the whole activation (MLSD 320x320: 1.1 ms of 18 per image)
 * is never written; the pad is erased when nothing else reads it. Only when
 * the quantize feeds this conv alone, the pad value is a +0.0 splat and the
 * N and C dims are not padded; anything else is left as it is.
 * AJPQ_NO_PAD_FOLD=1 disables it. */
static void fold_input_pad(MlirOperation conv) {
  if (getenv("AJPQ_NO_PAD_FOLD") || ajpq_op_kind(conv) != AJPQ_OP_CONV2D || mlirOperationGetNumOperands(conv) != 1)
    return;
  MlirValue qv = mlirOperationGetOperand(conv, 0);
  if (!mlirValueIsAOpResult(qv))
    return;
  MlirOperation q = mlirOpResultGetOwner(qv);
  ajpq_act_qparams_t qp;
  if (ajpq_op_kind(q) != AJPQ_OP_QUANTIZE || mlirOperationGetNumOperands(q) != 1 ||
      mlirOperationIsNull(single_user(qv)) || !ajpq_act_read(q, &qp))
    return;
  /* The two attributes read directly (ajpq_compute_read would copy the weights). */
  MlirAttribute zx = mlirOperationGetAttributeByName(conv, mlirStringRefCreateFromCString("input_zero_point"));
  MlirAttribute cp = mlirOperationGetAttributeByName(conv, mlirStringRefCreateFromCString("pad"));
  if (mlirAttributeIsNull(zx) || !mlirAttributeIsAInteger(zx) || mlirAttributeIsNull(cp) ||
      !mlirAttributeIsADenseI64Array(cp) || mlirDenseArrayGetNumElements(cp) != 4 ||
      ajpq_act_quantize_value(0.0f, &qp) != mlirIntegerAttrGetValueInt(zx))
    return;
  MlirValue pv = mlirOperationGetOperand(q, 0);
  if (!mlirValueIsAOpResult(pv))
    return;
  MlirOperation pad = mlirOpResultGetOwner(pv);
  if (!op_is(pad, "tosa.pad") || mlirOperationGetNumOperands(pad) != 3 ||
      !is_pos_zero_splat(mlirOperationGetOperand(pad, 2)))
    return;
  MlirValue x = mlirOperationGetOperand(pad, 0), sv = mlirOperationGetOperand(pad, 1);
  MlirType xt = mlirValueGetType(x), qt = mlirValueGetType(qv);
  if (!mlirValueIsAOpResult(sv) || !mlirTypeIsARankedTensor(xt) || mlirShapedTypeGetRank(xt) != 4 ||
      !mlirShapedTypeHasStaticShape(xt) || !mlirTypeIsARankedTensor(qt))
    return;
  MlirOperation shp = mlirOpResultGetOwner(sv);
  MlirAttribute vals = mlirOperationGetAttributeByName(shp, mlirStringRefCreateFromCString("values"));
  if (!op_is(shp, "tosa.const_shape") || mlirAttributeIsNull(vals) || !mlirAttributeIsADenseElements(vals) ||
      mlirElementsAttrGetNumElements(vals) != 8)
    return;
  int64_t p[8];
  for (int i = 0; i < 8; ++i) {
    p[i] = (int64_t)mlirDenseElementsAttrGetIndexValue(vals, i);
    if (p[i] < 0 || p[i] > (1 << 20))
      return;
  }
  if (p[0] || p[1] || p[6] || p[7])
    return;
  int64_t np[4];
  for (int i = 0; i < 4; ++i)
    np[i] = mlirDenseI64ArrayGetElement(cp, i) + p[2 + i];
  int64_t shape[4];
  for (int i = 0; i < 4; ++i)
    shape[i] = mlirShapedTypeGetDimSize(xt, i);
  MlirContext ctx = mlirOperationGetContext(conv);
  mlirValueSetType(qv, mlirRankedTensorTypeGet(4, shape, mlirShapedTypeGetElementType(qt), mlirAttributeGetNull()));
  mlirOperationSetOperand(q, 0, x);
  mlirOperationSetAttributeByName(conv, mlirStringRefCreateFromCString("pad"), mlirDenseI64ArrayGet(ctx, 4, np));
  if (mlirOpOperandIsNull(mlirValueGetFirstUse(pv)))
    mlirOperationDestroy(pad);
}

static bool lower_run(MlirOperation module, const ajpq_pass_options_t *opts, void *ctx) {
  (void)ctx;
  const char *features = ajpq_opt_string(opts, "target-features");
  char *host = NULL;
  char bad[256];
  if (features && *features && !features_valid(features, bad, sizeof bad)) {
    emit_errorf(module,
                "ajpq-lower-to-kernels: option 'target-features': '%s' is not a known LLVM X86 "
                "feature (expected a comma-separated list of +name/-name, e.g. "
                "+avx512f,+avx512bw,+avx512vnni)",
                bad);
    return false;
  }
  if (!features || !*features)
    features = host = LLVMGetHostCPUFeatures();
  lower_t L = {0};
  L.module = module;
  L.ctx = mlirOperationGetContext(module);
  L.body = mlirRegionGetFirstBlock(mlirOperationGetRegion(module, 0));
  L.vnni = has_feature(features, "avx512f") && has_feature(features, "avx512bw") &&
           has_feature(features, "avx512vnni");
  if (host)
    LLVMDisposeMessage(host);
  /* The glue ops are built with OperationState: their dialects must be loaded. */
  static const char *const dialects[] = {"arith", "bufferization", "func", "llvm", "math", "memref", "scf", "vector"};
  for (size_t i = 0; i < sizeof dialects / sizeof dialects[0]; ++i)
    if (mlirDialectIsNull(mlirContextGetOrLoadDialect(L.ctx, mlirStringRefCreateFromCString(dialects[i])))) {
      emit_errorf(module, "ajpq-lower-to-kernels: dialect '%s' is not registered in the context", dialects[i]);
      return false;
    }
  L.symbols = mlirSymbolTableCreate(module);
  op_list_t list = {0};
  mlirOperationWalk(module, collect, &list, MlirWalkPreOrder);
  bool ok = !list.oom;
  /* Before any op is lowered: it changes a quantize that precedes its conv. */
  for (size_t i = 0; ok && i < list.n; ++i)
    fold_input_pad(list.ops[i]);
  for (size_t i = 0; ok && i < list.n; ++i)
    if (!consumed(&L, list.ops[i]))
      ok = lower_one(&L, list.ops[i]);
  free(list.ops);
  free(L.consumed);
  free(L.pending);
  mlirSymbolTableDestroy(L.symbols);
  return ok;
}

static const ajpq_pass_option_t lower_options[] = {
    {.name = "target-features",
     .kind = AJPQ_OPT_STRING,
     .default_value = NULL,
     .help = "LLVM target features (\"+avx512f,+avx512bw,+avx512vnni\"); default: the host's. "
             "VNNI kernels iff avx512f+avx512bw+avx512vnni, else portable vector kernels"},
};

const ajpq_pass_info_t ajpq_pass_lower_to_kernels = {
    .name = "ajpq-lower-to-kernels",
    .summary = "Lower ajpq ops to bit-packed vector kernels (AVX-512 VNNI or portable) in standard MLIR",
    .anchor = "builtin.module",
    .options = lower_options,
    .num_options = 1,
    .run = lower_run,
    .create = NULL,
    .destroy = NULL,
};
