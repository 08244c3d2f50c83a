/* ajpq-runner — runs a model (MLIR, or ONNX imported in-process) on labelled data and reports
 * top-1/top-5, binary accuracy, AUC, agreement/KL against a reference model, and latency.
 * Usage: see usage() below and issue 4. Exit 0 on success, 1 on any error (message on stderr
 * naming the file / op). */
#define _GNU_SOURCE
#include "ajpq_dialect.h"
#include "ajpq_executor.h"
#include "ajpq_io.h"
#include "ajpq_metrics.h"
#include "ajpq_output.h"
#include "engine.h"
#ifdef AJPQ_HAVE_ONNX
#include "ajpq_onnx.h"
#endif

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

typedef struct {
  const char *model, *data, *labels, *metric, *reference, *save_dir, *manifest, *split;
  const char *engine, *func, *post;
  double threshold;
  bool has_threshold, json;
  int64_t batch, limit;
  int threads;
  int weight_bits; /* 0: off; else per-channel symmetric fake quantization of every layer */
  char *in_shapes[8]; /* --input-shape NAME:DIMS (ONNX models), overriding the manifest's */
  int n_in_shapes;
} args_t;

static void usage(FILE *f) {
  fprintf(f,
          "usage: ajpq-runner [model.mlir|model.onnx] --data inputs.npy [--labels labels.npy]\n"
          "         --metric top1|top5|accuracy|auc|agreement|kl|nmse|none [--threshold T]\n"
          "         [--reference fp32.mlir] [--batch N] [--threads N] [--limit N]\n"
          "         [--save-outputs DIR] [--json] [--manifest zoo/X.json]\n"
          "         [--split calibration|evaluation|all] [--postprocess logits|probabilities|"
          "max_sigmoid[:i,j,...]]\n"
          "         [--engine reference|jit] [--func NAME] [--weight-bits B]\n"
          "         [--input-shape NAME:D0xD1x...]... (ONNX models with dynamic dims)\n"
          "With --manifest, the model (ONNX, imported in-process), data, labels, metric,\n"
          "threshold and post-processing default to the manifest's; the split defaults to\n"
          "'evaluation'. --weight-bits B fake-quantizes every conv/matmul layer's weights per\n"
          "output channel to B bits (symmetric, s = max|w| / (2^(B-1) - 1), round half to even)\n"
          "before running (the weight-swap path of the search).\n");
}

static int fail(ajpq_status_t st) {
  ajpq_status_fprint(stderr, "ajpq-runner", st);
  ajpq_status_free(st);
  return 1;
}

static bool parse_int(const char *s, int64_t lo, int64_t *out) {
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (errno || *end || end == s || v < lo || v > (1LL << 40))
    return false;
  *out = v;
  return true;
}

/* Accepts "--opt value" and "--opt=value". */
static const char *optval(int argc, char **argv, int *i, const char *name) {
  size_t n = strlen(name);
  if (strncmp(argv[*i], name, n))
    return NULL;
  if (argv[*i][n] == '=')
    return argv[*i] + n + 1;
  if (argv[*i][n] == 0 && *i + 1 < argc)
    return argv[++*i];
  return NULL;
}

static int parse_args(int argc, char **argv, args_t *a) {
  memset(a, 0, sizeof *a);
  a->batch = 1;
  a->threads = 1;
  a->engine = "reference";
  for (int i = 1; i < argc; ++i) {
    const char *v;
    int64_t x;
    if (!strcmp(argv[i], "--json")) {
      a->json = true;
    } else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
      usage(stdout);
      exit(0);
    } else if ((v = optval(argc, argv, &i, "--data"))) {
      a->data = v;
    } else if ((v = optval(argc, argv, &i, "--labels"))) {
      a->labels = v;
    } else if ((v = optval(argc, argv, &i, "--metric"))) {
      a->metric = v;
    } else if ((v = optval(argc, argv, &i, "--threshold"))) {
      char *end;
      a->threshold = strtod(v, &end);
      if (*end || end == v || !isfinite(a->threshold)) {
        fprintf(stderr, "ajpq-runner: error: --threshold '%s' is not a number\n", v);
        return 1;
      }
      a->has_threshold = true;
    } else if ((v = optval(argc, argv, &i, "--reference"))) {
      a->reference = v;
    } else if ((v = optval(argc, argv, &i, "--batch"))) {
      if (!parse_int(v, 1, &a->batch) || a->batch > 65536) {
        fprintf(stderr, "ajpq-runner: error: --batch '%s' must be an integer in 1..65536\n", v);
        return 1;
      }
    } else if ((v = optval(argc, argv, &i, "--threads"))) {
      if (!parse_int(v, 0, &x) || x > 1024) {
        fprintf(stderr, "ajpq-runner: error: --threads '%s' must be an integer in 0..1024\n", v);
        return 1;
      }
      a->threads = (int)x;
    } else if ((v = optval(argc, argv, &i, "--limit"))) {
      if (!parse_int(v, 1, &a->limit)) {
        fprintf(stderr, "ajpq-runner: error: --limit '%s' must be a positive integer\n", v);
        return 1;
      }
    } else if ((v = optval(argc, argv, &i, "--save-outputs"))) {
      a->save_dir = v;
    } else if ((v = optval(argc, argv, &i, "--manifest"))) {
      a->manifest = v;
    } else if ((v = optval(argc, argv, &i, "--split"))) {
      a->split = v;
    } else if ((v = optval(argc, argv, &i, "--engine"))) {
      a->engine = v;
    } else if ((v = optval(argc, argv, &i, "--func"))) {
      a->func = v;
    } else if ((v = optval(argc, argv, &i, "--weight-bits"))) {
      if (!parse_int(v, 2, &x) || x > 8) {
        fprintf(stderr, "ajpq-runner: error: --weight-bits '%s' must be an integer in 2..8\n", v);
        return 1;
      }
      a->weight_bits = (int)x;
    } else if ((v = optval(argc, argv, &i, "--postprocess"))) {
      a->post = v;
    } else if ((v = optval(argc, argv, &i, "--input-shape"))) {
      /* as ajpq-translate --import-onnx: the importer's "dynamic dim" error points here */
      if (!strrchr(v, ':') || strrchr(v, ':') == v || a->n_in_shapes >= 8) {
        fprintf(stderr, "ajpq-runner: error: --input-shape '%s': expected NAME:D0xD1x... (at most 8)\n",
                v);
        return 1;
      }
      a->in_shapes[a->n_in_shapes++] = (char *)v;
    } else if (argv[i][0] == '-' && argv[i][1]) {
      fprintf(stderr, "ajpq-runner: error: unknown or incomplete option '%s'\n", argv[i]);
      usage(stderr);
      return 1;
    } else if (!a->model) {
      a->model = argv[i];
    } else {
      fprintf(stderr, "ajpq-runner: error: more than one model given ('%s', '%s')\n", a->model,
              argv[i]);
      return 1;
    }
  }
  return 0;
}

static bool ends_with(const char *s, const char *suf) {
  size_t a = strlen(s), b = strlen(suf);
  return a >= b && !strcmp(s + a - b, suf);
}

/* Loads a model file (.onnx: imported in-process; anything else: MLIR text). */
static ajpq_status_t load_model(MlirContext ctx, const char *path, char **shapes, int nshapes,
                                MlirModule *out) {
  if (ends_with(path, ".onnx")) {
#ifdef AJPQ_HAVE_ONNX
    ajpq_onnx_load_dialects(ctx);
    ajpq_onnx_options_t o;
    ajpq_onnx_options_init(&o);
    ajpq_onnx_input_shape_t is[8];
    char names[8][256];
    int n = 0;
    for (int i = 0; i < nshapes && n < 8; ++i) {
      /* "NAME:1x128x128x3" where NAME may itself contain ':' (tf2onnx "input:0"). */
      const char *colon = strrchr(shapes[i], ':');
      if (!colon)
        return ajpq_status_make(AJPQ_INVALID_ARGUMENT, "input shape '%s': expected NAME:D0xD1x...",
                                shapes[i]);
      char buf[300];
      snprintf(buf, sizeof buf, "x:%s", colon + 1);
      ajpq_status_t pst = ajpq_onnx_parse_input_shape(buf, names[n], sizeof names[n], &is[n]);
      if (pst) { /* the parser names the synthetic "x:" string: name the user's own */
        ajpq_status_free(pst);
        return ajpq_status_make(AJPQ_INVALID_ARGUMENT,
                                "input shape '%s': dims must be positive integers below 2^31 "
                                "separated by 'x'",
                                shapes[i]);
      }
      size_t l = (size_t)(colon - shapes[i]);
      if (l > 255)
        l = 255;
      memcpy(names[n], shapes[i], l);
      names[n][l] = 0;
      is[n].name = names[n];
      ++n;
    }
    o.input_shapes = is;
    o.n_input_shapes = n;
    return ajpq_onnx_import_file(ctx, path, &o, out);
#else
    return ajpq_status_make(AJPQ_UNIMPLEMENTED, "%s: built without the ONNX importer", path);
#endif
  }
  return ajpq_executor_parse_file(ctx, path, out);
}

/* Per-channel symmetric fake quantization of every compressible layer (ajpq_quant_channel of the
 * dialect library, docs/dialect.md "Weight quantization"), installed with the weight swap. */
static ajpq_status_t fake_quantize_all(ajpq_executor_t *ex, int bits) {
  for (int l = 0; l < ajpq_executor_num_layers(ex); ++l) {
    const ajpq_executor_layer_t *L = ajpq_executor_layer(ex, l);
    int64_t O = L->out_channels, K = L->k;
    float *w = malloc(O * K * sizeof(float));
    uint8_t *q = malloc(K);
    if (!w || !q) {
      free(w);
      free(q);
      return ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED, "out of memory");
    }
    ajpq_status_t st = ajpq_executor_get_weights(ex, l, w);
    for (int64_t o = 0; !st && o < O; ++o) {
      float s, z;
      st = ajpq_quant_channel(w + o * K, K, bits, AJPQ_QSCHEME_SYMMETRIC, q, &s, &z);
      if (!st)
        ajpq_dequant_channel(q, K, s, z, w + o * K);
    }
    if (!st)
      st = ajpq_executor_set_weights(ex, l, w);
    free(w);
    free(q);
    if (st)
      return ajpq_status_annotate(st, "layer %d", l);
  }
  return NULL;
}

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* Runs the engine over the selected samples; outs[i] receives n samples of output i. */
/* NaN / Inf in a model output would make every metric meaningless (a NaN score sorts
 * arbitrarily: AUC came out as 1.0 for a model whose outputs were all NaN). With a metric this
 * is an error naming the model, the output and the first sample; with --metric none a warning
 * (the outputs are still saved). Returns true when the run must stop. */
static bool non_finite(const char *model, const char *out_name, const float *v, int64_t per,
                       int64_t n, const int64_t *sel, bool fatal) {
  int64_t bad = 0, first = -1;
  for (int64_t i = 0; i < n * per; ++i)
    if (!isfinite(v[i]) && bad++ == 0)
      first = i;
  if (!bad)
    return false;
  fprintf(stderr,
          "ajpq-runner: %s: %s: output '%s' has %lld non-finite values (NaN/Inf), the first at "
          "sample %lld, element %lld\n",
          fatal ? "error" : "warning", model, out_name ? out_name : "?", (long long)bad,
          (long long)sel[first / per], (long long)(first % per));
  return fatal;
}

static ajpq_status_t run_all(const ajpq_runner_engine_t *eng, void *ex, int64_t B,
                             const float *data, int64_t per_sample, const int64_t *sel, int64_t n,
                             float **outs, double *ms) {
  int nout = eng->num_outputs(ex);
  float *in = malloc(B * per_sample * sizeof(float));
  float **o = calloc(nout, sizeof(float *));
  if (!in || !o) {
    free(in);
    free(o);
    return ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED, "out of memory for a batch");
  }
  double t = 0;
  ajpq_status_t st = NULL;
  for (int64_t s = 0; s < n && !st; s += B) {
    int64_t m = n - s < B ? n - s : B;
    for (int64_t j = 0; j < m; ++j)
      memcpy(in + j * per_sample, data + sel[s + j] * per_sample, per_sample * sizeof(float));
    for (int i = 0; i < nout; ++i) {
      const ajpq_executor_tensor_info_t *oi = eng->output_info(ex, i);
      o[i] = outs[i] + s * (oi->numel / B);
    }
    const float *ins[1] = {in};
    double t0 = now_ms();
    st = eng->run(ex, m, ins, o);
    t += now_ms() - t0;
  }
  free(in);
  free(o);
  *ms = t;
  return st;
}

typedef struct {
  ajpq_postprocess_t kind;
  int outs[16];
  int nouts;
} post_t;

static int parse_post(const char *s, post_t *p) {
  memset(p, 0, sizeof *p);
  if (!strncmp(s, "max_sigmoid", 11)) {
    p->kind = AJPQ_POSTPROCESS_MAX_SIGMOID;
    s += 11;
    if (*s == ':') {
      ++s;
      while (*s && p->nouts < 16) {
        char *end;
        long v = strtol(s, &end, 10);
        if (end == s || v < 0)
          return 1;
        p->outs[p->nouts++] = (int)v;
        s = *end == ',' ? end + 1 : end;
        if (*end && *end != ',')
          return 1;
      }
    }
    return 0;
  }
  if (!strcmp(s, "logits"))
    p->kind = AJPQ_POSTPROCESS_LOGITS;
  else if (!strcmp(s, "probabilities"))
    p->kind = AJPQ_POSTPROCESS_PROBABILITIES;
  else
    return 1;
  return 0;
}

/* Does the metric read output `i`? max_sigmoid: the listed outputs (none listed: all);
 * logits / probabilities: the first listed (default 0). */
static bool metric_reads(const post_t *p, int i) {
  if (p->kind != AJPQ_POSTPROCESS_MAX_SIGMOID)
    return i == (p->nouts ? p->outs[0] : 0);
  for (int j = 0; j < p->nouts; ++j)
    if (p->outs[j] == i)
      return true;
  return p->nouts == 0;
}

/* Reports `status` (see fail) and jumps to main's cleanup. */
#define FAIL_AND_CLEAN(status)                                                                     \
  do {                                                                                             \
    fail(status);                                                                                  \
    goto done;                                                                                     \
  } while (0)

int main(int argc, char **argv) {
  /* An interrupted run must not leave --save-outputs temporary files behind
   * (support/ajpq_output.h). */
  ajpq_status_t sig_st = ajpq_output_install_signal_cleanup();
  if (sig_st) {
    fprintf(stderr, "ajpq-runner: warning: %s\n", ajpq_status_message(sig_st));
    ajpq_status_free(sig_st);
  }
  args_t a;
  if (parse_args(argc, argv, &a))
    return 1;
  const ajpq_runner_engine_t *eng = ajpq_runner_engine_find(a.engine);
  if (!eng) {
    fprintf(stderr, "ajpq-runner: error: --engine=%s is not available (built: %s)\n", a.engine,
            ajpq_runner_engine_names());
    return 1;
  }
  /* Everything below is released at `done`, on success and on every error. */
  int rc = 1;
  ajpq_manifest_t *man = NULL;
  ajpq_status_t st = NULL;
  ajpq_tensor_t *raw = NULL, *data = NULL, *labels = NULL;
  int64_t *sel = NULL, *per = NULL, *rper = NULL, *lab = NULL, *cnt = NULL;
  double *score = NULL, *rscore = NULL; /* max_sigmoid scores of the model / the reference */
  float **outs = NULL, **routs = NULL;
  int nout = 0;
  MlirContext ctx = {NULL};
  MlirModule mod = {NULL}, refmod = {NULL};
  void *ex = NULL;
  ajpq_executor_t *rex = NULL;
  if (a.manifest) {
    /* "./" paths are relative to the repository root: $AJPQ_SRC, else the parent of the
     * manifest's folder (zoo/X.json lives in <root>/zoo/). */
    const char *root = getenv("AJPQ_SRC");
    char rootbuf[4096];
    if (!root) {
      char *rp = realpath(a.manifest, NULL);
      snprintf(rootbuf, sizeof rootbuf, "%s", rp ? rp : a.manifest);
      free(rp);
      for (int k = 0; k < 2; ++k) {
        char *sl = strrchr(rootbuf, '/');
        if (sl)
          *sl = 0;
        else
          snprintf(rootbuf, sizeof rootbuf, "..");
      }
      root = rootbuf[0] ? rootbuf : "/";
    }
    if ((st = ajpq_manifest_read(a.manifest, root, &man)))
      FAIL_AND_CLEAN(st);
  }
  const char *model = a.model ? a.model : man ? (man->model_mlir ? man->model_mlir : man->model_onnx) : NULL;
  const char *data_path = a.data ? a.data : man ? man->inputs : NULL;
  const char *labels_path = a.labels ? a.labels : (man && !a.data) ? man->labels : NULL;
  const char *metric = a.metric ? a.metric : man && man->metric ? man->metric : NULL;
  double threshold = a.has_threshold ? a.threshold : man ? man->threshold : 0.5;
  if (!model || !data_path || !metric) {
    fprintf(stderr, "ajpq-runner: error: need a model, --data and --metric (or --manifest)\n");
    usage(stderr);
    goto done;
  }
  static const char *metrics[] = {"top1", "top5", "accuracy", "auc", "agreement", "kl", "nmse", "none"};
  bool known = false;
  for (size_t i = 0; i < 8; ++i)
    known |= !strcmp(metric, metrics[i]);
  if (!known) {
    fprintf(stderr, "ajpq-runner: error: unknown --metric '%s'\n", metric);
    goto done;
  }
  /* agreement / kl compare with the fp32 model: --reference, else the manifest's own model (the
   * tutorial's label-free manifests, `"metric": "agreement"`, evaluate a compressed module). */
  bool vs_ref = !strcmp(metric, "agreement") || !strcmp(metric, "kl") || !strcmp(metric, "nmse");
  /* nmse (fidelity of every output value) needs no post-processing: dense outputs (score maps,
   * embeddings, sequences) and single-probability heads have no [batch, classes] row */
  bool fidelity = !strcmp(metric, "nmse");
  if (vs_ref && !a.reference && man)
    a.reference = man->model_mlir ? man->model_mlir : man->model_onnx;
  if (vs_ref && !a.reference) {
    fprintf(stderr, "ajpq-runner: error: --metric %s needs --reference (or a --manifest whose "
                    "model.onnx is the reference)\n",
            metric);
    goto done;
  }
  post_t post = {.kind = AJPQ_POSTPROCESS_LOGITS};
  if (a.post) {
    if (parse_post(a.post, &post)) {
      fprintf(stderr, "ajpq-runner: error: bad --postprocess '%s'\n", a.post);
      goto done;
    }
  } else if (man && man->postprocess != AJPQ_POSTPROCESS_NONE) {
    post.kind = man->postprocess;
    for (int i = 0; i < man->num_post_outputs && i < 16; ++i)
      post.outs[post.nouts++] = man->post_outputs[i];
  } else if (!strcmp(metric, "accuracy") || !strcmp(metric, "auc")) {
    post.kind = AJPQ_POSTPROCESS_MAX_SIGMOID;
  }

  /* Data and labels. */
  if ((st = ends_with(data_path, ".npy") ? ajpq_npy_read(data_path, &raw)
                                         : ajpq_idx_read(data_path, &raw)))
    FAIL_AND_CLEAN(st);
  if ((st = ajpq_tensor_to_f32(raw, &data)))
    FAIL_AND_CLEAN(ajpq_status_annotate(st, "%s", data_path));
  ajpq_tensor_free(raw);
  raw = NULL;
  if (data->rank < 1 || data->dims[0] < 1) {
    fprintf(stderr, "ajpq-runner: error: %s: needs a leading sample axis with >= 1 sample\n",
            data_path);
    goto done;
  }
  int64_t total = data->dims[0];
  if (labels_path) {
    if ((st = ends_with(labels_path, ".npy") ? ajpq_npy_read(labels_path, &labels)
                                             : ajpq_idx_read(labels_path, &labels)))
      FAIL_AND_CLEAN(st);
    if ((st = ajpq_labels_check(labels, total, 0, labels_path)))
      FAIL_AND_CLEAN(st);
  }
  /* Sample selection: manifest split (default evaluation), then --limit. */
  sel = malloc(total * sizeof(int64_t) + 8);
  int64_t n = 0;
  const char *split = a.split ? a.split : (man && !a.data) ? "evaluation" : "all";
  const ajpq_range_t *r = NULL;
  int nr = man && !a.data ? ajpq_manifest_split(man, split, &r) : -1;
  /* "all" without an "all" entry in the manifest: every sample. */
  if (man && !a.data && (strcmp(split, "all") || nr >= 0)) {
    if (nr < 0) {
      fprintf(stderr, "ajpq-runner: error: unknown --split '%s' (the manifest's splits:", split);
      for (int i = 0; i < man->num_splits; ++i)
        fprintf(stderr, " %s", man->split_names[i]);
      fprintf(stderr, ", or all)\n");
      goto done;
    }
    for (int i = 0; i < nr; ++i) {
      if (r[i].end > total) {
        fprintf(stderr, "ajpq-runner: error: %s: split '%s' range [%lld, %lld) beyond %lld samples\n",
                a.manifest, split, (long long)r[i].begin, (long long)r[i].end, (long long)total);
        goto done;
      }
      for (int64_t k = r[i].begin; k < r[i].end; ++k)
        sel[n++] = k;
    }
  } else {
    if (strcmp(split, "all") && !(man && !a.data)) {
      if (strcmp(split, "all")) {
        fprintf(stderr, "ajpq-runner: error: --split needs --manifest (or 'all')\n");
        goto done;
      }
    }
    for (int64_t k = 0; k < total; ++k)
      sel[n++] = k;
  }
  if (a.limit && a.limit < n)
    n = a.limit;
  if (n == 0) {
    fprintf(stderr, "ajpq-runner: error: no samples selected\n");
    goto done;
  }

  /* Model(s). */
  ctx = ajpq_executor_context_create();
  char **shapes = NULL;
  int nshapes = 0;
  if (man) {
    shapes = man->input_shapes;
    nshapes = man->num_input_shapes;
  }
  if (a.n_in_shapes) {
    shapes = a.in_shapes;
    nshapes = a.n_in_shapes;
    /* An MLIR module's shapes are fixed at import: an --input-shape that no ONNX file reads
     * would be silently ignored, and the user would believe the run used that shape. */
    if (!ends_with(model, ".onnx") && !(a.reference && ends_with(a.reference, ".onnx"))) {
      fprintf(stderr,
              "ajpq-runner: error: --input-shape applies only to an ONNX model (imported "
              "in-process), but '%s' is MLIR whose shapes were fixed at import "
              "(ajpq-translate --import-onnx --input-shape=...)\n",
              model);
      goto done;
    }
  }
  if ((st = load_model(ctx, model, shapes, nshapes, &mod)))
    FAIL_AND_CLEAN(st);
  ajpq_executor_options_t eo;
  ajpq_executor_options_init(&eo);
  eo.batch = a.batch;
  eo.threads = a.threads;
  if ((st = eng->create(mod, a.func, &eo, &ex)))
    FAIL_AND_CLEAN(ajpq_status_annotate(st, "%s", model));
  if (eng->num_inputs(ex) != 1) {
    fprintf(stderr, "ajpq-runner: error: %s: the runner feeds exactly one input (model has %d)\n",
            model, eng->num_inputs(ex));
    goto done;
  }
  const ajpq_executor_tensor_info_t *ii = eng->input_info(ex, 0);
  int64_t per_sample = ii->numel / a.batch;
  if (ii->rank < 1 || ii->dims[0] != a.batch) {
    /* the data's first axis replaces the input's first dim: a rank-0/1 input or one whose first
     * dim is not the batch gave "sample shape does not match ... ( per sample)" */
    fprintf(stderr,
            "ajpq-runner: error: %s: input '%s' has shape [", model, ii->name);
    for (int d = 0; d < ii->rank; ++d)
      fprintf(stderr, "%s%lld", d ? "," : "", (long long)ii->dims[d]);
    fprintf(stderr, "], but the runner feeds samples along a leading batch dim (import the "
                    "model with a leading batch dim of 1, e.g. --input-shape=%s:1x...)\n",
            ii->name);
    goto done;
  }
  if (data->numel / total != per_sample || data->rank != ii->rank) {
    fprintf(stderr, "ajpq-runner: error: %s: sample shape does not match input '%s' of %s (",
            data_path, ii->name, model);
    for (int d = 1; d < ii->rank; ++d)
      fprintf(stderr, "%s%lld", d > 1 ? "x" : "", (long long)ii->dims[d]);
    fprintf(stderr, " per sample)\n");
    goto done;
  }
  for (int d = 1; d < ii->rank; ++d)
    if (data->dims[d] != ii->dims[d]) {
      fprintf(stderr, "ajpq-runner: error: %s: dim %d is %lld, input '%s' of %s wants %lld\n",
              data_path, d, (long long)data->dims[d], ii->name, model, (long long)ii->dims[d]);
      goto done;
    }
  if (a.weight_bits) {
    ajpq_executor_t *wex = eng->executor ? eng->executor(ex) : NULL;
    if (!wex) {
      fprintf(stderr, "ajpq-runner: error: --weight-bits needs an engine with the weight swap "
                      "(--engine=reference)\n");
      goto done;
    }
    if ((st = fake_quantize_all(wex, a.weight_bits)))
      FAIL_AND_CLEAN(ajpq_status_annotate(st, "%s", model));
  }
  nout = eng->num_outputs(ex);
  per = calloc(nout + 1, sizeof(int64_t));
  outs = calloc(nout + 1, sizeof(float *));
  if (!per || !outs) {
    fprintf(stderr, "ajpq-runner: error: out of memory\n");
    goto done;
  }
  for (int i = 0; i < nout; ++i) {
    const ajpq_executor_tensor_info_t *oi = eng->output_info(ex, i);
    per[i] = oi->numel / a.batch;
    outs[i] = malloc((n + a.batch) * per[i] * sizeof(float) + 4);
  }
  for (int j = 0; j < post.nouts; ++j)
    if (post.outs[j] >= nout) {
      fprintf(stderr, "ajpq-runner: error: post-processing names output %d, model has %d\n",
              post.outs[j], nout);
      goto done;
    }
  /* logits / probabilities read one [classes] row per sample: an output with more than one
   * non-unit dim per sample (a sequence [T, C], a dense map) would be flattened into one argmax
   * over all positions, a meaningless top-1 / agreement (PaddleOCR's recogniser: [1, 20, 6625]). */
  if (post.kind != AJPQ_POSTPROCESS_MAX_SIGMOID && strcmp(metric, "none") && !fidelity) {
    int o = post.nouts ? post.outs[0] : 0;
    const ajpq_executor_tensor_info_t *oi = eng->output_info(ex, o);
    int big = 0;
    for (int d = 1; d < oi->rank; ++d)
      big += oi->dims[d] > 1;
    /* One value per sample (a wake-word or binary head, [1, 1]): argmax and softmax over one
     * class are constant, so top-1/agreement would read 1 and KL 0 whatever the model does. */
    if (big == 0 && oi->numel / (oi->dims[0] ? oi->dims[0] : 1) == 1) {
      fprintf(stderr, "ajpq-runner: error: %s: post-processing '%s' needs output %d as [batch, "
                      "classes] with at least 2 classes, but it has one value per sample (a "
                      "binary score: use --postprocess max_sigmoid if it is a logit, or --metric "
                      "nmse to compare it with the reference)\n",
              model, post.kind == AJPQ_POSTPROCESS_PROBABILITIES ? "probabilities" : "logits", o);
      goto done;
    }
    if (big > 1) {
      fprintf(stderr, "ajpq-runner: error: %s: post-processing '%s' needs output %d as [batch, "
                      "classes], but it is ",
              model, post.kind == AJPQ_POSTPROCESS_PROBABILITIES ? "probabilities" : "logits", o);
      for (int d = 0; d < oi->rank; ++d)
        fprintf(stderr, "%s%lld", d ? "x" : "", (long long)oi->dims[d]);
      fprintf(stderr, " (one argmax over every position would be meaningless; use --metric none "
                      "--save-outputs DIR and compare the outputs yourself)\n");
      goto done;
    }
  }
  double ms = 0;
  if ((st = run_all(eng, ex, a.batch, data->data, per_sample, sel, n, outs, &ms)))
    FAIL_AND_CLEAN(ajpq_status_annotate(st, "%s", model));
  for (int i = 0; i < nout; ++i)
    if (non_finite(model, eng->output_info(ex, i)->name, outs[i], per[i], n, sel,
                   strcmp(metric, "none") != 0 && (fidelity || metric_reads(&post, i))))
      goto done;

  if (a.reference) {
    if ((st = load_model(ctx, a.reference, shapes, nshapes, &refmod)))
      FAIL_AND_CLEAN(st);
    if ((st = ajpq_executor_create_from_module(refmod, a.func, &eo, &rex)))
      FAIL_AND_CLEAN(ajpq_status_annotate(st, "%s", a.reference));
    int rn = ajpq_executor_num_outputs(rex);
    if (rn != nout || ajpq_executor_input_info(rex, 0)->numel != ii->numel) {
      fprintf(stderr, "ajpq-runner: error: %s: inputs/outputs differ from %s\n", a.reference,
              model);
      goto done;
    }
    rper = calloc(rn + 1, sizeof(int64_t));
    routs = calloc(rn + 1, sizeof(float *));
    for (int i = 0; i < rn; ++i) {
      rper[i] = ajpq_executor_output_info(rex, i)->numel / a.batch;
      if (rper[i] != per[i]) {
        fprintf(stderr, "ajpq-runner: error: %s: output %d has %lld values per sample, %s has %lld\n",
                a.reference, i, (long long)rper[i], model, (long long)per[i]);
        goto done;
      }
      routs[i] = malloc((n + a.batch) * rper[i] * sizeof(float) + 4);
    }
    double rms;
    if ((st = run_all(&ajpq_runner_engine_reference, rex, a.batch, data->data, per_sample, sel,
                      n, routs, &rms)))
      FAIL_AND_CLEAN(ajpq_status_annotate(st, "%s", a.reference));
    for (int i = 0; i < rn; ++i)
      if (non_finite(a.reference, ajpq_executor_output_info(rex, i)->name, routs[i], rper[i], n,
                     sel, fidelity || metric_reads(&post, i)))
        goto done;
  }

  /* Metrics. */
  lab = calloc(n + 1, sizeof(int64_t));
  for (int64_t i = 0; labels && i < n; ++i)
    lab[i] = ajpq_label_at(labels, sel[i]);
  double value = NAN, accuracy = NAN, auc = NAN, top1 = NAN, top5 = NAN, agreement = NAN,
         kl = NAN, nmse = NAN;
  bool auc_def = false;
  bool need_labels = !strcmp(metric, "top1") || !strcmp(metric, "top5") ||
                     !strcmp(metric, "accuracy") || !strcmp(metric, "auc");
  if (need_labels && !labels) {
    fprintf(stderr, "ajpq-runner: error: --metric %s needs --labels\n", metric);
    goto done;
  }
  /* The formulas live in metrics/ajpq_metrics.h, shared with --joint-compress. The runner's KL
   * clamps are the smallest that keep log finite (1e-12 for a Bernoulli score, 1e-300 for a
   * class probability), so it reports KL as exactly as double allows. Inputs were checked
   * above (non-finite outputs, labels >= classes) with messages naming the data sample, so a
   * metrics error here is not expected; it is still reported, never ignored. */
  if (fidelity) {
    cnt = malloc(nout * sizeof(int64_t));
    if (!cnt)
      FAIL_AND_CLEAN(ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED, "out of memory"));
    for (int i = 0; i < nout; ++i)
      cnt[i] = n * per[i]; /* every selected sample, every element */
    if ((st = ajpq_metrics_nmse((const float *const *)outs, (const float *const *)routs, cnt,
                                nout, &nmse)))
      FAIL_AND_CLEAN(st);
  } else if (post.kind == AJPQ_POSTPROCESS_MAX_SIGMOID) {
    score = malloc(n * sizeof(double));
    if (!score || (st = ajpq_metrics_max_sigmoid((const float *const *)outs, per, nout,
                                                 post.nouts ? post.outs : NULL, post.nouts, n,
                                                 score)))
      FAIL_AND_CLEAN(st ? st : ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED, "out of memory"));
    if (labels) {
      if ((st = ajpq_metrics_threshold_accuracy(score, lab, n, threshold, &accuracy)))
        FAIL_AND_CLEAN(st);
      st = ajpq_metrics_auc(score, lab, n, &auc);
      auc_def = !st;
      if (ajpq_status_code(st) == AJPQ_FAILED_PRECONDITION) { /* one class: reported below */
        ajpq_status_free(st);
        st = NULL;
      }
      if (st)
        FAIL_AND_CLEAN(st);
    }
    if (routs) {
      rscore = malloc(n * sizeof(double));
      if (!rscore || (st = ajpq_metrics_max_sigmoid((const float *const *)routs, rper, nout,
                                                    post.nouts ? post.outs : NULL, post.nouts, n,
                                                    rscore)))
        FAIL_AND_CLEAN(st ? st : ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED, "out of memory"));
      if ((st = ajpq_metrics_threshold_agreement(score, rscore, n, threshold, &agreement)) ||
          (st = ajpq_metrics_kl_bernoulli(rscore, score, n, 1e-12, &kl)))
        FAIL_AND_CLEAN(st);
    }
  } else {
    int o = post.nouts ? post.outs[0] : 0;
    int64_t c = per[o];
    if (labels) {
      for (int64_t i = 0; i < n; ++i)
        if (lab[i] >= c) {
          fprintf(stderr, "ajpq-runner: error: %s: label %lld at sample %lld >= %lld classes\n",
                  labels_path, (long long)lab[i], (long long)sel[i], (long long)c);
          goto done;
        }
      if ((st = ajpq_metrics_topk(outs[o], n, c, lab, 1, &top1)) ||
          (st = ajpq_metrics_topk(outs[o], n, c, lab, 5, &top5)))
        FAIL_AND_CLEAN(st);
      accuracy = top1;
    }
    if (routs) {
      bool isp = post.kind == AJPQ_POSTPROCESS_PROBABILITIES;
      if ((st = ajpq_metrics_argmax_agreement(outs[o], routs[o], n, c, &agreement)) ||
          (st = ajpq_metrics_kl_classes(routs[o], outs[o], n, c, isp, 1e-300, &kl)))
        FAIL_AND_CLEAN(st);
    }
  }
  if (!strcmp(metric, "top1")) value = top1;
  else if (!strcmp(metric, "top5")) value = top5;
  else if (!strcmp(metric, "accuracy")) value = accuracy;
  else if (!strcmp(metric, "auc")) value = auc;
  else if (!strcmp(metric, "agreement")) value = agreement;
  else if (!strcmp(metric, "kl")) value = kl;
  else if (fidelity) value = nmse;
  if (!strcmp(metric, "auc") && !auc_def) {
    fprintf(stderr, "ajpq-runner: error: AUC undefined: the selection holds only one class\n");
    goto done;
  }

  /* Outputs. */
  if (a.save_dir) {
    if (mkdir(a.save_dir, 0777) && errno != EEXIST) {
      fprintf(stderr, "ajpq-runner: error: %s: cannot create directory: %s\n", a.save_dir,
              strerror(errno));
      goto done;
    }
    for (int i = 0; i < nout; ++i) {
      const ajpq_executor_tensor_info_t *oi = eng->output_info(ex, i);
      int64_t dims[AJPQ_EXECUTOR_MAX_RANK + 1];
      int r = 0;
      dims[r++] = n;
      int64_t lead = oi->dims[0] / a.batch; /* per-sample leading dim (1 in imported models) */
      if (lead != 1)
        dims[r++] = lead;
      for (int d = 1; d < oi->rank; ++d)
        dims[r++] = oi->dims[d];
      char path[4096];
      snprintf(path, sizeof path, "%s/output_%d.npy", a.save_dir, i);
      if ((st = ajpq_npy_write_f32(path, outs[i], r, dims)))
        FAIL_AND_CLEAN(st);
    }
  }
  double lat = ms / n;
  if (a.json) {
    printf("{\"model\": \"%s\", \"metric\": \"%s\", \"value\": ", model, metric);
    if (isnan(value)) printf("null"); else printf("%.6f", value);
    printf(", \"n\": %lld", (long long)n);
    if (!isnan(accuracy)) printf(", \"accuracy\": %.6f", accuracy);
    if (auc_def) printf(", \"auc\": %.6f", auc);
    if (!isnan(top1)) printf(", \"top1\": %.6f, \"top5\": %.6f", top1, top5);
    if (!isnan(agreement)) printf(", \"agreement\": %.6f, \"kl\": %.6g", agreement, kl);
    if (!isnan(nmse)) printf(", \"nmse\": %.6g", nmse);
    printf(", \"threshold\": %g, \"latency_ms_per_sample\": %.4f, \"threads\": %d, \"batch\": %lld, "
           "\"split\": \"%s\", \"engine\": \"%s\"}\n",
           threshold, lat, a.threads, (long long)a.batch, split, a.engine);
  } else {
    printf("%-24s %s\n", "model", model);
    printf("%-24s %lld (%s)\n", "samples", (long long)n, split);
    if (!isnan(value)) printf(fidelity ? "%-24s %.6g\n" : "%-24s %.4f\n", metric, value);
    if (!isnan(accuracy) && strcmp(metric, "accuracy")) printf("%-24s %.4f\n", "accuracy", accuracy);
    if (auc_def && strcmp(metric, "auc")) printf("%-24s %.4f\n", "auc", auc);
    if (!isnan(top5) && strcmp(metric, "top5")) printf("%-24s %.4f\n", "top5", top5);
    if (!isnan(agreement) && strcmp(metric, "agreement")) printf("%-24s %.4f\n", "agreement", agreement);
    if (!isnan(kl) && strcmp(metric, "kl")) printf("%-24s %.6g\n", "kl", kl);
    printf("%-24s %.4f\n", "latency ms/sample", lat);
    printf("%-24s %d (batch %lld)\n", "threads", a.threads, (long long)a.batch);
  }
  rc = 0;
done:
  for (int i = 0; outs && i < nout; ++i)
    free(outs[i]);
  for (int i = 0; routs && i < nout; ++i)
    free(routs[i]);
  free(outs);
  free(routs);
  free(per);
  free(rper);
  free(lab);
  free(sel);
  free(cnt);
  free(score);
  free(rscore);
  if (ex)
    eng->destroy(ex);
  ajpq_executor_destroy(rex);
  if (!mlirModuleIsNull(mod))
    mlirModuleDestroy(mod);
  if (!mlirModuleIsNull(refmod))
    mlirModuleDestroy(refmod);
  if (!mlirContextIsNull(ctx))
    mlirContextDestroy(ctx);
  ajpq_tensor_free(raw);
  ajpq_tensor_free(data);
  ajpq_tensor_free(labels);
  ajpq_manifest_free(man);
  return rc;
}
