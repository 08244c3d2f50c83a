/* ajpq_io.h — tensors on disk: NumPy .npy, IDX (MNIST-style, raw or .gz), zoo manifests.
 *
 * Readers are strict: wrong magic, unsupported header, truncated data, trailing garbage, shape or
 * label-count mismatch and non-finite floats are errors (AJPQ_DATA_LOSS / AJPQ_INVALID_ARGUMENT /
 * AJPQ_IO_ERROR) whose message names the file. Sizes are bounded (AJPQ_IO_MAX_BYTES) before any
 * allocation, so a hostile header cannot trigger a huge allocation.
 *
 * Ownership follows support/ajpq_status.h: tensors and manifests returned through out-params
 * are owned by the caller and freed with the matching *_free (NULL-safe).
 */
#ifndef AJPQ_IO_H
#define AJPQ_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "support/ajpq_status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define AJPQ_IO_MAX_RANK 8
/* Largest payload any reader accepts (4 GiB). */
#define AJPQ_IO_MAX_BYTES ((uint64_t)4 << 30)

/* Element types of stored tensors. */
typedef enum {
  AJPQ_DTYPE_F32 = 0,
  AJPQ_DTYPE_F64 = 1,
  AJPQ_DTYPE_U8 = 2,
  AJPQ_DTYPE_I64 = 3,
} ajpq_dtype_t;

/* A dense row-major (C order) tensor. `data` holds numel * ajpq_dtype_size(dtype) bytes. */
typedef struct {
  ajpq_dtype_t dtype;
  int rank;
  int64_t dims[AJPQ_IO_MAX_RANK];
  int64_t numel;
  void *data;
} ajpq_tensor_t;

/* Bytes per element of `dtype`. */
size_t ajpq_dtype_size(ajpq_dtype_t dtype);
/* "float32", "float64", "uint8", "int64". */
const char *ajpq_dtype_name(ajpq_dtype_t dtype);

/* Allocates a zeroed tensor of the given dtype and shape (rank 0..AJPQ_IO_MAX_RANK, dims >= 0).
 * RESOURCE_EXHAUSTED beyond AJPQ_IO_MAX_BYTES. */
ajpq_status_t ajpq_tensor_create(ajpq_dtype_t dtype, int rank, const int64_t *dims,
                                 ajpq_tensor_t **out);
/* Frees tensor and data; NULL is fine. */
void ajpq_tensor_free(ajpq_tensor_t *t);

/* Returns a new float32 tensor holding `t` converted (f64 rounded to nearest, u8/i64 exactly or
 * rounded). Errors: a non-finite value (names the flat index). */
ajpq_status_t ajpq_tensor_to_f32(const ajpq_tensor_t *t, ajpq_tensor_t **out);

/* Reads a .npy file (format versions 1.0, 2.0, 3.0; little-endian '<f4' '<f8' '|u1' '<i8'
 * (also '<u1' '|i8'-style spellings); fortran_order False). Float data must be finite.
 * Errors name `path`: IO_ERROR (open/read), DATA_LOSS (magic, header syntax, truncation, trailing
 * bytes, non-finite), UNIMPLEMENTED (other dtype, big-endian, Fortran order). */
ajpq_status_t ajpq_npy_read(const char *path, ajpq_tensor_t **out);

/* Writes `t` as a version 1.0 .npy (version 2.0 when the header needs it), atomically: a temp
 * file in the same directory renamed on success, no half-written file on failure. */
ajpq_status_t ajpq_npy_write(const char *path, const ajpq_tensor_t *t);

/* Writes a float32 array of the given shape (convenience for ajpq_npy_write). */
ajpq_status_t ajpq_npy_write_f32(const char *path, const float *data, int rank,
                                 const int64_t *dims);

/* Reads an IDX file (magic 0x00 0x00 0x08 rank: unsigned byte data, big-endian int32 dims),
 * gzip-compressed when the file starts with the gzip magic (or raw). Result dtype U8.
 * Errors name `path`: wrong magic / data type, truncated data, trailing data. */
ajpq_status_t ajpq_idx_read(const char *path, ajpq_tensor_t **out);

/* Checks that `labels` is rank 1 with labels->dims[0] == n and integer dtype (U8 or I64) and
 * every label in [0, num_classes) (num_classes <= 0: no range check). `what` names the file
 * in errors. */
ajpq_status_t ajpq_labels_check(const ajpq_tensor_t *labels, int64_t n, int64_t num_classes,
                                const char *what);

/* Label `i` of a U8 or I64 label tensor. */
int64_t ajpq_label_at(const ajpq_tensor_t *labels, int64_t i);

/* ---- Zoo manifests (docs/manifest.md) ---------------------------------------------------- */

typedef enum {
  AJPQ_POSTPROCESS_NONE = 0,
  AJPQ_POSTPROCESS_MAX_SIGMOID = 1,
  AJPQ_POSTPROCESS_LOGITS = 2,
  AJPQ_POSTPROCESS_PROBABILITIES = 3,
} ajpq_postprocess_t;

/* A half-open index range [begin, end) into the sample axis. */
typedef struct {
  int64_t begin, end;
} ajpq_range_t;

/* A parsed manifest; every path is already resolved to an absolute/openable path. */
typedef struct {
  char *name;
  char *model_onnx;      /* resolved model.onnx path */
  char *model_mlir;      /* resolved model.mlir path, or NULL when absent */
  char *inputs;          /* resolved data.inputs */
  char *labels;          /* resolved data.labels, or NULL */
  int num_calibration;
  ajpq_range_t *calibration;
  int num_evaluation;
  ajpq_range_t *evaluation;
  ajpq_postprocess_t postprocess;
  int num_post_outputs;
  int *post_outputs;     /* postprocess.outputs */
  char *metric;          /* "top1", "accuracy", …, or NULL */
  double threshold;      /* default 0.5 */
  bool has_expected_accuracy, has_expected_auc, has_expected_top1;
  double expected_accuracy, expected_auc, expected_top1;
  int num_input_shapes;
  char **input_shapes;   /* model.mlir_input_shapes, e.g. "input:0:1x128x128x3" (the name is
                          * everything before the last ':') */
  int num_splits;        /* every entry of "splits", calibration and evaluation included */
  char **split_names;
  int *split_num_ranges;
  ajpq_range_t **split_ranges;
} ajpq_manifest_t;

/* The ranges of split `name` of `m` (any name in the manifest's "splits": calibration,
 * evaluation, all, calibration_pool, ...). Returns the number of ranges and sets *ranges, or -1
 * when the manifest has no such split. */
int ajpq_manifest_split(const ajpq_manifest_t *m, const char *name, const ajpq_range_t **ranges);

/* Reads a manifest. Relative paths resolve against $AJPQ_DATA (default $HOME/.cache/ajpq)
 * unless they start with '/' (absolute) or "./" (relative to `repo_root`; NULL: the current
 * directory). Errors name the file and the offending key (missing/ill-typed field, range with
 * begin > end or negative, unknown postprocess kind), a missing or empty `calibration` or
 * `evaluation` split, and a calibration range that overlaps an evaluation range. Ranges beyond
 * the data's sample count are the caller's check (the reader does not open the data). */
ajpq_status_t ajpq_manifest_read(const char *path, const char *repo_root, ajpq_manifest_t **out);
void ajpq_manifest_free(ajpq_manifest_t *m);

/* The data cache directory: $AJPQ_DATA, else $HOME/.cache/ajpq. Borrowed static storage. */
const char *ajpq_io_data_dir(void);

#ifdef __cplusplus
}
#endif

#endif /* AJPQ_IO_H */
