/* channel_graph.c — compressible layers, importance and the channel-
 * dependency graph shared by the search passes (see ajpq_channel_graph.h). */
#include "ajpq_channel_graph.h"

#include "ajpq_dialect.h"
#include "ajpq_output.h"
#include "mlir-c/BuiltinAttributes.h"
#include "mlir-c/BuiltinTypes.h"
#include "mlir-c/Diagnostics.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- small MLIR helpers ------------------------------------------------- */

static bool op_is(MlirOperation op, const char *name) {
  MlirStringRef s = mlirIdentifierStr(mlirOperationGetName(op));
  return s.length == strlen(name) && memcmp(s.data, name, s.length) == 0;
}

static MlirAttribute attr(MlirOperation op, const char *name) {
  return mlirOperationGetAttributeByName(op, mlirStringRefCreateFromCString(name));
}

/* Rank and dims of a ranked static tensor value; -1 otherwise. */
static int value_shape(MlirValue v, int64_t *dims, int maxr) {
  MlirType t = mlirValueGetType(v);
  if (!mlirTypeIsARankedTensor(t))
    return -1;
  int r = (int)mlirShapedTypeGetRank(t);
  if (r > maxr)
    return -1;
  for (int i = 0; i < r; i++) {
    dims[i] = mlirShapedTypeGetDimSize(t, i);
    if (mlirShapedTypeIsDynamicSize(dims[i]))
      return -1;
  }
  return r;
}

static MlirOperation defining_op(MlirValue v) {
  if (mlirValueIsAOpResult(v))
    return mlirOpResultGetOwner(v);
  MlirOperation null = {NULL};
  return null;
}

/* True if v is a constant: a tosa.const, or a tosa.reshape chain over one. The importer
 * reshapes a lower-rank operand before broadcasting it (docs/import.md), so a [C] bias of a
 * [1,T,C] matmul result arrives as tosa.reshape(tosa.const [C]) -> [1,1,C] (PP-OCRv4 rec's
 * MLP biases); the rewrite slices such a chain like a plain constant (slice_const). */
static bool is_const_value(MlirValue v) {
  for (int hop = 0; hop < 16; hop++) {
    if (!mlirValueIsAOpResult(v))
      return false;
    MlirOperation d = mlirOpResultGetOwner(v);
    if (op_is(d, "tosa.const"))
      return true;
    if (!op_is(d, "tosa.reshape"))
      return false;
    v = mlirOperationGetOperand(d, 0);
  }
  return false;
}

/* Reads a tosa.const f32 tensor into a malloc'd array (n elements). */
static bool read_const_f32(MlirValue v, float **out, int64_t *n) {
  MlirOperation d = defining_op(v);
  if (mlirOperationIsNull(d) || !op_is(d, "tosa.const"))
    return false;
  MlirAttribute a = attr(d, "values");
  if (mlirAttributeIsNull(a) || !mlirAttributeIsAElements(a))
    return false;
  MlirType t = mlirAttributeGetType(a);
  if (!mlirTypeIsAF32(mlirShapedTypeGetElementType(t)))
    return false;
  int64_t cnt = mlirElementsAttrGetNumElements(a);
  if (cnt < 1 || cnt > ((int64_t)1 << 31))
    return false;
  float *buf = malloc((size_t)cnt * sizeof(float));
  if (!buf)
    return false;
  if (mlirAttributeIsADenseElements(a)) {
    if (mlirDenseElementsAttrIsSplat(a)) {
      float s = mlirDenseElementsAttrGetFloatSplatValue(a);
      for (int64_t i = 0; i < cnt; i++)
        buf[i] = s;
    } else {
      memcpy(buf, mlirDenseElementsAttrGetRawData(a), (size_t)cnt * sizeof(float));
    }
  } else if (mlirAttributeIsADenseResourceElements(a)) {
    for (int64_t i = 0; i < cnt; i++)
      buf[i] = mlirDenseFloatResourceElementsAttrGetValue(a, i);
  } else {
    free(buf);
    return false;
  }
  *out = buf;
  *n = cnt;
  return true;
}

/* Reads a tosa.const_shape operand into dims (max 16). Returns count or -1. */
static int read_const_shape(MlirValue v, int64_t *vals, int maxn) {
  MlirOperation d = defining_op(v);
  if (mlirOperationIsNull(d) || !op_is(d, "tosa.const_shape"))
    return -1;
  MlirAttribute a = attr(d, "values");
  if (mlirAttributeIsNull(a) || !mlirAttributeIsADenseElements(a))
    return -1;
  int64_t n = mlirElementsAttrGetNumElements(a);
  if (n > maxn)
    return -1;
  bool splat = mlirDenseElementsAttrIsSplat(a);
  for (int64_t i = 0; i < n; i++)
    vals[i] = mlirDenseElementsAttrGetIndexValue(a, splat ? 0 : i);
  return (int)n;
}

MlirOperation ajpq_cg_entry_func(MlirOperation op) {
  MlirOperation null = {NULL};
  if (op_is(op, "func.func"))
    return op;
  if (mlirOperationGetNumRegions(op) < 1)
    return null;
  MlirBlock b = mlirRegionGetFirstBlock(mlirOperationGetRegion(op, 0));
  if (mlirBlockIsNull(b))
    return null;
  MlirOperation first = null;
  for (MlirOperation o = mlirBlockGetFirstOperation(b); !mlirOperationIsNull(o);
       o = mlirOperationGetNextInBlock(o)) {
    if (!op_is(o, "func.func"))
      continue;
    if (mlirOperationIsNull(first))
      first = o;
    MlirAttribute n = attr(o, "sym_name");
    if (!mlirAttributeIsNull(n) && mlirAttributeIsAString(n)) {
      MlirStringRef s = mlirStringAttrGetValue(n);
      if (s.length == 4 && !memcmp(s.data, "main", 4))
        return o;
    }
  }
  return first;
}

/* ---- value → channel-node map --------------------------------------------- */

typedef struct {
  const void *key;
  int axis;
  int64_t size;
  int32_t *ids; /* owned */
} chanmap_t;

typedef struct {
  chanmap_t *slots;
  size_t cap, count;
} vmap_t;

static size_t hash_ptr(const void *p) {
  uint64_t x = (uint64_t)(uintptr_t)p;
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  return (size_t)x;
}

static chanmap_t *vmap_get(vmap_t *m, MlirValue v) {
  if (!m->cap)
    return NULL;
  size_t i = hash_ptr(v.ptr) & (m->cap - 1);
  while (m->slots[i].key) {
    if (m->slots[i].key == v.ptr)
      return &m->slots[i];
    i = (i + 1) & (m->cap - 1);
  }
  return NULL;
}

/* Inserts (takes ownership of ids). */
static bool vmap_put(vmap_t *m, MlirValue v, int axis, int64_t size, int32_t *ids) {
  if ((m->count + 1) * 2 > m->cap) {
    size_t ncap = m->cap ? m->cap * 2 : 256;
    chanmap_t *ns = calloc(ncap, sizeof *ns);
    if (!ns)
      return false;
    for (size_t j = 0; j < m->cap; j++) {
      if (!m->slots[j].key)
        continue;
      size_t i = hash_ptr(m->slots[j].key) & (ncap - 1);
      while (ns[i].key)
        i = (i + 1) & (ncap - 1);
      ns[i] = m->slots[j];
    }
    free(m->slots);
    m->slots = ns;
    m->cap = ncap;
  }
  size_t i = hash_ptr(v.ptr) & (m->cap - 1);
  while (m->slots[i].key && m->slots[i].key != v.ptr)
    i = (i + 1) & (m->cap - 1);
  if (!m->slots[i].key)
    m->count++;
  else
    free(m->slots[i].ids);
  m->slots[i].key = v.ptr;
  m->slots[i].axis = axis;
  m->slots[i].size = size;
  m->slots[i].ids = ids;
  return true;
}

static void vmap_free(vmap_t *m) {
  for (size_t j = 0; j < m->cap; j++)
    free(m->slots[j].ids);
  free(m->slots);
}

/* ---- builder state --------------------------------------------------------- */

typedef struct {
  ajpq_channel_graph_t *g;
  int32_t node_cap;
  int layer_cap;
  vmap_t vm;
  bool oom;
} builder_t;

static int32_t new_node(builder_t *b, uint8_t flags, const char *reason) {
  ajpq_channel_graph_t *g = b->g;
  if (g->n_nodes == b->node_cap) {
    int32_t nc = b->node_cap ? b->node_cap * 2 : 1024;
    int32_t *p = realloc(g->parent, (size_t)nc * sizeof *p);
    if (p)
      g->parent = p;
    uint8_t *f = realloc(g->flags, (size_t)nc);
    if (f)
      g->flags = f;
    const char **r = realloc(g->pin_reason, (size_t)nc * sizeof *r);
    if (r)
      g->pin_reason = r;
    if (!p || !f || !r) {
      b->oom = true;
      return 0;
    }
    b->node_cap = nc;
  }
  int32_t n = g->n_nodes++;
  g->parent[n] = n;
  g->flags[n] = flags;
  g->pin_reason[n] = reason;
  return n;
}

int32_t ajpq_cg_find(ajpq_channel_graph_t *g, int32_t n) {
  while (g->parent[n] != n) {
    g->parent[n] = g->parent[g->parent[n]];
    n = g->parent[n];
  }
  return n;
}

static void unite(ajpq_channel_graph_t *g, int32_t a, int32_t b) {
  a = ajpq_cg_find(g, a);
  b = ajpq_cg_find(g, b);
  if (a == b)
    return;
  if (a > b) {
    int32_t t = a;
    a = b;
    b = t;
  }
  g->parent[b] = a; /* smaller id is the root: deterministic */
}

static void pin(builder_t *b, const int32_t *ids, int64_t n, const char *why) {
  for (int64_t i = 0; i < n; i++) {
    b->g->flags[ids[i]] |= AJPQ_CG_NODE_PINNED;
    if (!b->g->pin_reason[ids[i]])
      b->g->pin_reason[ids[i]] = why;
  }
}

static void pin_value(builder_t *b, MlirValue v, const char *why) {
  chanmap_t *m = vmap_get(&b->vm, v);
  if (m)
    pin(b, m->ids, m->size, why);
}

static int32_t *fresh_ids(builder_t *b, int64_t n, uint8_t flags, const char *why) {
  int32_t *ids = malloc((size_t)(n > 0 ? n : 1) * sizeof *ids);
  if (!ids) {
    b->oom = true;
    return NULL;
  }
  for (int64_t i = 0; i < n; i++)
    ids[i] = new_node(b, flags, why);
  return ids;
}

static int32_t *copy_ids(builder_t *b, const int32_t *src, int64_t n) {
  int32_t *ids = malloc((size_t)(n > 0 ? n : 1) * sizeof *ids);
  if (!ids) {
    b->oom = true;
    return NULL;
  }
  memcpy(ids, src, (size_t)n * sizeof *ids);
  return ids;
}

static void alias(builder_t *b, MlirValue to, const chanmap_t *from) {
  int32_t *ids = copy_ids(b, from->ids, from->size);
  if (ids && !vmap_put(&b->vm, to, from->axis, from->size, ids))
    b->oom = true;
}

/* ---- layers ---------------------------------------------------------------- */

static ajpq_cg_layer_t *new_layer(builder_t *b, MlirOperation op, ajpq_cg_op_t kind) {
  ajpq_channel_graph_t *g = b->g;
  if (g->n_layers == b->layer_cap) {
    int nc = b->layer_cap ? b->layer_cap * 2 : 16;
    ajpq_cg_layer_t *p = realloc(g->layers, (size_t)nc * sizeof *p);
    if (!p) {
      b->oom = true;
      return NULL;
    }
    g->layers = p;
    b->layer_cap = nc;
  }
  ajpq_cg_layer_t *l = &g->layers[g->n_layers++];
  memset(l, 0, sizeof *l);
  l->op = op;
  l->op_kind = kind;
  l->act_bits = 32;
  /* name from NameLoc, else layer<i> */
  MlirLocation loc = mlirOperationGetLocation(op);
  char buf[256];
  snprintf(buf, sizeof buf, "layer%d", g->n_layers - 1);
  if (mlirLocationIsAName(loc)) {
    MlirStringRef s = mlirIdentifierStr(mlirLocationNameGetName(loc));
    size_t n = s.length < sizeof buf - 1 ? s.length : sizeof buf - 1;
    memcpy(buf, s.data, n);
    buf[n] = 0;
  }
  l->name = strdup(buf);
  if (!l->name)
    b->oom = true;
  return l;
}

static bool check_finite(const float *w, int64_t n, MlirOperation at, const char *layer,
                         const char *what) {
  for (int64_t i = 0; i < n; i++)
    if (!isfinite(w[i])) {
      char msg[400];
      snprintf(msg, sizeof msg, "%s of layer '%s' is not finite (%s at element %lld)", what, layer,
               isnan(w[i]) ? "NaN" : "inf", (long long)i);
      mlirEmitError(mlirOperationGetLocation(at), msg);
      return false;
    }
  return true;
}

static void compute_importance(ajpq_cg_layer_t *l, ajpq_importance_t imp) {
  int64_t cout = l->desc.cout;
  l->importance = calloc((size_t)cout, sizeof(double));
  if (!l->importance || !l->weights)
    return;
  for (int64_t c = 0; c < cout; c++) {
    double s = 0;
    const float *row = l->weights + c * l->k;
    for (int64_t i = 0; i < l->k; i++)
      s += imp == AJPQ_IMPORTANCE_L2 ? (double)row[i] * row[i] : fabs((double)row[i]);
    l->importance[c] = imp == AJPQ_IMPORTANCE_L2 ? sqrt(s) : s;
  }
}

/* The tosa.add holding a matmul's bias: result → [tosa.reshape] → tosa.add
 * with a constant operand whose element count is N. */
static MlirOperation find_bias_add(MlirValue res, int64_t n, float **bias) {
  MlirOperation null = {NULL};
  for (int hop = 0; hop < 2; hop++) {
    MlirOpOperand u = mlirValueGetFirstUse(res);
    if (mlirOpOperandIsNull(u) || !mlirOpOperandIsNull(mlirOpOperandGetNextUse(u)))
      return null;
    MlirOperation user = mlirOpOperandGetOwner(u);
    if (op_is(user, "tosa.reshape") && hop == 0) {
      res = mlirOperationGetResult(user, 0);
      continue;
    }
    if (!op_is(user, "tosa.add"))
      return null;
    unsigned idx = mlirOpOperandGetOperandNumber(u);
    MlirValue other = mlirOperationGetOperand(user, 1 - idx);
    float *vals;
    int64_t cnt;
    if (!read_const_f32(other, &vals, &cnt))
      return null;
    if (cnt != n) {
      free(vals);
      return null;
    }
    *bias = vals;
    return user;
  }
  return null;
}

/* Connects a layer's input: tracked iff the input's channel axis is the
 * layer's reduction axis with the expected size. */
static void layer_input(builder_t *b, ajpq_cg_layer_t *l, MlirValue in, int want_axis) {
  chanmap_t *m = vmap_get(&b->vm, in);
  if (!m)
    return;
  if (m->axis != want_axis || m->size != l->desc.cin) {
    pin(b, m->ids, m->size, "consumed along another axis by a layer");
    return;
  }
  l->in_node = copy_ids(b, m->ids, m->size);
}

static void layer_output(builder_t *b, ajpq_cg_layer_t *l, MlirValue out, int axis) {
  l->out_node = fresh_ids(b, l->desc.cout, AJPQ_CG_NODE_LAYER, NULL);
  if (!l->out_node)
    return;
  int32_t *ids = copy_ids(b, l->out_node, l->desc.cout);
  if (ids && !vmap_put(&b->vm, out, axis, l->desc.cout, ids))
    b->oom = true;
}

/* Returns 1 if handled as a layer, 0 if not a layer, -1 on error. */
static int try_layer(builder_t *b, MlirOperation op, ajpq_importance_t imp) {
  int64_t od[8], wd[8], id[8];
  bool conv = op_is(op, "tosa.conv2d"), dw = op_is(op, "tosa.depthwise_conv2d");
  bool mm = op_is(op, "tosa.matmul");
  bool aconv = op_is(op, "ajpq.conv2d"), amm = op_is(op, "ajpq.matmul");
  if (!conv && !dw && !mm && !aconv && !amm)
    return 0;
  MlirValue in = mlirOperationGetOperand(op, 0), res = mlirOperationGetResult(op, 0);
  int ro = value_shape(res, od, 8), ri = value_shape(in, id, 8);
  if (aconv || amm) {
    ajpq_compute_attrs_t a;
    if (!ajpq_compute_read(op, &a))
      return -1;
    ajpq_cg_layer_t *l = new_layer(b, op, aconv ? AJPQ_CG_AJPQ_CONV : AJPQ_CG_AJPQ_MATMUL);
    if (!l) {
      ajpq_compute_attrs_release(&a);
      return -1;
    }
    ajpq_costmodel_layer_t *d = &l->desc;
    d->cout = a.orig_channels;
    d->has_bias = a.bias != NULL;
    if (aconv) {
      d->kh = a.kernel[0];
      d->kw = a.kernel[1];
      d->groups = a.groups;
      d->cin = a.kernel[2] * a.groups;
      /* erased output channels keep their group slot in the costmodel only
       * for depthwise (one input per group); report groups over kept ones */
      d->kind = a.groups == 1 ? AJPQ_COSTMODEL_CONV : AJPQ_COSTMODEL_GROUPED;
      if (a.groups > 1 && a.kernel[2] == 1 && a.groups == d->cin)
        d->kind = AJPQ_COSTMODEL_DEPTHWISE;
      d->out_h = ro == 4 ? od[1] : 1;
      d->out_w = ro == 4 ? od[2] : 1;
    } else {
      d->kind = AJPQ_COSTMODEL_MATMUL;
      d->kh = d->kw = 1;
      d->groups = 1;
      d->cin = a.kernel[0];
      int64_t rows = 1;
      for (int i = 0; i + 1 < ro; i++)
        rows *= od[i];
      d->out_h = rows;
      d->out_w = 1;
    }
    l->k = ajpq_compute_k(&a);
    l->act_bits = a.has_input_qparams ? 8 : 32;
    if (a.has_input_qparams && mlirValueIsAOpResult(in)) { /* the ajpq.quantize's bits (actq) */
      MlirAttribute qb = mlirOperationGetAttributeByName(mlirOpResultGetOwner(in),
                                                         mlirStringRefCreateFromCString("bits"));
      if (!mlirAttributeIsNull(qb) && mlirAttributeIsAInteger(qb)) {
        int64_t v = mlirIntegerAttrGetValueInt(qb);
        if (v >= 2 && v <= 8)
          l->act_bits = (int)v;
      }
    }
    if (amm && !a.bias) { /* a bias kept as a tosa.add after the matmul */
      float *bv = NULL;
      l->bias_add = find_bias_add(res, a.n_kept, &bv);
      d->has_bias = bv != NULL;
      free(bv);
    }
    l->stored_bits = calloc((size_t)d->cout, 1);
    if (l->stored_bits)
      for (int64_t j = 0; j < a.n_kept; j++)
        if (a.kept[j] >= 0 && a.kept[j] < d->cout)
          l->stored_bits[a.kept[j]] = (uint8_t)a.bits[j];
    /* asymmetric when a stored zero point is not the symmetric one implied
     * by the bit-width (2^(b-1), 0.5 at 1 bit): it then costs 4 B/channel */
    for (int64_t j = 0; j < a.n_kept && a.zero_point; j++) {
      int b = a.bits[j];
      float zi = b == 1 ? 0.5f : (float)(1 << (b > 1 && b <= 8 ? b - 1 : 0));
      if (b >= 1 && b <= 8 && a.zero_point[j] != zi)
        d->asymmetric = true;
    }
    l->importance = calloc((size_t)d->cout, sizeof(double));
    ajpq_compute_attrs_release(&a);
    /* ajpq layers as stored: erased outputs absent. For the depthwise
     * costmodel the stored (kept) channel count is used. */
    if (d->kind != AJPQ_COSTMODEL_CONV && d->kind != AJPQ_COSTMODEL_MATMUL) {
      /* grouped/depthwise after erasure: describe the stored op (n_kept
       * outputs); stored_bits compacted to kept order */
      int64_t nk = 0;
      for (int64_t c = 0; c < d->cout; c++)
        if (l->stored_bits[c])
          l->stored_bits[nk++] = l->stored_bits[c];
      d->cout = nk;
      if (d->kind == AJPQ_COSTMODEL_DEPTHWISE && nk % d->groups) {
        d->kind = AJPQ_COSTMODEL_GROUPED;
      }
    }
    l->desc.cin = d->cin;
    layer_input(b, l, in, ro == 4 ? 3 : ri - 1);
    layer_output(b, l, res, ro - 1);
    return 1;
  }
  /* TOSA layers need a constant weight */
  float *w = NULL;
  int64_t nw = 0;
  MlirValue wv = mlirOperationGetOperand(op, 1);
  int rw = value_shape(wv, wd, 8);
  if (!read_const_f32(wv, &w, &nw))
    return 0; /* not compressible: treated as an unknown op */
  ajpq_cg_layer_t *l = new_layer(b, op, conv ? AJPQ_CG_TOSA_CONV
                                        : dw ? AJPQ_CG_TOSA_DEPTHWISE
                                             : AJPQ_CG_TOSA_MATMUL);
  if (!l) {
    free(w);
    return -1;
  }
  l->weight_const = defining_op(wv);
  ajpq_costmodel_layer_t *d = &l->desc;
  if (conv && rw == 4 && ro == 4) {
    d->kind = AJPQ_COSTMODEL_CONV;
    d->cout = wd[0];
    d->kh = wd[1];
    d->kw = wd[2];
    d->cin = wd[3];
    d->groups = 1;
    d->out_h = od[1];
    d->out_w = od[2];
    l->k = wd[1] * wd[2] * wd[3];
    l->weights = w; /* OHWI is already [O][kh][kw][ci] */
  } else if (dw && rw == 4 && ro == 4) {
    int64_t C = wd[2], M = wd[3], KHW = wd[0] * wd[1];
    d->kind = AJPQ_COSTMODEL_DEPTHWISE;
    d->cin = C;
    d->cout = C * M;
    d->kh = wd[0];
    d->kw = wd[1];
    d->groups = C;
    d->out_h = od[1];
    d->out_w = od[2];
    l->k = KHW;
    l->weights = malloc((size_t)(C * M * KHW) * sizeof(float));
    if (l->weights)
      for (int64_t c = 0; c < C; c++)
        for (int64_t m = 0; m < M; m++)
          for (int64_t p = 0; p < KHW; p++)
            l->weights[(c * M + m) * KHW + p] = w[(p * C + c) * M + m];
    free(w);
  } else if (mm && rw == 3 && ro == 3 && wd[0] == 1) {
    int64_t K = wd[1], N = wd[2];
    d->kind = AJPQ_COSTMODEL_MATMUL;
    d->cin = K;
    d->cout = N;
    d->kh = d->kw = 1;
    d->groups = 1;
    d->out_h = od[0] * od[1];
    d->out_w = 1;
    l->k = K;
    l->weights = malloc((size_t)(K * N) * sizeof(float));
    if (l->weights)
      for (int64_t n = 0; n < N; n++)
        for (int64_t k = 0; k < K; k++)
          l->weights[n * K + k] = w[k * N + n];
    free(w);
  } else {
    free(w);
    b->g->n_layers--;
    free(l->name);
    return 0;
  }
  if (!l->weights) {
    b->oom = true;
    return -1;
  }
  if (!check_finite(l->weights, d->cout * l->k, l->weight_const, l->name, "weight"))
    return -1;
  if (mm) {
    l->bias_add = find_bias_add(res, d->cout, &l->bias);
  } else {
    float *bias;
    int64_t nb;
    if (read_const_f32(mlirOperationGetOperand(op, 2), &bias, &nb)) {
      if (nb == d->cout)
        l->bias = bias;
      else if (nb == 1) {
        float v = bias[0];
        free(bias);
        l->bias = malloc((size_t)d->cout * sizeof(float));
        if (l->bias)
          for (int64_t c = 0; c < d->cout; c++)
            l->bias[c] = v;
      } else
        free(bias);
    }
  }
  d->has_bias = l->bias != NULL;
  if (l->bias && !check_finite(l->bias, d->cout, op, l->name, "bias"))
    return -1;
  compute_importance(l, imp);
  layer_input(b, l, in, mm ? 2 : 3);
  layer_output(b, l, res, mm ? 2 : 3);
  if (dw && l->in_node && l->out_node) {
    int64_t M = d->cout / d->cin;
    for (int64_t c = 0; c < d->cout; c++)
      unite(b->g, l->out_node[c], l->in_node[c / M]);
  }
  (void)ri;
  return 1;
}

/* ---- channel-carrying ops --------------------------------------------------- */

static const char *const k_unary[] = {
    "tosa.clamp",   "tosa.sigmoid",    "tosa.tanh",      "tosa.exp",      "tosa.log",
    "tosa.reciprocal", "tosa.abs",     "tosa.negate",    "tosa.erf",      "tosa.floor",
    "tosa.ceil",    "tosa.rsqrt",      "tosa.cast",      "tosa.max_pool2d", "tosa.avg_pool2d",
    "tosa.resize",  "tosa.identity",   "ajpq.quantize",  "ajpq.dequantize", NULL};
static const char *const k_binary[] = {
    "tosa.add",   "tosa.sub",    "tosa.mul",  "tosa.maximum", "tosa.minimum", "tosa.select",
    "tosa.greater_equal", "tosa.greater", "tosa.equal", "tosa.pow", NULL};

static bool in_list(MlirOperation op, const char *const *list) {
  for (int i = 0; list[i]; i++)
    if (op_is(op, list[i]))
      return true;
  return false;
}

static const char *k_unknown = "consumed by an op the channel graph does not model";
static const char *k_slice = "first channel of a tosa.slice along the channel axis (a slice cannot become empty)";

static void pin_all_operands(builder_t *b, MlirOperation op, const char *why) {
  intptr_t n = mlirOperationGetNumOperands(op);
  for (intptr_t i = 0; i < n; i++)
    pin_value(b, mlirOperationGetOperand(op, i), why);
}

/* Reshape: find the output axis that carries the input channel axis
 * (see file comment of ajpq_channel_graph.h). */
static void do_reshape(builder_t *b, MlirOperation op, chanmap_t *m) {
  int64_t id[8], od[8];
  MlirValue in = mlirOperationGetOperand(op, 0), out = mlirOperationGetResult(op, 0);
  int ri = value_shape(in, id, 8), ro = value_shape(out, od, 8);
  if (ri < 0 || ro < 0) {
    pin(b, m->ids, m->size, k_unknown);
    return;
  }
  int64_t inner = 1;
  for (int i = m->axis + 1; i < ri; i++)
    inner *= id[i];
  int64_t C = m->size;
  for (int oax = ro - 1; oax >= 0; oax--) {
    int64_t in2 = 1;
    for (int i = oax + 1; i < ro; i++)
      in2 *= od[i];
    int64_t D = od[oax];
    if (D <= 1 && C > 1)
      continue;
    if (inner % in2 || (in2 * D) % (inner * C))
      continue;
    int32_t *ids = malloc((size_t)D * sizeof *ids);
    if (!ids) {
      b->oom = true;
      return;
    }
    for (int64_t j = 0; j < D; j++)
      ids[j] = m->ids[(j * in2 / inner) % C];
    if (!vmap_put(&b->vm, out, oax, D, ids))
      b->oom = true;
    return;
  }
  pin(b, m->ids, m->size, "reshaped so that channels are mixed");
}

static void do_op(builder_t *b, MlirOperation op) {
  intptr_t nop = mlirOperationGetNumOperands(op);
  if (op_is(op, "tosa.const") || op_is(op, "tosa.const_shape"))
    return;
  if (op_is(op, "func.return")) {
    pin_all_operands(b, op, "a graph output keeps its width");
    return;
  }
  if (mlirOperationGetNumResults(op) != 1) {
    pin_all_operands(b, op, k_unknown);
    return;
  }
  MlirValue res = mlirOperationGetResult(op, 0);
  int64_t rd[8];
  int rr = value_shape(res, rd, 8);
  chanmap_t *m0 = nop > 0 ? vmap_get(&b->vm, mlirOperationGetOperand(op, 0)) : NULL;
  if (in_list(op, k_unary)) {
    if (m0 && rr == value_shape(mlirOperationGetOperand(op, 0), (int64_t[8]){0}, 8) &&
        m0->axis < rr && rd[m0->axis] == m0->size)
      alias(b, res, m0);
    else
      pin_all_operands(b, op, k_unknown);
    return;
  }
  if (in_list(op, k_binary)) {
    chanmap_t *first = NULL;
    bool bad = false;
    for (intptr_t i = 0; i < nop; i++) {
      MlirValue v = mlirOperationGetOperand(op, i);
      chanmap_t *m = vmap_get(&b->vm, v);
      if (m) {
        if (m->axis >= rr || rd[m->axis] != m->size) {
          bad = true;
          continue;
        }
        if (!first)
          first = m;
        else if (m->axis != first->axis || m->size != first->size)
          bad = true;
        else
          for (int64_t c = 0; c < m->size; c++)
            unite(b->g, first->ids[c], m->ids[c]);
      }
    }
    if (!first || bad) {
      pin_all_operands(b, op, k_unknown);
      return;
    }
    /* an untracked, non-constant operand with the full channel dim cannot
     * lose channels */
    for (intptr_t i = 0; i < nop; i++) {
      MlirValue v = mlirOperationGetOperand(op, i);
      if (vmap_get(&b->vm, v))
        continue;
      int64_t vd[8];
      int rv = value_shape(v, vd, 8);
      bool is_const = is_const_value(v);
      if (!is_const && rv == rr && vd[first->axis] == first->size)
        pin(b, first->ids, first->size, "combined with an untracked value");
    }
    alias(b, res, first);
    return;
  }
  if (op_is(op, "tosa.reduce_sum") || op_is(op, "tosa.reduce_max") ||
      op_is(op, "tosa.reduce_min") || op_is(op, "tosa.reduce_product")) {
    MlirAttribute ax = attr(op, "axis");
    if (!m0)
      return;
    if (!mlirAttributeIsNull(ax) && mlirIntegerAttrGetValueInt(ax) != m0->axis)
      alias(b, res, m0);
    else
      pin(b, m0->ids, m0->size, "reduced over the channel axis");
    return;
  }
  if (op_is(op, "tosa.transpose")) {
    MlirAttribute p = attr(op, "perms");
    if (!m0)
      return;
    if (mlirAttributeIsNull(p) || !mlirAttributeIsADenseI32Array(p)) {
      pin(b, m0->ids, m0->size, k_unknown);
      return;
    }
    intptr_t n = mlirDenseArrayGetNumElements(p);
    for (intptr_t i = 0; i < n; i++)
      if (mlirDenseI32ArrayGetElement(p, i) == m0->axis) {
        int32_t *ids = copy_ids(b, m0->ids, m0->size);
        if (ids && !vmap_put(&b->vm, res, (int)i, m0->size, ids))
          b->oom = true;
        return;
      }
    pin(b, m0->ids, m0->size, k_unknown);
    return;
  }
  if (op_is(op, "tosa.reshape")) {
    if (m0)
      do_reshape(b, op, m0);
    return;
  }
  if (op_is(op, "tosa.slice")) {
    if (!m0)
      return;
    int64_t start[8], size[8];
    int ns = read_const_shape(mlirOperationGetOperand(op, 1), start, 8);
    int nz = read_const_shape(mlirOperationGetOperand(op, 2), size, 8);
    if (ns <= m0->axis || nz <= m0->axis || rr <= m0->axis) {
      pin(b, m0->ids, m0->size, k_unknown);
      return;
    }
    int64_t s = start[m0->axis], n = rd[m0->axis];
    if (s < 0 || s + n > m0->size) {
      pin(b, m0->ids, m0->size, k_unknown);
      return;
    }
    /* The rewrite remaps start/size over the kept channels (remap_slice in
     * joint_compress_rewrite.c); a slice cannot become empty, so a proper
     * channel slice keeps its first channel (MLSD reads channels 7 and
     * 8..11 of a 16-channel conv this way). */
    if (n < m0->size && n > 0)
      pin(b, m0->ids + s, 1, k_slice);
    int32_t *ids = copy_ids(b, m0->ids + s, n);
    if (ids && !vmap_put(&b->vm, res, m0->axis, n, ids))
      b->oom = true;
    return;
  }
  if (op_is(op, "tosa.pad")) {
    if (!m0)
      return;
    int64_t pads[16];
    int np = read_const_shape(mlirOperationGetOperand(op, 1), pads, 16);
    if (np < 2 * (m0->axis + 1) || rr <= m0->axis) {
      pin(b, m0->ids, m0->size, k_unknown);
      return;
    }
    int64_t lo = pads[2 * m0->axis], hi = pads[2 * m0->axis + 1];
    if (lo < 0 || hi < 0 || lo + m0->size + hi != rd[m0->axis]) {
      pin(b, m0->ids, m0->size, k_unknown);
      return;
    }
    int64_t n = rd[m0->axis];
    int32_t *ids = malloc((size_t)n * sizeof *ids);
    if (!ids) {
      b->oom = true;
      return;
    }
    for (int64_t j = 0; j < n; j++)
      ids[j] = (j >= lo && j < lo + m0->size) ? m0->ids[j - lo] : new_node(b, AJPQ_CG_NODE_FILL, NULL);
    if (!vmap_put(&b->vm, res, m0->axis, n, ids))
      b->oom = true;
    return;
  }
  if (op_is(op, "tosa.concat")) {
    MlirAttribute ax = attr(op, "axis");
    int axis = mlirAttributeIsNull(ax) ? -1 : (int)mlirIntegerAttrGetValueInt(ax);
    /* the channel axis: from any tracked operand */
    chanmap_t *any = NULL;
    for (intptr_t i = 0; i < nop && !any; i++)
      any = vmap_get(&b->vm, mlirOperationGetOperand(op, i));
    if (!any)
      return;
    if (axis == any->axis && rr > axis) {
      int64_t n = rd[axis], off = 0;
      int32_t *ids = malloc((size_t)n * sizeof *ids);
      if (!ids) {
        b->oom = true;
        return;
      }
      for (intptr_t i = 0; i < nop; i++) {
        MlirValue v = mlirOperationGetOperand(op, i);
        int64_t vd[8];
        int rv = value_shape(v, vd, 8);
        int64_t w = rv > axis ? vd[axis] : 0;
        chanmap_t *m = vmap_get(&b->vm, v);
        bool is_const = is_const_value(v);
        for (int64_t j = 0; j < w && off + j < n; j++) {
          if (m && m->axis == axis && m->size == w)
            ids[off + j] = m->ids[j];
          else
            ids[off + j] = new_node(b, is_const ? AJPQ_CG_NODE_FILL : AJPQ_CG_NODE_PINNED,
                                    is_const ? NULL : "concatenated with an untracked value");
        }
        off += w;
      }
      if (off != n) {
        free(ids);
        pin_all_operands(b, op, k_unknown);
        return;
      }
      if (!vmap_put(&b->vm, res, axis, n, ids))
        b->oom = true;
      return;
    }
    /* concat along another axis: channels of all operands are tied */
    chanmap_t *first = NULL;
    for (intptr_t i = 0; i < nop; i++) {
      chanmap_t *m = vmap_get(&b->vm, mlirOperationGetOperand(op, i));
      if (!m)
        continue;
      if (!first)
        first = m;
      else if (m->axis == first->axis && m->size == first->size)
        for (int64_t c = 0; c < m->size; c++)
          unite(b->g, first->ids[c], m->ids[c]);
      else {
        pin_all_operands(b, op, k_unknown);
        return;
      }
    }
    alias(b, res, first);
    return;
  }
  pin_all_operands(b, op, k_unknown);
}

/* ---- groups ---------------------------------------------------------------- */

static bool make_groups(ajpq_channel_graph_t *g) {
  g->group_of_node = malloc((size_t)(g->n_nodes ? g->n_nodes : 1) * sizeof(int32_t));
  g->chan_group = calloc((size_t)(g->n_layers ? g->n_layers : 1), sizeof(int32_t *));
  if (!g->group_of_node || !g->chan_group)
    return false;
  for (int32_t n = 0; n < g->n_nodes; n++)
    g->group_of_node[n] = -1;
  /* groups are numbered in the order of their first layer channel */
  int32_t ng = 0;
  for (int l = 0; l < g->n_layers; l++) {
    ajpq_cg_layer_t *L = &g->layers[l];
    g->chan_group[l] = malloc((size_t)L->desc.cout * sizeof(int32_t));
    if (!g->chan_group[l])
      return false;
    for (int64_t c = 0; c < L->desc.cout; c++) {
      int32_t r = ajpq_cg_find(g, L->out_node[c]);
      if (g->group_of_node[r] < 0)
        g->group_of_node[r] = ng++;
      g->chan_group[l][c] = g->group_of_node[r];
    }
  }
  g->n_groups = ng;
  g->groups = calloc((size_t)(ng ? ng : 1), sizeof(ajpq_cg_group_t));
  if (!g->groups)
    return false;
  for (int32_t i = 0; i < ng; i++) {
    g->groups[i].erasable = true;
    g->groups[i].leader = -1;
  }
  for (int32_t n = 0; n < g->n_nodes; n++) {
    int32_t gi = g->group_of_node[ajpq_cg_find(g, n)];
    g->group_of_node[n] = gi;
    if (gi >= 0 && (g->flags[n] & AJPQ_CG_NODE_PINNED) && g->groups[gi].erasable) {
      g->groups[gi].erasable = false;
      g->groups[gi].reason = g->pin_reason[n] ? g->pin_reason[n] : k_unknown;
    }
  }
  for (int l = 0; l < g->n_layers; l++)
    for (int64_t c = 0; c < g->layers[l].desc.cout; c++)
      g->groups[g->chan_group[l][c]].n_members++;
  for (int32_t i = 0; i < ng; i++) {
    g->groups[i].member_layer = malloc((size_t)g->groups[i].n_members * sizeof(int32_t));
    g->groups[i].member_chan = malloc((size_t)g->groups[i].n_members * sizeof(int32_t));
    if (!g->groups[i].member_layer || !g->groups[i].member_chan)
      return false;
    g->groups[i].n_members = 0;
  }
  for (int l = 0; l < g->n_layers; l++)
    for (int64_t c = 0; c < g->layers[l].desc.cout; c++) {
      ajpq_cg_group_t *G = &g->groups[g->chan_group[l][c]];
      if (G->leader < 0)
        G->leader = l;
      G->member_layer[G->n_members] = l;
      G->member_chan[G->n_members] = (int32_t)c;
      G->n_members++;
      G->importance += g->layers[l].importance ? g->layers[l].importance[c] : 0;
    }
  return true;
}

ajpq_channel_graph_t *ajpq_cg_build(MlirOperation func, ajpq_importance_t imp) {
  ajpq_channel_graph_t *g = calloc(1, sizeof *g);
  if (!g) {
    mlirEmitError(mlirOperationGetLocation(func), "ajpq: out of memory building the channel graph");
    return NULL;
  }
  builder_t b = {.g = g};
  MlirBlock blk = mlirRegionGetFirstBlock(mlirOperationGetRegion(func, 0));
  bool ok = !mlirBlockIsNull(blk);
  if (ok) {
    /* function arguments keep their width */
    for (intptr_t i = 0; i < mlirBlockGetNumArguments(blk); i++) {
      MlirValue a = mlirBlockGetArgument(blk, i);
      int64_t d[8];
      int r = value_shape(a, d, 8);
      if (r < 1)
        continue;
      int32_t *ids = fresh_ids(&b, d[r - 1], AJPQ_CG_NODE_PINNED, "a graph input keeps its width");
      if (ids && !vmap_put(&b.vm, a, r - 1, d[r - 1], ids))
        b.oom = true;
    }
    for (MlirOperation op = mlirBlockGetFirstOperation(blk); ok && !mlirOperationIsNull(op);
         op = mlirOperationGetNextInBlock(op)) {
      int r = try_layer(&b, op, imp);
      if (r < 0)
        ok = false;
      else if (r == 0)
        do_op(&b, op);
      if (b.oom)
        ok = false;
    }
  }
  if (ok && !b.oom) {
    /* grouped convs (1 < groups < cin) cannot change per-group widths */
    for (int l = 0; l < g->n_layers; l++) {
      ajpq_cg_layer_t *L = &g->layers[l];
      if (L->desc.kind == AJPQ_COSTMODEL_GROUPED || L->op_kind == AJPQ_CG_AJPQ_CONV ||
          L->op_kind == AJPQ_CG_AJPQ_MATMUL) {
        const char *why = L->desc.kind == AJPQ_COSTMODEL_GROUPED ? "input or output of a grouped conv"
                                                                  : "already compressed";
        pin(&b, L->out_node, L->desc.cout, why);
        if (L->in_node)
          pin(&b, L->in_node, L->desc.cin, why);
      }
    }
    ok = make_groups(g);
    if (!ok)
      b.oom = true;
  }
  if (ok) {
    g->vmap_ = malloc(sizeof(vmap_t));
    if (g->vmap_) {
      *(vmap_t *)g->vmap_ = b.vm;
      b.vm.slots = NULL;
      b.vm.cap = 0;
    }
  }
  vmap_free(&b.vm);
  if (!ok) {
    if (b.oom)
      mlirEmitError(mlirOperationGetLocation(func), "ajpq: out of memory building the channel graph");
    ajpq_cg_destroy(g);
    return NULL;
  }
  return g;
}

void ajpq_cg_destroy(ajpq_channel_graph_t *g) {
  if (!g)
    return;
  for (int l = 0; l < g->n_layers; l++) {
    ajpq_cg_layer_t *L = &g->layers[l];
    free(L->name);
    free(L->weights);
    free(L->bias);
    free(L->out_node);
    free(L->in_node);
    free(L->importance);
    free(L->stored_bits);
    if (g->chan_group)
      free(g->chan_group[l]);
  }
  for (int i = 0; i < g->n_groups; i++) {
    free(g->groups[i].member_layer);
    free(g->groups[i].member_chan);
  }
  free(g->groups);
  free(g->chan_group);
  free(g->layers);
  free(g->parent);
  free(g->flags);
  free(g->pin_reason);
  free(g->group_of_node);
  if (g->vmap_) {
    vmap_free(g->vmap_);
    free(g->vmap_);
  }
  free(g);
}

bool ajpq_cg_rekey_value(ajpq_channel_graph_t *g, MlirValue from, MlirValue to) {
  if (!g->vmap_)
    return false;
  chanmap_t *m = vmap_get(g->vmap_, from);
  if (!m)
    return true;
  int32_t *ids = malloc((size_t)(m->size > 0 ? m->size : 1) * sizeof *ids);
  if (!ids)
    return false;
  memcpy(ids, m->ids, (size_t)m->size * sizeof *ids);
  return vmap_put(g->vmap_, to, m->axis, m->size, ids);
}

bool ajpq_cg_value_channels(const ajpq_channel_graph_t *g, MlirValue v, int *axis, int64_t *size,
                            const int32_t **ids) {
  if (!g->vmap_)
    return false;
  chanmap_t *m = vmap_get(g->vmap_, v);
  if (!m)
    return false;
  *axis = m->axis;
  *size = m->size;
  *ids = m->ids;
  return true;
}

void ajpq_cg_input_kept(const ajpq_channel_graph_t *g, int layer, const uint8_t *group_erased,
                        uint8_t *in_kept) {
  const ajpq_cg_layer_t *L = &g->layers[layer];
  for (int64_t i = 0; i < L->desc.cin; i++) {
    in_kept[i] = 1;
    if (L->in_node && group_erased) {
      int32_t gi = g->group_of_node[L->in_node[i]];
      if (gi >= 0 && group_erased[gi])
        in_kept[i] = 0;
    }
  }
}

void ajpq_cg_dump(const ajpq_channel_graph_t *g) {
  static const char *kinds[] = {"tosa.conv2d", "tosa.depthwise_conv2d", "tosa.matmul",
                                "ajpq.conv2d", "ajpq.matmul"};
  for (int l = 0; l < g->n_layers; l++) {
    const ajpq_cg_layer_t *L = &g->layers[l];
    fprintf(stderr, "layer %d '%s' %s cin=%lld cout=%lld k=%lld bias=%d input=%s groups=[", l,
            L->name, kinds[L->op_kind], (long long)L->desc.cin, (long long)L->desc.cout,
            (long long)L->k, L->desc.has_bias, L->in_node ? "tracked" : "untracked");
    for (int64_t c = 0; c < L->desc.cout; c++)
      fprintf(stderr, "%s%d", c ? "," : "", g->chan_group[l][c]);
    fprintf(stderr, "]");
    if (L->in_node) {
      fprintf(stderr, " in=[");
      for (int64_t i = 0; i < L->desc.cin && i < 64; i++)
        fprintf(stderr, "%s%d", i ? "," : "", g->group_of_node[L->in_node[i]]);
      fprintf(stderr, "%s]", L->desc.cin > 64 ? ",..." : "");
    }
    fprintf(stderr, "\n");
  }
  for (int i = 0; i < g->n_groups; i++) {
    const ajpq_cg_group_t *G = &g->groups[i];
    fprintf(stderr, "group %d leader=%d members=", i, G->leader);
    for (int j = 0; j < G->n_members; j++)
      fprintf(stderr, "%s%d:%d", j ? "," : "", G->member_layer[j], G->member_chan[j]);
    if (G->erasable)
      fprintf(stderr, " erasable\n");
    else
      fprintf(stderr, " fixed (%s)\n", G->reason);
  }
}

const char *ajpq_cg_op_name(ajpq_cg_op_t k) {
  switch (k) {
  case AJPQ_CG_TOSA_CONV: return "tosa.conv2d";
  case AJPQ_CG_TOSA_DEPTHWISE: return "tosa.depthwise_conv2d";
  case AJPQ_CG_TOSA_MATMUL: return "tosa.matmul";
  case AJPQ_CG_AJPQ_CONV: return "ajpq.conv2d";
  case AJPQ_CG_AJPQ_MATMUL: return "ajpq.matmul";
  }
  return "?";
}


bool ajpq_cg_json_layers(struct cJSON *root, const ajpq_channel_graph_t *g,
                         ajpq_cg_json_layer_fn fill, void *user) {
  cJSON *layers = cJSON_AddArrayToObject(root, "layers");
  bool ok = layers != NULL;
  for (int l = 0; ok && l < g->n_layers; l++) {
    cJSON *e = cJSON_CreateObject();
    ok = e && cJSON_AddItemToArray(layers, e);
    if (!ok) {
      cJSON_Delete(e);
      break;
    }
    ok = cJSON_AddStringToObject(e, "name", g->layers[l].name) &&
         cJSON_AddStringToObject(e, "op", ajpq_cg_op_name(g->layers[l].op_kind)) &&
         fill(e, l, user);
  }
  return ok;
}

ajpq_status_t ajpq_cg_json_print_to(struct cJSON *root, ajpq_output_t *out, const char *what) {
  char *text = root ? cJSON_Print(root) : NULL;
  cJSON_Delete(root);
  if (!text)
    return ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED, "out of memory writing %s '%s'", what,
                            out->path);
  size_t n = strlen(text);
  ajpq_status_t st = NULL;
  if (fwrite(text, 1, n, out->f) != n || fputc('\n', out->f) == EOF)
    st = ajpq_status_make(AJPQ_IO_ERROR, "cannot write %s '%s'", what, out->path);
  cJSON_free(text);
  return st;
}

ajpq_status_t ajpq_cg_json_write(struct cJSON *root, const char *path, const char *what) {
  ajpq_output_t out;
  ajpq_status_t st = ajpq_output_open(&out, path);
  if (st) {
    cJSON_Delete(root);
    return st;
  }
  st = ajpq_cg_json_print_to(root, &out, what);
  if (st)
    ajpq_output_abort(&out);
  else
    st = ajpq_output_commit(&out);
  return st;
}
