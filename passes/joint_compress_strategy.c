/* joint_compress_strategy.c — strategy files: what --joint-compress writes
 * with strategy-out=FILE.json and ajpq-apply-strategy reads.
 *
 *   {"version": 1, "policy": "ajpq", "seed": 1, "metric": "accuracy",
 *    "metric_fp32": 0.99, "metric_result": 0.985,
 *    "budget": "target-size-ratio=0.1667",
 *    "layers": [{"name": "conv1", "op": "tosa.conv2d",
 *                "bits": [8, 0, 4, ...],          (original channel order)
 *                "importance": [1.5, 0.2, ...]}]}
 *
 * Built with cJSON (its shortest round-tripping number format, so a strategy
 * round-trips exactly) and written all-or-nothing through ajpq_output.h
 * (temporary file renamed on success). */
#include "ajpq_joint_compress.h"


#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>



/* Adds `n` integers / doubles as a JSON array member (NULL on OOM). */
static cJSON *add_bits(cJSON *obj, const char *key, const uint8_t *v, int64_t n) {
  cJSON *a = cJSON_AddArrayToObject(obj, key);
  for (int64_t i = 0; a && i < n; i++) {
    cJSON *x = cJSON_CreateNumber(v[i]);
    if (!x || !cJSON_AddItemToArray(a, x)) {
      cJSON_Delete(x);
      return NULL;
    }
  }
  return a;
}

static cJSON *add_doubles(cJSON *obj, const char *key, const double *v, int64_t n) {
  cJSON *a = cJSON_AddArrayToObject(obj, key);
  for (int64_t i = 0; a && i < n; i++) {
    cJSON *x = cJSON_CreateNumber(v ? v[i] : 0.0);
    if (!x || !cJSON_AddItemToArray(a, x)) {
      cJSON_Delete(x);
      return NULL;
    }
  }
  return a;
}

typedef struct {
  const ajpq_channel_graph_t *g;
  const ajpq_jc_strategy_t *s;
} layer_ctx_t;

static bool fill_layer(cJSON *e, int l, void *user) {
  const layer_ctx_t *c = user;
  const ajpq_cg_layer_t *L = &c->g->layers[l];
  return add_bits(e, "bits", c->s->bits[l], L->desc.cout) &&
         add_doubles(e, "importance", L->importance, L->desc.cout);
}

/* The strategy document (NULL on OOM). */
static cJSON *strategy_json(const ajpq_channel_graph_t *g, const ajpq_jc_strategy_t *s,
                            const ajpq_jc_strategy_meta_t *meta) {
  cJSON *root = cJSON_CreateObject();
  layer_ctx_t lc = {g, s};
  bool ok = root && cJSON_AddNumberToObject(root, "version", 1) &&
            cJSON_AddStringToObject(root, "policy", meta->policy ? meta->policy : "") &&
            cJSON_AddNumberToObject(root, "seed", (double)meta->seed) &&
            cJSON_AddStringToObject(root, "metric", meta->metric ? meta->metric : "") &&
            cJSON_AddNumberToObject(root, "metric_fp32", meta->metric_fp32) &&
            cJSON_AddNumberToObject(root, "metric_result", meta->metric_result) &&
            cJSON_AddStringToObject(root, "budget", meta->budget_text ? meta->budget_text : "") &&
            ajpq_cg_json_layers(root, g, fill_layer, &lc);
  if (ok && meta->act_cfg) /* activation settings, for ajpq-apply-strategy (actq) */
    ok = ajpq_jc_act_settings_add(root, g, meta->act_cfg, meta->act_calibration,
                                  meta->act_samples) &&
         ajpq_jc_wq_settings_add(root, meta->act_cfg); /* weight-clipping, bias-correction */
  if (!ok) {
    cJSON_Delete(root);
    root = NULL;
  }
  return root;
}

ajpq_status_t ajpq_jc_strategy_write(const char *path, const ajpq_channel_graph_t *g,
                                     const ajpq_jc_strategy_t *s,
                                     const ajpq_jc_strategy_meta_t *meta) {
  return ajpq_cg_json_write(strategy_json(g, s, meta), path, "strategy");
}

ajpq_status_t ajpq_jc_strategy_print_to(ajpq_output_t *out, const ajpq_channel_graph_t *g,
                                        const ajpq_jc_strategy_t *s,
                                        const ajpq_jc_strategy_meta_t *meta) {
  return ajpq_cg_json_print_to(strategy_json(g, s, meta), out, "strategy");
}

ajpq_status_t ajpq_jc_strategy_read(const char *path, const ajpq_channel_graph_t *g,
                                    ajpq_jc_strategy_t *s) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return ajpq_status_make(AJPQ_IO_ERROR, "cannot open strategy '%s': %s", path, strerror(errno));
  fseek(f, 0, SEEK_END);
  long sz = ftell(f);
  fseek(f, 0, SEEK_SET);
  if (sz < 0 || sz > (64L << 20)) {
    fclose(f);
    return ajpq_status_make(AJPQ_INVALID_ARGUMENT, "strategy '%s': bad size", path);
  }
  char *buf = malloc((size_t)sz + 1);
  if (!buf) {
    fclose(f);
    return ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED, "out of memory");
  }
  size_t got = fread(buf, 1, (size_t)sz, f);
  fclose(f);
  buf[got] = 0;
  cJSON *root = cJSON_Parse(buf);
  free(buf);
  if (!root)
    return ajpq_status_make(AJPQ_DATA_LOSS, "strategy '%s': not valid JSON", path);
  ajpq_status_t st = NULL;
  cJSON *layers = cJSON_GetObjectItemCaseSensitive(root, "layers");
  if (!cJSON_IsArray(layers)) {
    st = ajpq_status_make(AJPQ_INVALID_ARGUMENT, "strategy '%s': missing \"layers\" array", path);
    goto done;
  }
  if (cJSON_GetArraySize(layers) != g->n_layers) {
    st = ajpq_status_make(AJPQ_INVALID_ARGUMENT,
                          "strategy '%s' has %d layers, the model has %d compressible layers", path,
                          cJSON_GetArraySize(layers), g->n_layers);
    goto done;
  }
  for (int l = 0; l < g->n_layers && !st; l++) {
    const ajpq_cg_layer_t *L = &g->layers[l];
    cJSON *e = cJSON_GetArrayItem(layers, l);
    cJSON *name = cJSON_GetObjectItemCaseSensitive(e, "name");
    cJSON *bits = cJSON_GetObjectItemCaseSensitive(e, "bits");
    if (!cJSON_IsString(name) || strcmp(name->valuestring, L->name)) {
      st = ajpq_status_make(AJPQ_NOT_FOUND,
                            "strategy '%s': layer %d is '%s', the model's layer %d is '%s'", path,
                            l, cJSON_IsString(name) ? name->valuestring : "?", l, L->name);
      break;
    }
    if (!cJSON_IsArray(bits) || cJSON_GetArraySize(bits) != L->desc.cout) {
      st = ajpq_status_make(AJPQ_INVALID_ARGUMENT,
                            "strategy '%s': layer '%s' needs %lld bit-widths", path, L->name,
                            (long long)L->desc.cout);
      break;
    }
    for (int64_t c = 0; c < L->desc.cout; c++) {
      cJSON *b = cJSON_GetArrayItem(bits, (int)c);
      if (!cJSON_IsNumber(b) || b->valuedouble != (double)(int)b->valuedouble ||
          b->valueint < 0 || b->valueint > 8) {
        st = ajpq_status_make(AJPQ_INVALID_ARGUMENT,
                              "strategy '%s': layer '%s' channel %lld: bit-width must be an "
                              "integer in 0..8",
                              path, L->name, (long long)c);
        break;
      }
      s->bits[l][c] = (uint8_t)b->valueint;
    }
  }
done:
  cJSON_Delete(root);
  return st;
}
