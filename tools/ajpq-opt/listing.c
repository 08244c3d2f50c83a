/* listing.c — --help, --version and --list-passes.
 *
 * The MLIR C API cannot enumerate registered passes. The upstream list (names,
 * summaries, options) comes from upstream_passes.inc, generated at build time
 * from `mlir-opt --help` of
 * the same LLVM installation (gen_upstream_passes.py); at run time each name
 * is checked against this binary's registry (mlirRegisterAllPasses) and only
 * the accepted ones are printed.
 */
#include "opt.h"

#include <string.h>

#include "ajpq_passes.h"

#ifndef AJPQ_VERSION
#define AJPQ_VERSION "unknown"
#endif
#ifndef AJPQ_MLIR_VERSION
#define AJPQ_MLIR_VERSION "unknown"
#endif

void opt_print_version(FILE *f) {
  fprintf(f, "%s (ajpq) %s\n  MLIR/LLVM %s (C API)\n", OPT_TOOL, AJPQ_VERSION, AJPQ_MLIR_VERSION);
}

void opt_print_help(FILE *f) {
  fprintf(f,
          "OVERVIEW: ajpq modular optimizer driver (an mlir-opt for the ajpq dialect)\n"
          "\n"
          "USAGE: %s [options] [<input file> | -]\n"
          "\n"
          "Input/output:\n"
          "  <input file>                 MLIR input; '-' or nothing reads stdin\n"
          "  -o <file>                    Output file ('-' = stdout, the default); written to a\n"
          "                               temporary file and renamed on success only\n"
          "  --split-input-file[=<mark>]  Split the input at lines '// -----' (or <mark>) and\n"
          "                               process each chunk on its own; diagnostics keep the\n"
          "                               original line numbers; outputs are joined by the marker\n"
          "  --verify-diagnostics         Check diagnostics against expected-error/-warning/\n"
          "                               -note/-remark comments (@+N, @-N, @above, @below,\n"
          "                               @unknown, -re with {{regex}}); exit 1 on mismatch\n"
          "  --allow-unregistered-dialect Accept operations of unregistered dialects\n"
          "\n"
          "Passes (applied in command-line order):\n"
          "  --pass-pipeline=<text>, -p <text>\n"
          "                               Textual pipeline, e.g. 'builtin.module(canonicalize,\n"
          "                               ajpq-verify,func.func(cse))'; mixes ajpq and upstream\n"
          "                               passes; cannot be combined with --<pass-name> flags\n"
          "  --<pass-name>[=\"k=v ...\"]    Add one ajpq or upstream pass with options\n"
          "  --verify-each[=false]        Verify the IR after each pass (default: true)\n"
          "                               (ajpq-verify also runs after every ajpq pass)\n"
          "  --dump-pass-pipeline         Print the pipeline as built (ajpq passes included)\n"
          "\n"
          "Printing and debugging:\n"
          "  --mlir-print-ir-before-all   Print the IR before every pass (to stderr)\n"
          "  --mlir-print-ir-after-all    Print the IR after every pass (to stderr)\n"
          "  --mlir-print-ir-after-change Only print after passes that changed the IR\n"
          "  --mlir-print-ir-after-failure\n"
          "                               Print the IR after a pass that failed\n"
          "  --mlir-print-ir-module-scope Print the whole module, not just the pass's op\n"
          "                               (needs --mlir-disable-threading)\n"
          "  --mlir-elide-elementsattrs-if-larger=<N>\n"
          "                               Elide elements attributes with more than N elements\n"
          "  --mlir-print-op-generic      Print operations in the generic form\n"
          "  --mlir-print-debuginfo       Print location information\n"
          "  --mlir-disable-threading     Run passes on one thread\n"
          "  --mlir-timing                Print pass timing (to stderr) at exit\n"
          "  --mlir-pass-statistics       Print pass statistics (to stderr) at exit\n"
          "  --mlir-pass-statistics-display=list|pipeline\n"
          "                               Layout of the statistics report (default: list)\n"
          "\n"
          "Information:\n"
          "  -h, --help                   This text\n"
          "  --list-passes                ajpq passes with their options, then upstream passes\n"
          "  --version                    Tool and MLIR versions\n"
          "\n"
          "Exit status: 0 on success, 1 on any error. Full reference: docs/ajpq-opt.md\n",
          OPT_TOOL);
}

static const char *kind_text(ajpq_opt_kind_t k) {
  switch (k) {
  case AJPQ_OPT_INT:
    return "int";
  case AJPQ_OPT_FLOAT:
    return "float";
  case AJPQ_OPT_BOOL:
    return "bool";
  case AJPQ_OPT_STRING:
    return "string";
  case AJPQ_OPT_ENUM:
    return "enum";
  case AJPQ_OPT_LIST:
    return "list";
  }
  return "?";
}

static void print_option(FILE *f, const ajpq_pass_option_t *o) {
  char type[64];
  if (o->kind == AJPQ_OPT_LIST)
    snprintf(type, sizeof type, "list<%s>", kind_text(o->list_elem));
  else
    snprintf(type, sizeof type, "%s", kind_text(o->kind));
  fprintf(f, "      %s=<%s>", o->name, type);
  if (o->kind == AJPQ_OPT_ENUM && o->enum_values)
    fprintf(f, " {%s}", o->enum_values);
  if ((o->kind == AJPQ_OPT_INT || o->kind == AJPQ_OPT_FLOAT ||
       (o->kind == AJPQ_OPT_LIST && o->list_elem != AJPQ_OPT_STRING)) &&
      o->min < o->max)
    fprintf(f, " in [%g, %g]", o->min, o->max);
  if (o->default_value)
    fprintf(f, " (default: '%s')", o->default_value);
  fprintf(f, " - %s\n", o->help ? o->help : "");
}

void opt_print_passes(FILE *f, MlirContext ctx) {
  size_t n = 0;
  const ajpq_pass_info_t *const *all = ajpq_passes_all(&n);
  fprintf(f, "ajpq passes (--<name>=\"k=v ...\" or <name>{k=v ...} in --pass-pipeline):\n");
  for (size_t i = 0; i < n; ++i) {
    const ajpq_pass_info_t *p = all[i];
    fprintf(f, "  --%s [on %s] - %s\n", p->name, p->anchor ? p->anchor : "builtin.module",
            p->summary ? p->summary : "");
    for (size_t k = 0; k < p->num_options; ++k)
      print_option(f, &p->options[k]);
  }
  fprintf(f, "\nUpstream MLIR passes and pipelines (names and summaries from mlir-opt --help at "
             "build time,\nchecked against this binary's registry):\n");
  size_t shown = 0;
#define UPSTREAM_PASS(name, summary, is_pipeline, options)                                         \
  if (opt_upstream_pass_exists(ctx, name)) {                                                       \
    fprintf(f, "  --%s%s - %s\n%s", name, (is_pipeline) ? " [pipeline]" : "", summary, options);   \
    ++shown;                                                                                       \
  }
#include "upstream_passes.inc"
#undef UPSTREAM_PASS
  if (shown == 0)
    fprintf(f, "  (none: the build could not read mlir-opt --help; every pass registered by\n"
               "   mlirRegisterAllPasses() is still accepted)\n");
}
