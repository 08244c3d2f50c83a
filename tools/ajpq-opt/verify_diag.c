/* verify_diag.c — --verify-diagnostics, as upstream MLIR documents it
 * (mlir/docs/Diagnostics.md, "SourceMgr Diagnostic Verifier Handler").
 *
 * A directive is one per line, in a comment:
 *   expected-(error|warning|note|remark)[-re] [@+N|@-N|@above|@below|@unknown] {{message}}
 * `@+N`/`@-N` are relative to the directive's line; `@above` names the last
 * line without a directive, `@below` the next one; no designator = this line.
 * Plain messages match if they are a substring of the diagnostic; `-re`
 * messages are literal text with `{{regex}}` segments (POSIX extended regex,
 * searched anywhere in the message). Every diagnostic must match a directive
 * of its line and kind ("unexpected error: ..." otherwise) and every directive
 * must be matched ("expected error "..." was not produced" otherwise).
 */
#include "opt.h"

#include <regex.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  MlirDiagnosticSeverity kind;
  bool is_regex;
  bool unknown_loc;
  char *text; /* as written between the outer {{ }} */
  regex_t re;
  bool re_ok;
  unsigned line;              /* line the diagnostic must be on */
  unsigned dir_line, dir_col; /* where the directive is written */
  bool matched;
} expected_t;

struct opt_verifier_s {
  const char *filename;
  const char *source; /* padded chunk: same line numbers as the file */
  expected_t *exp;
  size_t num_exp;
  bool failed; /* unexpected diagnostic or malformed directive */
};


static void verr(opt_verifier_t *v, unsigned line, unsigned col, const char *fmt, const char *a,
                 const char *b) {
  char msg[4096];
  snprintf(msg, sizeof msg, fmt, a, b ? b : "");
  opt_diag_print(stderr, v->filename, line, col, MlirDiagnosticError, msg, v->source);
  v->failed = true;
}

/* Builds the ERE for a -re message: literal text escaped, {{re}} as (re). */
static char *build_regex(const char *s, size_t n, const char **bad) {
  opt_buf_t b = {0};
  size_t i = 0;
  while (i < n) {
    const char *open = NULL;
    for (size_t k = i; k + 1 < n; ++k)
      if (s[k] == '{' && s[k + 1] == '{') {
        open = s + k;
        break;
      }
    size_t lit_end = open ? (size_t)(open - s) : n;
    for (size_t k = i; k < lit_end; ++k) {
      if (strchr(".[]{}()\\*+?|^$", s[k]))
        opt_buf_append(&b, "\\", 1);
      opt_buf_append(&b, &s[k], 1);
    }
    if (!open)
      break;
    size_t j = lit_end + 2;
    const char *close = NULL;
    for (size_t k = j; k + 1 < n; ++k)
      if (s[k] == '}' && s[k + 1] == '}') {
        close = s + k;
        break;
      }
    if (!close) {
      *bad = "found start of regex with no end '}}'";
      opt_buf_free(&b);
      return NULL;
    }
    opt_buf_append(&b, "(", 1);
    opt_buf_append(&b, s + j, (size_t)(close - (s + j)));
    opt_buf_append(&b, ")", 1);
    i = (size_t)(close - s) + 2;
  }
  if (!b.data)
    opt_buf_append(&b, "", 0);
  if (b.oom) {
    opt_buf_free(&b);
    *bad = "out of memory";
    return NULL;
  }
  return b.data;
}

typedef struct {
  MlirDiagnosticSeverity kind;
  bool is_regex;
  char desig; /* 0, '+', '-', 'a'(bove), 'b'(elow), 'u'(nknown) */
  unsigned offset;
  const char *msg;
  size_t msg_len;
  size_t col; /* 0-based column of "expected-" */
} directive_t;

/* Parses a directive in line [p, p+n) (right-trimmed); false if none. */
static bool parse_directive(const char *p, size_t n, directive_t *d) {
  static const char *const kinds[] = {"error", "warning", "note", "remark"};
  static const MlirDiagnosticSeverity sevs[] = {MlirDiagnosticError, MlirDiagnosticWarning,
                                                MlirDiagnosticNote, MlirDiagnosticRemark};
  for (size_t start = 0; start + 9 <= n; ++start) {
    if (strncmp(p + start, "expected-", 9) != 0)
      continue;
    size_t i = start + 9;
    memset(d, 0, sizeof(*d));
    int k = -1;
    for (int t = 0; t < 4; ++t) {
      size_t kl = strlen(kinds[t]);
      if (i + kl <= n && strncmp(p + i, kinds[t], kl) == 0) {
        k = t;
        i += kl;
        break;
      }
    }
    if (k < 0)
      continue;
    d->kind = sevs[k];
    if (i + 3 <= n && strncmp(p + i, "-re", 3) == 0) {
      d->is_regex = true;
      i += 3;
    }
    while (i < n && p[i] == ' ')
      ++i;
    if (i < n && p[i] == '@') {
      ++i;
      if (i < n && (p[i] == '+' || p[i] == '-')) {
        d->desig = p[i++];
        size_t digits = 0;
        unsigned long off = 0;
        /* Every digit is consumed (an over-long offset must not turn the
         * directive into a silently ignored comment); offsets saturate at
         * 10^9, beyond any file, so they are reported as not produced. */
        while (i < n && p[i] >= '0' && p[i] <= '9') {
          if (off < 1000000000ul)
            off = off * 10 + (unsigned long)(p[i] - '0');
          ++i;
          ++digits;
        }
        if (off > 1000000000ul)
          off = 1000000000ul;
        if (digits == 0)
          continue;
        d->offset = (unsigned)off;
      } else if (i + 5 <= n && !strncmp(p + i, "above", 5)) {
        d->desig = 'a';
        i += 5;
      } else if (i + 5 <= n && !strncmp(p + i, "below", 5)) {
        d->desig = 'b';
        i += 5;
      } else if (i + 7 <= n && !strncmp(p + i, "unknown", 7)) {
        d->desig = 'u';
        i += 7;
      } else {
        continue;
      }
    }
    while (i < n && p[i] == ' ')
      ++i;
    if (i + 2 > n || p[i] != '{' || p[i + 1] != '{')
      continue;
    if (n < i + 4 || p[n - 1] != '}' || p[n - 2] != '}')
      continue;
    d->msg = p + i + 2;
    d->msg_len = n - 2 - (i + 2);
    d->col = start;
    return true;
  }
  return false;
}

static bool push(opt_verifier_t *v, const expected_t *e) {
  expected_t *x = realloc(v->exp, (v->num_exp + 1) * sizeof(*x));
  if (!x)
    return false;
  v->exp = x;
  v->exp[v->num_exp++] = *e;
  return true;
}

opt_verifier_t *opt_verifier_create(const char *filename, const char *padded) {
  opt_verifier_t *v = calloc(1, sizeof(*v));
  if (!v)
    return NULL;
  v->filename = filename;
  v->source = padded;
  size_t *below = NULL; /* indices waiting for the next non-directive line */
  size_t num_below = 0;
  unsigned last_plain = 0;
  unsigned line = 1;
  for (const char *p = padded; *p; ++line) {
    const char *eol = strchr(p, '\n');
    size_t n = eol ? (size_t)(eol - p) : strlen(p);
    size_t t = n;
    while (t && (p[t - 1] == ' ' || p[t - 1] == '\t' || p[t - 1] == '\r'))
      --t;
    directive_t d;
    if (!parse_directive(p, t, &d)) {
      for (size_t k = 0; k < num_below; ++k)
        v->exp[below[k]].line = line;
      num_below = 0;
      last_plain = line;
    } else {
      expected_t e = {0};
      e.kind = d.kind;
      e.is_regex = d.is_regex;
      e.dir_line = line;
      e.dir_col = (unsigned)d.col + 1;
      e.text = malloc(d.msg_len + 1);
      if (e.text) {
        memcpy(e.text, d.msg, d.msg_len);
        e.text[d.msg_len] = '\0';
      }
      switch (d.desig) {
      case '+':
        e.line = line + d.offset;
        break;
      case '-':
        e.line = d.offset < line ? line - d.offset : 0;
        break;
      case 'a':
        e.line = last_plain;
        break;
      case 'u':
        e.unknown_loc = true;
        break;
      default:
        e.line = line;
        break;
      }
      if (e.text && e.is_regex) {
        const char *bad = NULL;
        char *re = build_regex(d.msg, d.msg_len, &bad);
        if (!re) {
          verr(v, line, e.dir_col, "%s%s", bad, NULL);
        } else {
          int rc = regcomp(&e.re, re, REG_EXTENDED | REG_NOSUB);
          if (rc != 0) {
            char why[256];
            regerror(rc, &e.re, why, sizeof why);
            verr(v, line, e.dir_col, "invalid regular expression '%s': %s", re, why);
            regfree(&e.re);
          } else {
            e.re_ok = true;
          }
          free(re);
        }
        if (!e.re_ok)
          e.matched = true; /* already reported */
      }
      if (!e.text || !push(v, &e)) {
        free(e.text);
        if (e.re_ok)
          regfree(&e.re);
        v->failed = true;
      } else if (d.desig == 'b') {
        size_t *b = realloc(below, (num_below + 1) * sizeof(*b));
        if (b) {
          below = b;
          below[num_below++] = v->num_exp - 1;
        }
      }
    }
    if (!eol)
      break;
    p = eol + 1;
  }
  /* @below with no following line: can never match. */
  for (size_t k = 0; k < num_below; ++k)
    v->exp[below[k]].line = 0;
  free(below);
  return v;
}

static bool matches(const expected_t *e, const char *msg) {
  if (e->is_regex)
    return e->re_ok && regexec(&e->re, msg, 0, NULL, 0) == 0;
  return strstr(msg, e->text) != NULL;
}

void opt_verifier_handle(opt_verifier_t *v, MlirDiagnosticSeverity sev, const char *file,
                         unsigned line, unsigned col, const char *msg) {
  bool known = file && line > 0;
  bool in_file = known && v->filename && strcmp(file, v->filename) == 0;
  expected_t *same_kind_matched = NULL, *other_kind = NULL;
  for (size_t i = 0; i < v->num_exp; ++i) {
    expected_t *e = &v->exp[i];
    if (!e->text)
      continue;
    bool loc_ok = known ? (in_file && !e->unknown_loc && e->line == line) : e->unknown_loc;
    if (!loc_ok || !matches(e, msg))
      continue;
    if (e->kind == sev) {
      if (!e->matched) {
        e->matched = true;
        return;
      }
      if (!same_kind_matched)
        same_kind_matched = e;
    } else if (!other_kind) {
      other_kind = e;
    }
  }
  if (same_kind_matched) /* upstream lets one directive match repeats */
    return;
  char text[4096];
  if (other_kind) {
    snprintf(text, sizeof text, "'%s' diagnostic emitted when expecting a '%s'", opt_severity_name(sev),
             opt_severity_name(other_kind->kind));
    other_kind->matched = true;
  } else {
    snprintf(text, sizeof text, "unexpected %s: %s", opt_severity_name(sev), msg);
  }
  opt_diag_print(stderr, known ? file : v->filename, known ? line : 0, col, MlirDiagnosticError,
                 text, in_file ? v->source : NULL);
  v->failed = true;
}

bool opt_verifier_finish(opt_verifier_t *v) {
  if (!v)
    return false;
  bool ok = !v->failed;
  for (size_t i = 0; i < v->num_exp; ++i) {
    expected_t *e = &v->exp[i];
    if (!e->matched) {
      char msg[4200];
      snprintf(msg, sizeof msg, "expected %s \"%s\" was not produced", opt_severity_name(e->kind), e->text);
      opt_diag_print(stderr, v->filename, e->dir_line, e->dir_col, MlirDiagnosticError, msg,
                     v->source);
      ok = false;
    }
    if (e->re_ok)
      regfree(&e->re);
    free(e->text);
  }
  free(v->exp);
  free(v);
  return ok;
}
