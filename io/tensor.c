/* tensor.c — the ajpq_tensor_t container: allocation, dtype table, conversion to float32. */
#include "ajpq_io.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

size_t ajpq_dtype_size(ajpq_dtype_t dtype) {
  switch (dtype) {
  case AJPQ_DTYPE_F32: return 4;
  case AJPQ_DTYPE_F64: return 8;
  case AJPQ_DTYPE_U8: return 1;
  case AJPQ_DTYPE_I64: return 8;
  }
  return 0;
}

const char *ajpq_dtype_name(ajpq_dtype_t dtype) {
  switch (dtype) {
  case AJPQ_DTYPE_F32: return "float32";
  case AJPQ_DTYPE_F64: return "float64";
  case AJPQ_DTYPE_U8: return "uint8";
  case AJPQ_DTYPE_I64: return "int64";
  }
  return "?";
}

ajpq_status_t ajpq_tensor_create(ajpq_dtype_t dtype, int rank, const int64_t *dims,
                                 ajpq_tensor_t **out) {
  if (rank < 0 || rank > AJPQ_IO_MAX_RANK)
    return ajpq_status_make(AJPQ_INVALID_ARGUMENT, "tensor rank %d outside [0, %d]", rank,
                            AJPQ_IO_MAX_RANK);
  size_t es = ajpq_dtype_size(dtype);
  if (!es)
    return ajpq_status_make(AJPQ_INVALID_ARGUMENT, "unknown dtype %d", (int)dtype);
  uint64_t numel = 1;
  for (int i = 0; i < rank; ++i) {
    if (dims[i] < 0)
      return ajpq_status_make(AJPQ_INVALID_ARGUMENT, "negative dimension %lld",
                              (long long)dims[i]);
    if (dims[i] && numel > AJPQ_IO_MAX_BYTES / (uint64_t)dims[i])
      return ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED, "tensor larger than %llu bytes",
                              (unsigned long long)AJPQ_IO_MAX_BYTES);
    numel *= (uint64_t)dims[i];
  }
  if (numel * es > AJPQ_IO_MAX_BYTES)
    return ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED, "tensor of %llu bytes exceeds %llu",
                            (unsigned long long)(numel * es),
                            (unsigned long long)AJPQ_IO_MAX_BYTES);
  ajpq_tensor_t *t = calloc(1, sizeof *t);
  void *data = calloc(numel ? numel : 1, es);
  if (!t || !data) {
    free(t);
    free(data);
    return ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED, "out of memory for %llu bytes",
                            (unsigned long long)(numel * es));
  }
  t->dtype = dtype;
  t->rank = rank;
  for (int i = 0; i < rank; ++i)
    t->dims[i] = dims[i];
  t->numel = (int64_t)numel;
  t->data = data;
  *out = t;
  return NULL;
}

void ajpq_tensor_free(ajpq_tensor_t *t) {
  if (!t)
    return;
  free(t->data);
  free(t);
}

ajpq_status_t ajpq_tensor_to_f32(const ajpq_tensor_t *t, ajpq_tensor_t **out) {
  ajpq_tensor_t *r;
  AJPQ_RETURN_IF_ERROR(ajpq_tensor_create(AJPQ_DTYPE_F32, t->rank, t->dims, &r));
  float *d = r->data;
  for (int64_t i = 0; i < t->numel; ++i) {
    double v = 0;
    switch (t->dtype) {
    case AJPQ_DTYPE_F32: v = ((const float *)t->data)[i]; break;
    case AJPQ_DTYPE_F64: v = ((const double *)t->data)[i]; break;
    case AJPQ_DTYPE_U8: v = ((const uint8_t *)t->data)[i]; break;
    case AJPQ_DTYPE_I64: v = (double)((const int64_t *)t->data)[i]; break;
    }
    if (!isfinite(v) || !isfinite((float)v)) {
      ajpq_tensor_free(r);
      return ajpq_status_make(AJPQ_DATA_LOSS, "non-finite value at flat index %lld",
                              (long long)i);
    }
    d[i] = (float)v;
  }
  *out = r;
  return NULL;
}

ajpq_status_t ajpq_labels_check(const ajpq_tensor_t *labels, int64_t n, int64_t num_classes,
                                const char *what) {
  if (labels->dtype != AJPQ_DTYPE_U8 && labels->dtype != AJPQ_DTYPE_I64)
    return ajpq_status_make(AJPQ_INVALID_ARGUMENT, "%s: labels must be uint8 or int64, not %s",
                            what, ajpq_dtype_name(labels->dtype));
  if (labels->rank != 1)
    return ajpq_status_make(AJPQ_INVALID_ARGUMENT, "%s: labels must have rank 1, not %d", what,
                            labels->rank);
  if (labels->dims[0] != n)
    return ajpq_status_make(AJPQ_INVALID_ARGUMENT,
                            "%s: %lld labels for %lld samples (label count mismatch)", what,
                            (long long)labels->dims[0], (long long)n);
  for (int64_t i = 0; i < n; ++i) {
    int64_t l = ajpq_label_at(labels, i);
    if (l < 0)
      return ajpq_status_make(AJPQ_INVALID_ARGUMENT, "negative label %lld at index %lld in %s",
                              (long long)l, (long long)i, what);
    if (num_classes > 0 && l >= num_classes)
      return ajpq_status_make(AJPQ_INVALID_ARGUMENT, "%s: label %lld at index %lld outside [0, %lld)",
                              what, (long long)l, (long long)i, (long long)num_classes);
  }
  return NULL;
}

int64_t ajpq_label_at(const ajpq_tensor_t *labels, int64_t i) {
  if (labels->dtype == AJPQ_DTYPE_U8)
    return ((const uint8_t *)labels->data)[i];
  return ((const int64_t *)labels->data)[i];
}
