/* ajpq_passes.h — the table of ajpq passes and their typed options.
 *
 * MLIR 22's C API cannot register external passes or give them options, so
 * ajpq keeps its own table: each pass file defines one `ajpq_pass_info_t`
 * (name, summary, anchor op, option declarations, run callback) and
 * registry.c lists them. Drivers (ajpq-opt) parse `--name="k=v k=v"` and
 * `name{k=v}` against the declarations, wrap the pass with
 * mlirCreateExternalPass, and run `ajpq-verify` after every ajpq pass.
 *
 * Passes report errors as MLIR diagnostics at the offending op's location
 * (mlirEmitError) and return failure; they never abort on user input.
 */
#ifndef AJPQ_PASSES_H
#define AJPQ_PASSES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mlir-c/IR.h"
#include "mlir-c/Support.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Kinds of pass options. LIST is a comma-separated list whose elements are
 * of `list_elem` kind (INT, FLOAT or STRING). */
typedef enum {
  AJPQ_OPT_INT,
  AJPQ_OPT_FLOAT,
  AJPQ_OPT_BOOL,
  AJPQ_OPT_STRING,
  AJPQ_OPT_ENUM,
  AJPQ_OPT_LIST,
} ajpq_opt_kind_t;

/* Declaration of one option. */
typedef struct {
  const char *name;          /* "target-size-ratio" (dash-case, as typed). */
  ajpq_opt_kind_t kind;
  const char *default_value; /* Text form; NULL = unset (has() is false). */
  const char *help;          /* One line for --help / --list-passes. */
  const char *enum_values;   /* ENUM only: "ajpq|two-step|uniform". */
  ajpq_opt_kind_t list_elem; /* LIST only: element kind. */
  double min, max;           /* INT/FLOAT (and LIST elems) range if min < max. */
} ajpq_pass_option_t;

/* Parsed values of one pass instance (owned by the driver; read-only). */
typedef struct ajpq_pass_options_s ajpq_pass_options_t;

/* Run callback: `op` is the anchor op (a builtin.module or func.func).
 * Returns false after emitting at least one error diagnostic. `ctx` is the
 * pass's per-instance state from create() (may be NULL). */
typedef bool (*ajpq_pass_run_fn)(MlirOperation op, const ajpq_pass_options_t *opts, void *ctx);

/* Description of one ajpq pass. */
typedef struct {
  const char *name;     /* "joint-compress" (without "--"). */
  const char *summary;  /* One line. */
  const char *anchor;   /* "builtin.module" or "func.func". */
  const ajpq_pass_option_t *options;
  size_t num_options;
  ajpq_pass_run_fn run;
  /* Optional per-instance state: create() after option parsing, destroy()
   * when the pass is freed. NULL when the pass is stateless. */
  void *(*create)(const ajpq_pass_options_t *opts);
  void (*destroy)(void *ctx);
} ajpq_pass_info_t;

/* The ajpq passes, in --list-passes order; `*count` receives the length.
 * The table is static (borrowed, never freed). */
const ajpq_pass_info_t *const *ajpq_passes_all(size_t *count);

/* Finds a pass by name; NULL if absent. */
const ajpq_pass_info_t *ajpq_passes_find(const char *name);

/* --- Typed option access (used by pass implementations) ----------------
 * Names must be declared by the pass; asking for an undeclared name or the
 * wrong kind is a programming error and returns the zero value. */
bool ajpq_opt_has(const ajpq_pass_options_t *o, const char *name); /* set or defaulted */
int64_t ajpq_opt_int(const ajpq_pass_options_t *o, const char *name);
double ajpq_opt_float(const ajpq_pass_options_t *o, const char *name);
bool ajpq_opt_bool(const ajpq_pass_options_t *o, const char *name);
/* STRING and ENUM values; "" when unset. Borrowed. */
const char *ajpq_opt_string(const ajpq_pass_options_t *o, const char *name);
/* LIST: number of elements and element i as int/float/string. */
size_t ajpq_opt_list_size(const ajpq_pass_options_t *o, const char *name);
int64_t ajpq_opt_list_int(const ajpq_pass_options_t *o, const char *name, size_t i);
double ajpq_opt_list_float(const ajpq_pass_options_t *o, const char *name, size_t i);
const char *ajpq_opt_list_string(const ajpq_pass_options_t *o, const char *name, size_t i);

/* Parses "k=v k=v" (values may be quoted with ' or ") against `info`'s
 * declarations, filling defaults. On error returns NULL and writes a
 * one-line message naming the pass, option and value to `err` (size
 * `errlen`). The result is owned by the caller: ajpq_pass_options_destroy. */
ajpq_pass_options_t *ajpq_pass_options_parse(const ajpq_pass_info_t *info, const char *text,
                                             char *err, size_t errlen);
void ajpq_pass_options_destroy(ajpq_pass_options_t *o);

#ifdef __cplusplus
}
#endif

#endif /* AJPQ_PASSES_H */
