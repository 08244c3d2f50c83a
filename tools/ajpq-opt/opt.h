/* opt.h — internals of ajpq-opt (the project's mlir-opt over the MLIR C API).
 *
 * Flow (main.c): parse argv (args.c) → read input → create a context with all
 * upstream dialects and the ajpq dialect → build the pass manager (pipeline.c)
 * → for each chunk (split.c): parse, run, print (output.c), with diagnostics
 * printed (diag.c) or checked against expected-* comments (verify_diag.c).
 * --help / --version / --list-passes live in listing.c.
 * Not a public header: only tools/ajpq-opt/ includes it.
 */
#ifndef AJPQ_OPT_H
#define AJPQ_OPT_H

#include "ajpq_output.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "mlir-c/Diagnostics.h"
#include "mlir-c/IR.h"
#include "mlir-c/Pass.h"

#define OPT_TOOL "ajpq-opt"

/* ---- args.c ------------------------------------------------------------ */

/* One `--<pass-name>[=options]` flag, in command-line order. */
typedef struct {
  char *name;    /* without dashes (owned) */
  char *options; /* text after '=', or NULL (owned) */
} opt_pass_flag_t;

typedef struct {
  const char *input;       /* "-" = stdin */
  const char *output;      /* "-" = stdout */
  char *pass_pipeline;     /* --pass-pipeline text or NULL (owned) */
  opt_pass_flag_t *passes; /* --<pass> flags (owned) */
  size_t num_passes;
  bool split_input;
  const char *split_marker; /* "// -----" unless given */
  bool verify_diagnostics;
  bool print_ir_before_all, print_ir_after_all;
  bool print_ir_after_change, print_ir_after_failure, print_ir_module_scope;
  bool dump_pass_pipeline;
  bool pass_statistics;
  bool statistics_as_pipeline;  /* --mlir-pass-statistics-display=pipeline */
  int64_t elide_elements_limit; /* -1 = do not elide */
  bool disable_threading;
  bool timing;
  bool print_generic, print_debuginfo;
  bool allow_unregistered;
  bool verify_each;
  bool show_help, show_version, list_passes;
} opt_config_t;

/* Parses argv into `cfg` (zeroed first). Returns false after printing an
 * error naming the bad argument. Free with opt_config_free. */
bool opt_parse_args(int argc, char **argv, opt_config_t *cfg);
void opt_config_free(opt_config_t *cfg);

/* ---- pipeline.c -------------------------------------------------------- */

/* Creates the pass manager for `cfg`: anchored on the --pass-pipeline's
 * anchor (builtin.module for --<pass> flags), holding its passes in order.
 * ajpq passes are wrapped as external passes (each followed by ajpq-verify);
 * other elements go as text to mlirOpPassManagerAddPipeline. Returns a null
 * manager after printing an error. The caller destroys the manager. */
MlirPassManager opt_build_pipeline(MlirContext ctx, const opt_config_t *cfg);

/* Does the C API registry know `name` (an upstream pass or pipeline, given
 * without options)? Probed on a scratch pass manager. */
bool opt_upstream_pass_exists(MlirContext ctx, const char *name);

/* Frees what the pipeline builder keeps for the process lifetime (pass
 * names, TypeIDs). Call after the pass manager is destroyed. */
void opt_pipeline_cleanup(void);

/* ---- split.c ----------------------------------------------------------- */

typedef struct {
  const char *text; /* points into the input buffer (not NUL-terminated) */
  size_t len;
  unsigned first_line; /* 1-based line of text[0] in the original file */
} opt_chunk_t;

/* Splits `buf` on lines that consist of `marker` (trailing spaces allowed).
 * Without `split`, returns the whole buffer as one chunk. Returns the number
 * of chunks; `*out` is malloc'd (free it). 0 on out-of-memory. */
size_t opt_split_input(const char *buf, size_t len, bool split, const char *marker,
                       opt_chunk_t **out);

/* Returns a NUL-terminated copy of `chunk` preceded by first_line-1 newlines,
 * so that MLIR's line numbers are those of the original file. malloc'd. */
char *opt_chunk_padded(const opt_chunk_t *chunk);

/* ---- verify_diag.c ----------------------------------------------------- */

typedef struct opt_verifier_s opt_verifier_t;

/* Collects the expected-* directives of one chunk (`padded` is the padded
 * chunk text, so line numbers are the file's). Malformed directives (bad
 * regex) are reported immediately and make opt_verifier_finish fail. */
opt_verifier_t *opt_verifier_create(const char *filename, const char *padded);

/* Matches one diagnostic. `file`/`line`/`col` describe its location (file ==
 * NULL for unknown). Unexpected diagnostics are printed at once. */
void opt_verifier_handle(opt_verifier_t *v, MlirDiagnosticSeverity sev, const char *file,
                         unsigned line, unsigned col, const char *msg);

/* Reports expected diagnostics that were not produced; destroys `v`.
 * Returns true if every diagnostic matched and every expectation was met. */
bool opt_verifier_finish(opt_verifier_t *v);

/* ---- diag.c ------------------------------------------------------------ */

/* A diagnostic held back while the parser is probed. */
typedef struct {
  MlirDiagnosticSeverity sev;
  char *file; /* NULL = unknown location */
  unsigned line, col;
  char *msg;
  char *loc_text; /* location without file position, e.g. loc("x"); or NULL */
} opt_diag_rec_t;

typedef struct {
  const char *filename;     /* display name of the input ("<stdin>" for -) */
  const char *source;       /* the whole input, NUL-terminated (for excerpts) */
  opt_verifier_t *verifier; /* non-NULL in --verify-diagnostics mode */
  unsigned num_errors;      /* error diagnostics dispatched (reset per chunk) */
  unsigned line_shift;      /* subtracted from input lines (wrapper line) */
  bool capture;             /* hold diagnostics in `captured` instead */
  opt_diag_rec_t *captured;
  size_t num_captured;
} opt_diag_state_t;

/* Attaches the tool's diagnostic handler to `ctx`; `st` must outlive it. */
void opt_diag_attach(MlirContext ctx, opt_diag_state_t *st);

/* Reports a diagnostic produced by the tool itself (e.g. "parse failed")
 * through the same printing / verifying path. line 0 = no location. */
void opt_diag_report(opt_diag_state_t *st, MlirDiagnosticSeverity sev, unsigned line, unsigned col,
                     const char *msg);

/* Dispatches the captured diagnostics (then discards them). */
void opt_diag_replay(opt_diag_state_t *st);
/* Drops the captured diagnostics. */
void opt_diag_discard(opt_diag_state_t *st);

/* Prints `file:line:col: <severity>: msg` and, if the location is in the
 * input, the source line with a caret. Used by the verifier for its own
 * errors too. `source` may be NULL. */
void opt_diag_print(FILE *f, const char *file, unsigned line, unsigned col,
                    MlirDiagnosticSeverity sev, const char *msg, const char *source);

/* Growable string used to collect MLIR string callbacks. */
typedef struct {
  char *data;
  size_t len, cap;
  bool oom;
} opt_buf_t;
void opt_buf_append(opt_buf_t *b, const char *s, size_t n);
void opt_buf_callback(MlirStringRef s, void *user); /* user = opt_buf_t* */
void opt_buf_free(opt_buf_t *b);

/* ---- output.c ---------------------------------------------------------- */

/* The one output implementation of ajpq (support/ajpq_output.h): temp file
 * + rename, devices/FIFOs and /dev, /proc paths written in place. */
typedef ajpq_output_t opt_output_t;

/* Opens the output: stdout for "-", else a temp file in the target's
 * directory. Returns false after printing an error. */
bool opt_output_open(opt_output_t *out, const char *path);
/* Success: flushes and renames the temp file over `path`. Failure (ok=false):
 * removes the temp file. Returns false if closing/renaming failed. */
bool opt_output_close(opt_output_t *out, bool ok);

/* ---- listing.c --------------------------------------------------------- */

/* "error", "warning", "note" or "remark" (static). */
const char *opt_severity_name(MlirDiagnosticSeverity sev);

void opt_print_help(FILE *f);
void opt_print_version(FILE *f);
/* ajpq passes (with options), then the upstream passes that this build's
 * registry accepts. */
void opt_print_passes(FILE *f, MlirContext ctx);

#endif /* AJPQ_OPT_H */
