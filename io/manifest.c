/* manifest.c — zoo manifest reader (docs/manifest.md) on cJSON. */
#include "ajpq_io.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *ajpq_io_data_dir(void) {
  static char buf[4096];
  const char *d = getenv("AJPQ_DATA");
  if (d && *d)
    return d;
  const char *home = getenv("HOME");
  snprintf(buf, sizeof buf, "%s/.cache/ajpq", home && *home ? home : ".");
  return buf;
}

static char *resolve(const char *p, const char *repo_root) {
  const char *base;
  if (p[0] == '/')
    return strdup(p);
  if (!strncmp(p, "./", 2)) {
    base = repo_root ? repo_root : ".";
    p += 2;
  } else {
    base = ajpq_io_data_dir();
  }
  size_t n = strlen(base) + strlen(p) + 2;
  char *r = malloc(n);
  if (r)
    snprintf(r, n, "%s/%s", base, p);
  return r;
}

static ajpq_status_t read_all(const char *path, char **out) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return ajpq_status_make(AJPQ_IO_ERROR, "%s: cannot open: %s", path, strerror(errno));
  size_t cap = 4096, n = 0;
  char *b = malloc(cap);
  for (;;) {
    if (!b) {
      fclose(f);
      return ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED, "%s: out of memory", path);
    }
    n += fread(b + n, 1, cap - n - 1, f);
    if (n < cap - 1)
      break;
    if (cap > (1u << 24)) {
      free(b);
      fclose(f);
      return ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED, "%s: manifest larger than 16 MiB", path);
    }
    cap *= 2;
    b = realloc(b, cap);
  }
  fclose(f);
  b[n] = 0;
  *out = b;
  return NULL;
}

static ajpq_status_t ranges(const char *path, const cJSON *a, const char *key, int *count,
                            ajpq_range_t **out) {
  *count = 0;
  *out = NULL;
  if (!a)
    return NULL;
  if (!cJSON_IsArray(a))
    return ajpq_status_make(AJPQ_INVALID_ARGUMENT, "%s: 'splits.%s' must be an array", path, key);
  int n = cJSON_GetArraySize(a);
  ajpq_range_t *r = calloc(n ? n : 1, sizeof *r);
  if (!r)
    return ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED, "%s: out of memory", path);
  for (int i = 0; i < n; ++i) {
    const cJSON *e = cJSON_GetArrayItem(a, i);
    const cJSON *b = cJSON_GetArrayItem(e, 0), *en = cJSON_GetArrayItem(e, 1);
    if (!cJSON_IsArray(e) || cJSON_GetArraySize(e) != 2 || !cJSON_IsNumber(b) ||
        !cJSON_IsNumber(en) || b->valuedouble < 0 || en->valuedouble < b->valuedouble ||
        b->valuedouble != (double)(int64_t)b->valuedouble ||
        en->valuedouble != (double)(int64_t)en->valuedouble) {
      free(r);
      return ajpq_status_make(AJPQ_INVALID_ARGUMENT,
                              "%s: 'splits.%s[%d]' must be [begin, end) with 0 <= begin <= end",
                              path, key, i);
    }
    r[i].begin = (int64_t)b->valuedouble;
    r[i].end = (int64_t)en->valuedouble;
  }
  *count = n;
  *out = r;
  return NULL;
}

static int64_t range_count(int n, const ajpq_range_t *r) {
  int64_t c = 0;
  for (int i = 0; i < n; ++i)
    c += r[i].end - r[i].begin;
  return c;
}

/* docs/manifest.md: `calibration` and `evaluation` are required and never overlap. A missing or
 * empty split used to make the search calibrate on every sample (the evaluation set included). */
/* Ranges of one split must not overlap: a sample listed twice would be counted twice. */
static ajpq_status_t check_disjoint(const char *path, const char *key, int n,
                                    const ajpq_range_t *r) {
  for (int i = 0; i < n; ++i)
    for (int j = i + 1; j < n; ++j)
      if ((r[i].begin > r[j].begin ? r[i].begin : r[j].begin) <
          (r[i].end < r[j].end ? r[i].end : r[j].end))
        return ajpq_status_make(AJPQ_INVALID_ARGUMENT,
                                "%s: 'splits.%s[%d]' [%lld, %lld) and 'splits.%s[%d]' [%lld, %lld) "
                                "overlap",
                                path, key, i, (long long)r[i].begin, (long long)r[i].end, key, j,
                                (long long)r[j].begin, (long long)r[j].end);
  return NULL;
}

static ajpq_status_t check_splits(const char *path, const ajpq_manifest_t *m) {
  AJPQ_RETURN_IF_ERROR(check_disjoint(path, "calibration", m->num_calibration, m->calibration));
  AJPQ_RETURN_IF_ERROR(check_disjoint(path, "evaluation", m->num_evaluation, m->evaluation));
  if (range_count(m->num_calibration, m->calibration) < 1)
    return ajpq_status_make(AJPQ_INVALID_ARGUMENT,
                            "%s: 'splits.calibration' is missing or selects no sample (the search "
                            "calibrates on it; give at least one [begin, end) range)",
                            path);
  if (range_count(m->num_evaluation, m->evaluation) < 1)
    return ajpq_status_make(AJPQ_INVALID_ARGUMENT,
                            "%s: 'splits.evaluation' is missing or selects no sample (give at "
                            "least one [begin, end) range)",
                            path);
  for (int i = 0; i < m->num_calibration; ++i)
    for (int j = 0; j < m->num_evaluation; ++j) {
      const ajpq_range_t *c = &m->calibration[i], *e = &m->evaluation[j];
      int64_t lo = c->begin > e->begin ? c->begin : e->begin;
      int64_t hi = c->end < e->end ? c->end : e->end;
      if (lo < hi)
        return ajpq_status_make(AJPQ_INVALID_ARGUMENT,
                                "%s: 'splits.calibration[%d]' [%lld, %lld) and "
                                "'splits.evaluation[%d]' [%lld, %lld) overlap (samples [%lld, "
                                "%lld)); the evaluation must be held out",
                                path, i, (long long)c->begin, (long long)c->end, j,
                                (long long)e->begin, (long long)e->end, (long long)lo,
                                (long long)hi);
    }
  return NULL;
}

void ajpq_manifest_free(ajpq_manifest_t *m) {
  if (!m)
    return;
  free(m->name);
  free(m->model_onnx);
  free(m->model_mlir);
  free(m->inputs);
  free(m->labels);
  free(m->calibration);
  free(m->evaluation);
  free(m->post_outputs);
  free(m->metric);
  for (int i = 0; i < m->num_input_shapes; ++i)
    free(m->input_shapes[i]);
  free(m->input_shapes);
  for (int i = 0; i < m->num_splits; ++i) {
    free(m->split_names[i]);
    free(m->split_ranges[i]);
  }
  free(m->split_names);
  free(m->split_num_ranges);
  free(m->split_ranges);
  free(m);
}

int ajpq_manifest_split(const ajpq_manifest_t *m, const char *name, const ajpq_range_t **ranges) {
  for (int i = 0; m && i < m->num_splits; ++i)
    if (!strcmp(m->split_names[i], name)) {
      *ranges = m->split_ranges[i];
      return m->split_num_ranges[i];
    }
  return -1;
}

/* Every named split (docs/manifest.md: names other than calibration/evaluation are allowed and
 * selectable with the runner's --split). */
static ajpq_status_t read_all_splits(const char *path, const cJSON *splits, ajpq_manifest_t *m) {
  if (!cJSON_IsObject(splits))
    return NULL;
  int n = cJSON_GetArraySize(splits);
  m->split_names = calloc(n ? n : 1, sizeof(char *));
  m->split_num_ranges = calloc(n ? n : 1, sizeof(int));
  m->split_ranges = calloc(n ? n : 1, sizeof(ajpq_range_t *));
  if (!m->split_names || !m->split_num_ranges || !m->split_ranges)
    return ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED, "%s: out of memory", path);
  const cJSON *e;
  cJSON_ArrayForEach(e, splits) {
    if (!e->string)
      continue;
    int k = m->num_splits;
    AJPQ_RETURN_IF_ERROR(ranges(path, e, e->string, &m->split_num_ranges[k], &m->split_ranges[k]));
    m->split_names[k] = strdup(e->string);
    m->num_splits++;
    if (!m->split_names[k])
      return ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED, "%s: out of memory", path);
    AJPQ_RETURN_IF_ERROR(
        check_disjoint(path, e->string, m->split_num_ranges[k], m->split_ranges[k]));
  }
  return NULL;
}

static const char *str_at(const cJSON *o, const char *k) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* A key that is present with the wrong JSON type is an error, not "absent": `"metric": 5` or
 * `"model": "m.onnx"` used to be ignored silently, and the tools then ran with a default metric
 * or without the model the user named. want: 's' string, 'o' object, 'n' finite number. */
static ajpq_status_t check_type(const char *path, const cJSON *parent, const char *pname,
                                const char *key, char want) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(parent, key);
  if (!v)
    return NULL;
  bool ok = want == 's' ? cJSON_IsString(v)
            : want == 'o' ? cJSON_IsObject(v)
                          : cJSON_IsNumber(v) && isfinite(v->valuedouble);
  if (ok)
    return NULL;
  return ajpq_status_make(AJPQ_INVALID_ARGUMENT, "%s: '%s%s%s' must be %s", path,
                          pname ? pname : "", pname ? "." : "", key,
                          want == 's'   ? "a string"
                          : want == 'o' ? "an object"
                                        : "a finite number");
}

/* cJSON keeps every member of an object and its lookups return the first one, so a repeated key
 * ("metric": "top1", ..., "metric": "kl") would silently lose the value the user wrote last. */
static ajpq_status_t check_duplicate_keys(const char *path, const cJSON *o, int depth) {
  if (depth > 64)
    return NULL; /* deeper than anything a manifest reads; the parser bounds nesting itself */
  for (const cJSON *a = o ? o->child : NULL; a; a = a->next) {
    if (cJSON_IsObject(o) && a->string)
      for (const cJSON *b = a->next; b; b = b->next)
        if (b->string && !strcmp(a->string, b->string))
          return ajpq_status_make(AJPQ_INVALID_ARGUMENT, "%s: key '%s' appears more than once",
                                  path, a->string);
    if (cJSON_IsObject(a) || cJSON_IsArray(a))
      AJPQ_RETURN_IF_ERROR(check_duplicate_keys(path, a, depth + 1));
  }
  return NULL;
}

/* "NAME:D0xD1x..." with NAME non-empty (it may contain ':', tf2onnx "input:0") and 1..8 dims,
 * each an integer in [1, 2^31): checked here so that a manifest whose model is already MLIR
 * (the shapes then unused by the search) is not accepted by one tool and rejected by another. */
static bool valid_input_shape(const char *s) {
  const char *colon = strrchr(s, ':');
  if (!colon || colon == s || !colon[1])
    return false;
  int ndim = 0;
  for (const char *p = colon + 1;;) {
    if (*p < '0' || *p > '9')
      return false;
    char *end;
    errno = 0;
    long long d = strtoll(p, &end, 10);
    if (errno || d < 1 || d >= (1LL << 31) || ++ndim > 8)
      return false;
    if (!*end)
      return true;
    if (*end != 'x')
      return false;
    p = end + 1;
  }
}

ajpq_status_t ajpq_manifest_read(const char *path, const char *repo_root, ajpq_manifest_t **out) {
  char *text = NULL;
  AJPQ_RETURN_IF_ERROR(read_all(path, &text));
  const char *end = NULL;
  cJSON *root = cJSON_ParseWithOpts(text, &end, true);
  if (!root) {
    /* name where the parse stopped: a truncated file, NaN, a trailing comma, ... */
    int line = 1, col = 1;
    for (const char *p = text; end && p < end && *p; ++p)
      *p == '\n' ? (++line, col = 1) : ++col;
    ajpq_status_t e = ajpq_status_make(
        AJPQ_DATA_LOSS, "%s: not valid JSON (parse error at line %d, column %d%s)", path, line,
        col, end && !*end ? ": unexpected end of file" : "");
    free(text);
    return e;
  }
  free(text);
  if (!cJSON_IsObject(root)) {
    cJSON_Delete(root);
    return ajpq_status_make(AJPQ_DATA_LOSS, "%s: not a JSON object", path);
  }
  ajpq_status_t st = check_duplicate_keys(path, root, 0);
  static const struct {
    const char *parent, *key;
    char want;
  } k_types[] = {{NULL, "name", 's'},          {NULL, "model", 'o'},
                 {"model", "onnx", 's'},       {"model", "mlir", 's'},
                 {NULL, "data", 'o'},          {"data", "labels", 's'},
                 {NULL, "splits", 'o'},        {NULL, "postprocess", 'o'},
                 {NULL, "metric", 's'},        {NULL, "threshold", 'n'},
                 {NULL, "expected", 'o'},      {"expected", "accuracy", 'n'},
                 {"expected", "auc", 'n'},     {"expected", "top1", 'n'}};
  for (size_t i = 0; !st && i < sizeof k_types / sizeof k_types[0]; ++i) {
    const cJSON *parent =
        k_types[i].parent ? cJSON_GetObjectItemCaseSensitive(root, k_types[i].parent) : root;
    st = check_type(path, parent, k_types[i].parent, k_types[i].key, k_types[i].want);
  }
  if (st) {
    cJSON_Delete(root);
    return st;
  }
  ajpq_manifest_t *m = calloc(1, sizeof *m);
  if (!m) {
    cJSON_Delete(root);
    return ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED, "%s: out of memory", path);
  }
  m->threshold = 0.5;
  const char *s;
  if ((s = str_at(root, "name")))
    m->name = strdup(s);
  const cJSON *model = cJSON_GetObjectItemCaseSensitive(root, "model");
  if ((s = str_at(model, "onnx")))
    m->model_onnx = resolve(s, repo_root);
  if ((s = str_at(model, "mlir")))
    m->model_mlir = resolve(s, repo_root);
  const cJSON *shapes = cJSON_GetObjectItemCaseSensitive(model, "mlir_input_shapes");
  if (shapes) {
    int n = cJSON_IsArray(shapes) ? cJSON_GetArraySize(shapes) : -1;
    m->input_shapes = calloc(n > 0 ? n : 1, sizeof(char *));
    for (int i = 0; i < n && m->input_shapes; ++i) {
      const cJSON *e = cJSON_GetArrayItem(shapes, i);
      if (!cJSON_IsString(e) || !valid_input_shape(e->valuestring)) {
        n = -1;
        break;
      }
      m->input_shapes[m->num_input_shapes++] = strdup(e->valuestring);
    }
    if (n < 0 || !m->input_shapes) {
      st = ajpq_status_make(AJPQ_INVALID_ARGUMENT,
                            "%s: 'model.mlir_input_shapes' must be an array of \"NAME:DxD...\" "
                            "(at most 8 dims, each an integer in [1, 2^31))",
                            path);
      goto done;
    }
  }
  const cJSON *data = cJSON_GetObjectItemCaseSensitive(root, "data");
  if (!(s = str_at(data, "inputs"))) {
    st = ajpq_status_make(AJPQ_INVALID_ARGUMENT, "%s: missing string 'data.inputs'", path);
    goto done;
  }
  m->inputs = resolve(s, repo_root);
  if ((s = str_at(data, "labels")))
    m->labels = resolve(s, repo_root);
  const cJSON *splits = cJSON_GetObjectItemCaseSensitive(root, "splits");
  if ((st = ranges(path, cJSON_GetObjectItemCaseSensitive(splits, "calibration"), "calibration",
                   &m->num_calibration, &m->calibration)))
    goto done;
  if ((st = ranges(path, cJSON_GetObjectItemCaseSensitive(splits, "evaluation"), "evaluation",
                   &m->num_evaluation, &m->evaluation)))
    goto done;
  if ((st = check_splits(path, m)) || (st = read_all_splits(path, splits, m)))
    goto done;
  const cJSON *post = cJSON_GetObjectItemCaseSensitive(root, "postprocess");
  if (post) {
    const char *kind = str_at(post, "kind");
    if (!kind) {
      st = ajpq_status_make(AJPQ_INVALID_ARGUMENT, "%s: missing string 'postprocess.kind'", path);
      goto done;
    }
    if (!strcmp(kind, "max_sigmoid"))
      m->postprocess = AJPQ_POSTPROCESS_MAX_SIGMOID;
    else if (!strcmp(kind, "logits"))
      m->postprocess = AJPQ_POSTPROCESS_LOGITS;
    else if (!strcmp(kind, "probabilities"))
      m->postprocess = AJPQ_POSTPROCESS_PROBABILITIES;
    else {
      st = ajpq_status_make(AJPQ_INVALID_ARGUMENT, "%s: unknown 'postprocess.kind' \"%s\"", path,
                            kind);
      goto done;
    }
    const cJSON *outs = cJSON_GetObjectItemCaseSensitive(post, "outputs");
    if (outs) {
      if (!cJSON_IsArray(outs)) {
        st = ajpq_status_make(AJPQ_INVALID_ARGUMENT, "%s: 'postprocess.outputs' must be an array",
                              path);
        goto done;
      }
      int n = cJSON_GetArraySize(outs);
      m->post_outputs = calloc(n ? n : 1, sizeof(int));
      for (int i = 0; i < n; ++i) {
        const cJSON *e = cJSON_GetArrayItem(outs, i);
        if (!cJSON_IsNumber(e) || e->valuedouble < 0 || e->valuedouble > 1e6) {
          st = ajpq_status_make(AJPQ_INVALID_ARGUMENT,
                                "%s: 'postprocess.outputs[%d]' must be an output index", path, i);
          goto done;
        }
        m->post_outputs[i] = (int)e->valuedouble;
      }
      m->num_post_outputs = n;
    }
  }
  if ((s = str_at(root, "metric")))
    m->metric = strdup(s);
  const cJSON *th = cJSON_GetObjectItemCaseSensitive(root, "threshold");
  if (th) {
    if (!cJSON_IsNumber(th)) {
      st = ajpq_status_make(AJPQ_INVALID_ARGUMENT, "%s: 'threshold' must be a number", path);
      goto done;
    }
    m->threshold = th->valuedouble;
  }
  const cJSON *ex = cJSON_GetObjectItemCaseSensitive(root, "expected");
  const cJSON *v;
  if ((v = cJSON_GetObjectItemCaseSensitive(ex, "accuracy")) && cJSON_IsNumber(v))
    m->has_expected_accuracy = true, m->expected_accuracy = v->valuedouble;
  if ((v = cJSON_GetObjectItemCaseSensitive(ex, "auc")) && cJSON_IsNumber(v))
    m->has_expected_auc = true, m->expected_auc = v->valuedouble;
  if ((v = cJSON_GetObjectItemCaseSensitive(ex, "top1")) && cJSON_IsNumber(v))
    m->has_expected_top1 = true, m->expected_top1 = v->valuedouble;
done:
  cJSON_Delete(root);
  if (st) {
    ajpq_manifest_free(m);
    return st;
  }
  *out = m;
  return NULL;
}
