/* cost_report.c — the `ajpq-cost-report` analysis pass: per compressible
 * layer and in total, MACs, BitOPs (MACs × weight bits × activation bits),
 * weight bytes (packed payload + per-channel metadata + biases), kept and
 * erased output channels and average bits per original weight, all from
 * ajpq_costmodel. Works on the fp32 TOSA model (every weight and activation
 * 32-bit float) and on ajpq-dialect models (bits, kept channels and the
 * input element type as stored). Text table to stderr; `json=FILE` also
 * writes
 *   {"total": {"weight_bytes", "macs", "bitops", "kept_channels",
 *              "erased_channels", "avg_bits", "layers"},
 *    "layers": [{"name", "op", "kind", "cin", "cout", "kept", "erased",
 *                "avg_bits", "act_bits", "macs", "bitops", "weight_bytes"}]}
 * (written to FILE.tmp, renamed on success). The IR is not changed. */
#include "ajpq_channel_graph.h"
#include "ajpq_passes.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const ajpq_pass_option_t k_options[] = {
    {.name = "json", .kind = AJPQ_OPT_STRING, .default_value = NULL,
     .help = "Also write the report as JSON to this file"},
    {.name = "quiet", .kind = AJPQ_OPT_BOOL, .default_value = "false",
     .help = "Do not print the text table (only write json=FILE)"},
};



bool ajpq_cost_report_compute(const ajpq_channel_graph_t *g, ajpq_costmodel_cost_t *per_layer,
                              ajpq_costmodel_cost_t *total, MlirOperation at) {
  memset(total, 0, sizeof *total);
  for (int l = 0; l < g->n_layers; l++) {
    const ajpq_cg_layer_t *L = &g->layers[l];
    const uint8_t *bits = L->stored_bits; /* NULL for fp32 TOSA layers */
    ajpq_status_t s = ajpq_costmodel_layer(&L->desc, bits, NULL, L->act_bits, &per_layer[l]);
    if (s) {
      char msg[512];
      snprintf(msg, sizeof msg, "ajpq-cost-report: layer '%s': %s", L->name,
               ajpq_status_message(s));
      ajpq_status_free(s);
      mlirEmitError(mlirOperationGetLocation(L->op), msg);
      return false;
    }
    ajpq_costmodel_add(total, &per_layer[l]);
  }
  (void)at;
  return true;
}

static bool write_json(const char *path, const ajpq_channel_graph_t *g,
                       const ajpq_costmodel_cost_t *pl, const ajpq_costmodel_cost_t *t,
                       MlirOperation at) {
  size_t n = strlen(path);
  char *tmp = malloc(n + 5);
  if (!tmp)
    return false;
  snprintf(tmp, n + 5, "%s.tmp", path);
  FILE *f = fopen(tmp, "w");
  if (!f) {
    char msg[600];
    snprintf(msg, sizeof msg, "ajpq-cost-report: cannot write '%s': %s", path, strerror(errno));
    mlirEmitError(mlirOperationGetLocation(at), msg);
    free(tmp);
    return false;
  }
  fprintf(f,
          "{\n  \"total\": {\"weight_bytes\": %lld, \"macs\": %lld, \"bitops\": %lld, "
          "\"kept_channels\": %lld, \"erased_channels\": %lld, \"avg_bits\": %.6f, \"layers\": %d},\n"
          "  \"layers\": [",
          (long long)t->weight_bytes, (long long)t->macs, (long long)t->bitops,
          (long long)t->kept_channels, (long long)t->erased_channels, ajpq_costmodel_avg_bits(t),
          g->n_layers);
  for (int l = 0; l < g->n_layers; l++) {
    const ajpq_cg_layer_t *L = &g->layers[l];
    fprintf(f, "%s\n    {\"name\": ", l ? "," : "");
    ajpq_cg_json_string(f, L->name);
    fprintf(f,
            ", \"op\": \"%s\", \"kind\": \"%s\", \"cin\": %lld, \"cout\": %lld, \"kept\": %lld, "
            "\"erased\": %lld, \"avg_bits\": %.6f, \"act_bits\": %d, \"macs\": %lld, "
            "\"bitops\": %lld, \"weight_bytes\": %lld}",
            ajpq_cg_op_name(L->op_kind), ajpq_costmodel_kind_name(L->desc.kind), (long long)L->desc.cin,
            (long long)L->desc.cout, (long long)pl[l].kept_channels,
            (long long)pl[l].erased_channels, ajpq_costmodel_avg_bits(&pl[l]), L->act_bits,
            (long long)pl[l].macs, (long long)pl[l].bitops, (long long)pl[l].weight_bytes);
  }
  fprintf(f, "\n  ]\n}\n");
  bool ok = !ferror(f);
  ok &= fclose(f) == 0;
  if (ok && rename(tmp, path) != 0)
    ok = false;
  if (!ok) {
    remove(tmp);
    char msg[600];
    snprintf(msg, sizeof msg, "ajpq-cost-report: cannot write '%s': %s", path, strerror(errno));
    mlirEmitError(mlirOperationGetLocation(at), msg);
  }
  free(tmp);
  return ok;
}

void ajpq_cost_report_print(FILE *f, const ajpq_channel_graph_t *g,
                            const ajpq_costmodel_cost_t *pl, const ajpq_costmodel_cost_t *t) {
  fprintf(f, "%-24s %-10s %6s %6s %6s %6s %8s %5s %14s %18s %14s\n", "layer", "kind", "cin",
          "cout", "kept", "erased", "avg-bits", "act", "MACs", "BitOPs", "weight-bytes");
  for (int l = 0; l < g->n_layers; l++) {
    const ajpq_cg_layer_t *L = &g->layers[l];
    fprintf(f, "%-24.24s %-10s %6lld %6lld %6lld %6lld %8.3f %5d %14lld %18lld %14lld\n", L->name,
            ajpq_costmodel_kind_name(L->desc.kind), (long long)L->desc.cin,
            (long long)L->desc.cout, (long long)pl[l].kept_channels,
            (long long)pl[l].erased_channels, ajpq_costmodel_avg_bits(&pl[l]), L->act_bits,
            (long long)pl[l].macs, (long long)pl[l].bitops, (long long)pl[l].weight_bytes);
  }
  fprintf(f, "%-24s %-10s %6s %6s %6lld %6lld %8.3f %5s %14lld %18lld %14lld\n", "total", "", "",
          "", (long long)t->kept_channels, (long long)t->erased_channels,
          ajpq_costmodel_avg_bits(t), "", (long long)t->macs, (long long)t->bitops,
          (long long)t->weight_bytes);
}

static bool run_cost_report(MlirOperation op, const ajpq_pass_options_t *o, void *ctx) {
  (void)ctx;
  MlirOperation func = ajpq_cg_entry_func(op);
  if (mlirOperationIsNull(func)) {
    mlirEmitError(mlirOperationGetLocation(op), "ajpq-cost-report: no func.func in the module");
    return false;
  }
  ajpq_channel_graph_t *g = ajpq_cg_build(func, AJPQ_IMPORTANCE_L1);
  if (!g)
    return false;
  ajpq_costmodel_cost_t *pl = calloc((size_t)(g->n_layers ? g->n_layers : 1), sizeof *pl);
  ajpq_costmodel_cost_t total;
  bool ok = pl && ajpq_cost_report_compute(g, pl, &total, func);
  if (ok) {
    if (!ajpq_opt_bool(o, "quiet"))
      ajpq_cost_report_print(stderr, g, pl, &total);
    if (ajpq_opt_has(o, "json") && ajpq_opt_string(o, "json")[0])
      ok = write_json(ajpq_opt_string(o, "json"), g, pl, &total, func);
  }
  free(pl);
  ajpq_cg_destroy(g);
  return ok;
}

const ajpq_pass_info_t ajpq_pass_cost_report = {
    .name = "ajpq-cost-report",
    .summary = "Print MACs, BitOPs, weight bytes, kept/erased channels and average bits per layer",
    .anchor = "builtin.module",
    .options = k_options,
    .num_options = sizeof k_options / sizeof k_options[0],
    .run = run_cost_report,
    .create = NULL,
    .destroy = NULL,
};
