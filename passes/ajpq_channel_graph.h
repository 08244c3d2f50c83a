/* ajpq_channel_graph.h — INTERNAL header of the search passes
 * (joint-compress, cost-report, apply-strategy): compressible layers of a
 * function, their per-channel importance, and the channel-dependency graph.
 *
 * Layers: `tosa.conv2d` (weights OHWI [O,KH,KW,I]), `tosa.depthwise_conv2d`
 * (weights HWCM [KH,KW,C,M], output channel c·M+m), `tosa.matmul` with a
 * constant B [1,K,N] (the importer's Gemm/MatMul form, docs/import.md; its
 * bias is the constant operand of a `tosa.add` after an optional
 * `tosa.reshape`), and the compressed `ajpq.conv2d` / `ajpq.matmul`.
 * Weights are read into the canonical [out][K] layout, K in (kh, kw, ci)
 * order (the executor's and the packing format's row order).
 *
 * Channel graph: every channel of every tracked SSA value is a node of a
 * union-find. Ops that carry channels alias or re-index node arrays
 * (elementwise ops, pooling, transposes, reshapes/flattens into a linear
 * layer, slices), ops that force two channels to be erased together union
 * them (residual adds and other binary elementwise ops; a depthwise conv's
 * output c·M+m with its input c), concats and channel pads build new arrays
 * from their operands' (pad and constant segments get FILL nodes). A union
 * class with at least one layer output channel is a *group*. A group is
 * erasable unless it contains a PINNED node: a function argument or result
 * channel (graph outputs keep their width), the input or output of a
 * grouped conv, or a channel consumed by an op the graph does not model.
 * Erasure of a non-erasable group is disabled (its channels still get
 * bit-widths ≥ 1); the reason is recorded for the report.
 */
#ifndef AJPQ_CHANNEL_GRAPH_H
#define AJPQ_CHANNEL_GRAPH_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "ajpq_output.h"
#include "ajpq_costmodel.h"
#include "mlir-c/Diagnostics.h"
#include "mlir-c/IR.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
  AJPQ_CG_TOSA_CONV = 0,
  AJPQ_CG_TOSA_DEPTHWISE = 1,
  AJPQ_CG_TOSA_MATMUL = 2,
  AJPQ_CG_AJPQ_CONV = 3,
  AJPQ_CG_AJPQ_MATMUL = 4,
} ajpq_cg_op_t;

typedef enum { AJPQ_IMPORTANCE_L1 = 0, AJPQ_IMPORTANCE_L2 = 1 } ajpq_importance_t;

/* One compressible layer, in program order. */
typedef struct {
  MlirOperation op;
  ajpq_cg_op_t op_kind;
  char *name;                 /* ONNX node name (NameLoc) or "layer<i>"; owned */
  ajpq_costmodel_layer_t desc; /* shape before compression (ajpq ops: as stored) */
  int64_t k;                  /* weights per output channel */
  float *weights;             /* [cout][k] canonical, owned; NULL for ajpq ops */
  float *bias;                /* [cout] or NULL; owned */
  MlirOperation bias_add;     /* matmul: the tosa.add holding the bias, or null */
  MlirOperation weight_const; /* the tosa.const of the weights (tosa layers) */
  int32_t *out_node;          /* [cout] channel nodes of the output */
  int32_t *in_node;           /* [cin] channel nodes of the input, -1 = untracked; owned */
  double *importance;         /* [cout] L1 or L2 norm of each kernel row; owned */
  /* ajpq ops only: stored bits per original channel (0 = erased), [cout]. */
  uint8_t *stored_bits;
  int act_bits;               /* ajpq ops: 8 if the input is i8, else 32 */
} ajpq_cg_layer_t;

/* One group of tied layer output channels. */
typedef struct {
  int32_t n_members;
  int32_t *member_layer, *member_chan; /* owned; sorted by (layer, channel) */
  int32_t leader;                      /* first layer (program order) with a member */
  double importance;                   /* Σ member importance */
  bool erasable;
  const char *reason;                  /* static text when not erasable */
} ajpq_cg_group_t;

typedef struct {
  int n_layers;
  ajpq_cg_layer_t *layers;
  int32_t n_nodes;
  int32_t *parent;        /* union-find */
  uint8_t *flags;         /* AJPQ_CG_NODE_* */
  const char **pin_reason;/* per node, static text or NULL */
  int32_t *group_of_node; /* group index of the node's class or -1 */
  int n_groups;
  ajpq_cg_group_t *groups;
  int32_t **chan_group;   /* [layer][cout]: group of each output channel */
  void *vmap_;            /* value -> channel nodes (internal) */
} ajpq_channel_graph_t;

#define AJPQ_CG_NODE_LAYER 1u  /* output channel of a layer */
#define AJPQ_CG_NODE_PINNED 2u /* must keep its width */
#define AJPQ_CG_NODE_FILL 4u   /* channel pad / constant concat segment */

/* Builds the layers and the channel graph of func.func `func`. Reads and
 * checks weights (a NaN or infinite weight is an error at the weight's
 * location naming the layer). Returns NULL after emitting an MLIR error. An
 * empty layer list is NOT an error here (callers decide). Owned by the
 * caller: ajpq_cg_destroy. */
ajpq_channel_graph_t *ajpq_cg_build(MlirOperation func, ajpq_importance_t imp);
void ajpq_cg_destroy(ajpq_channel_graph_t *g);

/* The MLIR op name of a layer kind, e.g. "tosa.depthwise_conv2d" (static). */
const char *ajpq_cg_op_name(ajpq_cg_op_t k);

struct cJSON;
/* Fills a layer's JSON object after its "name" and "op" members; false on OOM. */
typedef bool (*ajpq_cg_json_layer_fn)(struct cJSON *obj, int layer, void *user);
/* Adds "layers": [ {"name": layer name, "op": op name, …fill(obj, l, user)} for every layer
 * of g in order ] to the cJSON object `root` (the per-layer part of the cost report and of
 * strategy files). False on OOM (root then holds a partial array; the caller deletes root). */
bool ajpq_cg_json_layers(struct cJSON *root, const ajpq_channel_graph_t *g,
                         ajpq_cg_json_layer_fn fill, void *user);
/* Prints `root` (cJSON's formatted print, shortest round-tripping numbers) to `path`
 * all-or-nothing (support/ajpq_output.h: a temporary file renamed on success) and deletes
 * `root` (may be NULL: an earlier OOM). Errors name `what` and the path: RESOURCE_EXHAUSTED
 * "out of memory writing <what> '<path>'", IO_ERROR "cannot write <what> '<path>'" or
 * ajpq_output_open's error. */
ajpq_status_t ajpq_cg_json_write(struct cJSON *root, const char *path, const char *what);
/* Like ajpq_cg_json_write, but prints into `out`, an output the caller opened
 * (support/ajpq_output.h) and still commits or aborts itself — for passes that
 * open their side outputs before the work and install them together at the
 * end. Deletes `root`. Errors name `what` and out->path (RESOURCE_EXHAUSTED /
 * IO_ERROR, as above); `out` is left open either way. */
ajpq_status_t ajpq_cg_json_print_to(struct cJSON *root, ajpq_output_t *out, const char *what);

/* Channel nodes of SSA value `v` (its channel axis, size and node ids,
 * borrowed); false if the value is not tracked. */
bool ajpq_cg_value_channels(const ajpq_channel_graph_t *g, MlirValue v, int *axis, int64_t *size,
                            const int32_t **ids);

/* Gives value `to` the channel nodes of `from` (when a rewrite replaces the
 * op defining `from`). False on OOM. */
bool ajpq_cg_rekey_value(ajpq_channel_graph_t *g, MlirValue from, MlirValue to);

/* Root of node `n`'s union-find class. */
int32_t ajpq_cg_find(ajpq_channel_graph_t *g, int32_t n);

/* Kept mask of `layer`'s input channels given per-group erasure
 * (`group_erased[g]`, n_groups entries; NULL = nothing erased): in_kept[i] =
 * 0 iff input node i belongs to an erased group. `in_kept` has desc.cin
 * entries. */
void ajpq_cg_input_kept(const ajpq_channel_graph_t *g, int layer, const uint8_t *group_erased,
                        uint8_t *in_kept);

/* The entry function of `module_or_func`: itself if it is a func.func,
 * else the func.func named "main", else the first one. Null if none. */
MlirOperation ajpq_cg_entry_func(MlirOperation module_or_func);

/* Prints the graph (layers, groups, pinned reasons) to stderr; for tests. */
void ajpq_cg_dump(const ajpq_channel_graph_t *g);

/* ---- cost report helpers (cost_report.c) ---- */

/* Cost of every layer as it is in the IR (TOSA layers: fp32 weights and
 * activations; ajpq layers: stored bits, act bits from the input type) into
 * per_layer[n_layers] and their sum into *total. False after an MLIR error. */
bool ajpq_cost_report_compute(const ajpq_channel_graph_t *g, ajpq_costmodel_cost_t *per_layer,
                              ajpq_costmodel_cost_t *total, MlirOperation at);

/* Prints the per-layer table and the total line. */
void ajpq_cost_report_print(FILE *f, const ajpq_channel_graph_t *g,
                            const ajpq_costmodel_cost_t *per_layer,
                            const ajpq_costmodel_cost_t *total);

#ifdef __cplusplus
}
#endif

#endif /* AJPQ_CHANNEL_GRAPH_H */
