/* ajpq_onnx.h — ONNX model import into MLIR (TOSA 1.0, NHWC inside) and
 * ONNX TensorProto / conformance test-case reading.
 *
 * The importer parses a ModelProto with protobuf-c (onnx.proto of Debian's
 * libonnx-dev), infers static shapes, folds every node whose inputs are
 * constants, and builds one func.func in the TOSA dialect with the MLIR C API.
 * The emitted op set and its conventions are the contract in docs/import.md.
 *
 * Ownership follows support/ajpq_status.h: create/load functions return owned
 * objects freed by the matching free/destroy function (which accepts NULL).
 */
#ifndef AJPQ_ONNX_H
#define AJPQ_ONNX_H

#include <stddef.h>
#include <stdint.h>

#include "ajpq_status.h"
#include "mlir-c/IR.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Highest tensor rank the importer accepts. */
#define AJPQ_ONNX_MAX_RANK 8
/* Largest element count of any tensor (weights, folded constants,
 * activations): 2^28. Bigger dims are rejected as absurd, never allocated. */
#define AJPQ_ONNX_MAX_ELEMENTS ((int64_t)1 << 28)
/* Deepest nesting of protobuf messages accepted in a model file, counted
 * from ModelProto = 1 (ModelProto > GraphProto > NodeProto > AttributeProto >
 * GraphProto ... — each level of If/Loop subgraph costs 3; nested TypeProto
 * sequence/map/optional types count too). Deeper files are refused with
 * "messages nested deeper than 100 levels" BEFORE protobuf-c's unpacker,
 * which recurses once per level and would overflow the stack. */
#define AJPQ_ONNX_MAX_NESTING 100

/* A host tensor decoded from an ONNX TensorProto. `dtype` is ONNX's
 * TensorProto.DataType code (1 FLOAT, 7 INT64, 9 BOOL, ...). Floating types
 * (FLOAT, DOUBLE) are stored in `f32` (DOUBLE narrowed to float); every
 * integer type and BOOL is stored widened in `i64`. Exactly one of f32/i64 is
 * non-NULL (both NULL when numel == 0). Row-major, dims[0] outermost. */
typedef struct {
  char *name;    /* owned; "" when the proto had none */
  int32_t dtype; /* ONNX TensorProto.DataType */
  int rank;
  int64_t dims[AJPQ_ONNX_MAX_RANK];
  int64_t numel;
  float *f32;   /* owned, numel floats, or NULL */
  int64_t *i64; /* owned, numel values, or NULL */
} ajpq_onnx_tensor_t;

/* Decodes a serialized TensorProto (`size` bytes at `data`) into `out`
 * (fully overwritten). Errors: AJPQ_DATA_LOSS for malformed protobuf or a
 * data length that disagrees with dims; AJPQ_INVALID_ARGUMENT for negative
 * dims, rank > AJPQ_ONNX_MAX_RANK or more than AJPQ_ONNX_MAX_ELEMENTS
 * elements; AJPQ_UNIMPLEMENTED for string/complex/float16 data or external
 * data. On error `out` is zeroed. */
ajpq_status_t ajpq_onnx_tensor_decode(const uint8_t *data, size_t size, ajpq_onnx_tensor_t *out);

/* Reads a file holding one serialized TensorProto (the input_N.pb /
 * output_N.pb files of ONNX's test data) into `out`. Errors as
 * ajpq_onnx_tensor_decode plus AJPQ_IO_ERROR, annotated with the path. */
ajpq_status_t ajpq_onnx_tensor_read(const char *path, ajpq_onnx_tensor_t *out);

/* Frees the buffers of `t` (not `t` itself) and zeroes it. NULL is fine. */
void ajpq_onnx_tensor_clear(ajpq_onnx_tensor_t *t);

/* One ONNX conformance test case: `<dir>/model.onnx` and
 * `<dir>/test_data_set_0/{input,output}_N.pb` (N = 0, 1, ... until the first
 * missing file), as shipped by ONNX (Debian libonnx-testdata, data/node/). */
typedef struct {
  char *model_path; /* owned */
  int n_inputs, n_outputs;
  ajpq_onnx_tensor_t *inputs;  /* owned array, in graph-input order */
  ajpq_onnx_tensor_t *outputs; /* owned array, in graph-output order */
} ajpq_onnx_testcase_t;

/* Loads the test case in directory `dir` into a new object (*out, owned).
 * Errors: AJPQ_NOT_FOUND when model.onnx or test_data_set_0 is missing;
 * tensor errors of ajpq_onnx_tensor_read, annotated with the file. */
ajpq_status_t ajpq_onnx_testcase_load(const char *dir, ajpq_onnx_testcase_t **out);

/* Frees a test case; NULL is fine. */
void ajpq_onnx_testcase_free(ajpq_onnx_testcase_t *tc);

/* A fixed shape for one graph input (from --input-shape=NAME:1x3x224x224). */
typedef struct {
  const char *name; /* borrowed */
  int rank;
  int64_t dims[AJPQ_ONNX_MAX_RANK];
} ajpq_onnx_input_shape_t;

/* Import options; fill with ajpq_onnx_options_init() first. */
typedef struct {
  const char *func_name;   /* name of the emitted func.func; default "main" */
  const char *source_name; /* file name used in locations and messages; default "<stdin>" */
  const ajpq_onnx_input_shape_t *input_shapes; /* borrowed array, may be NULL */
  int n_input_shapes;
  /* Graph inputs bound to constants (matched by tensor name): the importer
   * treats them like initializers (used by the conformance runner, whose
   * test cases feed conv weights as inputs). Borrowed; data is copied. */
  const ajpq_onnx_tensor_t *const_inputs;
  int n_const_inputs;
} ajpq_onnx_options_t;

/* Sets defaults: func_name "main", source_name "<stdin>", no input shapes. */
void ajpq_onnx_options_init(ajpq_onnx_options_t *opts);

/* Parses "NAME:1x3x224x224" (the text after --input-shape=) into `out`;
 * `out->name` points into a copy owned by the caller-provided `name_buf`
 * of `name_buf_size` bytes. Errors: AJPQ_INVALID_ARGUMENT (no ':', empty
 * name, a dim that is not a positive integer < 2^31, rank > 8). */
ajpq_status_t ajpq_onnx_parse_input_shape(const char *text, char *name_buf, size_t name_buf_size,
                                          ajpq_onnx_input_shape_t *out);

/* Registers and loads the dialects the importer emits (func, tosa, arith,
 * tensor) into `ctx`. Call once per context before importing. */
void ajpq_onnx_load_dialects(MlirContext ctx);

/* Imports the serialized ModelProto in `data` (`size` bytes; borrowed, may be
 * freed after the call: every weight is copied into a dense_resource blob
 * owned by `ctx`) into a new module owned by the caller (*out_module; destroy
 * with mlirModuleDestroy). The function's ops are TOSA per docs/import.md;
 * the module is verified before returning.
 * Errors (status message names the file, node, op type, opset, tensor):
 *  - AJPQ_DATA_LOSS: not a protobuf ModelProto (truncated, corrupt, no graph);
 *  - AJPQ_UNIMPLEMENTED: unsupported ops (the message lists ALL unsupported
 *    nodes of the model), unsupported opset (< 7 or > 21), element types,
 *    external data, attribute values;
 *  - AJPQ_INVALID_ARGUMENT: inconsistent shapes, negative/absurd dims,
 *    dangling tensor names, dynamic dims not fixed by an input shape, bad
 *    attribute values;
 *  - AJPQ_INTERNAL: the built module failed to verify (an importer bug).
 * On error *out_module is left null (mlirModuleIsNull). */
ajpq_status_t ajpq_onnx_import(MlirContext ctx, const uint8_t *data, size_t size,
                               const ajpq_onnx_options_t *opts, MlirModule *out_module);

/* Reads `path` ("-" = stdin) and calls ajpq_onnx_import with source_name
 * defaulting to `path`. Errors: AJPQ_IO_ERROR, files > 2 GiB
 * (AJPQ_RESOURCE_EXHAUSTED), then those of ajpq_onnx_import. */
ajpq_status_t ajpq_onnx_import_file(MlirContext ctx, const char *path,
                                    const ajpq_onnx_options_t *opts, MlirModule *out_module);

/* Imports conformance test case `tc` the way both conformance runners need it:
 * float graph inputs stay runtime arguments (shapes fixed from the test data),
 * every other input is bound as a constant; if that import is UNIMPLEMENTED
 * (e.g. a shape operand must be constant) and there are several inputs, it is
 * retried with every input after the first bound. `runtime[i]` (at least
 * tc->n_inputs entries, at most 64 inputs are considered) receives 1 for each
 * input that stayed a runtime argument. `name` becomes the source name of the
 * locations. On success *out is the module (owned by the caller); on failure
 * the import's status (UNIMPLEMENTED means "skip this case"). */
ajpq_status_t ajpq_onnx_testcase_import(MlirContext ctx, const ajpq_onnx_testcase_t *tc,
                                        const char *name, int *runtime, MlirModule *out);

/* Reads a whole file ("-" = stdin) into a malloc'ed buffer (*out_data,
 * owned, NUL-terminated for convenience; *out_size excludes the NUL).
 * Errors: AJPQ_IO_ERROR, AJPQ_RESOURCE_EXHAUSTED beyond `max_size` bytes. */
ajpq_status_t ajpq_onnx_read_file(const char *path, size_t max_size, uint8_t **out_data,
                                  size_t *out_size);

#ifdef __cplusplus
}
#endif

#endif /* AJPQ_ONNX_H */
