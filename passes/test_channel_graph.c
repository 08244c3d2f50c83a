/* test_channel_graph.c — `ajpq-test-channel-graph`, a TESTING-ONLY pass (like
 * upstream's test-* passes): builds the channel-dependency graph of the
 * entry function and prints its layers and groups to stderr (see
 * ajpq_cg_dump), so lit tests can check every coupling kind. The IR is not
 * changed. Option `importance=l1|l2` selects the importance criterion. */
#include "ajpq_channel_graph.h"
#include "ajpq_passes.h"

#include <stdio.h>
#include <string.h>

static const ajpq_pass_option_t k_options[] = {
    {.name = "importance", .kind = AJPQ_OPT_ENUM, .default_value = "l1",
     .help = "Channel importance criterion", .enum_values = "l1|l2"},
};

static bool run_test_cg(MlirOperation op, const ajpq_pass_options_t *o, void *ctx) {
  (void)ctx;
  MlirOperation func = ajpq_cg_entry_func(op);
  if (mlirOperationIsNull(func)) {
    mlirEmitError(mlirOperationGetLocation(op), "ajpq-test-channel-graph: no func.func");
    return false;
  }
  ajpq_importance_t imp =
      strcmp(ajpq_opt_string(o, "importance"), "l2") == 0 ? AJPQ_IMPORTANCE_L2 : AJPQ_IMPORTANCE_L1;
  ajpq_channel_graph_t *g = ajpq_cg_build(func, imp);
  if (!g)
    return false;
  ajpq_cg_dump(g);
  for (int l = 0; l < g->n_layers; l++) {
    fprintf(stderr, "importance %d:", l);
    for (int64_t c = 0; c < g->layers[l].desc.cout; c++)
      fprintf(stderr, " %.4g", g->layers[l].importance ? g->layers[l].importance[c] : 0.0);
    fprintf(stderr, "\n");
  }
  for (int i = 0; i < g->n_groups; i++)
    fprintf(stderr, "group-importance %d: %.4g\n", i, g->groups[i].importance);
  ajpq_cg_destroy(g);
  return true;
}

const ajpq_pass_info_t ajpq_pass_test_channel_graph = {
    .name = "ajpq-test-channel-graph",
    .summary = "TESTING ONLY: print the channel-dependency graph (layers, tied groups)",
    .anchor = "builtin.module",
    .options = k_options,
    .num_options = sizeof k_options / sizeof k_options[0],
    .run = run_test_cg,
    .create = NULL,
    .destroy = NULL,
};
