/* joint_compress_rewrite.c — rewrites the entry function with a strategy
 * into the ajpq dialect (docs/dialect.md):
 *  - every compressed layer becomes ajpq.conv2d / ajpq.matmul holding its
 *    kept channels only (symmetric per-channel quantization, rowpacked-lsb
 *    weights restricted to the kept input channels, `kept` = original
 *    indices), preceded by ajpq.quantize when activations are quantized;
 *  - every value that carried an erased channel shrinks along its channel
 *    axis: result types are updated, per-channel constants sliced, and the
 *    shape operands of tosa.reshape / tosa.pad / tosa.slice recomputed;
 *  - an erased channel's bias goes with it: with erasure meaning "the channel
 *    contributes nothing downstream" (the masked evaluation zeroes the
 *    consumers' input columns too) no bias folding is needed and
 *    masked ≡ erased holds exactly up to float summation order.
 * Groups that must keep their width are never erased (the search does not
 * erase them), so no ajpq.scatter is needed. Dead constants are removed.
 */
#include "ajpq_dialect.h"
#include "ajpq_joint_compress.h"
#include "mlir-c/BuiltinAttributes.h"
#include "mlir-c/BuiltinTypes.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool op_is(MlirOperation op, const char *name) {
  MlirStringRef s = mlirIdentifierStr(mlirOperationGetName(op));
  return s.length == strlen(name) && memcmp(s.data, name, s.length) == 0;
}

static MlirAttribute attr(MlirOperation op, const char *name) {
  return mlirOperationGetAttributeByName(op, mlirStringRefCreateFromCString(name));
}

static int shape_of(MlirType t, int64_t *d) {
  if (!mlirTypeIsARankedTensor(t))
    return -1;
  int r = (int)mlirShapedTypeGetRank(t);
  if (r > 8)
    return -1;
  for (int i = 0; i < r; i++)
    d[i] = mlirShapedTypeGetDimSize(t, i);
  return r;
}

typedef struct {
  const ajpq_channel_graph_t *g;
  const uint8_t *gerased;
  MlirContext ctx;
  MlirBlock block;
} rw_t;

static bool node_erased(const rw_t *r, int32_t n) {
  int32_t gi = r->g->group_of_node[n];
  return gi >= 0 && r->gerased[gi];
}

static int64_t kept_count(const rw_t *r, const int32_t *ids, int64_t n) {
  int64_t k = 0;
  for (int64_t i = 0; i < n; i++)
    k += !node_erased(r, ids[i]);
  return k;
}

static MlirOperation make_op(MlirLocation loc, const char *name, MlirType res, int nattr,
                             MlirNamedAttribute *attrs) {
  MlirOperationState st = mlirOperationStateGet(mlirStringRefCreateFromCString(name), loc);
  mlirOperationStateAddResults(&st, 1, &res);
  mlirOperationStateAddAttributes(&st, nattr, attrs);
  return mlirOperationCreate(&st);
}

/* New tosa.const_shape with `vals` inserted before `before`. */
static MlirValue const_shape(rw_t *r, MlirOperation before, const int64_t *vals, int n) {
  char tbuf[64];
  snprintf(tbuf, sizeof tbuf, "!tosa.shape<%d>", n);
  MlirType st = mlirTypeParseGet(r->ctx, mlirStringRefCreateFromCString(tbuf));
  MlirType idx = mlirIndexTypeGet(r->ctx);
  int64_t dim = n;
  MlirType tt = mlirRankedTensorTypeGet(1, &dim, idx, mlirAttributeGetNull());
  MlirAttribute el[16];
  for (int i = 0; i < n && i < 16; i++)
    el[i] = mlirIntegerAttrGet(idx, vals[i]);
  MlirAttribute v = mlirDenseElementsAttrGet(tt, n, el);
  MlirNamedAttribute na = mlirNamedAttributeGet(
      mlirIdentifierGet(r->ctx, mlirStringRefCreateFromCString("values")), v);
  MlirOperation op = make_op(mlirOperationGetLocation(before), "tosa.const_shape", st, 1, &na);
  mlirBlockInsertOwnedOperationBefore(r->block, before, op);
  return mlirOperationGetResult(op, 0);
}

/* Slices a constant operand `v` (f32 tosa.const, or a tosa.reshape chain over one: the
 * importer's broadcast form of a lower-rank constant, see is_const_value in channel_graph.c)
 * along `axis` of v's type keeping the positions where keep[i]; returns a new tosa.const of
 * v's sliced shape (inserted before `before`; a reshape is row-major, so the root constant's
 * elements are v's elements in order) or a null value if `v` is not such a constant. The
 * old chain is left dead for ajpq_jc_rewrite's clean-up. */
static MlirValue slice_const(rw_t *r, MlirOperation before, MlirValue v, int axis,
                             const uint8_t *keep, int64_t old_n) {
  MlirValue null = {NULL};
  if (!mlirValueIsAOpResult(v))
    return null;
  MlirOperation d = mlirOpResultGetOwner(v);
  for (int hop = 0; hop < 16 && op_is(d, "tosa.reshape"); hop++) {
    MlirValue in = mlirOperationGetOperand(d, 0);
    if (!mlirValueIsAOpResult(in))
      return null;
    d = mlirOpResultGetOwner(in);
  }
  if (!op_is(d, "tosa.const"))
    return null;
  MlirAttribute a = attr(d, "values");
  MlirType t = mlirValueGetType(v);
  int64_t dims[8];
  int rank = shape_of(t, dims);
  if (rank <= axis || dims[axis] != old_n || !mlirTypeIsAF32(mlirShapedTypeGetElementType(t)))
    return null;
  int64_t total = mlirElementsAttrGetNumElements(a), outer = 1, inner = 1, vtotal = 1;
  for (int i = 0; i < rank; i++)
    vtotal *= dims[i];
  if (vtotal != total ||
      !mlirTypeIsAF32(mlirShapedTypeGetElementType(mlirAttributeGetType(a))))
    return null;
  for (int i = 0; i < axis; i++)
    outer *= dims[i];
  for (int i = axis + 1; i < rank; i++)
    inner *= dims[i];
  float *src = malloc((size_t)total * sizeof(float));
  float *dst = malloc((size_t)total * sizeof(float));
  if (!src || !dst) {
    free(src);
    free(dst);
    return null;
  }
  bool splat = mlirAttributeIsADenseElements(a) && mlirDenseElementsAttrIsSplat(a);
  for (int64_t i = 0; i < total; i++)
    src[i] = splat ? mlirDenseElementsAttrGetFloatSplatValue(a)
             : mlirAttributeIsADenseElements(a) ? mlirDenseElementsAttrGetFloatValue(a, i)
                                                : mlirDenseFloatResourceElementsAttrGetValue(a, i);
  int64_t nk = 0, o = 0;
  for (int64_t c = 0; c < old_n; c++)
    nk += keep[c] != 0;
  for (int64_t i = 0; i < outer; i++)
    for (int64_t c = 0; c < old_n; c++)
      if (keep[c])
        for (int64_t j = 0; j < inner; j++)
          dst[o++] = src[(i * old_n + c) * inner + j];
  dims[axis] = nk;
  MlirType nt = mlirRankedTensorTypeGet(rank, dims, mlirF32TypeGet(r->ctx), mlirAttributeGetNull());
  MlirAttribute nv = mlirDenseElementsAttrFloatGet(nt, o, dst);
  free(src);
  free(dst);
  MlirNamedAttribute na = mlirNamedAttributeGet(
      mlirIdentifierGet(r->ctx, mlirStringRefCreateFromCString("values")), nv);
  MlirOperation op = make_op(mlirOperationGetLocation(d), "tosa.const", nt, 1, &na);
  mlirBlockInsertOwnedOperationBefore(r->block, before, op);
  return mlirOperationGetResult(op, 0);
}

static void set_dim(MlirValue v, int axis, int64_t n) {
  MlirType t = mlirValueGetType(v);
  int64_t d[8];
  int rank = shape_of(t, d);
  if (rank <= axis)
    return;
  d[axis] = n;
  mlirValueSetType(v, mlirRankedTensorTypeGet(rank, d, mlirShapedTypeGetElementType(t),
                                              mlirRankedTensorTypeGetEncoding(t)));
}

/* Reads a tosa.const_shape operand into vals[0..8); returns its length or -1. */
static int read_shape_operand(MlirOperation op, int which, int64_t *vals) {
  MlirValue v = mlirOperationGetOperand(op, which);
  if (!mlirValueIsAOpResult(v))
    return -1;
  MlirAttribute pa = attr(mlirOpResultGetOwner(v), "values");
  if (mlirAttributeIsNull(pa) || !mlirAttributeIsADenseElements(pa))
    return -1;
  int np = (int)mlirElementsAttrGetNumElements(pa);
  bool splat = mlirDenseElementsAttrIsSplat(pa);
  for (int i = 0; i < np && i < 8; i++)
    vals[i] = mlirDenseElementsAttrGetIndexValue(pa, splat ? 0 : i);
  return np <= 8 ? np : -1;
}

/* tosa.slice along the channel axis: start and size address channels by
 * position, so they are recomputed over the kept channels of the input
 * whenever the input lost channels — also when the slice's own range lost
 * none (a slice [8, +4) of 16 channels becomes [3, +4) after erasing 5 of
 * channels 0..7; leaving it at 8 read past the end: MLSD, /work/qa-models).
 * The original start is read from the op, not matched by channel id (a
 * flattened channel axis repeats ids). The kept range is contiguous because
 * erasure keeps channel order. The channel graph pins the first channel of a
 * proper channel slice, so the slice never becomes empty. */
static bool remap_slice(rw_t *r, MlirOperation op) {
  MlirValue in = mlirOperationGetOperand(op, 0), res = mlirOperationGetResult(op, 0);
  int iax, axis;
  int64_t isz, size;
  const int32_t *iids, *ids;
  if (!ajpq_cg_value_channels(r->g, in, &iax, &isz, &iids) ||
      !ajpq_cg_value_channels(r->g, res, &axis, &size, &ids) || iax != axis)
    return true;
  int64_t st[8], sz[8];
  int ns = read_shape_operand(op, 1, st), nz = read_shape_operand(op, 2, sz);
  if (ns <= axis || nz <= axis || st[axis] < 0 || st[axis] + size > isz) {
    mlirEmitError(mlirOperationGetLocation(op),
                  "joint-compress: cannot remap the channel range of this tosa.slice");
    return false;
  }
  int64_t kstart = kept_count(r, iids, st[axis]), nk = kept_count(r, ids, size);
  if (kstart == st[axis] && nk == size)
    return true;
  if (nk == 0) {
    mlirEmitError(mlirOperationGetLocation(op),
                  "joint-compress: every channel read by this tosa.slice was erased");
    return false;
  }
  st[axis] = kstart;
  sz[axis] = nk;
  mlirOperationSetOperand(op, 1, const_shape(r, op, st, ns));
  mlirOperationSetOperand(op, 2, const_shape(r, op, sz, nz));
  set_dim(res, axis, nk);
  return true;
}

/* Shrinks a non-layer op whose result carries erased channels. */
static bool shrink_op(rw_t *r, MlirOperation op) {
  if (op_is(op, "tosa.slice"))
    return remap_slice(r, op);
  /* constants are never shrunk in place: their consumers slice them
   * (slice_const) or drop a fully erased segment from a concat */
  if (mlirOperationGetNumResults(op) != 1 || op_is(op, "tosa.const") ||
      op_is(op, "tosa.const_shape"))
    return true;
  MlirValue res = mlirOperationGetResult(op, 0);
  int axis;
  int64_t size;
  const int32_t *ids;
  if (!ajpq_cg_value_channels(r->g, res, &axis, &size, &ids))
    return true;
  int64_t nk = kept_count(r, ids, size);
  if (nk == size)
    return true;
  uint8_t *keep = malloc((size_t)size);
  if (!keep)
    return false;
  for (int64_t i = 0; i < size; i++)
    keep[i] = !node_erased(r, ids[i]);
  if (op_is(op, "tosa.reshape")) {
    int64_t d[8];
    int rank = shape_of(mlirValueGetType(res), d);
    d[axis] = nk;
    mlirOperationSetOperand(op, 1, const_shape(r, op, d, rank));
  } else if (op_is(op, "tosa.pad")) {
    MlirValue in = mlirOperationGetOperand(op, 0);
    int iax;
    int64_t isz;
    const int32_t *iids;
    if (ajpq_cg_value_channels(r->g, in, &iax, &isz, &iids)) {
      /* output ids = [lo fills][input][hi fills]: find lo by matching */
      int64_t lo = 0;
      while (lo < size && ids[lo] != iids[0])
        lo++;
      int64_t klo = kept_count(r, ids, lo), khi = kept_count(r, ids + lo + isz, size - lo - isz);
      MlirValue pv = mlirOperationGetOperand(op, 1);
      int64_t pads[16];
      MlirOperation pd = mlirOpResultGetOwner(pv);
      MlirAttribute pa = attr(pd, "values");
      int np = (int)mlirElementsAttrGetNumElements(pa);
      bool splat = mlirDenseElementsAttrIsSplat(pa);
      for (int i = 0; i < np && i < 16; i++)
        pads[i] = mlirDenseElementsAttrGetIndexValue(pa, splat ? 0 : i);
      pads[2 * axis] = klo;
      pads[2 * axis + 1] = khi;
      mlirOperationSetOperand(op, 1, const_shape(r, op, pads, np));
    }
  } else {
    /* constant operands carrying the channel dim (per-channel scales,
     * biases, concat fill segments) */
    intptr_t nop = mlirOperationGetNumOperands(op);
    MlirAttribute cax = op_is(op, "tosa.concat") ? attr(op, "axis") : mlirAttributeGetNull();
    if (!mlirAttributeIsNull(cax) && mlirIntegerAttrGetValueInt(cax) == axis) {
      int64_t off = 0;
      /* operands that keep at least one channel (a fully erased constant
       * segment, e.g. zero channel padding, is dropped from the concat) */
      MlirValue *keepv = malloc((size_t)(nop > 0 ? nop : 1) * sizeof(MlirValue));
      intptr_t nkeep = 0;
      if (!keepv) {
        free(keep);
        return false;
      }
      for (intptr_t i = 0; i < nop; i++) {
        MlirValue v = mlirOperationGetOperand(op, i);
        int64_t d[8];
        int rank = shape_of(mlirValueGetType(v), d);
        int vax;
        int64_t vsz;
        const int32_t *vids;
        bool tracked = ajpq_cg_value_channels(r->g, v, &vax, &vsz, &vids);
        /* already-shrunk operands: their original width from the graph */
        int64_t w = tracked ? vsz : (rank > axis ? d[axis] : 0);
        int64_t kw = 0;
        for (int64_t j = 0; j < w && off + j < size; j++)
          kw += keep[off + j] != 0;
        if (!tracked && kw > 0 && kw < w) {
          MlirValue nv = slice_const(r, op, v, axis, keep + off, w);
          if (!mlirValueIsNull(nv))
            v = nv;
        }
        if (kw > 0)
          keepv[nkeep++] = v;
        off += w;
      }
      if (nkeep > 0)
        mlirOperationSetOperands(op, nkeep, keepv);
      free(keepv);
    } else {
      for (intptr_t i = 0; i < nop; i++) {
        MlirValue v = mlirOperationGetOperand(op, i);
        MlirValue nv = slice_const(r, op, v, axis, keep, size);
        if (!mlirValueIsNull(nv))
          mlirOperationSetOperand(op, i, nv);
      }
    }
  }
  set_dim(res, axis, nk);
  free(keep);
  return true;
}

static bool rewrite_layer(rw_t *r, const ajpq_jc_config_t *cfg, int l,
                          const ajpq_jc_strategy_t *s, const ajpq_jc_actq_t *aq) {
  const ajpq_channel_graph_t *g = r->g;
  const ajpq_cg_layer_t *L = &g->layers[l];
  MlirOperation op = L->op;
  MlirLocation loc = mlirOperationGetLocation(op);
  const int64_t K = L->k, cout = L->desc.cout;
  bool dw = L->op_kind == AJPQ_CG_TOSA_DEPTHWISE, mm = L->op_kind == AJPQ_CG_TOSA_MATMUL;
  /* kept input columns */
  uint8_t *in_kept = malloc((size_t)L->desc.cin);
  uint8_t *colk = malloc((size_t)K);
  int64_t n_kept = 0;
  for (int64_t c = 0; c < cout; c++)
    n_kept += s->bits[l][c] != 0;
  int8_t *bits = malloc((size_t)n_kept);
  int32_t *kept = malloc((size_t)n_kept * sizeof(int32_t));
  float *scale = malloc((size_t)n_kept * sizeof(float)), *zp = malloc((size_t)n_kept * sizeof(float));
  /* bias correction (wq): the evaluator's corrected bias of the masked weights */
  bool bc = cfg->bias_correction && !mm && ajpq_jc_wq_corrects(cfg->wq_stats, l);
  float *cbias = bc ? malloc((size_t)cout * sizeof(float)) : NULL;
  float *bias = (L->bias || bc) && !mm ? malloc((size_t)n_kept * sizeof(float)) : NULL;
  uint8_t *codes = malloc((size_t)(n_kept * K));
  float *row = malloc((size_t)K * sizeof(float));
  bool ok = in_kept && colk && bits && kept && scale && zp && codes && row && (bias || !L->bias || mm);
  ok = ok && (!bc || (cbias && bias));
  if (!ok) {
    mlirEmitError(loc, "joint-compress: out of memory in the rewrite");
    goto done;
  }
  if (bc) {
    /* the evaluator's biases for exactly this strategy (sequential: they depend on every
     * upstream layer, so they are not recomputed here) */
    ajpq_status_t bst = ajpq_jc_wq_bias_for(cfg->wq_stats, s, l, cbias);
    if (bst) {
      char msg[512];
      snprintf(msg, sizeof msg, "joint-compress: layer '%s': bias correction: %s", L->name,
               ajpq_status_message(bst));
      ajpq_status_free(bst);
      mlirEmitError(loc, msg);
      ok = false;
      goto done;
    }
  }
  ajpq_cg_input_kept(g, l, r->gerased, in_kept);
  int64_t cin_g = L->desc.cin / L->desc.groups, kin = 0;
  for (int64_t i = 0; i < cin_g; i++)
    kin += in_kept[i];
  for (int64_t k = 0; k < K; k++)
    colk[k] = dw ? 1 : in_kept[k % cin_g];
  int64_t K2 = dw ? K : L->desc.kh * L->desc.kw * kin;
  int64_t j = 0;
  for (int64_t c = 0; c < cout && ok; c++) {
    int b = s->bits[l][c];
    if (!b)
      continue;
    int64_t n = 0;
    for (int64_t k = 0; k < K; k++)
      if (colk[k])
        row[n++] = L->weights[c * K + k];
    ajpq_status_t st =
        ajpq_jc_wq_quant_row(g, cfg, l, c, colk, row, n, b, codes + j * K2, &scale[j], &zp[j]);
    if (st) {
      char msg[512];
      snprintf(msg, sizeof msg, "joint-compress: layer '%s' channel %lld: %s", L->name,
               (long long)c, ajpq_status_message(st));
      ajpq_status_free(st);
      mlirEmitError(loc, msg);
      ok = false;
      break;
    }
    bits[j] = (int8_t)b;
    kept[j] = (int32_t)c;
    if (bias)
      bias[j] = bc ? cbias[c] : L->bias[c];
    j++;
  }
  if (!ok)
    goto done;
  int64_t psize = ajpq_packed_size(K2, bits, n_kept);
  uint8_t *packed = malloc((size_t)(psize > 0 ? psize : 1));
  if (!packed) {
    ok = false;
    mlirEmitError(loc, "joint-compress: out of memory in the rewrite");
    goto done;
  }
  ajpq_status_t st = ajpq_pack_rows(codes, K2, bits, n_kept, packed, psize);
  if (st) {
    mlirEmitError(loc, ajpq_status_message(st));
    ajpq_status_free(st);
    free(packed);
    ok = false;
    goto done;
  }
  ajpq_compute_attrs_t a;
  memset(&a, 0, sizeof a);
  a.kind = mm ? AJPQ_OP_MATMUL : AJPQ_OP_CONV2D;
  a.n_kept = n_kept;
  a.orig_channels = cout;
  a.bits = bits;
  a.kept = kept;
  a.scale = scale;
  a.zero_point = zp;
  a.bias = bias;
  a.weights = packed;
  a.weights_size = psize;
  if (mm) {
    a.kernel[0] = K2;
  } else {
    a.kernel[0] = L->desc.kh;
    a.kernel[1] = L->desc.kw;
    a.kernel[2] = dw ? 1 : kin;
    int64_t tmp[4];
    MlirAttribute at;
    const char *names[3] = {"stride", "pad", "dilation"};
    int64_t *dsts[3] = {a.stride, a.pad, a.dilation};
    int lens[3] = {2, 4, 2};
    for (int q = 0; q < 3; q++) {
      at = attr(op, names[q]);
      for (int i = 0; i < lens[q]; i++)
        tmp[i] = mlirDenseI64ArrayGetElement(at, i);
      memcpy(dsts[q], tmp, (size_t)lens[q] * sizeof(int64_t));
    }
    a.groups = dw ? kept_count(r, L->in_node, L->desc.cin) : 1;
    if (dw && !L->in_node)
      a.groups = L->desc.cin;
    if (dw && n_kept < cout) {
      /* docs/dialect.md requires orig_channels to be a multiple of groups
       * and every kept channel to stay in its original group, which an
       * erased depthwise conv (groups = kept inputs) cannot satisfy with
       * its original numbering: number its channels as the erased op's own
       * (orig_channels = N_kept, kept = 0..N_kept-1). The original indices
       * are in the strategy file. */
      a.orig_channels = n_kept;
      for (int64_t q = 0; q < n_kept; q++)
        kept[q] = (int32_t)q;
    }
  }
  MlirValue in = mlirOperationGetOperand(op, 0);
  if (aq && aq->enabled) {
    ajpq_act_qparams_t p = {aq->scale, aq->zero_point, aq->bits};
    MlirOperation q = ajpq_build_quantize(loc, in, &p);
    if (mlirOperationIsNull(q)) {
      free(packed);
      ok = false;
      goto done;
    }
    mlirBlockInsertOwnedOperationBefore(r->block, op, q);
    in = mlirOperationGetResult(q, 0);
    a.has_input_qparams = true;
    a.input_scale = aq->scale;
    a.input_zero_point = aq->zero_point;
  }
  MlirOperation nop = ajpq_build_compute(loc, in, &a, AJPQ_WEIGHTS_DENSE);
  free(packed);
  if (mlirOperationIsNull(nop)) {
    ok = false;
    goto done;
  }
  mlirBlockInsertOwnedOperationBefore(r->block, op, nop);
  if (!ajpq_cg_rekey_value((ajpq_channel_graph_t *)g, mlirOperationGetResult(op, 0),
                           mlirOperationGetResult(nop, 0))) {
    mlirEmitError(loc, "joint-compress: out of memory in the rewrite");
    ok = false;
    goto done;
  }
  mlirValueReplaceAllUsesOfWith(mlirOperationGetResult(op, 0), mlirOperationGetResult(nop, 0));
  /* destroyed after the walk: a freed value's address must not be reused
   * while the value map still holds it */
done:
  free(in_kept);
  free(colk);
  free(bits);
  free(kept);
  free(scale);
  free(zp);
  free(bias);
  free(cbias);
  free(codes);
  free(row);
  return ok;
}

bool ajpq_jc_rewrite(ajpq_channel_graph_t *g, const ajpq_jc_config_t *cfg,
                     const ajpq_jc_strategy_t *s, const ajpq_jc_actq_t *actq) {
  if (g->n_layers == 0)
    return true;
  MlirOperation first = g->layers[0].op;
  rw_t r = {.g = g, .ctx = mlirOperationGetContext(first),
            .block = mlirOperationGetBlock(first)};
  uint8_t *ge = malloc((size_t)(g->n_groups ? g->n_groups : 1));
  if (!ge) {
    mlirEmitError(mlirOperationGetLocation(first), "joint-compress: out of memory");
    return false;
  }
  ajpq_jc_group_erased(g, s, ge);
  r.gerased = ge;
  /* collect the ops first: the walk replaces layer ops */
  size_t n = 0, cap = 256;
  MlirOperation *ops = malloc(cap * sizeof *ops);
  for (MlirOperation o = mlirBlockGetFirstOperation(r.block); ops && !mlirOperationIsNull(o);
       o = mlirOperationGetNextInBlock(o)) {
    if (n == cap) {
      MlirOperation *p = realloc(ops, 2 * cap * sizeof *ops);
      if (!p) {
        free(ops);
        ops = NULL;
        break;
      }
      ops = p;
      cap *= 2;
    }
    ops[n++] = o;
  }
  bool ok = ops != NULL;
  for (size_t i = 0; ok && i < n; i++) {
    int layer = -1;
    for (int l = 0; l < g->n_layers; l++)
      if (mlirOperationEqual(g->layers[l].op, ops[i]))
        layer = l;
    if (layer >= 0) {
      if (!(cfg->skip && cfg->skip[layer]))
        ok = rewrite_layer(&r, cfg, layer, s, actq ? &actq[layer] : NULL);
    } else {
      ok = shrink_op(&r, ops[i]);
    }
  }
  for (int l = 0; ok && l < g->n_layers; l++)
    if (!(cfg->skip && cfg->skip[l]) &&
        mlirOpOperandIsNull(mlirValueGetFirstUse(mlirOperationGetResult(g->layers[l].op, 0))))
      mlirOperationDestroy(g->layers[l].op);
  free(ops);
  free(ge);
  /* drop dead constants (repeat: const_shape users may be dead consts) */
  for (bool changed = ok; changed;) {
    changed = false;
    MlirOperation o = mlirBlockGetFirstOperation(r.block);
    while (!mlirOperationIsNull(o)) {
      MlirOperation next = mlirOperationGetNextInBlock(o);
      /* a dead tosa.reshape is the broadcast chain of a constant that slice_const
       * replaced (or one the erasure left without a reader): pure, so it goes too */
      if ((op_is(o, "tosa.const") || op_is(o, "tosa.const_shape") ||
           op_is(o, "tosa.reshape")) &&
          mlirOpOperandIsNull(mlirValueGetFirstUse(mlirOperationGetResult(o, 0)))) {
        mlirOperationDestroy(o);
        changed = true;
      }
      o = next;
    }
  }
  if (!ok)
    mlirEmitError(mlirOperationGetLocation(first), "joint-compress: rewrite failed");
  return ok;
}
