/* pipeline.c — builds ajpq-opt's pass manager.
 *
 * MLIR 22's C API cannot register external passes, so the pipeline text is
 * split here (see ../shared/reference/mlir-c-api-notes.md, "Passes"):
 *   - `--pass-pipeline="anchor(e1,e2,...)"`: elements are split at depth-0
 *     commas (tracking (), {}, [] and quotes). `op(...)` containing an ajpq
 *     pass nests with mlirOpPassManagerGetNestedUnder and recurses; ajpq
 *     passes `name{k=v ...}` become external passes with options parsed by
 *     passes/options.c; every other element goes as text to
 *     mlirOpPassManagerAddPipeline (with an error callback: NULL aborts), so
 *     upstream names, options and errors stay upstream's.
 *   - `--<name>[="k=v ..."]` flags: in command-line order, the same way.
 * After every ajpq pass (except ajpq-verify itself) an ajpq-verify instance
 * runs on the same anchor. func.func-anchored ajpq passes on a module-level
 * manager are nested under func.func.
 */
#include "opt.h"

#include <stdlib.h>
#include <string.h>

#include "ajpq_passes.h"

/* ---- Process-lifetime storage for pass names and TypeIDs -------------- */

static MlirTypeIDAllocator g_typeid_alloc;
static bool g_have_alloc;
typedef struct {
  const ajpq_pass_info_t *info;
  MlirTypeID id;
  char *class_name; /* "AjpqTestOptions" */
} pass_kind_t;
static pass_kind_t *g_kinds;
static size_t g_num_kinds;

void opt_pipeline_cleanup(void) {
  for (size_t i = 0; i < g_num_kinds; ++i)
    free(g_kinds[i].class_name);
  free(g_kinds);
  g_kinds = NULL;
  g_num_kinds = 0;
  if (g_have_alloc)
    mlirTypeIDAllocatorDestroy(g_typeid_alloc);
  g_have_alloc = false;
}

static const pass_kind_t *kind_for(const ajpq_pass_info_t *info) {
  for (size_t i = 0; i < g_num_kinds; ++i)
    if (g_kinds[i].info == info)
      return &g_kinds[i];
  if (!g_have_alloc) {
    g_typeid_alloc = mlirTypeIDAllocatorCreate();
    g_have_alloc = true;
  }
  pass_kind_t *k = realloc(g_kinds, (g_num_kinds + 1) * sizeof(*k));
  if (!k)
    return NULL;
  g_kinds = k;
  pass_kind_t *e = &g_kinds[g_num_kinds];
  size_t n = strlen(info->name);
  e->class_name = malloc(n + 1);
  if (!e->class_name)
    return NULL;
  /* dash-case → CamelCase, as upstream pass class names. */
  size_t o = 0;
  bool up = true;
  for (size_t i = 0; i < n; ++i) {
    char c = info->name[i];
    if (c == '-') {
      up = true;
      continue;
    }
    e->class_name[o++] = (char)(up && c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
    up = false;
  }
  e->class_name[o] = '\0';
  e->info = info;
  e->id = mlirTypeIDAllocatorAllocateTypeID(g_typeid_alloc);
  ++g_num_kinds;
  return e;
}

/* ---- External pass wrapper --------------------------------------------- */

/* Per-instance user data. Cloned (deep copy) per worker thread. */
typedef struct {
  const ajpq_pass_info_t *info;
  char *opts_text;
  ajpq_pass_options_t *opts; /* NULL only if a clone ran out of memory */
  void *state;
} ext_pass_t;

static void ext_free(ext_pass_t *p) {
  if (!p)
    return;
  if (p->state && p->info->destroy)
    p->info->destroy(p->state);
  ajpq_pass_options_destroy(p->opts);
  free(p->opts_text);
  free(p);
}

/* Creates the user data; NULL with `err` set on a bad option. */
static ext_pass_t *ext_new(const ajpq_pass_info_t *info, const char *text, char *err,
                           size_t errlen) {
  ext_pass_t *p = calloc(1, sizeof(*p));
  if (!p) {
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  p->info = info;
  p->opts_text = strdup(text ? text : "");
  p->opts = ajpq_pass_options_parse(info, p->opts_text, err, errlen);
  if (!p->opts_text || !p->opts) {
    if (!p->opts_text)
      snprintf(err, errlen, "out of memory");
    ext_free(p);
    return NULL;
  }
  if (info->create)
    p->state = info->create(p->opts);
  return p;
}

static void ext_construct(void *user) {
  (void)user;
}
static void ext_destruct(void *user) {
  ext_free(user);
}

static void *ext_clone(void *user) {
  ext_pass_t *p = user;
  char err[512];
  ext_pass_t *c = ext_new(p->info, p->opts_text, err, sizeof err);
  if (!c) { /* Only out-of-memory: options parsed once already. */
    c = calloc(1, sizeof(*c));
    if (c)
      c->info = p->info;
  }
  return c;
}

static void ext_run(MlirOperation op, MlirExternalPass pass, void *user) {
  ext_pass_t *p = user;
  if (!p || !p->opts) {
    mlirEmitError(mlirOperationGetLocation(op), "ajpq pass could not be cloned (out of memory)");
    mlirExternalPassSignalFailure(pass);
    return;
  }
  if (!p->info->run(op, p->opts, p->state))
    mlirExternalPassSignalFailure(pass);
}

static MlirStringRef sref(const char *s) {
  return mlirStringRefCreateFromCString(s);
}

/* Adds one ajpq pass to `pm` (anchored on `anchor`), then ajpq-verify. */
static bool add_ajpq_pass(MlirOpPassManager pm, const char *anchor, const ajpq_pass_info_t *info,
                          const char *opts_text) {
  char err[1024];
  ext_pass_t *ud = ext_new(info, opts_text, err, sizeof err);
  if (!ud) {
    fprintf(stderr, "%s: error: %s\n", OPT_TOOL, err);
    return false;
  }
  const char *pass_anchor = info->anchor ? info->anchor : "builtin.module";
  MlirOpPassManager target = pm;
  if (strcmp(pass_anchor, anchor) != 0) {
    if (!strcmp(anchor, "builtin.module") && !strcmp(pass_anchor, "func.func")) {
      target = mlirOpPassManagerGetNestedUnder(pm, sref("func.func"));
    } else {
      fprintf(stderr,
              "%s: error: pass '%s' runs on '%s' and cannot be scheduled in a '%s' pipeline\n",
              OPT_TOOL, info->name, pass_anchor, anchor);
      ext_free(ud);
      return false;
    }
  }
  MlirExternalPassCallbacks cb = {ext_construct, ext_destruct, NULL, ext_clone, ext_run};
  const pass_kind_t *k = kind_for(info);
  if (!k) {
    fprintf(stderr, "%s: error: out of memory\n", OPT_TOOL);
    ext_free(ud);
    return false;
  }
  MlirPass pass = mlirCreateExternalPass(k->id, sref(k->class_name), sref(info->name),
                                         sref(info->summary ? info->summary : ""),
                                         sref(pass_anchor), 0, NULL, cb, ud);
  mlirOpPassManagerAddOwnedPass(target, pass);
  const ajpq_pass_info_t *verify = ajpq_passes_find("ajpq-verify");
  if (verify && verify != info) {
    ext_pass_t *vd = ext_new(verify, "", err, sizeof err);
    const pass_kind_t *vk = kind_for(verify);
    if (!vd || !vk) {
      fprintf(stderr, "%s: error: ajpq-verify: %s\n", OPT_TOOL, vd ? "out of memory" : err);
      ext_free(vd);
      return false;
    }
    /* Same anchor as the pass it checks (the verifier walks any op). */
    MlirPass vp = mlirCreateExternalPass(vk->id, sref(vk->class_name), sref(verify->name),
                                         sref(verify->summary ? verify->summary : ""),
                                         sref(pass_anchor), 0, NULL, cb, vd);
    mlirOpPassManagerAddOwnedPass(target, vp);
  }
  return true;
}

/* Adds upstream pipeline text; prints upstream's error on failure. */
static bool add_upstream(MlirOpPassManager pm, const char *text, size_t len) {
  opt_buf_t msg = {0};
  MlirLogicalResult r =
      mlirOpPassManagerAddPipeline(pm, mlirStringRefCreate(text, len), opt_buf_callback, &msg);
  bool ok = mlirLogicalResultIsSuccess(r);
  if (!ok) {
    fprintf(stderr, "%s: error: in pass pipeline element '%.*s':\n%s%s", OPT_TOOL, (int)len, text,
            msg.data ? msg.data : "(no message)\n",
            msg.len && msg.data[msg.len - 1] == '\n' ? "" : "\n");
  }
  opt_buf_free(&msg);
  return ok;
}

/* ---- Pipeline text ------------------------------------------------------ */

static void trim(const char **s, size_t *n) {
  while (*n && (**s == ' ' || **s == '\t' || **s == '\n')) {
    ++*s;
    --*n;
  }
  while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t' || (*s)[*n - 1] == '\n'))
    --*n;
}

/* One element: `name`, `name{opts}` or `name(inner)`. */
typedef struct {
  const char *text;
  size_t len;
  const char *name;
  size_t name_len;
  char open;         /* 0, '{' or '(' */
  const char *inner; /* between the brackets */
  size_t inner_len;
} element_t;

/* Splits `text` at depth-0 commas; calls `fn` per element. Returns false on
 * unbalanced brackets or quotes, or when `fn` fails. */
typedef bool (*element_fn)(const element_t *e, void *user);

static bool parse_element(const char *s, size_t n, element_t *e) {
  memset(e, 0, sizeof(*e));
  trim(&s, &n);
  e->text = s;
  e->len = n;
  size_t i = 0;
  while (i < n && s[i] != '{' && s[i] != '(')
    ++i;
  e->name = s;
  e->name_len = i;
  trim(&e->name, &e->name_len);
  if (i < n) {
    e->open = s[i];
    char close = e->open == '{' ? '}' : ')';
    if (s[n - 1] != close)
      return false;
    e->inner = s + i + 1;
    e->inner_len = n - i - 2;
  }
  return e->name_len > 0;
}

static bool g_quiet; /* no messages while only probing the text */

static bool malformed(const char *text, size_t len) {
  if (!g_quiet)
    fprintf(stderr, "%s: error: malformed pass pipeline '%.*s' (unbalanced brackets or quotes)\n",
            OPT_TOOL, (int)len, text);
  return false;
}

static bool for_each_element(const char *text, size_t len, element_fn fn, void *user) {
  int depth = 0;
  char q = 0;
  size_t start = 0;
  for (size_t i = 0; i <= len; ++i) {
    char c = i < len ? text[i] : ',';
    if (q) {
      if (c == q)
        q = 0;
      if (i < len)
        continue;
      return malformed(text, len); /* unterminated quote */
    }
    if (c == '"' || c == '\'') {
      q = c;
    } else if (c == '(' || c == '{' || c == '[') {
      ++depth;
    } else if (c == ')' || c == '}' || c == ']') {
      if (--depth < 0)
        return malformed(text, len);
    } else if (c == ',' && depth == 0) {
      element_t e;
      const char *s = text + start;
      size_t n = i - start;
      trim(&s, &n);
      if (n == 0 && i == len && start == 0)
        return true; /* empty pipeline */
      if (!parse_element(s, n, &e)) {
        if (!g_quiet)
          fprintf(stderr, "%s: error: malformed pass pipeline element '%.*s'\n", OPT_TOOL, (int)n,
                  s);
        return false;
      }
      if (!fn(&e, user))
        return false;
      start = i + 1;
    }
  }
  return depth == 0 ? true : malformed(text, len);
}

static bool name_is(const element_t *e, const char *s) {
  return strlen(s) == e->name_len && strncmp(e->name, s, e->name_len) == 0;
}

static const ajpq_pass_info_t *find_ajpq(const char *name, size_t n) {
  char buf[256];
  if (n >= sizeof buf)
    return NULL;
  memcpy(buf, name, n);
  buf[n] = '\0';
  return ajpq_passes_find(buf);
}

/* Nesting depth of op(...) pipelines; bounded so that the recursion depth
 * never follows the input. */
#define MAX_PIPELINE_DEPTH 32
static int g_depth;

static bool contains_ajpq_fn(const element_t *e, void *user) {
  bool *found = user;
  if (e->open == '(' && g_depth < MAX_PIPELINE_DEPTH) {
    ++g_depth;
    for_each_element(e->inner, e->inner_len, contains_ajpq_fn, found);
    --g_depth;
  } else if (find_ajpq(e->name, e->name_len))
    *found = true;
  return true;
}

typedef struct {
  MlirOpPassManager pm;
  const char *anchor; /* NUL-terminated */
} add_ctx_t;

static bool add_element_fn(const element_t *e, void *user) {
  add_ctx_t *c = user;
  if (e->open == '(') {
    if (g_depth >= MAX_PIPELINE_DEPTH) {
      fprintf(stderr, "%s: error: pass pipeline nested deeper than %d levels\n", OPT_TOOL,
              MAX_PIPELINE_DEPTH);
      return false;
    }
    bool has_ajpq = false;
    g_quiet = true;
    for_each_element(e->inner, e->inner_len, contains_ajpq_fn, &has_ajpq);
    g_quiet = false;
    if (!has_ajpq || name_is(e, "any"))
      return add_upstream(c->pm, e->text, e->len);
    char *anchor = malloc(e->name_len + 1);
    if (!anchor)
      return false;
    memcpy(anchor, e->name, e->name_len);
    anchor[e->name_len] = '\0';
    add_ctx_t nested = {mlirOpPassManagerGetNestedUnder(c->pm, sref(anchor)), anchor};
    ++g_depth;
    bool ok = for_each_element(e->inner, e->inner_len, add_element_fn, &nested);
    --g_depth;
    free(anchor);
    return ok;
  }
  const ajpq_pass_info_t *info = find_ajpq(e->name, e->name_len);
  if (!info)
    return add_upstream(c->pm, e->text, e->len);
  char *opts = malloc(e->inner_len + 1);
  if (!opts)
    return false;
  if (e->inner_len)
    memcpy(opts, e->inner, e->inner_len);
  opts[e->inner_len] = '\0';
  bool ok = add_ajpq_pass(c->pm, c->anchor, info, opts);
  free(opts);
  return ok;
}

/* Is `name` (no options) an upstream pass or pipeline? Uses a scratch
 * manager so the real one stays untouched. */
bool opt_upstream_pass_exists(MlirContext ctx, const char *name) {
  MlirPassManager scratch = mlirPassManagerCreateOnOperation(ctx, sref("any"));
  opt_buf_t msg = {0};
  MlirLogicalResult r = mlirOpPassManagerAddPipeline(mlirPassManagerGetAsOpPassManager(scratch),
                                                     sref(name), opt_buf_callback, &msg);
  opt_buf_free(&msg);
  mlirPassManagerDestroy(scratch);
  return mlirLogicalResultIsSuccess(r);
}

MlirPassManager opt_build_pipeline(MlirContext ctx, const opt_config_t *cfg) {
  MlirPassManager none = {NULL};
  if (cfg->pass_pipeline) {
    const char *t = cfg->pass_pipeline;
    size_t n = strlen(t);
    trim(&t, &n);
    element_t top;
    if (n == 0)
      return mlirPassManagerCreate(ctx);
    if (!parse_element(t, n, &top) || top.open != '(') {
      fprintf(stderr,
              "%s: error: expected pass pipeline to be wrapped with the anchor operation type, "
              "e.g. 'builtin.module(...)'; got '%s'\n",
              OPT_TOOL, cfg->pass_pipeline);
      return none;
    }
    char anchor[256];
    if (top.name_len >= sizeof anchor) {
      fprintf(stderr, "%s: error: anchor name too long\n", OPT_TOOL);
      return none;
    }
    memcpy(anchor, top.name, top.name_len);
    anchor[top.name_len] = '\0';
    MlirPassManager pm = mlirPassManagerCreateOnOperation(ctx, sref(anchor));
    add_ctx_t c = {mlirPassManagerGetAsOpPassManager(pm), anchor};
    if (!for_each_element(top.inner, top.inner_len, add_element_fn, &c)) {
      mlirPassManagerDestroy(pm);
      return none;
    }
    return pm;
  }
  MlirPassManager pm = mlirPassManagerCreate(ctx);
  add_ctx_t c = {mlirPassManagerGetAsOpPassManager(pm), "builtin.module"};
  for (size_t i = 0; i < cfg->num_passes; ++i) {
    const opt_pass_flag_t *f = &cfg->passes[i];
    const ajpq_pass_info_t *info = ajpq_passes_find(f->name);
    bool ok;
    if (info) {
      ok = add_ajpq_pass(c.pm, c.anchor, info, f->options);
    } else if (!opt_upstream_pass_exists(ctx, f->name)) {
      fprintf(stderr,
              "%s: error: unknown command line argument '--%s' (not a flag, an ajpq pass or an "
              "upstream pass). Try: '%s --help' or '%s --list-passes'\n",
              OPT_TOOL, f->name, OPT_TOOL, OPT_TOOL);
      ok = false;
    } else {
      opt_buf_t text = {0};
      opt_buf_append(&text, f->name, strlen(f->name));
      if (f->options) {
        opt_buf_append(&text, "{", 1);
        opt_buf_append(&text, f->options, strlen(f->options));
        opt_buf_append(&text, "}", 1);
      }
      ok = !text.oom && add_upstream(c.pm, text.data, text.len);
      opt_buf_free(&text);
    }
    if (!ok) {
      mlirPassManagerDestroy(pm);
      return none;
    }
  }
  return pm;
}
