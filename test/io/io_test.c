/* io_test.c — unit tests of ajpq_io: .npy (v1/v2/v3 headers, every dtype, every malformed-file
 * error), IDX (raw and gzip, errors), label checks and the manifest reader. Test files are
 * written byte by byte here (headers spelled out as NumPy writes them), never by the library
 * under test; the only round trip test checks the writer against this hand-made reader input.
 * Usage: ajpq-io-test TMPDIR. Prints TEST:/ok/error lines for FileCheck and "FAIL" on any
 * mismatch (exit 1). */
#include "ajpq_io.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static const char *dir;
static int failures;

#define CHECK(cond)                                                                                \
  do {                                                                                             \
    if (!(cond)) {                                                                                 \
      printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);                                       \
      ++failures;                                                                                  \
    }                                                                                              \
  } while (0)

static char *path_of(const char *name) {
  static char buf[8][4096];
  static int k;
  char *p = buf[k++ % 8];
  snprintf(p, 4096, "%s/%s", dir, name);
  return p;
}

/* Writes a .npy with the given version, header dict and payload. */
static const char *write_npy(const char *name, int major, const char *dict, const void *data,
                             size_t bytes) {
  const char *p = path_of(name);
  FILE *f = fopen(p, "wb");
  size_t pre = major == 1 ? 10 : 12;
  size_t hl = strlen(dict) + 1;
  size_t pad = (64 - (pre + hl) % 64) % 64;
  hl += pad;
  fwrite("\x93NUMPY", 1, 6, f);
  fputc(major, f);
  fputc(0, f);
  if (major == 1) {
    fputc((int)(hl & 255), f);
    fputc((int)(hl >> 8), f);
  } else {
    for (int i = 0; i < 4; ++i)
      fputc((int)((hl >> (8 * i)) & 255), f);
  }
  fputs(dict, f);
  for (size_t i = 0; i < pad; ++i)
    fputc(' ', f);
  fputc('\n', f);
  if (bytes)
    fwrite(data, 1, bytes, f);
  fclose(f);
  return p;
}

static void expect_error(const char *what, ajpq_status_t st) {
  if (!st) {
    printf("FAIL %s: no error\n", what);
    ++failures;
    return;
  }
  printf("error %s: %s: %s\n", what, ajpq_status_code_name(ajpq_status_code(st)),
         ajpq_status_message(st));
  ajpq_status_free(st);
}

static void test_npy_dtypes(void) {
  printf("TEST: npy_dtypes\n");
  float f[6] = {1.5f, -2.25f, 0.f, 3e-3f, 1e10f, -7.f};
  ajpq_tensor_t *t = NULL;
  ajpq_status_t st = ajpq_npy_read(
      write_npy("f32.npy", 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", f,
                sizeof f),
      &t);
  CHECK(!st && t->dtype == AJPQ_DTYPE_F32 && t->rank == 2 && t->dims[0] == 2 &&
        t->dims[1] == 3 && memcmp(t->data, f, sizeof f) == 0);
  printf("ok f32 v1 rank %d dims %lldx%lld last %g\n", t->rank, (long long)t->dims[0],
         (long long)t->dims[1], ((float *)t->data)[5]);
  ajpq_tensor_free(t);
  double d[3] = {0.125, -1e-300, 42.0};
  st = ajpq_npy_read(write_npy("f64.npy", 2,
                               "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", d,
                               sizeof d),
                     &t);
  CHECK(!st && t->dtype == AJPQ_DTYPE_F64 && t->numel == 3 && ((double *)t->data)[2] == 42.0);
  printf("ok f64 v2 numel %lld\n", (long long)t->numel);
  ajpq_tensor_t *c = NULL;
  st = ajpq_tensor_to_f32(t, &c);
  CHECK(!st && ((float *)c->data)[0] == 0.125f);
  ajpq_tensor_free(c);
  ajpq_tensor_free(t);
  uint8_t u[4] = {0, 1, 254, 255};
  st = ajpq_npy_read(write_npy("u8.npy", 3,
                               "{'descr': '|u1', 'fortran_order': False, 'shape': (2, 2), }", u,
                               sizeof u),
                     &t);
  CHECK(!st && t->dtype == AJPQ_DTYPE_U8 && ((uint8_t *)t->data)[3] == 255);
  printf("ok u8 v3 %u\n", ((uint8_t *)t->data)[2]);
  ajpq_tensor_free(t);
  int64_t l[3] = {-5, 0, 1LL << 40};
  st = ajpq_npy_read(write_npy("i64.npy", 1,
                               "{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }", l,
                               sizeof l),
                     &t);
  CHECK(!st && t->dtype == AJPQ_DTYPE_I64 && ((int64_t *)t->data)[2] == (1LL << 40));
  printf("ok i64 %lld\n", (long long)((int64_t *)t->data)[0]);
  ajpq_tensor_free(t);
  /* scalar (rank 0) */
  float one = 1.f;
  st = ajpq_npy_read(write_npy("scalar.npy", 1,
                               "{'descr': '<f4', 'fortran_order': False, 'shape': (), }", &one, 4),
                     &t);
  CHECK(!st && t->rank == 0 && t->numel == 1);
  printf("ok scalar rank %d\n", t ? t->rank : -1);
  ajpq_tensor_free(t);
}

static void test_npy_writer(void) {
  printf("TEST: npy_writer\n");
  float v[4] = {1, 2, 3, 4};
  int64_t dims[2] = {2, 2};
  const char *p = path_of("written.npy");
  ajpq_status_t st = ajpq_npy_write_f32(p, v, 2, dims);
  CHECK(!st);
  /* Byte-level check of what we wrote: magic, version 1.0, header aligned to 64. */
  FILE *f = fopen(p, "rb");
  unsigned char h[10];
  CHECK(fread(h, 1, 10, f) == 10);
  int hl = h[8] | h[9] << 8;
  char dict[256] = {0};
  CHECK(hl < 256 && fread(dict, 1, hl, f) == (size_t)hl);
  float back[4];
  CHECK(fread(back, 4, 4, f) == 4 && memcmp(back, v, 16) == 0);
  fclose(f);
  CHECK(!memcmp(h, "\x93NUMPY\x01\x00", 8) && (10 + hl) % 64 == 0 && dict[hl - 1] == '\n');
  dict[hl - 1] = 0;
  printf("ok header %s\n", dict);
}

static void test_npy_errors(void) {
  printf("TEST: npy_errors\n");
  ajpq_tensor_t *t = NULL;
  float f[2] = {1, 2};
  const char *p = path_of("bad_magic.npy");
  FILE *fp = fopen(p, "wb");
  fputs("PK\x03\x04 this is a zip", fp);
  fclose(fp);
  expect_error("magic", ajpq_npy_read(p, &t));
  expect_error("truncated", ajpq_npy_read(write_npy("truncated.npy", 1,
                                                    "{'descr': '<f4', 'fortran_order': False, "
                                                    "'shape': (3,), }",
                                                    f, sizeof f),
                                          &t));
  float g[3] = {1, 2, 3};
  expect_error("trailing", ajpq_npy_read(write_npy("trailing.npy", 1,
                                                   "{'descr': '<f4', 'fortran_order': False, "
                                                   "'shape': (2,), }",
                                                   g, sizeof g),
                                         &t));
  float nanv[2] = {1, NAN};
  expect_error("nan", ajpq_npy_read(write_npy("nan.npy", 1,
                                              "{'descr': '<f4', 'fortran_order': False, "
                                              "'shape': (2,), }",
                                              nanv, sizeof nanv),
                                    &t));
  double infv[1] = {-INFINITY};
  expect_error("inf", ajpq_npy_read(write_npy("inf.npy", 1,
                                              "{'descr': '<f8', 'fortran_order': False, "
                                              "'shape': (1,), }",
                                              infv, sizeof infv),
                                    &t));
  expect_error("fortran", ajpq_npy_read(write_npy("fortran.npy", 1,
                                                  "{'descr': '<f4', 'fortran_order': True, "
                                                  "'shape': (2,), }",
                                                  f, sizeof f),
                                        &t));
  expect_error("dtype", ajpq_npy_read(write_npy("int32.npy", 1,
                                                "{'descr': '<i4', 'fortran_order': False, "
                                                "'shape': (2,), }",
                                                f, sizeof f),
                                      &t));
  expect_error("bigendian", ajpq_npy_read(write_npy("bigendian.npy", 1,
                                                    "{'descr': '>f4', 'fortran_order': False, "
                                                    "'shape': (2,), }",
                                                    f, sizeof f),
                                          &t));
  expect_error("shape", ajpq_npy_read(write_npy("badshape.npy", 1,
                                                "{'descr': '<f4', 'fortran_order': False, "
                                                "'shape': (2, -1), }",
                                                f, sizeof f),
                                      &t));
  expect_error("huge", ajpq_npy_read(write_npy("huge.npy", 1,
                                               "{'descr': '<f4', 'fortran_order': False, "
                                               "'shape': (1000000, 1000000), }",
                                               f, sizeof f),
                                     &t));
  p = path_of("version9.npy");
  fp = fopen(p, "wb");
  fwrite("\x93NUMPY\x09\x00\x10\x00", 1, 10, fp);
  fclose(fp);
  expect_error("version", ajpq_npy_read(p, &t));
  expect_error("missing", ajpq_npy_read(path_of("does-not-exist.npy"), &t));
}

static const char *write_idx(const char *name, bool gz, const unsigned char *magic, int rank,
                             const uint32_t *dims, const unsigned char *data, size_t n) {
  const char *p = path_of(name);
  unsigned char buf[1024];
  size_t k = 0;
  memcpy(buf, magic, 4);
  k = 4;
  for (int i = 0; i < rank; ++i) {
    buf[k++] = dims[i] >> 24;
    buf[k++] = dims[i] >> 16;
    buf[k++] = dims[i] >> 8;
    buf[k++] = dims[i];
  }
  memcpy(buf + k, data, n);
  k += n;
  if (gz) {
    gzFile g = gzopen(p, "wb");
    gzwrite(g, buf, (unsigned)k);
    gzclose(g);
  } else {
    FILE *f = fopen(p, "wb");
    fwrite(buf, 1, k, f);
    fclose(f);
  }
  return p;
}

static void test_idx(void) {
  printf("TEST: idx\n");
  const unsigned char m3[4] = {0, 0, 8, 3}, m1[4] = {0, 0, 8, 1}, bad[4] = {0, 1, 8, 3},
                      i32[4] = {0, 0, 0x0c, 1};
  uint32_t d3[3] = {2, 2, 3};
  unsigned char px[12];
  for (int i = 0; i < 12; ++i)
    px[i] = (unsigned char)(i * 20);
  ajpq_tensor_t *t = NULL;
  for (int gz = 0; gz < 2; ++gz) {
    ajpq_status_t st =
        ajpq_idx_read(write_idx(gz ? "images.idx.gz" : "images.idx", gz, m3, 3, d3, px, 12), &t);
    CHECK(!st && t->rank == 3 && t->dims[2] == 3 && ((uint8_t *)t->data)[11] == 220);
    printf("ok idx %s rank %d dims %lldx%lldx%lld last %u\n", gz ? "gz" : "raw", t->rank,
           (long long)t->dims[0], (long long)t->dims[1], (long long)t->dims[2],
           ((uint8_t *)t->data)[11]);
    ajpq_tensor_free(t);
  }
  uint32_t dl[1] = {3};
  unsigned char lab[3] = {1, 9, 0};
  ajpq_status_t st = ajpq_idx_read(write_idx("labels.idx.gz", true, m1, 1, dl, lab, 3), &t);
  CHECK(!st);
  CHECK(!ajpq_labels_check(t, 3, 10, "labels.idx.gz"));
  expect_error("label_count", ajpq_labels_check(t, 2, 10, path_of("labels.idx.gz")));
  expect_error("label_range", ajpq_labels_check(t, 3, 5, path_of("labels.idx.gz")));
  ajpq_tensor_free(t);
  expect_error("idx_magic", ajpq_idx_read(write_idx("badmagic.idx", false, bad, 3, d3, px, 12), &t));
  expect_error("idx_type", ajpq_idx_read(write_idx("int32.idx", false, i32, 1, dl, px, 12), &t));
  expect_error("idx_truncated",
               ajpq_idx_read(write_idx("short.idx.gz", true, m3, 3, d3, px, 11), &t));
  unsigned char more[13] = {0};
  expect_error("idx_trailing",
               ajpq_idx_read(write_idx("long.idx", false, m3, 3, d3, more, 13), &t));
}

static void test_manifest(void) {
  printf("TEST: manifest\n");
  const char *p = path_of("m.json");
  FILE *f = fopen(p, "w");
  fputs("{\"name\": \"x\", \"model\": {\"onnx\": \"m/model.onnx\", \"mlir_input_shapes\": "
        "[\"input:0:1x28x28x1\"]},\n"
        " \"data\": {\"inputs\": \"./in.npy\", \"labels\": \"/abs/labels.npy\"},\n"
        " \"splits\": {\"calibration\": [[0, 2]], \"evaluation\": [[2, 5], [7, 9]]},\n"
        " \"postprocess\": {\"kind\": \"max_sigmoid\", \"outputs\": [0, 2]},\n"
        " \"metric\": \"auc\", \"threshold\": 0.25, \"expected\": {\"accuracy\": 0.5}}\n",
        f);
  fclose(f);
  setenv("AJPQ_DATA", "/data/cache", 1);
  ajpq_manifest_t *m = NULL;
  ajpq_status_t st = ajpq_manifest_read(p, "/repo", &m);
  CHECK(!st);
  if (st)
    return;
  printf("ok onnx %s inputs %s labels %s shapes %d %s\n", m->model_onnx, m->inputs, m->labels,
         m->num_input_shapes, m->num_input_shapes ? m->input_shapes[0] : "-");
  printf("ok splits cal %d [%lld,%lld) eval %d [%lld,%lld) post %d outs %d,%d metric %s thr %g "
         "acc %g\n",
         m->num_calibration, (long long)m->calibration[0].begin,
         (long long)m->calibration[0].end, m->num_evaluation, (long long)m->evaluation[1].begin,
         (long long)m->evaluation[1].end, (int)m->postprocess, m->post_outputs[0],
         m->post_outputs[1], m->metric, m->threshold, m->expected_accuracy);
  ajpq_manifest_free(m);
  static const struct { const char *name, *text; } bad[] = {
      {"no-inputs.json", "{\"data\": {}}"},
      {"bad-range.json", "{\"data\": {\"inputs\": \"a\"}, \"splits\": {\"evaluation\": [[5, 2]]}}"},
      {"bad-post.json", "{\"data\": {\"inputs\": \"a\"}, \"splits\": {\"calibration\": [[0, 1]], "
                        "\"evaluation\": [[1, 2]]}, \"postprocess\": {\"kind\": \"softmax\"}}"},
      {"no-splits.json", "{\"data\": {\"inputs\": \"a\"}}"},
      {"empty-cal.json", "{\"data\": {\"inputs\": \"a\"}, \"splits\": {\"calibration\": [[3, 3]], "
                         "\"evaluation\": [[0, 2]]}}"},
      {"no-eval.json", "{\"data\": {\"inputs\": \"a\"}, \"splits\": {\"calibration\": [[0, 2]], "
                       "\"evaluation\": []}}"},
      {"dup-cal.json", "{\"data\": {\"inputs\": \"a\"}, \"splits\": {\"calibration\": [[0, 2], [1, 3]], "
                       "\"evaluation\": [[4, 5]]}}"},
      {"overlap.json", "{\"data\": {\"inputs\": \"a\"}, \"splits\": {\"calibration\": [[0, 2], [5, 9]], "
                       "\"evaluation\": [[2, 5], [8, 12]]}}"},
      {"not-json.json", "{\"data\": "},
      {"bad-shapes.json", "{\"model\": {\"mlir_input_shapes\": [7]}, \"data\": {\"inputs\": \"a\"}}"},
      /* found by the bad-input sweep (session 4): each used to be accepted or misreported */
      {"shape-dims.json", "{\"model\": {\"mlir_input_shapes\": [\"x:1x28xq\"]}, "
                          "\"data\": {\"inputs\": \"a\"}}"},
      {"shape-zero.json", "{\"model\": {\"mlir_input_shapes\": [\"x:1x0\"]}, "
                          "\"data\": {\"inputs\": \"a\"}}"},
      {"shape-noname.json", "{\"model\": {\"mlir_input_shapes\": [\":1x3\"]}, "
                            "\"data\": {\"inputs\": \"a\"}}"},
      {"metric-number.json", "{\"data\": {\"inputs\": \"a\"}, \"metric\": 5}"},
      {"model-string.json", "{\"model\": \"m.onnx\", \"data\": {\"inputs\": \"a\"}}"},
      {"expected-string.json", "{\"data\": {\"inputs\": \"a\"}, \"expected\": {\"auc\": \"1\"}}"},
      {"threshold-inf.json", "{\"data\": {\"inputs\": \"a\"}, \"threshold\": 1e999}"},
      {"dup-key.json", "{\"data\": {\"inputs\": \"a\"}, \"metric\": \"top1\", \"metric\": \"kl\"}"},
      {"dup-nested.json", "{\"data\": {\"inputs\": \"a\", \"inputs\": \"b\"}}"},
      {"nan.json", "{\"data\": {\"inputs\": \"a\"},\n \"threshold\": NaN}"},
      {"trailing.json", "{\"data\": {\"inputs\": \"a\"}} x"},
      {"empty.json", ""},
      {"array.json", "[1, 2]"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; ++i) {
    const char *q = path_of(bad[i].name);
    f = fopen(q, "w");
    fputs(bad[i].text, f);
    fclose(f);
    expect_error(bad[i].name, ajpq_manifest_read(q, NULL, &m));
  }
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: ajpq-io-test TMPDIR\n");
    return 2;
  }
  dir = argv[1];
  test_npy_dtypes();
  test_npy_writer();
  test_npy_errors();
  test_idx();
  test_manifest();
  printf("%s (%d failures)\n", failures ? "FAILED" : "PASSED", failures);
  return failures ? 1 : 0;
}
