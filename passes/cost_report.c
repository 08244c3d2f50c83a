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
 * (built with cJSON, written all-or-nothing through ajpq_output.h). The IR
 * is not changed. */
#include "ajpq_channel_graph.h"
#include "ajpq_passes.h"

#include <cjson/cJSON.h>
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

/* Adds the cost fields shared by the total and the layers; false on OOM. */
static bool add_cost(cJSON *o, const ajpq_costmodel_cost_t *c, bool layer) {
  if (layer)
    return cJSON_AddNumberToObject(o, "kept", (double)c->kept_channels) &&
           cJSON_AddNumberToObject(o, "erased", (double)c->erased_channels) &&
           cJSON_AddNumberToObject(o, "avg_bits", ajpq_costmodel_avg_bits(c));
  return cJSON_AddNumberToObject(o, "weight_bytes", (double)c->weight_bytes) &&
         cJSON_AddNumberToObject(o, "macs", (double)c->macs) &&
         cJSON_AddNumberToObject(o, "bitops", (double)c->bitops) &&
         cJSON_AddNumberToObject(o, "kept_channels", (double)c->kept_channels) &&
         cJSON_AddNumberToObject(o, "erased_channels", (double)c->erased_channels) &&
         cJSON_AddNumberToObject(o, "avg_bits", ajpq_costmodel_avg_bits(c));
}

typedef struct {
  const ajpq_channel_graph_t *g;
  const ajpq_costmodel_cost_t *pl;
} layer_ctx_t;

static bool fill_layer(cJSON *e, int l, void *user) {
  const layer_ctx_t *c = user;
  const ajpq_cg_layer_t *L = &c->g->layers[l];
  const ajpq_costmodel_cost_t *pl = c->pl;
  return cJSON_AddStringToObject(e, "kind", ajpq_costmodel_kind_name(L->desc.kind)) &&
         cJSON_AddNumberToObject(e, "cin", (double)L->desc.cin) &&
         cJSON_AddNumberToObject(e, "cout", (double)L->desc.cout) && add_cost(e, &pl[l], true) &&
         cJSON_AddNumberToObject(e, "act_bits", L->act_bits) &&
         cJSON_AddNumberToObject(e, "macs", (double)pl[l].macs) &&
         cJSON_AddNumberToObject(e, "bitops", (double)pl[l].bitops) &&
         cJSON_AddNumberToObject(e, "weight_bytes", (double)pl[l].weight_bytes);
}

/* Emits "ajpq-cost-report: <message of st>" at `at`, frees st; false. */
static bool fail_status(MlirOperation at, ajpq_status_t st) {
  char msg[600];
  snprintf(msg, sizeof msg, "ajpq-cost-report: %s", ajpq_status_message(st));
  ajpq_status_free(st);
  mlirEmitError(mlirOperationGetLocation(at), msg);
  return false;
}

/* Prints the report into `out` (opened by the caller before the analysis)
 * and installs it; on error removes it (support/ajpq_output.h). */
static bool write_json(ajpq_output_t *out, const ajpq_channel_graph_t *g,
                       const ajpq_costmodel_cost_t *pl, const ajpq_costmodel_cost_t *t,
                       MlirOperation at) {
  /* integers are exact in a double up to 2^53 (BitOPs of any model here) */
  cJSON *root = cJSON_CreateObject();
  cJSON *tot = root ? cJSON_AddObjectToObject(root, "total") : NULL;
  layer_ctx_t lc = {g, pl};
  bool ok = tot && add_cost(tot, t, false) &&
            cJSON_AddNumberToObject(tot, "layers", g->n_layers) &&
            ajpq_cg_json_layers(root, g, fill_layer, &lc);
  if (!ok) {
    cJSON_Delete(root);
    root = NULL;
  }
  ajpq_status_t st = ajpq_cg_json_print_to(root, out, "output file");
  if (st) {
    ajpq_output_abort(out);
    return fail_status(at, st);
  }
  st = ajpq_output_commit(out);
  return st ? fail_status(at, st) : true;
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
  /* json= is opened first, so that an unwritable path is reported before
   * the analysis, the same way as joint-compress's side outputs. */
  ajpq_output_t out;
  bool want_json = ajpq_opt_has(o, "json") && ajpq_opt_string(o, "json")[0];
  if (want_json) {
    ajpq_status_t st = ajpq_output_open(&out, ajpq_opt_string(o, "json"));
    if (st) {
      char msg[600];
      snprintf(msg, sizeof msg, "ajpq-cost-report: json: %s", ajpq_status_message(st));
      ajpq_status_free(st);
      mlirEmitError(mlirOperationGetLocation(op), msg);
      return false;
    }
  }
  MlirOperation func = ajpq_cg_entry_func(op);
  if (mlirOperationIsNull(func)) {
    mlirEmitError(mlirOperationGetLocation(op), "ajpq-cost-report: no func.func in the module");
    if (want_json)
      ajpq_output_abort(&out);
    return false;
  }
  ajpq_channel_graph_t *g = ajpq_cg_build(func, AJPQ_IMPORTANCE_L1);
  if (!g) {
    if (want_json)
      ajpq_output_abort(&out);
    return false;
  }
  ajpq_costmodel_cost_t *pl = calloc((size_t)(g->n_layers ? g->n_layers : 1), sizeof *pl);
  ajpq_costmodel_cost_t total;
  bool ok = pl && ajpq_cost_report_compute(g, pl, &total, func);
  if (ok) {
    if (!ajpq_opt_bool(o, "quiet"))
      ajpq_cost_report_print(stderr, g, pl, &total);
    if (want_json) {
      ok = write_json(&out, g, pl, &total, func);
      want_json = false; /* committed or aborted by write_json */
    }
  }
  if (want_json)
    ajpq_output_abort(&out);
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
