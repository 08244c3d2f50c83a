/* test_options.c — two TESTING-ONLY passes (like upstream's test-* passes)
 * for the driver's lit tests; neither touches the IR.
 *
 * `ajpq-test-options` (on builtin.module) declares one option of every kind
 * and prints the parsed values to stderr as one line, so lit tests can check
 * the typed option machinery of passes/options.c through the driver.
 *
 * `ajpq-test-func` (on func.func) prints "ajpq-test-func: <tag> @<name>" per
 * function: it checks that func.func-anchored ajpq passes are nested, and,
 * with threading on, that cloned pass instances carry their options. With
 * error-on=<name> it emits an error at that function and fails (or, with
 * signal-failure=false, reports success anyway: the driver must still exit 1).
 *
 * Output (one line per run, the anchor op's location is not printed):
 *   ajpq-test-options: count=3 ratio=0.5 verbose=false label='none' mode=auto
 *     sizes=[8,16] weights=[] names=[] tag=<unset>
 */
#include "ajpq_passes.h"

#include <stdio.h>
#include <string.h>

#include "mlir-c/BuiltinAttributes.h"
#include "mlir-c/Diagnostics.h"

static const ajpq_pass_option_t k_options[] = {
    {.name = "count",
     .kind = AJPQ_OPT_INT,
     .default_value = "3",
     .help = "An integer in [0, 100]",
     .min = 0,
     .max = 100},
    {.name = "ratio",
     .kind = AJPQ_OPT_FLOAT,
     .default_value = "0.5",
     .help = "A number in [0, 1]",
     .min = 0.0,
     .max = 1.0},
    {.name = "verbose", .kind = AJPQ_OPT_BOOL, .default_value = "false", .help = "A boolean"},
    {.name = "label", .kind = AJPQ_OPT_STRING, .default_value = "none", .help = "A string"},
    {.name = "mode",
     .kind = AJPQ_OPT_ENUM,
     .default_value = "auto",
     .help = "An enum",
     .enum_values = "fast|slow|auto"},
    {.name = "sizes",
     .kind = AJPQ_OPT_LIST,
     .default_value = "8,16",
     .help = "A list of integers in [1, 64]",
     .list_elem = AJPQ_OPT_INT,
     .min = 1,
     .max = 64},
    {.name = "weights",
     .kind = AJPQ_OPT_LIST,
     .default_value = "",
     .help = "A list of numbers",
     .list_elem = AJPQ_OPT_FLOAT},
    {.name = "names",
     .kind = AJPQ_OPT_LIST,
     .default_value = "",
     .help = "A list of strings",
     .list_elem = AJPQ_OPT_STRING},
    {.name = "tag",
     .kind = AJPQ_OPT_STRING,
     .default_value = NULL,
     .help = "A string without default (unset unless given)"},
};

static bool run_test_options(MlirOperation op, const ajpq_pass_options_t *o, void *ctx) {
  (void)op;
  (void)ctx;
  fprintf(stderr, "ajpq-test-options: count=%lld ratio=%.17g verbose=%s label='%s' mode=%s sizes=[",
          (long long)ajpq_opt_int(o, "count"), ajpq_opt_float(o, "ratio"),
          ajpq_opt_bool(o, "verbose") ? "true" : "false", ajpq_opt_string(o, "label"),
          ajpq_opt_string(o, "mode"));
  for (size_t i = 0; i < ajpq_opt_list_size(o, "sizes"); ++i)
    fprintf(stderr, "%s%lld", i ? "," : "", (long long)ajpq_opt_list_int(o, "sizes", i));
  fprintf(stderr, "] weights=[");
  for (size_t i = 0; i < ajpq_opt_list_size(o, "weights"); ++i)
    fprintf(stderr, "%s%.17g", i ? "," : "", ajpq_opt_list_float(o, "weights", i));
  fprintf(stderr, "] names=[");
  for (size_t i = 0; i < ajpq_opt_list_size(o, "names"); ++i)
    fprintf(stderr, "%s'%s'", i ? "," : "", ajpq_opt_list_string(o, "names", i));
  if (ajpq_opt_has(o, "tag"))
    fprintf(stderr, "] tag='%s'\n", ajpq_opt_string(o, "tag"));
  else
    fprintf(stderr, "] tag=<unset>\n");
  return true;
}

const ajpq_pass_info_t ajpq_pass_test_options = {
    .name = "ajpq-test-options",
    .summary = "(testing only) Print the parsed value of one option of each kind",
    .anchor = "builtin.module",
    .options = k_options,
    .num_options = sizeof(k_options) / sizeof(k_options[0]),
    .run = run_test_options,
};

static const ajpq_pass_option_t k_func_options[] = {
    {.name = "tag", .kind = AJPQ_OPT_STRING, .default_value = "func", .help = "Printed first"},
    {.name = "error-on",
     .kind = AJPQ_OPT_STRING,
     .default_value = NULL,
     .help = "Emit an error at the function with this name"},
    {.name = "signal-failure",
     .kind = AJPQ_OPT_BOOL,
     .default_value = "true",
     .help = "Whether the pass fails after emitting that error"},
};

static bool run_test_func(MlirOperation op, const ajpq_pass_options_t *o, void *ctx) {
  (void)ctx;
  MlirAttribute name =
      mlirOperationGetAttributeByName(op, mlirStringRefCreateFromCString("sym_name"));
  MlirStringRef s = mlirAttributeIsNull(name) || !mlirAttributeIsAString(name)
                        ? mlirStringRefCreateFromCString("?")
                        : mlirStringAttrGetValue(name);
  fprintf(stderr, "ajpq-test-func: %s @%.*s\n", ajpq_opt_string(o, "tag"), (int)s.length, s.data);
  const char *target = ajpq_opt_string(o, "error-on");
  if (ajpq_opt_has(o, "error-on") && strlen(target) == s.length &&
      strncmp(target, s.data, s.length) == 0) {
    char msg[300];
    snprintf(msg, sizeof msg, "ajpq-test-func: error requested on @%s", target);
    mlirEmitError(mlirOperationGetLocation(op), msg);
    return !ajpq_opt_bool(o, "signal-failure");
  }
  return true;
}

const ajpq_pass_info_t ajpq_pass_test_func = {
    .name = "ajpq-test-func",
    .summary = "(testing only) Print each function's name; checks func.func nesting and cloning",
    .anchor = "func.func",
    .options = k_func_options,
    .num_options = sizeof(k_func_options) / sizeof(k_func_options[0]),
    .run = run_test_func,
};
