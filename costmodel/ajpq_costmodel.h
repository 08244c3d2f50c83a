/* ajpq_costmodel.h — analytic cost of a (compressed) layer: MACs, BitOPs and
 * weight bytes at per-output-channel bit-widths, coupling-aware.
 *
 * Pure C, no MLIR. Shared by --joint-compress (budget, state features,
 * enforcement), ajpq-cost-report and the benchmarks, so every policy and
 * every report measures the same thing.
 *
 * Definitions (design decisions, see docs of issue 5):
 *  - A layer has `cout` output channels (kernels) and `cin` input channels
 *    (for a matmul: input features). Output channel c belongs to group
 *    g = c / (cout/groups) and reads the input channels of group g,
 *    [g·cin/groups, (g+1)·cin/groups).
 *  - bits[c] ∈ {0, 1..8, 32}: 0 = erased (pruned), 1..8 = quantized per
 *    channel, 32 = float (not quantized). Any other value is an error.
 *  - in_kept[i] != 0 when input channel i survives: erasing a producer's
 *    output channel removes it from the consumer's inputs too, so the cost of
 *    a layer depends on its producer group's kept channels.
 *  - K_c = kh·kw·(kept inputs of c's group): weights of kept channel c.
 *  - MACs    = Σ_{c kept} out_h·out_w·K_c.
 *  - BitOPs  = Σ_{c kept} out_h·out_w·K_c·bits[c]·act_bits (float = 32 bits),
 *              after Bayesian Bits / DJPQ: BitOPs = MACs × w-bits × a-bits.
 *  - Weight bytes: each quantized kept channel stores its row packed at its
 *    bit-width, padded to a whole byte (the dialect's `ajpq.rowpacked-lsb`:
 *    ⌈K_c·b/8⌉ bytes) plus AJPQ_COSTMODEL_META_BYTES of per-channel metadata
 *    as a deployable format stores it: scale f32 (4 B) + bit code (1 B). The
 *    zero point (f32, AJPQ_COSTMODEL_ZP_BYTES) is stored only when the layer's
 *    scheme is asymmetric (`asymmetric`): the symmetric zero point 2^(b−1)
 *    (0.5 at 1 bit) is implied by b. A float channel stores 4·K_c bytes and no
 *    metadata. A kept channel's bias (if the layer has one) costs 4 bytes.
 *    Erased channels cost nothing. Per layer, the kept-channel map is a
 *    bitmask of ⌈cout/8⌉ bytes (AJPQ_COSTMODEL_MASK_BYTES), stored when the
 *    layer has at least one kept channel and is not entirely float (an fp32
 *    layer needs no map; a fully erased layer is gone).
 *  - avg_bits = stored weight bits (payload only, no padding) / weights of the
 *    uncompressed layer: 32 for fp32, 0 when everything is erased.
 *
 * All counts are int64 (a 1e12-MAC model at 32×32 bits still fits).
 */
#ifndef AJPQ_COSTMODEL_H
#define AJPQ_COSTMODEL_H

#include <stdbool.h>
#include <stdint.h>

#include "ajpq_status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Per kept quantized channel: scale f32 (4) + bit code (1) bytes. */
#define AJPQ_COSTMODEL_META_BYTES 5
/* Extra bytes per kept quantized channel of an asymmetric layer (f32 zero point). */
#define AJPQ_COSTMODEL_ZP_BYTES 4
/* Bytes of a layer's kept-channel bitmask over `cout` original channels. */
#define AJPQ_COSTMODEL_MASK_BYTES(cout) (((cout) + 7) / 8)
/* Bytes of one float bias value. */
#define AJPQ_COSTMODEL_BIAS_BYTES 4
/* The bit-width value meaning "float, not quantized". */
#define AJPQ_COSTMODEL_FLOAT_BITS 32

/* Kinds of compressible layers. */
typedef enum {
  AJPQ_COSTMODEL_CONV = 0,      /* standard conv, groups = 1 */
  AJPQ_COSTMODEL_DEPTHWISE = 1, /* groups = cin, cout = cin·multiplier */
  AJPQ_COSTMODEL_GROUPED = 2,   /* 1 < groups < cin */
  AJPQ_COSTMODEL_MATMUL = 3,    /* fully connected: kh = kw = 1, out_h = rows, out_w = 1 */
} ajpq_costmodel_kind_t;

/* Shape of one layer, as it is before compression. */
typedef struct {
  ajpq_costmodel_kind_t kind;
  int64_t cin;    /* input channels (matmul: K, input features) */
  int64_t cout;   /* output channels (matmul: N) */
  int64_t kh, kw; /* kernel size (matmul: 1, 1) */
  int64_t groups; /* >= 1; divides cin and cout */
  int64_t out_h;  /* output height (matmul: rows M, batch excluded) */
  int64_t out_w;  /* output width (matmul: 1) */
  bool has_bias;
  bool asymmetric; /* quantized with stored zero points (+4 B per quantized channel) */
} ajpq_costmodel_layer_t;

/* Cost of one layer (or a sum of layers). */
typedef struct {
  int64_t macs;
  int64_t bitops;
  int64_t weight_bytes;   /* packed payload + metadata + biases */
  int64_t payload_bits;   /* Σ K_c·bits[c] over kept channels (no padding) */
  int64_t orig_weights;   /* weights of the uncompressed layer(s) */
  int64_t kept_channels;  /* output channels with bits > 0 */
  int64_t erased_channels;
} ajpq_costmodel_cost_t;

/* Checks a layer description: positive sizes, groups dividing cin and cout,
 * depthwise ⇔ groups == cin, matmul ⇔ kh = kw = out_w = 1.
 * Returns INVALID_ARGUMENT naming the field. */
ajpq_status_t ajpq_costmodel_check_desc(const ajpq_costmodel_layer_t *l);

/* Computes the cost of layer `l` with per-output-channel `bits` (length
 * l->cout; NULL = every channel float, i.e. the fp32 layer) and kept input
 * channels `in_kept` (length l->cin; NULL = all inputs kept), with
 * activations at `act_bits` (1..8, or 32 for float). Writes `*out`.
 * Errors: INVALID_ARGUMENT for a bad description, a bit-width outside
 * {0,1..8,32} (naming the channel) or act_bits outside {1..8,32}. */
ajpq_status_t ajpq_costmodel_layer(const ajpq_costmodel_layer_t *l, const uint8_t *bits,
                                   const uint8_t *in_kept, int act_bits,
                                   ajpq_costmodel_cost_t *out);

/* Bytes that kept channel `c` of `l` costs at bit-width `b` given `kin`
 * kept input channels in its group (payload + metadata + bias); 0 for
 * b = 0. The marginal cost used by budget enforcement (the per-layer
 * kept-channel bitmask is not included: it is counted by
 * ajpq_costmodel_layer). */
int64_t ajpq_costmodel_channel_bytes(const ajpq_costmodel_layer_t *l, int64_t kin, int b);

/* Weights per output channel of the uncompressed layer: kh·kw·cin/groups. */
int64_t ajpq_costmodel_weights_per_channel(const ajpq_costmodel_layer_t *l);

/* acc += c, field by field. */
void ajpq_costmodel_add(ajpq_costmodel_cost_t *acc, const ajpq_costmodel_cost_t *c);

/* Average stored bits per original weight (payload_bits / orig_weights);
 * 0 when orig_weights is 0. */
double ajpq_costmodel_avg_bits(const ajpq_costmodel_cost_t *c);

/* Name of a layer kind: "conv", "depthwise", "grouped", "matmul". */
const char *ajpq_costmodel_kind_name(ajpq_costmodel_kind_t k);

#ifdef __cplusplus
}
#endif

#endif /* AJPQ_COSTMODEL_H */
