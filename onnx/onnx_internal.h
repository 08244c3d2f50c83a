/* onnx_internal.h — declarations shared by the files of ajpq_onnx (not
 * installed, not part of the public interface). */
#ifndef AJPQ_ONNX_INTERNAL_H
#define AJPQ_ONNX_INTERNAL_H

#include "ajpq_onnx.h"
#include "onnx.pb-c.h"

/* Decodes a parsed TensorProto into `out` (see ajpq_onnx_tensor_decode). */
ajpq_status_t ajpq_onnx_tensor_from_proto(const Onnx__TensorProto *tp, ajpq_onnx_tensor_t *out);
/* "FLOAT", "INT64", ... for an ONNX TensorProto.DataType code. */
const char *ajpq_onnx_dtype_name(int32_t dt);
/* 1 for FLOAT and DOUBLE (stored as f32 on the host), else 0. */
int ajpq_onnx_dtype_is_float(int32_t dt);

#endif
