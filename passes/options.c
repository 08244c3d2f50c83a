/* options.c — parsing and typed access of ajpq pass options.
 *
 * Syntax (as upstream MLIR pass options): whitespace-separated `key=value`
 * pairs; a bare `key` means `key=true` for BOOL options. Values may be quoted
 * with ' or " (quotes removed, no escapes) or wrapped in {...} (LIST values,
 * as upstream writes lists). LIST values are comma-separated; elements may be
 * quoted. Every value is checked against the declaration (kind, range, enum
 * set); defaults are parsed with the same rules. Errors name the pass, the
 * option and the offending value. Contract: passes/ajpq_passes.h.
 */
#include "ajpq_passes.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Upper bound on option text and list length: keeps hostile input bounded. */
#define AJPQ_OPT_MAX_TEXT (1u << 20)
#define AJPQ_OPT_MAX_LIST 65536u

typedef struct {
  bool set;    /* given or defaulted */
  int64_t i;   /* INT */
  double f;    /* FLOAT */
  bool b;      /* BOOL */
  char *s;     /* STRING, ENUM (owned) */
  size_t n;    /* LIST length */
  int64_t *li; /* LIST of INT (owned) */
  double *lf;  /* LIST of FLOAT (owned) */
  char **ls;   /* LIST of STRING (owned, each owned) */
} opt_value_t;

struct ajpq_pass_options_s {
  const ajpq_pass_info_t *info;
  opt_value_t *values; /* info->num_options entries */
};

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t errlen, const char *fmt, ...) {
  if (!err || errlen == 0)
    return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
}

static void value_clear(opt_value_t *v) {
  free(v->s);
  free(v->li);
  free(v->lf);
  if (v->ls) {
    for (size_t k = 0; k < v->n; ++k)
      free(v->ls[k]);
    free(v->ls);
  }
  memset(v, 0, sizeof(*v));
}

static char *dup_range(const char *s, size_t n) {
  char *d = malloc(n + 1);
  if (!d)
    return NULL;
  memcpy(d, s, n);
  d[n] = '\0';
  return d;
}

static const char *kind_name(ajpq_opt_kind_t k) {
  switch (k) {
  case AJPQ_OPT_INT:
    return "integer";
  case AJPQ_OPT_FLOAT:
    return "number";
  case AJPQ_OPT_BOOL:
    return "boolean";
  case AJPQ_OPT_STRING:
    return "string";
  case AJPQ_OPT_ENUM:
    return "enum";
  case AJPQ_OPT_LIST:
    return "list";
  }
  return "?";
}

static bool has_range(const ajpq_pass_option_t *d) {
  return d->min < d->max;
}

/* Parses a scalar INT/FLOAT element with range check. `what` is "" or
 * "list element " for messages. */
static bool parse_number(const ajpq_pass_info_t *info, const ajpq_pass_option_t *d,
                         ajpq_opt_kind_t kind, const char *text, int64_t *iv, double *fv,
                         const char *what, char *err, size_t errlen) {
  char *end = NULL;
  errno = 0;
  if (kind == AJPQ_OPT_INT) {
    long long v = *text ? strtoll(text, &end, 10) : 0;
    if (!*text || *end != '\0' || text[0] == ' ') {
      set_err(err, errlen, "pass '%s': option '%s': %s'%s' is not an integer", info->name, d->name,
              what, text);
      return false;
    }
    if (errno == ERANGE) {
      set_err(err, errlen, "pass '%s': option '%s': %s'%s' does not fit in 64 bits", info->name,
              d->name, what, text);
      return false;
    }
    if (has_range(d) && ((double)v < d->min || (double)v > d->max)) {
      set_err(err, errlen, "pass '%s': option '%s': %s%lld is out of range [%.17g, %.17g]",
              info->name, d->name, what, v, d->min, d->max);
      return false;
    }
    *iv = v;
    return true;
  }
  double v = *text ? strtod(text, &end) : 0.0;
  if (!*text || *end != '\0' || text[0] == ' ' || !isfinite(v)) {
    set_err(err, errlen, "pass '%s': option '%s': %s'%s' is not a finite number", info->name,
            d->name, what, text);
    return false;
  }
  if (has_range(d) && (v < d->min || v > d->max)) {
    set_err(err, errlen, "pass '%s': option '%s': %s%s is out of range [%.17g, %.17g]", info->name,
            d->name, what, text, d->min, d->max);
    return false;
  }
  *fv = v;
  return true;
}

/* Is `text` one of the '|'-separated names in `set`? */
static bool enum_contains(const char *set, const char *text) {
  size_t n = strlen(text);
  const char *p = set;
  while (p && *p) {
    const char *bar = strchr(p, '|');
    size_t len = bar ? (size_t)(bar - p) : strlen(p);
    if (len == n && strncmp(p, text, n) == 0)
      return true;
    p = bar ? bar + 1 : NULL;
  }
  return false;
}

/* Removes one level of matching quotes; returns the (possibly shorter) span. */
static void unquote(const char **s, size_t *n) {
  if (*n >= 2 && ((*s)[0] == '"' || (*s)[0] == '\'') && (*s)[*n - 1] == (*s)[0]) {
    ++*s;
    *n -= 2;
  }
}

static void trim(const char **s, size_t *n) {
  while (*n && (**s == ' ' || **s == '\t' || **s == '\n')) {
    ++*s;
    --*n;
  }
  while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t' || (*s)[*n - 1] == '\n'))
    --*n;
}

static bool parse_list(const ajpq_pass_info_t *info, const ajpq_pass_option_t *d, const char *text,
                       opt_value_t *v, char *err, size_t errlen) {
  const char *s = text;
  size_t n = strlen(text);
  trim(&s, &n);
  if (n >= 2 && s[0] == '{' && s[n - 1] == '}') {
    ++s;
    n -= 2;
    trim(&s, &n);
  }
  /* Count elements (commas outside quotes), then fill. */
  size_t count = 0, cap = 0;
  if (n > 0) {
    count = 1;
    char q = 0;
    for (size_t k = 0; k < n; ++k) {
      if (q) {
        if (s[k] == q)
          q = 0;
      } else if (s[k] == '"' || s[k] == '\'') {
        q = s[k];
      } else if (s[k] == ',') {
        ++count;
      }
    }
  }
  if (count > AJPQ_OPT_MAX_LIST) {
    set_err(err, errlen, "pass '%s': option '%s': list has %zu elements (limit %u)", info->name,
            d->name, count, AJPQ_OPT_MAX_LIST);
    return false;
  }
  cap = count ? count : 1;
  if (d->list_elem == AJPQ_OPT_INT)
    v->li = calloc(cap, sizeof(int64_t));
  else if (d->list_elem == AJPQ_OPT_FLOAT)
    v->lf = calloc(cap, sizeof(double));
  else
    v->ls = calloc(cap, sizeof(char *));
  if (!v->li && !v->lf && !v->ls) {
    set_err(err, errlen, "pass '%s': option '%s': out of memory", info->name, d->name);
    return false;
  }
  size_t start = 0;
  char q = 0;
  for (size_t k = 0; k <= n && v->n < count; ++k) {
    if (k < n && q) {
      if (s[k] == q)
        q = 0;
      continue;
    }
    if (k < n && (s[k] == '"' || s[k] == '\'')) {
      q = s[k];
      continue;
    }
    if (k < n && s[k] != ',')
      continue;
    const char *e = s + start;
    size_t en = k - start;
    trim(&e, &en);
    unquote(&e, &en);
    char *elem = dup_range(e, en);
    if (!elem) {
      set_err(err, errlen, "pass '%s': option '%s': out of memory", info->name, d->name);
      return false;
    }
    bool ok = true;
    if (d->list_elem == AJPQ_OPT_STRING) {
      v->ls[v->n] = elem;
      elem = NULL;
    } else {
      ok = parse_number(info, d, d->list_elem, elem, v->li ? &v->li[v->n] : NULL,
                        v->lf ? &v->lf[v->n] : NULL, "list element ", err, errlen);
    }
    free(elem);
    if (!ok)
      return false;
    ++v->n;
    start = k + 1;
  }
  return true;
}

/* Parses `text` as the value of `d` into `v` (cleared first). */
static bool parse_value(const ajpq_pass_info_t *info, const ajpq_pass_option_t *d, const char *text,
                        opt_value_t *v, char *err, size_t errlen) {
  value_clear(v);
  bool ok = false;
  switch (d->kind) {
  case AJPQ_OPT_INT:
  case AJPQ_OPT_FLOAT:
    ok = parse_number(info, d, d->kind, text, &v->i, &v->f, "", err, errlen);
    break;
  case AJPQ_OPT_BOOL:
    if (!strcmp(text, "true") || !strcmp(text, "TRUE") || !strcmp(text, "True") ||
        !strcmp(text, "1")) {
      v->b = true;
      ok = true;
    } else if (!strcmp(text, "false") || !strcmp(text, "FALSE") || !strcmp(text, "False") ||
               !strcmp(text, "0")) {
      v->b = false;
      ok = true;
    } else {
      set_err(err, errlen, "pass '%s': option '%s': '%s' is not a boolean (use true/false/1/0)",
              info->name, d->name, text);
    }
    break;
  case AJPQ_OPT_ENUM:
    if (!enum_contains(d->enum_values, text)) {
      set_err(err, errlen, "pass '%s': option '%s': '%s' is not one of %s", info->name, d->name,
              text, d->enum_values ? d->enum_values : "(none)");
      break;
    }
    /* fallthrough */
  case AJPQ_OPT_STRING:
    v->s = strdup(text);
    ok = v->s != NULL;
    if (!ok)
      set_err(err, errlen, "pass '%s': option '%s': out of memory", info->name, d->name);
    break;
  case AJPQ_OPT_LIST:
    ok = parse_list(info, d, text, v, err, errlen);
    break;
  }
  if (!ok) {
    value_clear(v);
    return false;
  }
  v->set = true;
  return true;
}

static const ajpq_pass_option_t *find_decl(const ajpq_pass_info_t *info, const char *name, size_t n,
                                           size_t *index) {
  for (size_t k = 0; k < info->num_options; ++k) {
    const char *dn = info->options[k].name;
    if (strlen(dn) == n && strncmp(dn, name, n) == 0) {
      *index = k;
      return &info->options[k];
    }
  }
  return NULL;
}

/* Appends "a, b, c" (declared option names) to `buf`. */
static void list_names(const ajpq_pass_info_t *info, char *buf, size_t len) {
  buf[0] = '\0';
  size_t used = 0;
  for (size_t k = 0; k < info->num_options && used + 1 < len; ++k) {
    int w = snprintf(buf + used, len - used, "%s%s", k ? ", " : "", info->options[k].name);
    if (w < 0)
      break;
    used += (size_t)w;
  }
  if (info->num_options == 0)
    snprintf(buf, len, "none");
}

ajpq_pass_options_t *ajpq_pass_options_parse(const ajpq_pass_info_t *info, const char *text,
                                             char *err, size_t errlen) {
  if (err && errlen)
    err[0] = '\0';
  if (!info) {
    set_err(err, errlen, "no pass given");
    return NULL;
  }
  if (!text)
    text = "";
  if (strlen(text) > AJPQ_OPT_MAX_TEXT) {
    set_err(err, errlen, "pass '%s': option text longer than %u bytes", info->name,
            AJPQ_OPT_MAX_TEXT);
    return NULL;
  }
  ajpq_pass_options_t *o = calloc(1, sizeof(*o));
  bool *given = calloc(info->num_options ? info->num_options : 1, sizeof(bool));
  if (!o || !given) {
    free(o);
    free(given);
    set_err(err, errlen, "pass '%s': out of memory", info->name);
    return NULL;
  }
  o->info = info;
  o->values = calloc(info->num_options ? info->num_options : 1, sizeof(opt_value_t));
  if (!o->values) {
    free(o);
    free(given);
    set_err(err, errlen, "pass '%s': out of memory", info->name);
    return NULL;
  }
  /* Defaults first. */
  for (size_t k = 0; k < info->num_options; ++k) {
    const ajpq_pass_option_t *d = &info->options[k];
    if (d->default_value && !parse_value(info, d, d->default_value, &o->values[k], err, errlen)) {
      size_t used = err ? strlen(err) : 0;
      if (err && used + 1 < errlen)
        snprintf(err + used, errlen - used, " (in the declared default)");
      goto fail;
    }
  }
  /* Then `key[=value]` tokens, left to right. */
  const char *p = text;
  for (;;) {
    while (*p == ' ' || *p == '\t' || *p == '\n')
      ++p;
    if (!*p)
      break;
    const char *key = p;
    while (*p && *p != '=' && *p != ' ' && *p != '\t' && *p != '\n')
      ++p;
    size_t keylen = (size_t)(p - key);
    const char *val = NULL;
    size_t vallen = 0;
    if (*p == '=') {
      ++p;
      val = p;
      char q = 0;
      int depth = 0;
      while (*p) {
        if (q) {
          if (*p == q)
            q = 0;
        } else if (*p == '"' || *p == '\'') {
          q = *p;
        } else if (*p == '{') {
          ++depth;
        } else if (*p == '}') {
          --depth;
        } else if (depth <= 0 && (*p == ' ' || *p == '\t' || *p == '\n')) {
          break;
        }
        ++p;
      }
      vallen = (size_t)(p - val);
      if (q) {
        set_err(err, errlen, "pass '%s': option '%.*s': unterminated quote in value '%.*s'",
                info->name, (int)keylen, key, (int)vallen, val);
        goto fail;
      }
      unquote(&val, &vallen);
    }
    if (keylen == 0) {
      set_err(err, errlen, "pass '%s': expected 'key=value', got '%.*s'", info->name,
              (int)(vallen + 1), val ? val - 1 : key);
      goto fail;
    }
    size_t idx = 0;
    const ajpq_pass_option_t *d = find_decl(info, key, keylen, &idx);
    if (!d) {
      char names[512];
      list_names(info, names, sizeof names);
      set_err(err, errlen, "pass '%s': unknown option '%.*s' (options: %s)", info->name,
              (int)keylen, key, names);
      goto fail;
    }
    if (given[idx]) {
      set_err(err, errlen, "pass '%s': option '%s' given more than once", info->name, d->name);
      goto fail;
    }
    given[idx] = true;
    if (!val && d->kind != AJPQ_OPT_BOOL) {
      set_err(err, errlen, "pass '%s': option '%s' (%s) needs a value: %s=<value>", info->name,
              d->name, kind_name(d->kind), d->name);
      goto fail;
    }
    char *vs = val ? dup_range(val, vallen) : strdup("true");
    if (!vs) {
      set_err(err, errlen, "pass '%s': out of memory", info->name);
      goto fail;
    }
    bool ok = parse_value(info, d, vs, &o->values[idx], err, errlen);
    free(vs);
    if (!ok)
      goto fail;
  }
  free(given);
  return o;
fail:
  free(given);
  ajpq_pass_options_destroy(o);
  return NULL;
}

void ajpq_pass_options_destroy(ajpq_pass_options_t *o) {
  if (!o)
    return;
  if (o->values)
    for (size_t k = 0; k < o->info->num_options; ++k)
      value_clear(&o->values[k]);
  free(o->values);
  free(o);
}

/* The value of option `name` if declared with kind `kind` (and, for lists,
 * element kind `elem`), else NULL. */
static const opt_value_t *lookup(const ajpq_pass_options_t *o, const char *name,
                                 ajpq_opt_kind_t kind, int elem) {
  if (!o || !name)
    return NULL;
  size_t idx = 0;
  const ajpq_pass_option_t *d = find_decl(o->info, name, strlen(name), &idx);
  if (!d)
    return NULL;
  if (kind == AJPQ_OPT_STRING) {
    if (d->kind != AJPQ_OPT_STRING && d->kind != AJPQ_OPT_ENUM)
      return NULL;
  } else if (d->kind != kind) {
    return NULL;
  }
  if (elem >= 0 && d->list_elem != (ajpq_opt_kind_t)elem)
    return NULL;
  return o->values[idx].set ? &o->values[idx] : NULL;
}

bool ajpq_opt_has(const ajpq_pass_options_t *o, const char *name) {
  if (!o || !name)
    return false;
  size_t idx = 0;
  return find_decl(o->info, name, strlen(name), &idx) && o->values[idx].set;
}

int64_t ajpq_opt_int(const ajpq_pass_options_t *o, const char *name) {
  const opt_value_t *v = lookup(o, name, AJPQ_OPT_INT, -1);
  return v ? v->i : 0;
}

double ajpq_opt_float(const ajpq_pass_options_t *o, const char *name) {
  const opt_value_t *v = lookup(o, name, AJPQ_OPT_FLOAT, -1);
  return v ? v->f : 0.0;
}

bool ajpq_opt_bool(const ajpq_pass_options_t *o, const char *name) {
  const opt_value_t *v = lookup(o, name, AJPQ_OPT_BOOL, -1);
  return v ? v->b : false;
}

const char *ajpq_opt_string(const ajpq_pass_options_t *o, const char *name) {
  const opt_value_t *v = lookup(o, name, AJPQ_OPT_STRING, -1);
  return v && v->s ? v->s : "";
}

size_t ajpq_opt_list_size(const ajpq_pass_options_t *o, const char *name) {
  const opt_value_t *v = lookup(o, name, AJPQ_OPT_LIST, -1);
  return v ? v->n : 0;
}

int64_t ajpq_opt_list_int(const ajpq_pass_options_t *o, const char *name, size_t i) {
  const opt_value_t *v = lookup(o, name, AJPQ_OPT_LIST, AJPQ_OPT_INT);
  return v && i < v->n ? v->li[i] : 0;
}

double ajpq_opt_list_float(const ajpq_pass_options_t *o, const char *name, size_t i) {
  const opt_value_t *v = lookup(o, name, AJPQ_OPT_LIST, AJPQ_OPT_FLOAT);
  return v && i < v->n ? v->lf[i] : 0.0;
}

const char *ajpq_opt_list_string(const ajpq_pass_options_t *o, const char *name, size_t i) {
  const opt_value_t *v = lookup(o, name, AJPQ_OPT_LIST, AJPQ_OPT_STRING);
  return v && i < v->n ? v->ls[i] : "";
}
