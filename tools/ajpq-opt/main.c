/* main.c — ajpq-opt: the project's mlir-opt, written against the MLIR C API.
 *
 * Reads MLIR (file or stdin), optionally splits it (--split-input-file),
 * parses each chunk, runs the pass pipeline (ajpq + upstream passes), prints
 * the result (stdout or -o via temp file + rename). Diagnostics print as
 * `file:line:col: error: message` (or are checked, --verify-diagnostics).
 * Exit status: 0 on success, 1 on any error. Flags: docs/ajpq-opt.md.
 */
#include "opt.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mlir-c/BuiltinAttributes.h"
#include "mlir-c/RegisterEverything.h"
#include "llvm-c/Support.h"

#ifdef AJPQ_HAVE_DIALECT
#include "ajpq_dialect.h"
#endif

static MlirStringRef sref(const char *s) {
  return mlirStringRefCreateFromCString(s);
}

/* Reads all of `f` into a NUL-terminated buffer. */
static char *read_all(FILE *f, size_t *len) {
  size_t cap = 1 << 16, n = 0;
  char *buf = malloc(cap);
  if (!buf)
    return NULL;
  for (;;) {
    if (n + 1 >= cap) {
      cap *= 2;
      char *b = realloc(buf, cap);
      if (!b) {
        free(buf);
        return NULL;
      }
      buf = b;
    }
    size_t got = fread(buf + n, 1, cap - n - 1, f);
    n += got;
    if (got == 0)
      break;
  }
  if (ferror(f)) {
    free(buf);
    return NULL;
  }
  buf[n] = '\0';
  *len = n;
  return buf;
}

static void print_to_file(MlirStringRef s, void *user) {
  opt_buf_append(user, s.data, s.length);
}

static bool op_is(MlirOperation op, const char *name) {
  MlirStringRef n = mlirIdentifierStr(mlirOperationGetName(op));
  return n.length == strlen(name) && memcmp(n.data, name, n.length) == 0;
}

static bool starts_with(const char *s, const char *prefix) {
  return s && strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Parses one chunk into a builtin.module, as mlir-opt does: a single
 * top-level builtin.module is the module; anything else is wrapped in one.
 * mlirOperationCreateParse wants exactly one top-level op, so the parser is
 * probed first with diagnostics held back; on "found: N" (N != 1) the text is
 * re-parsed inside a `module {` written on a padding line (or on an extra
 * first line, then diagnostics shift back by one). */
static MlirOperation parse_chunk(MlirContext ctx, opt_diag_state_t *st, const opt_chunk_t *ch,
                                 const char *padded, size_t padded_len) {
  MlirOperation none = {NULL};
  st->capture = true;
  MlirOperation op =
      mlirOperationCreateParse(ctx, mlirStringRefCreate(padded, padded_len), sref(st->filename));
  st->capture = false;
  if (!mlirOperationIsNull(op)) {
    opt_diag_replay(st);
    if (op_is(op, "builtin.module"))
      return op;
    MlirLocation loc = mlirLocationFileLineColGet(ctx, sref(st->filename), ch->first_line, 1);
    MlirModule m = mlirModuleCreateEmpty(loc);
    mlirBlockAppendOwnedOperation(mlirModuleGetBody(m), op);
    return mlirModuleGetOperation(m);
  }
  bool count_error = false;
  for (size_t i = 0; i < st->num_captured; ++i)
    if (starts_with(st->captured[i].msg, "source must contain a single top-level operation"))
      count_error = true;
  if (!count_error) {
    opt_diag_replay(st);
    return none;
  }
  opt_diag_discard(st);
  opt_buf_t text = {0};
  if (ch->first_line > 1) {
    opt_buf_append(&text, "module {", 8); /* on the first padding line */
  } else {
    opt_buf_append(&text, "module {\n", 9);
    st->line_shift = 1;
  }
  opt_buf_append(&text, padded, padded_len);
  opt_buf_append(&text, "\n}\n", 3);
  if (text.oom) {
    opt_buf_free(&text);
    return none;
  }
  op = mlirOperationCreateParse(ctx, mlirStringRefCreate(text.data, text.len), sref(st->filename));
  opt_buf_free(&text);
  return op;
}

/* First line of the chunk that is neither blank nor a `//` comment (where the
 * "parse failed" line points). */
static unsigned first_text_line(const opt_chunk_t *ch) {
  unsigned line = ch->first_line;
  bool line_start = true, in_comment = false;
  for (size_t i = 0; i < ch->len; ++i) {
    char c = ch->text[i];
    if (c == '\n') {
      ++line;
      line_start = true;
      in_comment = false;
    } else if (in_comment || c == ' ' || c == '\t' || c == '\r') {
      continue;
    } else if (line_start && c == '/' && i + 1 < ch->len && ch->text[i + 1] == '/') {
      in_comment = true;
    } else {
      return line;
    }
  }
  return ch->first_line;
}

/* Processes one chunk; returns its success (the verifier's verdict in
 * --verify-diagnostics mode). Appends the printed module to `out`. */
static bool process_chunk(MlirContext ctx, MlirPassManager pm, const opt_config_t *cfg,
                          opt_diag_state_t *st, const opt_chunk_t *ch, MlirOpPrintingFlags flags,
                          opt_buf_t *out) {
  char *padded = opt_chunk_padded(ch);
  if (!padded) {
    fprintf(stderr, "%s: error: out of memory\n", OPT_TOOL);
    return false;
  }
  size_t padded_len = ch->first_line - 1 + ch->len;
  st->num_errors = 0;
  st->line_shift = 0;
  if (cfg->verify_diagnostics) {
    st->verifier = opt_verifier_create(st->filename, padded);
    if (!st->verifier) {
      free(padded);
      fprintf(stderr, "%s: error: out of memory\n", OPT_TOOL);
      return false;
    }
  }
  bool ok = false;
  MlirOperation op = parse_chunk(ctx, st, ch, padded, padded_len);
  if (mlirOperationIsNull(op)) {
    if (st->num_errors == 0)
      opt_diag_report(st, MlirDiagnosticError, first_text_line(ch), 1,
                      "failed to parse the input, and MLIR gave no diagnostic (custom syntax of "
                      "an IRDL-defined op? ajpq ops must be written in the generic form)");
  } else {
    ok = mlirLogicalResultIsSuccess(mlirPassManagerRunOnOp(pm, op));
    /* An error diagnostic fails the run even if no pass signalled failure
     * (mlir-opt would exit 0 then; ajpq promises exit 1 on any error). */
    if (st->num_errors > 0 && !st->verifier)
      ok = false;
    if (ok) {
      size_t before = out->len;
      mlirOperationPrintWithFlags(op, flags, print_to_file, out);
      if (out->len == before || out->data[out->len - 1] != '\n')
        opt_buf_append(out, "\n", 1);
      opt_buf_append(out, "\n", 1);
    }
    mlirOperationDestroy(op);
  }
  st->line_shift = 0;
  if (st->verifier) {
    ok = opt_verifier_finish(st->verifier);
    st->verifier = NULL;
  }
  free(padded);
  return ok;
}

static MlirContext make_context(const opt_config_t *cfg) {
  /* Only names the program in messages LLVM prints itself (upstream pass
   * option errors: "ajpq-opt: for the --x option: ..."); no flag is parsed. */
  const char *const llvm_argv[] = {OPT_TOOL};
  LLVMParseCommandLineOptions(1, llvm_argv, "");
  MlirDialectRegistry registry = mlirDialectRegistryCreate();
  mlirRegisterAllDialects(registry);
  MlirContext ctx = mlirContextCreateWithThreading(!cfg->disable_threading);
  mlirContextAppendDialectRegistry(ctx, registry);
  mlirDialectRegistryDestroy(registry);
  mlirContextSetAllowUnregisteredDialects(ctx, cfg->allow_unregistered);
  mlirRegisterAllPasses();
  return ctx;
}

static int run(const opt_config_t *cfg) {
  if (cfg->show_help) {
    opt_print_help(stdout);
    return 0;
  }
  if (cfg->show_version) {
    opt_print_version(stdout);
    return 0;
  }
  MlirContext ctx = make_context(cfg);
  int rc = 1;
  char *source = NULL;
  opt_chunk_t *chunks = NULL;
  MlirPassManager pm = {NULL};
  MlirOpPrintingFlags flags = mlirOpPrintingFlagsCreate();
  opt_diag_state_t st = {0};
  opt_buf_t out = {0};
  opt_diag_attach(ctx, &st);
#ifdef AJPQ_HAVE_DIALECT
  if (!ajpq_dialect_load(ctx)) {
    fprintf(stderr, "%s: error: could not load the ajpq dialect\n", OPT_TOOL);
    goto done;
  }
#endif
  if (cfg->list_passes) {
    opt_print_passes(stdout, ctx);
    rc = 0;
    goto done;
  }
  if (cfg->elide_elements_limit >= 0)
    mlirOpPrintingFlagsElideLargeElementsAttrs(flags, (intptr_t)cfg->elide_elements_limit);
  if (cfg->print_generic)
    mlirOpPrintingFlagsPrintGenericOpForm(flags);
  if (cfg->print_debuginfo)
    mlirOpPrintingFlagsEnableDebugInfo(flags, true, false);

  pm = opt_build_pipeline(ctx, cfg);
  if (mlirPassManagerIsNull(pm))
    goto done;
  mlirPassManagerEnableVerifier(pm, cfg->verify_each);
  /* As mlir-opt: -after-failure prints after a failing pass on its own;
   * -after-change only filters -after-all. */
  bool after = cfg->print_ir_after_all || cfg->print_ir_after_failure;
  if (cfg->print_ir_before_all || after)
    mlirPassManagerEnableIRPrinting(pm, cfg->print_ir_before_all, after, cfg->print_ir_module_scope,
                                    cfg->print_ir_after_change, cfg->print_ir_after_failure, flags,
                                    mlirStringRefCreate(NULL, 0));
  if (cfg->pass_statistics)
    mlirPassManagerEnableStatistics(pm, cfg->statistics_as_pipeline
                                            ? MLIR_PASS_DISPLAY_MODE_PIPELINE
                                            : MLIR_PASS_DISPLAY_MODE_LIST);
  if (cfg->dump_pass_pipeline) {
    opt_buf_t text = {0};
    mlirPrintPassPipeline(mlirPassManagerGetAsOpPassManager(pm), opt_buf_callback, &text);
    fprintf(stderr, "Pass pipeline:\n%s\n", text.data ? text.data : "");
    opt_buf_free(&text);
  }
  if (cfg->timing)
    mlirPassManagerEnableTiming(pm);

  bool from_stdin = !strcmp(cfg->input, "-");
  st.filename = from_stdin ? "<stdin>" : cfg->input;
  FILE *in = from_stdin ? stdin : fopen(cfg->input, "rb");
  if (!in) {
    fprintf(stderr, "%s: error: could not open input file '%s': %s\n", OPT_TOOL, cfg->input,
            strerror(errno));
    goto done;
  }
  size_t len = 0;
  source = read_all(in, &len);
  if (!from_stdin)
    fclose(in);
  if (!source) {
    fprintf(stderr, "%s: error: could not read input file '%s'\n", OPT_TOOL, st.filename);
    goto done;
  }
  st.source = source;
#ifdef AJPQ_HAVE_DIALECT
  unsigned deep_line = 0, deep_col = 0;
  if (!ajpq_mlir_nesting_ok(source, len, AJPQ_MLIR_MAX_NESTING, &deep_line, &deep_col)) {
    fprintf(stderr,
            "%s:%u:%u: error: brackets nested deeper than %d levels (refused: MLIR's parser "
            "would overflow its stack)\n",
            st.filename, deep_line, deep_col, AJPQ_MLIR_MAX_NESTING);
    goto done;
  }
#endif
  size_t num_chunks = opt_split_input(source, len, cfg->split_input, cfg->split_marker, &chunks);
  if (num_chunks == 0) {
    fprintf(stderr, "%s: error: out of memory\n", OPT_TOOL);
    goto done;
  }
  opt_output_t output;
  if (!opt_output_open(&output, cfg->output))
    goto done;
  bool all_ok = true;
  for (size_t i = 0; i < num_chunks; ++i) {
    if (i > 0) {
      opt_buf_append(&out, cfg->split_marker, strlen(cfg->split_marker));
      opt_buf_append(&out, "\n", 1);
    }
    if (!process_chunk(ctx, pm, cfg, &st, &chunks[i], flags, &out))
      all_ok = false;
    /* Stream to stdout chunk by chunk; files are written at the end. */
    if (output.f == stdout && out.len) {
      fwrite(out.data, 1, out.len, stdout);
      out.len = 0;
    }
  }
  if (out.oom) {
    fprintf(stderr, "%s: error: out of memory while printing the output\n", OPT_TOOL);
    all_ok = false;
  }
  if (all_ok && output.f != stdout && out.len)
    fwrite(out.data, 1, out.len, output.f);
  bool closed = opt_output_close(&output, all_ok);
  rc = all_ok && closed ? 0 : 1;
done:
  if (!mlirPassManagerIsNull(pm))
    mlirPassManagerDestroy(pm);
  opt_pipeline_cleanup();
  mlirOpPrintingFlagsDestroy(flags);
  opt_diag_discard(&st);
  mlirContextDestroy(ctx);
  opt_buf_free(&out);
  free(chunks);
  free(source);
  return rc;
}

int main(int argc, char **argv) {
  /* Ctrl-C during a long --joint-compress search must not leave -o's
   * temporary file behind (support/ajpq_output.h). */
  ajpq_status_t sig_st = ajpq_output_install_signal_cleanup();
  if (sig_st) {
    fprintf(stderr, "%s: warning: %s\n", OPT_TOOL, ajpq_status_message(sig_st));
    ajpq_status_free(sig_st);
  }
  opt_config_t cfg;
  if (!opt_parse_args(argc, argv, &cfg)) {
    opt_config_free(&cfg);
    return 1;
  }
  int rc = run(&cfg);
  opt_config_free(&cfg);
  return rc;
}
