/* registry.c — the table of ajpq passes (ajpq_passes_all / ajpq_passes_find).
 *
 * The list at the END of this file has one line per pass:
 *     AJPQ_PASS(<symbol of the pass's const ajpq_pass_info_t>)
 * To add a pass, append such a line (nothing else to edit). The file includes
 * itself twice with AJPQ_PASS redefined: once to declare every symbol
 * `extern`, once to build the table. Order of lines = --list-passes order.
 */
#ifndef AJPQ_PASS

#include "ajpq_passes.h"

#include <string.h>

#define AJPQ_PASS(sym) extern const ajpq_pass_info_t sym;
#include __FILE__
#undef AJPQ_PASS

#define AJPQ_PASS(sym) &sym,
static const ajpq_pass_info_t *const k_passes[] = {
#include __FILE__
};
#undef AJPQ_PASS

const ajpq_pass_info_t *const *ajpq_passes_all(size_t *count) {
  if (count)
    *count = sizeof(k_passes) / sizeof(k_passes[0]);
  return k_passes;
}

const ajpq_pass_info_t *ajpq_passes_find(const char *name) {
  if (!name)
    return NULL;
  for (size_t i = 0; i < sizeof(k_passes) / sizeof(k_passes[0]); ++i)
    if (strcmp(k_passes[i]->name, name) == 0)
      return k_passes[i];
  return NULL;
}

/* In this (outermost) reading, the list below expands to nothing. */
#define AJPQ_PASS(sym)
#endif /* AJPQ_PASS */

/* ---- The pass list: append one line per pass. ---- */
AJPQ_PASS(ajpq_pass_verify)
AJPQ_PASS(ajpq_pass_test_options)
AJPQ_PASS(ajpq_pass_test_func)
AJPQ_PASS(ajpq_pass_lower_to_kernels)
AJPQ_PASS(ajpq_pass_cost_report)
AJPQ_PASS(ajpq_pass_test_channel_graph)
AJPQ_PASS(ajpq_pass_joint_compress)
AJPQ_PASS(ajpq_pass_apply_strategy)
