/* args.c — command-line parsing of ajpq-opt.
 *
 * Flags follow mlir-opt's spelling; one or two leading dashes are accepted,
 * values as `--flag=value` or, for flags that need one, `--flag value`.
 * Any other `--name[=options]` is a pass request kept in command-line order;
 * whether `name` is an ajpq or upstream pass is decided in pipeline.c.
 */
#include "opt.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static bool parse_bool_value(const char *flag, const char *v, bool *out) {
  if (!v || !strcmp(v, "true") || !strcmp(v, "1") || !strcmp(v, "TRUE") || !strcmp(v, "True")) {
    *out = true;
    return true;
  }
  if (!strcmp(v, "false") || !strcmp(v, "0") || !strcmp(v, "FALSE") || !strcmp(v, "False")) {
    *out = false;
    return true;
  }
  fprintf(stderr, "%s: for the --%s option: '%s' is not a boolean (use true/false/1/0)\n", OPT_TOOL,
          flag, v);
  return false;
}

/* Flags taking no value: name → field. */
typedef struct {
  const char *name;
  size_t offset;
} bool_flag_t;

#define BF(n, field)                                                                               \
  { n, offsetof(opt_config_t, field) }
static const bool_flag_t k_bool_flags[] = {
    BF("verify-diagnostics", verify_diagnostics),
    BF("mlir-print-ir-after-all", print_ir_after_all),
    BF("mlir-print-ir-before-all", print_ir_before_all),
    BF("mlir-print-ir-after-change", print_ir_after_change),
    BF("mlir-print-ir-after-failure", print_ir_after_failure),
    BF("mlir-print-ir-module-scope", print_ir_module_scope),
    BF("dump-pass-pipeline", dump_pass_pipeline),
    BF("mlir-pass-statistics", pass_statistics),
    BF("mlir-disable-threading", disable_threading),
    BF("mlir-timing", timing),
    BF("mlir-print-op-generic", print_generic),
    BF("mlir-print-debuginfo", print_debuginfo),
    BF("allow-unregistered-dialect", allow_unregistered),
    BF("verify-each", verify_each),
    BF("list-passes", list_passes),
    BF("version", show_version),
    BF("help", show_help),
};
#undef BF

static bool add_pass_flag(opt_config_t *cfg, const char *name, size_t namelen, const char *opts) {
  opt_pass_flag_t *p = realloc(cfg->passes, (cfg->num_passes + 1) * sizeof(*p));
  if (!p) {
    fprintf(stderr, "%s: error: out of memory\n", OPT_TOOL);
    return false;
  }
  cfg->passes = p;
  opt_pass_flag_t *f = &p[cfg->num_passes];
  f->name = malloc(namelen + 1);
  f->options = opts ? strdup(opts) : NULL;
  if (!f->name || (opts && !f->options)) {
    free(f->name);
    free(f->options);
    fprintf(stderr, "%s: error: out of memory\n", OPT_TOOL);
    return false;
  }
  memcpy(f->name, name, namelen);
  f->name[namelen] = '\0';
  ++cfg->num_passes;
  return true;
}

bool opt_parse_args(int argc, char **argv, opt_config_t *cfg) {
  memset(cfg, 0, sizeof(*cfg));
  cfg->elide_elements_limit = -1;
  cfg->verify_each = true;
  cfg->split_marker = "// -----";
  bool only_positional = false;
  for (int i = 1; i < argc; ++i) {
    const char *a = argv[i];
    bool is_flag = !only_positional && a[0] == '-' && a[1] != '\0';
    if (!is_flag) {
      if (cfg->input) {
        fprintf(stderr, "%s: error: more than one input file ('%s' and '%s')\n", OPT_TOOL,
                cfg->input, a);
        return false;
      }
      cfg->input = a;
      continue;
    }
    if (!strcmp(a, "--")) {
      only_positional = true;
      continue;
    }
    const char *body = a + (a[1] == '-' ? 2 : 1);
    const char *eq = strchr(body, '=');
    size_t namelen = eq ? (size_t)(eq - body) : strlen(body);
    const char *value = eq ? eq + 1 : NULL;
#define IS(n) (namelen == strlen(n) && strncmp(body, n, namelen) == 0)
    if (IS("p"))
      body = "pass-pipeline", namelen = strlen(body); /* mlir-opt's alias */
    if (IS("mlir-pass-statistics-display")) {
      if (value && !strcmp(value, "list")) {
        cfg->statistics_as_pipeline = false;
      } else if (value && !strcmp(value, "pipeline")) {
        cfg->statistics_as_pipeline = true;
      } else {
        fprintf(stderr,
                "%s: for the --mlir-pass-statistics-display option: '%s' is not one of "
                "list|pipeline\n",
                OPT_TOOL, value ? value : "");
        return false;
      }
      continue;
    }
    if (IS("o") || IS("pass-pipeline") || IS("mlir-elide-elementsattrs-if-larger")) {
      if (!value) {
        if (i + 1 >= argc) {
          fprintf(stderr, "%s: error: the -%.*s option needs a value\n", OPT_TOOL, (int)namelen,
                  body);
          return false;
        }
        value = argv[++i];
      }
      if (IS("o")) {
        cfg->output = value;
      } else if (IS("pass-pipeline")) {
        free(cfg->pass_pipeline);
        cfg->pass_pipeline = strdup(value);
      } else {
        char *end = NULL;
        errno = 0;
        long long n = strtoll(value, &end, 10);
        if (!*value || *end || errno || n < 0) {
          fprintf(stderr,
                  "%s: for the --mlir-elide-elementsattrs-if-larger option: '%s' is not a "
                  "non-negative integer\n",
                  OPT_TOOL, value);
          return false;
        }
        cfg->elide_elements_limit = n;
      }
      continue;
    }
    if (IS("h")) {
      cfg->show_help = true;
      continue;
    }
    if (IS("split-input-file")) {
      cfg->split_input = true;
      if (value && *value)
        cfg->split_marker = value;
      continue;
    }
    bool matched = false;
    for (size_t k = 0; k < sizeof(k_bool_flags) / sizeof(k_bool_flags[0]); ++k) {
      if (IS(k_bool_flags[k].name)) {
        bool *field = (bool *)((char *)cfg + k_bool_flags[k].offset);
        if (!parse_bool_value(k_bool_flags[k].name, value, field))
          return false;
        matched = true;
        break;
      }
    }
    if (matched)
      continue;
#undef IS
    if (namelen == 0) {
      fprintf(stderr, "%s: error: malformed argument '%s'\n", OPT_TOOL, a);
      return false;
    }
    /* Anything else is a pass; pipeline.c rejects unknown names. */
    if (!add_pass_flag(cfg, body, namelen, value))
      return false;
  }
  if (!cfg->input)
    cfg->input = "-";
  if (!cfg->output)
    cfg->output = "-";
  /* MLIR aborts (LLVM ERROR) on this combination; mlir-opt checks first. */
  if (cfg->print_ir_module_scope && !cfg->disable_threading) {
    fprintf(stderr,
            "%s: error: IR print for module scope can't be setup on a pass-manager without "
            "disabling multi-threading first (add --mlir-disable-threading)\n",
            OPT_TOOL);
    return false;
  }
  if (cfg->pass_pipeline && cfg->num_passes) {
    fprintf(stderr,
            "%s: error: '--pass-pipeline' cannot be used with individual pass options "
            "('--%s'); put every pass in the pipeline\n",
            OPT_TOOL, cfg->passes[0].name);
    return false;
  }
  return true;
}

void opt_config_free(opt_config_t *cfg) {
  for (size_t i = 0; i < cfg->num_passes; ++i) {
    free(cfg->passes[i].name);
    free(cfg->passes[i].options);
  }
  free(cfg->passes);
  free(cfg->pass_pipeline);
  memset(cfg, 0, sizeof(*cfg));
}
