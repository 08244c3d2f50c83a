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
 * Written to FILE.tmp and renamed on success. Numbers use %.17g so a
 * strategy round-trips exactly. */
#include "ajpq_joint_compress.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>



ajpq_status_t ajpq_jc_strategy_write(const char *path, const ajpq_channel_graph_t *g,
                                     const ajpq_jc_strategy_t *s,
                                     const ajpq_jc_strategy_meta_t *meta) {
  size_t n = strlen(path);
  char *tmp = malloc(n + 5);
  if (!tmp)
    return ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED, "out of memory");
  snprintf(tmp, n + 5, "%s.tmp", path);
  FILE *f = fopen(tmp, "w");
  if (!f) {
    ajpq_status_t st =
        ajpq_status_make(AJPQ_IO_ERROR, "cannot write strategy '%s': %s", path, strerror(errno));
    free(tmp);
    return st;
  }
  fprintf(f, "{\n  \"version\": 1,\n  \"policy\": ");
  ajpq_cg_json_string(f, meta->policy);
  fprintf(f, ",\n  \"seed\": %llu,\n  \"metric\": ", (unsigned long long)meta->seed);
  ajpq_cg_json_string(f, meta->metric);
  fprintf(f, ",\n  \"metric_fp32\": %.17g,\n  \"metric_result\": %.17g,\n  \"budget\": ",
          meta->metric_fp32, meta->metric_result);
  ajpq_cg_json_string(f, meta->budget_text);
  fprintf(f, ",\n  \"layers\": [");
  for (int l = 0; l < g->n_layers; l++) {
    const ajpq_cg_layer_t *L = &g->layers[l];
    fprintf(f, "%s\n    {\"name\": ", l ? "," : "");
    ajpq_cg_json_string(f, L->name);
    fprintf(f, ", \"op\": \"%s\", \"bits\": [", ajpq_cg_op_name(L->op_kind));
    for (int64_t c = 0; c < L->desc.cout; c++)
      fprintf(f, "%s%d", c ? ", " : "", s->bits[l][c]);
    fprintf(f, "], \"importance\": [");
    for (int64_t c = 0; c < L->desc.cout; c++)
      fprintf(f, "%s%.9g", c ? ", " : "", L->importance ? L->importance[c] : 0.0);
    fprintf(f, "]}");
  }
  fprintf(f, "\n  ]\n}\n");
  bool ok = !ferror(f);
  ok &= fclose(f) == 0;
  if (ok && rename(tmp, path) != 0)
    ok = false;
  ajpq_status_t st = NULL;
  if (!ok) {
    st = ajpq_status_make(AJPQ_IO_ERROR, "cannot write strategy '%s': %s", path, strerror(errno));
    remove(tmp);
  }
  free(tmp);
  return st;
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
