/* import_internal.h — the importer's state and helpers shared by import.c
 * (driver, value table, MLIR emission helpers) and ops.c (op handlers). */
#ifndef AJPQ_ONNX_IMPORT_INTERNAL_H
#define AJPQ_ONNX_IMPORT_INTERNAL_H

#include <stdalign.h>

#include "onnx_internal.h"

/* One ONNX tensor name. Constants carry host data in `cst`; runtime values
 * carry `id` (logical ONNX layout) and/or `nhwc` (rank 4 only). */
typedef struct {
  char *name;
  int32_t dtype;
  int rank;
  int64_t dims[AJPQ_ONNX_MAX_RANK];
  ajpq_onnx_tensor_t *cst;
  MlirValue id, nhwc;
  int arg_index;
  const char *missing; /* set: an output the importer does not produce (op type) */
} val_t;

typedef struct {
  MlirContext ctx;
  MlirBlock block;
  MlirLocation loc, file_loc;
  MlirType f32;
  const char *src;
  int opset;
  val_t **table;
  size_t cap, n;
  const Onnx__NodeProto *node;
  size_t node_index;
  const Onnx__GraphProto *graph;
  int *uses;  /* per node: fold BN node index + 1 into this conv, or 0 */
  char *skip; /* per node: already handled (folded BN) */
  char blob_prefix[72];
  int n_blobs;
  char tmp[64];
  MlirValue zp, shift; /* cached zero-point / mul-shift constants */
} imp_t;

typedef struct {
  const char *name;
  MlirAttribute attr;
} nattr_t;

val_t *imp_lookup(imp_t *im, const char *name);
ajpq_status_t imp_define(imp_t *im, const char *name, val_t **out);
int64_t shape_numel(int rank, const int64_t *dims);
ajpq_status_t check_shape(int rank, const int64_t *dims, const char *what);
const char *shape_str(int rank, const int64_t *dims, char *buf, size_t n);

MlirType tensor_type(imp_t *im, int rank, const int64_t *dims);
MlirAttribute attr_parse(imp_t *im, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
MlirAttribute attr_i64_array(imp_t *im, int n, const int64_t *v);
MlirValue emit(imp_t *im, const char *opname, MlirType rt, int nops, const MlirValue *ops,
               int nattr, const nattr_t *attrs);
MlirValue emit_const(imp_t *im, int rank, const int64_t *dims, const float *data);
MlirValue emit_scalar_const(imp_t *im, int rank, float v);
MlirValue emit_zp(imp_t *im);
MlirValue emit_shift(imp_t *im);
MlirValue emit_shape(imp_t *im, int n, const int64_t *v);
MlirValue emit_reshape(imp_t *im, MlirValue x, int rank, const int64_t *dims);
MlirValue emit_transpose(imp_t *im, MlirValue x, int rank, const int *perm);
MlirValue emit_binary(imp_t *im, const char *op, MlirValue a, MlirValue b, int rank,
                      const int64_t *dims);
MlirValue emit_unary(imp_t *im, const char *op, MlirValue a);
MlirValue emit_clamp(imp_t *im, MlirValue a, float lo, float hi);
MlirValue emit_slice(imp_t *im, MlirValue x, int rank, const int64_t *start, const int64_t *size);
MlirValue emit_reduce(imp_t *im, const char *op, MlirValue x, int axis);

void host_transpose(const ajpq_onnx_tensor_t *in, const int *perm, ajpq_onnx_tensor_t *out);
ajpq_status_t const_f32(imp_t *im, val_t *v, const char *what);
MlirValue get_id(imp_t *im, val_t *v);
MlirValue get_nhwc(imp_t *im, val_t *v);

const Onnx__AttributeProto *node_attr(const Onnx__NodeProto *n, const char *name);
int64_t attr_int(const Onnx__NodeProto *n, const char *name, int64_t dflt);
float attr_float(const Onnx__NodeProto *n, const char *name, float dflt);
const char *attr_str(const Onnx__NodeProto *n, const char *name, const char *dflt, char *buf,
                     size_t bufsize);
int attr_ints(const Onnx__NodeProto *n, const char *name, int64_t *out, int max);

/* ops.c */
int ajpq_onnx_op_supported(const char *op_type);
ajpq_status_t ajpq_onnx_prepare_nodes(imp_t *im, const Onnx__GraphProto *g);
ajpq_status_t ajpq_onnx_convert_node(imp_t *im, const Onnx__NodeProto *n);

#endif
