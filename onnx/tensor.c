/* tensor.c — ONNX TensorProto decoding, file reading and conformance test
 * case loading (ONNX's test-data layout: model.onnx + test_data_set_0/). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ajpq_onnx.h"
#include "onnx_internal.h"

void ajpq_onnx_tensor_clear(ajpq_onnx_tensor_t *t) {
  if (!t)
    return;
  free(t->name);
  free(t->f32);
  free(t->i64);
  memset(t, 0, sizeof(*t));
}

/* Bytes per element of an ONNX data type in raw_data; 0 if unsupported. */
static size_t dtype_size(int32_t dt) {
  switch (dt) {
  case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT:
  case ONNX__TENSOR_PROTO__DATA_TYPE__INT32:
  case ONNX__TENSOR_PROTO__DATA_TYPE__UINT32:
    return 4;
  case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE:
  case ONNX__TENSOR_PROTO__DATA_TYPE__INT64:
  case ONNX__TENSOR_PROTO__DATA_TYPE__UINT64:
    return 8;
  case ONNX__TENSOR_PROTO__DATA_TYPE__INT16:
  case ONNX__TENSOR_PROTO__DATA_TYPE__UINT16:
    return 2;
  case ONNX__TENSOR_PROTO__DATA_TYPE__INT8:
  case ONNX__TENSOR_PROTO__DATA_TYPE__UINT8:
  case ONNX__TENSOR_PROTO__DATA_TYPE__BOOL:
    return 1;
  default:
    return 0;
  }
}

const char *ajpq_onnx_dtype_name(int32_t dt) {
  static const char *names[] = {"UNDEFINED",  "FLOAT",   "UINT8",  "INT8",   "UINT16",
                                "INT16",      "INT32",   "INT64",  "STRING", "BOOL",
                                "FLOAT16",    "DOUBLE",  "UINT32", "UINT64", "COMPLEX64",
                                "COMPLEX128", "BFLOAT16"};
  if (dt >= 0 && dt < (int32_t)(sizeof(names) / sizeof(names[0])))
    return names[dt];
  return "UNKNOWN";
}

int ajpq_onnx_dtype_is_float(int32_t dt) {
  return dt == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT || dt == ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE;
}

static int64_t load_int(const uint8_t *p, int32_t dt) {
  switch (dt) {
  case ONNX__TENSOR_PROTO__DATA_TYPE__INT32: {
    int32_t v;
    memcpy(&v, p, 4);
    return v;
  }
  case ONNX__TENSOR_PROTO__DATA_TYPE__UINT32: {
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
  }
  case ONNX__TENSOR_PROTO__DATA_TYPE__INT64:
  case ONNX__TENSOR_PROTO__DATA_TYPE__UINT64: {
    int64_t v;
    memcpy(&v, p, 8);
    return v;
  }
  case ONNX__TENSOR_PROTO__DATA_TYPE__INT16: {
    int16_t v;
    memcpy(&v, p, 2);
    return v;
  }
  case ONNX__TENSOR_PROTO__DATA_TYPE__UINT16: {
    uint16_t v;
    memcpy(&v, p, 2);
    return v;
  }
  case ONNX__TENSOR_PROTO__DATA_TYPE__INT8:
    return (int8_t)p[0];
  default:
    return p[0];
  }
}

ajpq_status_t ajpq_onnx_tensor_from_proto(const Onnx__TensorProto *tp, ajpq_onnx_tensor_t *out) {
  memset(out, 0, sizeof(*out));
  const char *nm = tp->name ? tp->name : "";
  int32_t dt = tp->has_data_type ? tp->data_type : 0;
  if (tp->n_external_data > 0 ||
      (tp->has_data_location && tp->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL))
    return ajpq_status_make(AJPQ_UNIMPLEMENTED,
                            "tensor '%s' stores its data in an external file; external data is "
                            "not supported (re-save the model with all tensors inside the .onnx)",
                            nm);
  if (tp->segment)
    return ajpq_status_make(AJPQ_UNIMPLEMENTED, "tensor '%s' is segmented (unsupported)", nm);
  size_t esz = dtype_size(dt);
  if (esz == 0)
    return ajpq_status_make(AJPQ_UNIMPLEMENTED, "tensor '%s' has element type %s (unsupported)", nm,
                            ajpq_onnx_dtype_name(dt));
  if (tp->n_dims > AJPQ_ONNX_MAX_RANK)
    return ajpq_status_make(AJPQ_INVALID_ARGUMENT, "tensor '%s' has rank %zu (max %d)", nm,
                            tp->n_dims, AJPQ_ONNX_MAX_RANK);
  int64_t numel = 1;
  for (size_t i = 0; i < tp->n_dims; ++i) {
    int64_t d = tp->dims[i];
    if (d < 0 || d > AJPQ_ONNX_MAX_ELEMENTS)
      return ajpq_status_make(AJPQ_INVALID_ARGUMENT, "tensor '%s' has an invalid dim %lld", nm,
                              (long long)d);
    numel *= d;
    if (numel > AJPQ_ONNX_MAX_ELEMENTS)
      return ajpq_status_make(AJPQ_INVALID_ARGUMENT,
                              "tensor '%s' has more than %lld elements (absurd dims)", nm,
                              (long long)AJPQ_ONNX_MAX_ELEMENTS);
  }
  /* Count the stored elements before allocating anything. */
  size_t have;
  int is_float = ajpq_onnx_dtype_is_float(dt);
  if (tp->has_raw_data && tp->raw_data.len > 0) {
    if (tp->raw_data.len % esz)
      return ajpq_status_make(AJPQ_DATA_LOSS,
                              "tensor '%s': raw_data of %zu bytes is not a "
                              "multiple of the %s size",
                              nm, tp->raw_data.len, ajpq_onnx_dtype_name(dt));
    have = tp->raw_data.len / esz;
  } else if (dt == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT) {
    have = tp->n_float_data;
  } else if (dt == ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE) {
    have = tp->n_double_data;
  } else if (dt == ONNX__TENSOR_PROTO__DATA_TYPE__INT64) {
    have = tp->n_int64_data;
  } else if (dt == ONNX__TENSOR_PROTO__DATA_TYPE__UINT32 ||
             dt == ONNX__TENSOR_PROTO__DATA_TYPE__UINT64) {
    have = tp->n_uint64_data;
  } else {
    have = tp->n_int32_data;
  }
  if ((int64_t)have != numel)
    return ajpq_status_make(AJPQ_DATA_LOSS, "tensor '%s' holds %zu elements but its dims need %lld",
                            nm, have, (long long)numel);
  out->name = strdup(nm);
  out->dtype = dt;
  out->rank = (int)tp->n_dims;
  for (int i = 0; i < out->rank; ++i)
    out->dims[i] = tp->dims[i];
  out->numel = numel;
  if (!out->name)
    return ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED, "out of memory");
  size_t n = numel ? (size_t)numel : 1;
  if (is_float)
    out->f32 = malloc(n * sizeof(float));
  else
    out->i64 = malloc(n * sizeof(int64_t));
  if (!out->f32 && !out->i64) {
    ajpq_onnx_tensor_clear(out);
    return ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED, "out of memory for tensor '%s'", nm);
  }
  const uint8_t *raw = (tp->has_raw_data && tp->raw_data.len > 0) ? tp->raw_data.data : NULL;
  for (int64_t i = 0; i < numel; ++i) {
    if (dt == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT) {
      float v;
      if (raw)
        memcpy(&v, raw + 4 * i, 4);
      else
        v = tp->float_data[i];
      out->f32[i] = v;
    } else if (dt == ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE) {
      double v;
      if (raw)
        memcpy(&v, raw + 8 * i, 8);
      else
        v = tp->double_data[i];
      out->f32[i] = (float)v;
    } else if (raw) {
      out->i64[i] = load_int(raw + esz * i, dt);
    } else if (dt == ONNX__TENSOR_PROTO__DATA_TYPE__INT64) {
      out->i64[i] = tp->int64_data[i];
    } else if (dt == ONNX__TENSOR_PROTO__DATA_TYPE__UINT32 ||
               dt == ONNX__TENSOR_PROTO__DATA_TYPE__UINT64) {
      out->i64[i] = (int64_t)tp->uint64_data[i];
    } else {
      out->i64[i] = tp->int32_data[i];
    }
    if (dt == ONNX__TENSOR_PROTO__DATA_TYPE__BOOL)
      out->i64[i] = out->i64[i] != 0;
  }
  return NULL;
}

ajpq_status_t ajpq_onnx_tensor_decode(const uint8_t *data, size_t size, ajpq_onnx_tensor_t *out) {
  memset(out, 0, sizeof(*out));
  Onnx__TensorProto *tp = onnx__tensor_proto__unpack(NULL, size, data);
  if (!tp)
    return ajpq_status_make(AJPQ_DATA_LOSS, "not a valid serialized TensorProto (truncated or "
                                            "corrupt protobuf)");
  ajpq_status_t st = ajpq_onnx_tensor_from_proto(tp, out);
  onnx__tensor_proto__free_unpacked(tp, NULL);
  return st;
}

ajpq_status_t ajpq_onnx_read_file(const char *path, size_t max_size, uint8_t **out_data,
                                  size_t *out_size) {
  int is_stdin = strcmp(path, "-") == 0;
  FILE *f = is_stdin ? stdin : fopen(path, "rb");
  if (!f)
    return ajpq_status_make(AJPQ_IO_ERROR, "cannot open '%s': %s", path, strerror(errno));
  size_t cap = 1 << 16, len = 0;
  uint8_t *buf = malloc(cap + 1);
  ajpq_status_t st = NULL;
  while (buf) {
    if (len == cap) {
      if (cap >= max_size) {
        st = ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED, "'%s' is larger than %zu bytes", path,
                              max_size);
        break;
      }
      cap = cap * 2 > max_size ? max_size : cap * 2;
      uint8_t *nb = realloc(buf, cap + 1);
      if (!nb) {
        free(buf);
        buf = NULL;
        break;
      }
      buf = nb;
    }
    size_t got = fread(buf + len, 1, cap - len, f);
    len += got;
    if (got == 0) {
      if (ferror(f))
        st = ajpq_status_make(AJPQ_IO_ERROR, "cannot read '%s': %s", path, strerror(errno));
      break;
    }
  }
  if (!is_stdin)
    fclose(f);
  if (!buf)
    return ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED, "out of memory reading '%s'", path);
  if (st) {
    free(buf);
    return st;
  }
  buf[len] = 0;
  *out_data = buf;
  *out_size = len;
  return NULL;
}

ajpq_status_t ajpq_onnx_tensor_read(const char *path, ajpq_onnx_tensor_t *out) {
  memset(out, 0, sizeof(*out));
  uint8_t *data;
  size_t size;
  AJPQ_RETURN_IF_ERROR(ajpq_onnx_read_file(path, (size_t)1 << 31, &data, &size));
  ajpq_status_t st = ajpq_onnx_tensor_decode(data, size, out);
  free(data);
  return ajpq_status_annotate(st, "%s", path);
}

void ajpq_onnx_testcase_free(ajpq_onnx_testcase_t *tc) {
  if (!tc)
    return;
  for (int i = 0; i < tc->n_inputs; ++i)
    ajpq_onnx_tensor_clear(&tc->inputs[i]);
  for (int i = 0; i < tc->n_outputs; ++i)
    ajpq_onnx_tensor_clear(&tc->outputs[i]);
  free(tc->inputs);
  free(tc->outputs);
  free(tc->model_path);
  free(tc);
}

/* Reads <dir>/test_data_set_0/<prefix>_N.pb for N = 0.. into a new array. */
static ajpq_status_t load_set(const char *dir, const char *prefix, ajpq_onnx_tensor_t **out,
                              int *n_out) {
  *out = NULL;
  *n_out = 0;
  for (int i = 0; i < 64; ++i) {
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/test_data_set_0/%s_%d.pb", dir, prefix, i);
    struct stat sb;
    if (stat(path, &sb) != 0)
      break;
    ajpq_onnx_tensor_t *nt = realloc(*out, (size_t)(i + 1) * sizeof(**out));
    if (!nt)
      return ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED, "out of memory");
    *out = nt;
    AJPQ_RETURN_IF_ERROR(ajpq_onnx_tensor_read(path, &nt[i]));
    *n_out = i + 1;
  }
  return NULL;
}

ajpq_status_t ajpq_onnx_testcase_load(const char *dir, ajpq_onnx_testcase_t **out) {
  *out = NULL;
  char path[PATH_MAX];
  struct stat sb;
  snprintf(path, sizeof(path), "%s/model.onnx", dir);
  if (stat(path, &sb) != 0)
    return ajpq_status_make(AJPQ_NOT_FOUND, "%s: no such test case (missing model.onnx)", dir);
  ajpq_onnx_testcase_t *tc = calloc(1, sizeof(*tc));
  if (!tc || !(tc->model_path = strdup(path))) {
    free(tc);
    return ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED, "out of memory");
  }
  ajpq_status_t st = load_set(dir, "input", &tc->inputs, &tc->n_inputs);
  if (!st)
    st = load_set(dir, "output", &tc->outputs, &tc->n_outputs);
  if (!st && tc->n_outputs == 0)
    st = ajpq_status_make(AJPQ_NOT_FOUND, "%s: no test_data_set_0/output_0.pb", dir);
  if (st) {
    ajpq_onnx_testcase_free(tc);
    return st;
  }
  *out = tc;
  return NULL;
}
