/* diag.c — ajpq-opt's diagnostic handler.
 *
 * Prints `file:line:col: <severity>: message`, then the source line and a
 * caret when the location is in the input (as mlir-opt does), then the
 * diagnostic's notes. MLIR's "see current operation: <whole op dump>" note
 * cannot be switched off from C; it is dropped here. In --verify-diagnostics
 * mode diagnostics go to the verifier (verify_diag.c) instead. While the
 * parser is probed (main.c), diagnostics are captured and replayed later.
 */
#include "opt.h"

#include <stdlib.h>
#include <string.h>

void opt_buf_append(opt_buf_t *b, const char *s, size_t n) {
  if (b->oom)
    return;
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + n + 1)
      cap *= 2;
    char *d = realloc(b->data, cap);
    if (!d) {
      b->oom = true;
      return;
    }
    b->data = d;
    b->cap = cap;
  }
  memcpy(b->data + b->len, s, n);
  b->len += n;
  b->data[b->len] = '\0';
}

void opt_buf_callback(MlirStringRef s, void *user) {
  opt_buf_append(user, s.data, s.length);
}

void opt_buf_free(opt_buf_t *b) {
  free(b->data);
  memset(b, 0, sizeof(*b));
}

const char *opt_severity_name(MlirDiagnosticSeverity sev) {
  switch (sev) {
  case MlirDiagnosticError:
    return "error";
  case MlirDiagnosticWarning:
    return "warning";
  case MlirDiagnosticNote:
    return "note";
  case MlirDiagnosticRemark:
    return "remark";
  }
  return "error";
}

/* Prints line `line` (1-based) of `source` and a caret under column `col`. */
static void print_excerpt(FILE *f, const char *source, unsigned line, unsigned col) {
  const char *p = source;
  for (unsigned l = 1; l < line && p; ++l) {
    p = strchr(p, '\n');
    if (p)
      ++p;
  }
  if (!p || !*p)
    return;
  const char *eol = strchr(p, '\n');
  size_t n = eol ? (size_t)(eol - p) : strlen(p);
  if (n > 0 && p[n - 1] == '\r')
    --n;
  fprintf(f, "%.*s\n", (int)n, p);
  for (unsigned c = 1; c < col && c - 1 < n; ++c)
    fputc(p[c - 1] == '\t' ? '\t' : ' ', f);
  fputs("^\n", f);
}

void opt_diag_print(FILE *f, const char *file, unsigned line, unsigned col,
                    MlirDiagnosticSeverity sev, const char *msg, const char *source) {
  if (file && line)
    fprintf(f, "%s:%u:%u: %s: %s\n", file, line, col, opt_severity_name(sev), msg);
  else
    fprintf(f, "%s: %s: %s\n", file ? file : "<unknown>", opt_severity_name(sev), msg);
  if (source && file && line)
    print_excerpt(f, source, line, col);
}

/* Resolves a location to file/line/col the way mlir-opt shows it: names and
 * call sites (callee) unwrap, fused locations use their first file location. */
static bool resolve_loc(MlirLocation loc, MlirStringRef *file, unsigned *line, unsigned *col,
                        int depth) {
  if (depth > 32 || mlirLocationIsNull(loc))
    return false;
  if (mlirLocationIsAFileLineColRange(loc)) {
    *file = mlirIdentifierStr(mlirLocationFileLineColRangeGetFilename(loc));
    int l = mlirLocationFileLineColRangeGetStartLine(loc);
    int c = mlirLocationFileLineColRangeGetStartColumn(loc);
    *line = l > 0 ? (unsigned)l : 0;
    *col = c > 0 ? (unsigned)c : 0;
    return true;
  }
  if (mlirLocationIsAName(loc))
    return resolve_loc(mlirLocationNameGetChildLoc(loc), file, line, col, depth + 1);
  if (mlirLocationIsACallSite(loc))
    return resolve_loc(mlirLocationCallSiteGetCallee(loc), file, line, col, depth + 1);
  if (mlirLocationIsAFused(loc)) {
    intptr_t n = mlirLocationFusedGetNumLocations(loc);
    if (n <= 0 || n > 4096)
      return false;
    MlirLocation *locs = malloc((size_t)n * sizeof(*locs));
    if (!locs)
      return false;
    mlirLocationFusedGetLocations(loc, locs);
    bool ok = false;
    for (intptr_t i = 0; i < n && !ok; ++i)
      ok = resolve_loc(locs[i], file, line, col, depth + 1);
    free(locs);
    return ok;
  }
  return false;
}

/* Routes one (already resolved) diagnostic: verifier or stderr. `loc_text`
 * (may be NULL) is a location without file position, e.g. `loc("conv1")`:
 * printed before the message as mlir-opt does, not part of what
 * --verify-diagnostics matches. */
static void dispatch(opt_diag_state_t *st, MlirDiagnosticSeverity sev, const char *file,
                     unsigned line, unsigned col, const char *msg, const char *loc_text) {
  if (sev == MlirDiagnosticError)
    ++st->num_errors;
  if (st->verifier) {
    opt_verifier_handle(st->verifier, sev, file, line, col, msg);
    return;
  }
  bool in_input = file && st->filename && strcmp(file, st->filename) == 0;
  opt_buf_t full = {0};
  if (loc_text) {
    opt_buf_append(&full, loc_text, strlen(loc_text));
    opt_buf_append(&full, ": ", 2);
  }
  opt_buf_append(&full, msg, strlen(msg));
  opt_diag_print(stderr, file ? file : st->filename, line, col, sev,
                 full.data && !full.oom ? full.data : msg, in_input ? st->source : NULL);
  opt_buf_free(&full);
}

static void record(opt_diag_state_t *st, MlirDiagnosticSeverity sev, const char *file,
                   unsigned line, unsigned col, const char *msg, const char *loc_text) {
  if (st->capture) {
    opt_diag_rec_t *r = realloc(st->captured, (st->num_captured + 1) * sizeof(*r));
    if (!r)
      return;
    st->captured = r;
    r[st->num_captured].sev = sev;
    r[st->num_captured].file = file ? strdup(file) : NULL;
    r[st->num_captured].line = line;
    r[st->num_captured].col = col;
    r[st->num_captured].msg = strdup(msg);
    r[st->num_captured].loc_text = loc_text ? strdup(loc_text) : NULL;
    ++st->num_captured;
    return;
  }
  dispatch(st, sev, file, line, col, msg, loc_text);
}

static void handle_one(opt_diag_state_t *st, MlirDiagnostic d) {
  opt_buf_t msg = {0};
  mlirDiagnosticPrint(d, opt_buf_callback, &msg);
  const char *text = msg.data ? msg.data : "";
  MlirStringRef file = {NULL, 0};
  unsigned line = 0, col = 0;
  char *fname = NULL;
  opt_buf_t loc_text = {0};
  MlirLocation loc = mlirDiagnosticGetLocation(d);
  if (resolve_loc(loc, &file, &line, &col, 0)) {
    fname = malloc(file.length + 1);
    if (fname) {
      memcpy(fname, file.data, file.length);
      fname[file.length] = '\0';
    }
    if (fname && st->filename && !strcmp(fname, st->filename) && line > st->line_shift)
      line -= st->line_shift;
  } else if (!mlirLocationIsNull(loc) &&
             !mlirLocationEqual(loc, mlirLocationUnknownGet(mlirLocationGetContext(loc)))) {
    mlirLocationPrint(loc, opt_buf_callback, &loc_text);
  }
  record(st, mlirDiagnosticGetSeverity(d), fname, line, col, text,
         loc_text.data && !loc_text.oom ? loc_text.data : NULL);
  free(fname);
  opt_buf_free(&loc_text);
  opt_buf_free(&msg);
}

static MlirLogicalResult handler(MlirDiagnostic d, void *user) {
  opt_diag_state_t *st = user;
  handle_one(st, d);
  intptr_t n = mlirDiagnosticGetNumNotes(d);
  for (intptr_t i = 0; i < n; ++i) {
    MlirDiagnostic note = mlirDiagnosticGetNote(d, i);
    opt_buf_t msg = {0};
    mlirDiagnosticPrint(note, opt_buf_callback, &msg);
    bool op_dump = msg.data && strncmp(msg.data, "see current operation:", 22) == 0;
    opt_buf_free(&msg);
    if (!op_dump)
      handle_one(st, note);
  }
  return mlirLogicalResultSuccess();
}

void opt_diag_attach(MlirContext ctx, opt_diag_state_t *st) {
  mlirContextAttachDiagnosticHandler(ctx, handler, st, NULL);
}

void opt_diag_report(opt_diag_state_t *st, MlirDiagnosticSeverity sev, unsigned line, unsigned col,
                     const char *msg) {
  record(st, sev, st->filename, line, col, msg, NULL);
}

void opt_diag_replay(opt_diag_state_t *st) {
  for (size_t i = 0; i < st->num_captured; ++i) {
    opt_diag_rec_t *r = &st->captured[i];
    dispatch(st, r->sev, r->file, r->line, r->col, r->msg ? r->msg : "", r->loc_text);
  }
  opt_diag_discard(st);
}

void opt_diag_discard(opt_diag_state_t *st) {
  for (size_t i = 0; i < st->num_captured; ++i) {
    free(st->captured[i].file);
    free(st->captured[i].msg);
    free(st->captured[i].loc_text);
  }
  free(st->captured);
  st->captured = NULL;
  st->num_captured = 0;
}
