/* costmodel.c — MACs, BitOPs and weight bytes of a layer at per-channel
 * bit-widths (see ajpq_costmodel.h for every definition). */
#include "ajpq_costmodel.h"

#include <stddef.h>

static bool valid_bits(int b) { return b == 0 || (b >= 1 && b <= 8) || b == AJPQ_COSTMODEL_FLOAT_BITS; }

ajpq_status_t ajpq_costmodel_check_desc(const ajpq_costmodel_layer_t *l) {
  if (!l)
    return ajpq_status_make(AJPQ_INVALID_ARGUMENT, "costmodel: NULL layer description");
  if (l->cin <= 0 || l->cout <= 0)
    return ajpq_status_make(AJPQ_INVALID_ARGUMENT, "costmodel: cin (%lld) and cout (%lld) must be > 0",
                            (long long)l->cin, (long long)l->cout);
  if (l->kh <= 0 || l->kw <= 0)
    return ajpq_status_make(AJPQ_INVALID_ARGUMENT, "costmodel: kernel %lldx%lld must be positive",
                            (long long)l->kh, (long long)l->kw);
  if (l->out_h <= 0 || l->out_w <= 0)
    return ajpq_status_make(AJPQ_INVALID_ARGUMENT, "costmodel: output %lldx%lld must be positive",
                            (long long)l->out_h, (long long)l->out_w);
  if (l->groups <= 0 || l->cin % l->groups || l->cout % l->groups)
    return ajpq_status_make(AJPQ_INVALID_ARGUMENT,
                            "costmodel: groups (%lld) must divide cin (%lld) and cout (%lld)",
                            (long long)l->groups, (long long)l->cin, (long long)l->cout);
  switch (l->kind) {
  case AJPQ_COSTMODEL_CONV:
    if (l->groups != 1)
      return ajpq_status_make(AJPQ_INVALID_ARGUMENT, "costmodel: conv layer with groups = %lld",
                              (long long)l->groups);
    break;
  case AJPQ_COSTMODEL_DEPTHWISE:
    if (l->groups != l->cin)
      return ajpq_status_make(AJPQ_INVALID_ARGUMENT,
                              "costmodel: depthwise layer needs groups (%lld) == cin (%lld)",
                              (long long)l->groups, (long long)l->cin);
    break;
  case AJPQ_COSTMODEL_GROUPED:
    break;
  case AJPQ_COSTMODEL_MATMUL:
    if (l->kh != 1 || l->kw != 1 || l->out_w != 1 || l->groups != 1)
      return ajpq_status_make(AJPQ_INVALID_ARGUMENT,
                              "costmodel: matmul layer needs kh = kw = out_w = groups = 1");
    break;
  default:
    return ajpq_status_make(AJPQ_INVALID_ARGUMENT, "costmodel: unknown layer kind %d", (int)l->kind);
  }
  return NULL;
}

int64_t ajpq_costmodel_weights_per_channel(const ajpq_costmodel_layer_t *l) {
  return l->kh * l->kw * (l->cin / l->groups);
}

int64_t ajpq_costmodel_channel_bytes(const ajpq_costmodel_layer_t *l, int64_t kin, int b) {
  if (b <= 0)
    return 0;
  int64_t k = l->kh * l->kw * kin;
  int64_t bytes = l->has_bias ? AJPQ_COSTMODEL_BIAS_BYTES : 0;
  if (b == AJPQ_COSTMODEL_FLOAT_BITS)
    return bytes + 4 * k;
  return bytes + (k * b + 7) / 8 + AJPQ_COSTMODEL_META_BYTES +
         (l->asymmetric ? AJPQ_COSTMODEL_ZP_BYTES : 0);
}

ajpq_status_t ajpq_costmodel_layer(const ajpq_costmodel_layer_t *l, const uint8_t *bits,
                                   const uint8_t *in_kept, int act_bits, ajpq_costmodel_cost_t *out) {
  AJPQ_RETURN_IF_ERROR(ajpq_costmodel_check_desc(l));
  if (!out)
    return ajpq_status_make(AJPQ_INVALID_ARGUMENT, "costmodel: NULL output");
  if (!((act_bits >= 1 && act_bits <= 8) || act_bits == AJPQ_COSTMODEL_FLOAT_BITS))
    return ajpq_status_make(AJPQ_INVALID_ARGUMENT,
                            "costmodel: activation bits %d not in {1..8, 32}", act_bits);
  if (bits) {
    for (int64_t c = 0; c < l->cout; c++)
      if (!valid_bits(bits[c]))
        return ajpq_status_make(AJPQ_INVALID_ARGUMENT,
                                "costmodel: bit-width %d of channel %lld not in {0, 1..8, 32}",
                                (int)bits[c], (long long)c);
  }
  ajpq_costmodel_cost_t r = {0};
  const int64_t cin_g = l->cin / l->groups, cout_g = l->cout / l->groups;
  const int64_t hw = l->out_h * l->out_w, khw = l->kh * l->kw;
  r.orig_weights = l->cout * khw * cin_g;
  bool any_nonfloat = false;
  for (int64_t g = 0; g < l->groups; g++) {
    int64_t kin = cin_g;
    if (in_kept) {
      kin = 0;
      for (int64_t i = g * cin_g; i < (g + 1) * cin_g; i++)
        kin += in_kept[i] != 0;
    }
    for (int64_t c = g * cout_g; c < (g + 1) * cout_g; c++) {
      int b = bits ? bits[c] : AJPQ_COSTMODEL_FLOAT_BITS;
      if (b != AJPQ_COSTMODEL_FLOAT_BITS)
        any_nonfloat = true;
      if (b == 0) {
        r.erased_channels++;
        continue;
      }
      r.kept_channels++;
      int64_t k = khw * kin;
      r.macs += hw * k;
      r.bitops += hw * k * b * act_bits;
      r.payload_bits += k * b;
      r.weight_bytes += ajpq_costmodel_channel_bytes(l, kin, b);
    }
  }
  if (any_nonfloat && r.kept_channels > 0)
    r.weight_bytes += AJPQ_COSTMODEL_MASK_BYTES(l->cout);
  *out = r;
  return NULL;
}

void ajpq_costmodel_add(ajpq_costmodel_cost_t *acc, const ajpq_costmodel_cost_t *c) {
  acc->macs += c->macs;
  acc->bitops += c->bitops;
  acc->weight_bytes += c->weight_bytes;
  acc->payload_bits += c->payload_bits;
  acc->orig_weights += c->orig_weights;
  acc->kept_channels += c->kept_channels;
  acc->erased_channels += c->erased_channels;
}

double ajpq_costmodel_avg_bits(const ajpq_costmodel_cost_t *c) {
  return c->orig_weights > 0 ? (double)c->payload_bits / (double)c->orig_weights : 0.0;
}

const char *ajpq_costmodel_kind_name(ajpq_costmodel_kind_t k) {
  switch (k) {
  case AJPQ_COSTMODEL_CONV: return "conv";
  case AJPQ_COSTMODEL_DEPTHWISE: return "depthwise";
  case AJPQ_COSTMODEL_GROUPED: return "grouped";
  case AJPQ_COSTMODEL_MATMUL: return "matmul";
  }
  return "unknown";
}
