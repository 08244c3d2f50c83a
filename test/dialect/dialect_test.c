/* dialect_test.c — unit tests of the ajpq_dialect library, run by
 * test/dialect/dialect-unit.test (FileCheck on the output).
 *
 * Pure-C math is checked against straightforward scalar re-derivations
 * written here (bit-by-bit stream extraction, double-precision rounding) and
 * against hand-derived vectors; the MLIR part builds, verifies, prints and
 * reads back every op. Every check prints "FAIL ..." and bumps the failure
 * count; main returns non-zero if any failed. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ajpq_dialect.h"
#include "mlir-c/BuiltinAttributes.h"
#include "mlir-c/BuiltinTypes.h"
#include "mlir-c/Diagnostics.h"
#include "mlir-c/Dialect/Func.h"
#include "mlir-c/IR.h"

static int failures;

#define EXPECT(cond, ...)                                                                          \
  do {                                                                                             \
    if (!(cond)) {                                                                                 \
      failures++;                                                                                  \
      printf("FAIL %s:%d: ", __FILE__, __LINE__);                                                  \
      printf(__VA_ARGS__);                                                                         \
      printf("\n");                                                                                \
    }                                                                                              \
  } while (0)

/* Deterministic LCG (seeded): reproducible inputs. */
static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint32_t next_u32(void) {
  rng = rng * 6364136223846793005ull + 1442695040888963407ull;
  return (uint32_t)(rng >> 33);
}
static float next_f(float lo, float hi) {
  return lo + (hi - lo) * (float)(next_u32() / 2147483648.0);
}

/* ---------------------------------------------------- scalar references */

/* Round half to even in double: the textbook definition. */
static double ref_rhe(double x) {
  double f = floor(x), d = x - f;
  if (d < 0.5)
    return f;
  if (d > 0.5)
    return f + 1;
  return fmod(f, 2.0) == 0.0 ? f : f + 1;
}

/* Bit i of a byte stream, LSB-first within each byte. */
static unsigned ref_bit(const uint8_t *p, int64_t i) {
  return (p[i / 8] >> (i % 8)) & 1u;
}

static void test_round_half_even(void) {
  printf("TEST: round_half_even\n");
  const float ties[] = {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f, 3.5f, 1e7f + 0.5f, -4194304.5f};
  const float want[] = {0.0f, 2.0f, 2.0f, -0.0f, -2.0f, -2.0f, 4.0f, 1e7f, -4194304.0f};
  for (size_t i = 0; i < sizeof ties / sizeof ties[0]; i++) {
    float r = ajpq_round_half_even(ties[i]);
    EXPECT(r == want[i], "rhe(%.1f) = %.1f, want %.1f", (double)ties[i], (double)r,
           (double)want[i]);
  }
  int mism = 0;
  for (int i = 0; i < 100000; i++) {
    float x = next_f(-300.0f, 300.0f);
    if (i % 3 == 0)
      x = (float)((int)x) + 0.5f; /* many exact ties */
    if (ajpq_round_half_even(x) != (float)ref_rhe(x))
      mism++;
  }
  EXPECT(mism == 0, "%d mismatches against the double reference", mism);
  EXPECT(isnan(ajpq_round_half_even(NAN)), "NaN must stay NaN");
  EXPECT(ajpq_round_half_even(INFINITY) == INFINITY, "inf must stay inf");
  printf("ties ok: rhe(0.5)=%g rhe(1.5)=%g rhe(2.5)=%g rhe(-2.5)=%g\n",
         (double)ajpq_round_half_even(0.5f), (double)ajpq_round_half_even(1.5f),
         (double)ajpq_round_half_even(2.5f), (double)ajpq_round_half_even(-2.5f));
}

static void test_pack_known_vector(void) {
  printf("TEST: pack_known_vector\n");
  /* Hand-derived: 3-bit codes 1,2,3,4,5 → stream 100 010 110 001 101 (LSB
   * first) → bytes 0xD1 0x58. */
  const uint8_t codes[5] = {1, 2, 3, 4, 5};
  uint8_t out[2] = {0xff, 0xff};
  ajpq_status_t st = ajpq_pack_row(codes, 5, 3, out);
  EXPECT(st == NULL, "pack failed: %s", ajpq_status_message(st));
  ajpq_status_free(st);
  printf("packed 3-bit {1,2,3,4,5}: 0x%02X 0x%02X\n", out[0], out[1]);
  EXPECT(out[0] == 0xD1 && out[1] == 0x58, "got %02X %02X", out[0], out[1]);
  /* Readers ignore the padding bit (bit 15): the same codes come back. */
  uint8_t dirty[2] = {0xD1, 0xD8}, back[5];
  ajpq_unpack_row(dirty, 5, 3, back);
  EXPECT(memcmp(back, codes, 5) == 0, "padding bits must be ignored by unpack");
  /* 1-bit {1,0,1,1,0,0,0,0,1} → 0x0D 0x01; 8-bit is the identity. */
  const uint8_t b1[9] = {1, 0, 1, 1, 0, 0, 0, 0, 1};
  uint8_t o1[2];
  ajpq_status_free(ajpq_pack_row(b1, 9, 1, o1));
  EXPECT(o1[0] == 0x0D && o1[1] == 0x01, "1-bit got %02X %02X", o1[0], o1[1]);
  const uint8_t b8[3] = {0, 200, 255};
  uint8_t o8[3];
  ajpq_status_free(ajpq_pack_row(b8, 3, 8, o8));
  EXPECT(memcmp(o8, b8, 3) == 0, "8-bit packing must be the identity");
}

static void test_pack_roundtrip_all_bits(void) {
  printf("TEST: pack_roundtrip_all_bits\n");
  const int64_t Ks[] = {1, 3, 7, 9, 13, 27, 63, 147};
  int checked = 0;
  for (int b = 1; b <= 8; b++) {
    for (size_t ki = 0; ki < sizeof Ks / sizeof Ks[0]; ki++) {
      int64_t K = Ks[ki];
      uint8_t codes[147], back[147], buf[160];
      for (int64_t k = 0; k < K; k++)
        codes[k] = (uint8_t)(next_u32() % (1u << b));
      int64_t nb = ajpq_packed_row_bytes(K, b);
      EXPECT(nb == (K * b + 7) / 8, "bytes(K=%lld,b=%d)=%lld", (long long)K, b, (long long)nb);
      memset(buf, 0xAA, sizeof buf);
      ajpq_status_t st = ajpq_pack_row(codes, K, b, buf);
      EXPECT(st == NULL, "pack b=%d K=%lld", b, (long long)K);
      ajpq_status_free(st);
      /* Reference: read code k from stream bits [k*b, (k+1)*b). */
      for (int64_t k = 0; k < K; k++) {
        unsigned q = 0;
        for (int i = 0; i < b; i++)
          q |= ref_bit(buf, k * b + i) << i;
        EXPECT(q == codes[k], "b=%d K=%lld code %lld: stream has %u, want %u", b, (long long)K,
               (long long)k, q, codes[k]);
      }
      for (int64_t i = K * b; i < nb * 8; i++)
        EXPECT(ref_bit(buf, i) == 0, "b=%d K=%lld: pad bit %lld not zero", b, (long long)K,
               (long long)i);
      EXPECT(buf[nb] == 0xAA, "b=%d K=%lld: wrote past the row", b, (long long)K);
      ajpq_unpack_row(buf, K, b, back);
      EXPECT(memcmp(back, codes, (size_t)K) == 0, "unpack b=%d K=%lld", b, (long long)K);
      checked++;
    }
  }
  printf("rows checked: %d\n", checked);
  /* Out-of-range code is an error naming the index. */
  const uint8_t bad[3] = {1, 4, 0};
  uint8_t o[1];
  ajpq_status_t st = ajpq_pack_row(bad, 3, 2, o);
  EXPECT(st != NULL && ajpq_status_code(st) == AJPQ_INVALID_ARGUMENT, "code 4 in 2 bits must fail");
  printf("bad code: %s\n", ajpq_status_message(st));
  ajpq_status_free(st);
}

static void test_pack_rows_and_sizes(void) {
  printf("TEST: pack_rows_and_sizes\n");
  const int8_t bits[4] = {1, 3, 8, 5};
  const int64_t K = 9;
  /* Σ ceil(9·b/8) = 2 + 4 + 9 + 6 = 21 */
  int64_t total = ajpq_packed_size(K, bits, 4);
  printf("packed size K=9 bits={1,3,8,5}: %lld\n", (long long)total);
  EXPECT(total == 21, "total %lld", (long long)total);
  uint8_t codes[4 * 9], back[4 * 9], buf[21];
  for (int c = 0; c < 4; c++)
    for (int k = 0; k < 9; k++)
      codes[c * 9 + k] = (uint8_t)(next_u32() % (1u << bits[c]));
  ajpq_status_t st = ajpq_pack_rows(codes, K, bits, 4, buf, 21);
  EXPECT(st == NULL, "pack_rows");
  ajpq_status_free(st);
  /* Row 2 (8-bit) starts at byte 2 + 4 = 6 and is the codes verbatim. */
  EXPECT(memcmp(buf + 6, codes + 18, 9) == 0, "row 2 must start at byte 6");
  st = ajpq_unpack_rows(buf, 21, K, bits, 4, back);
  EXPECT(st == NULL && memcmp(back, codes, sizeof codes) == 0, "unpack_rows");
  ajpq_status_free(st);
  st = ajpq_unpack_rows(buf, 20, K, bits, 4, back);
  EXPECT(st != NULL && ajpq_status_code(st) == AJPQ_DATA_LOSS, "short buffer must fail");
  printf("short: %s\n", ajpq_status_message(st));
  ajpq_status_free(st);
  st = ajpq_pack_rows(codes, K, bits, 4, buf, 22);
  EXPECT(st != NULL, "size mismatch must fail");
  ajpq_status_free(st);
  const int8_t zero[2] = {4, 0};
  EXPECT(ajpq_packed_size(K, zero, 2) == 5, "0-bit row takes 0 bytes");
  const int8_t nine[1] = {9};
  EXPECT(ajpq_packed_size(K, nine, 1) == -1, "9 bits is invalid");
}

/* Reference quantizer of docs/dialect.md, derived independently in double
 * where exact (codes use f32 division as specified). */
static void ref_quant(const float *w, int64_t K, int b, bool sym, uint8_t *q, float *s, float *z) {
  double lo = 0, hi = 0, mabs = 0, sabs = 0;
  for (int64_t k = 0; k < K; k++) {
    lo = fmin(lo, w[k]);
    hi = fmax(hi, w[k]);
    mabs = fmax(mabs, fabs(w[k]));
    sabs += fabs(w[k]);
  }
  if (sym && b == 1) {
    *s = (float)(2 * sabs / K);
    *z = 0.5f;
    for (int64_t k = 0; k < K; k++)
      q[k] = w[k] > 0;
    return;
  }
  int qmax = (1 << b) - 1, qlo = sym ? 1 : 0;
  *s = sym ? (float)(mabs / ((1 << (b - 1)) - 1)) : (float)((hi - lo) / qmax);
  *z = sym ? (float)(1 << (b - 1)) : (float)fmin(fmax(ref_rhe((float)-lo / *s), 0), qmax);
  for (int64_t k = 0; k < K; k++) {
    double v = ref_rhe(w[k] / *s) + *z;
    q[k] = (uint8_t)fmin(fmax(v, qlo), qmax);
  }
}

static void test_quant_against_reference(void) {
  printf("TEST: quant_against_reference\n");
  int channels = 0;
  for (int scheme = 0; scheme < 2; scheme++) {
    for (int b = 1; b <= 8; b++) {
      for (int rep = 0; rep < 20; rep++) {
        int64_t K = 1 + 2 * (int64_t)(next_u32() % 40); /* odd */
        float w[81], dq[81], rs, rz, s, z;
        uint8_t q[81], rq[81];
        float amp = rep % 2 ? 0.05f : 3.0f;
        float shift = scheme == 1 && rep % 3 == 0 ? amp : 0.0f; /* all-positive channels */
        for (int64_t k = 0; k < K; k++)
          w[k] = next_f(-amp, amp) + shift;
        bool sym = scheme == 0;
        ajpq_status_t st = ajpq_quant_channel(
            w, K, b, sym ? AJPQ_QSCHEME_SYMMETRIC : AJPQ_QSCHEME_ASYMMETRIC, q, &s, &z);
        EXPECT(st == NULL, "quant b=%d", b);
        ajpq_status_free(st);
        ref_quant(w, K, b, sym, rq, &rs, &rz);
        EXPECT(s == rs && z == rz, "b=%d sym=%d: s=%g z=%g, ref s=%g z=%g", b, sym, (double)s,
               (double)z, (double)rs, (double)rz);
        EXPECT(memcmp(q, rq, (size_t)K) == 0, "b=%d sym=%d: codes differ from reference", b, sym);
        EXPECT(isfinite(s) && s > 0, "scale must be finite > 0");
        ajpq_dequant_channel(q, K, s, z, dq);
        for (int64_t k = 0; k < K; k++) {
          EXPECT(q[k] < (1u << b), "code out of range");
          /* Within the representable range the error is at most s/2. */
          if (!(sym && b == 1))
            EXPECT(fabsf(dq[k] - w[k]) <= 0.5f * s * 1.0001f + 1e-7f,
                   "b=%d sym=%d k=%lld: |%g - %g| > s/2 = %g", b, sym, (long long)k, (double)dq[k],
                   (double)w[k], 0.5 * s);
          else
            EXPECT(fabsf(fabsf(dq[k]) - 0.5f * s) <= 1e-6f * s, "1-bit levels must be ±s/2");
        }
        channels++;
      }
    }
  }
  printf("channels checked: %d\n", channels);
}

static void test_quant_ties_and_edges(void) {
  printf("TEST: quant_ties_and_edges\n");
  /* Symmetric 4-bit, max|w| = 7 → s = 1, z = 8: w/s ties go to even. */
  const float w[5] = {7.0f, 0.5f, 1.5f, 2.5f, -2.5f};
  uint8_t q[5];
  float s, z;
  ajpq_status_free(ajpq_quant_channel(w, 5, 4, AJPQ_QSCHEME_SYMMETRIC, q, &s, &z));
  printf("4-bit ties: s=%g z=%g q={%d,%d,%d,%d,%d}\n", (double)s, (double)z, q[0], q[1], q[2], q[3],
         q[4]);
  EXPECT(s == 1.0f && z == 8.0f, "s=%g z=%g", (double)s, (double)z);
  EXPECT(q[0] == 15 && q[1] == 8 && q[2] == 10 && q[3] == 10 && q[4] == 6, "tie codes");

  /* 1-bit: α = mean|w| = 1, s = 2, z = 0.5; w = 0 maps to code 0 (−s/2). */
  const float b1[4] = {2.0f, -1.0f, 0.0f, 1.0f};
  ajpq_status_free(ajpq_quant_channel(b1, 4, 1, AJPQ_QSCHEME_SYMMETRIC, q, &s, &z));
  printf("1-bit: s=%g z=%g q={%d,%d,%d,%d}\n", (double)s, (double)z, q[0], q[1], q[2], q[3]);
  EXPECT(s == 2.0f && z == 0.5f && q[0] == 1 && q[1] == 0 && q[2] == 0 && q[3] == 1, "1-bit");

  /* All-zero channels: finite positive scale, exact zeros for b >= 2. */
  const float zero[3] = {0, 0, 0};
  for (int b = 1; b <= 8; b++)
    for (int sc = 0; sc < 2; sc++) {
      float dq[3];
      ajpq_status_t st = ajpq_quant_channel(zero, 3, b, (ajpq_qscheme_t)sc, q, &s, &z);
      EXPECT(st == NULL && isfinite(s) && s > 0, "all-zero b=%d scheme=%d: s=%g", b, sc, (double)s);
      ajpq_status_free(st);
      ajpq_dequant_channel(q, 3, s, z, dq);
      if (!(sc == 0 && b == 1))
        EXPECT(dq[0] == 0 && dq[1] == 0 && dq[2] == 0, "all-zero b=%d must dequantize to 0", b);
      else
        EXPECT(fabsf(dq[0]) <= FLT_MIN, "1-bit all-zero: |w| <= FLT_MIN");
    }
  printf("all-zero ok\n");

  /* Asymmetric 2-bit, w in [0, 3]: lo = 0, s = 1, z = 0, q = w. */
  const float a[4] = {0.0f, 1.0f, 2.0f, 3.0f};
  ajpq_status_free(ajpq_quant_channel(a, 4, 2, AJPQ_QSCHEME_ASYMMETRIC, q, &s, &z));
  EXPECT(s == 1.0f && z == 0.0f && q[0] == 0 && q[3] == 3, "asym 2-bit s=%g z=%g", (double)s,
         (double)z);

  /* Bad input: NaN, inf, K = 0, bits 0 and 9 → INVALID_ARGUMENT, outputs untouched. */
  const float nan_w[3] = {1.0f, 2.0f, NAN};
  s = -1.0f;
  ajpq_status_t st = ajpq_quant_channel(nan_w, 3, 4, AJPQ_QSCHEME_SYMMETRIC, q, &s, &z);
  EXPECT(st && ajpq_status_code(st) == AJPQ_INVALID_ARGUMENT && s == -1.0f, "NaN must fail");
  printf("nan: %s\n", ajpq_status_message(st));
  ajpq_status_free(st);
  const float inf_w[2] = {INFINITY, 0};
  st = ajpq_quant_channel(inf_w, 2, 4, AJPQ_QSCHEME_ASYMMETRIC, q, &s, &z);
  EXPECT(st != NULL, "inf must fail");
  printf("inf: %s\n", ajpq_status_message(st));
  ajpq_status_free(st);
  st = ajpq_quant_channel(a, 4, 0, AJPQ_QSCHEME_SYMMETRIC, q, &s, &z);
  EXPECT(st != NULL, "bits 0 must fail");
  printf("bits0: %s\n", ajpq_status_message(st));
  ajpq_status_free(st);
  st = ajpq_quant_channel(a, 4, 9, AJPQ_QSCHEME_SYMMETRIC, q, &s, &z);
  EXPECT(st != NULL, "bits 9 must fail");
  ajpq_status_free(st);
  st = ajpq_quant_channel(a, 0, 4, AJPQ_QSCHEME_SYMMETRIC, q, &s, &z);
  EXPECT(st != NULL, "K 0 must fail");
  ajpq_status_free(st);
  /* Huge range: scale clamps to FLT_MAX instead of overflowing. */
  const float big[2] = {-FLT_MAX, FLT_MAX};
  st = ajpq_quant_channel(big, 2, 1, AJPQ_QSCHEME_ASYMMETRIC, q, &s, &z);
  EXPECT(st == NULL && s == FLT_MAX, "huge range: s=%g", (double)s);
  ajpq_status_free(st);
}

static void test_activation(void) {
  printf("TEST: activation\n");
  ajpq_act_qparams_t p = {0.5f, -3, 8};
  /* x/s = 1.25 → 1 → -2; x/s = 0.5 tie → 0 → -3; 1.5 tie → 2 → -1; clamp. */
  const float x[8] = {0.625f, 0.25f, 0.75f, 1000.0f, -1000.0f, NAN, INFINITY, -INFINITY};
  const int8_t want[8] = {-2, -3, -1, 127, -128, -3, 127, -128};
  int8_t q[8];
  ajpq_act_quantize(x, 8, &p, q);
  for (int i = 0; i < 8; i++)
    EXPECT(q[i] == want[i], "x=%g: q=%d want %d", (double)x[i], q[i], want[i]);
  /* Reference over random values. */
  int mism = 0;
  for (int i = 0; i < 20000; i++) {
    float v = next_f(-80.0f, 80.0f);
    double r = ref_rhe(v / p.scale) + p.zero_point;
    r = fmin(fmax(r, -128), 127);
    if (ajpq_act_quantize_value(v, &p) != (int8_t)r)
      mism++;
  }
  EXPECT(mism == 0, "%d activation mismatches", mism);
  ajpq_act_qparams_t p4 = {1.0f, 0, 4};
  EXPECT(ajpq_act_quantize_value(100.0f, &p4) == 7 && ajpq_act_quantize_value(-100.0f, &p4) == -8,
         "4-bit clamp to [-8, 7]");
  float d[3];
  const int8_t qq[3] = {-128, -3, 127};
  ajpq_act_dequantize(qq, 3, 0.5f, -3, d);
  EXPECT(d[0] == -62.5f && d[1] == 0.0f && d[2] == 65.0f, "dequantize");
  ajpq_act_qparams_t r;
  ajpq_status_t st = ajpq_act_qparams_from_range(-1.0f, 3.0f, 8, false, &r);
  /* s = 4/255, z = -128 - rhe(-1/s) = -128 + 64 = -64 (−63.75 → −64). */
  EXPECT(st == NULL && r.scale == (float)(4.0 / 255.0) && r.zero_point == -64, "range: s=%g z=%d",
         (double)r.scale, r.zero_point);
  printf("range [-1,3] 8-bit: z=%d\n", r.zero_point);
  ajpq_status_free(st);
  st = ajpq_act_qparams_from_range(-2.0f, 1.0f, 8, true, &r);
  EXPECT(st == NULL && r.scale == (float)(2.0 / 127.0) && r.zero_point == 0, "symmetric range");
  ajpq_status_free(st);
  st = ajpq_act_qparams_from_range(NAN, 1.0f, 8, true, &r);
  EXPECT(st != NULL, "NaN range must fail");
  ajpq_status_free(st);
  st = ajpq_act_qparams_from_range(0.0f, 0.0f, 8, false, &r);
  EXPECT(st == NULL && r.scale == 1.0f, "zero range gives s = 1");
  ajpq_status_free(st);
}

static void test_conv_out_dim(void) {
  printf("TEST: conv_out_dim\n");
  EXPECT(ajpq_conv_out_dim(28, 3, 1, 1, 1, 1) == 28, "same conv");
  EXPECT(ajpq_conv_out_dim(28, 3, 2, 1, 1, 1) == 14, "stride 2");
  EXPECT(ajpq_conv_out_dim(7, 3, 1, 0, 0, 2) == 3, "dilation 2: (7-4-1)/1+1 = 3");
  EXPECT(ajpq_conv_out_dim(2, 3, 1, 0, 0, 1) == -1, "window does not fit");
  EXPECT(ajpq_conv_out_dim(5, 3, 0, 0, 0, 1) == -1, "stride 0");
}

/* ---------------------------------------------------------------- MLIR */

static char diag_buf[8192];
static void diag_cb(MlirStringRef s, void *u) {
  (void)u;
  size_t have = strlen(diag_buf);
  if (have + s.length + 1 < sizeof diag_buf) {
    memcpy(diag_buf + have, s.data, s.length);
    diag_buf[have + s.length] = 0;
  }
}
static MlirLogicalResult diag_handler(MlirDiagnostic d, void *u) {
  (void)u;
  if (mlirDiagnosticGetSeverity(d) == MlirDiagnosticError) {
    mlirDiagnosticPrint(d, diag_cb, NULL);
    diag_cb(mlirStringRefCreateFromCString("\n"), NULL);
  }
  return mlirLogicalResultSuccess();
}

static void print_cb(MlirStringRef s, void *u) {
  (void)u;
  fwrite(s.data, 1, s.length, stdout);
}

static MlirValue block_arg_of_type(MlirContext ctx, MlirBlock *blk, const char *type) {
  MlirType t = mlirTypeParseGet(ctx, mlirStringRefCreateFromCString(type));
  MlirLocation loc = mlirLocationUnknownGet(ctx);
  *blk = mlirBlockCreate(1, &t, &loc);
  return mlirBlockGetArgument(*blk, 0);
}

static void test_mlir_compute_roundtrip(MlirContext ctx) {
  printf("TEST: mlir_compute_roundtrip\n");
  MlirLocation loc = mlirLocationUnknownGet(ctx);
  MlirBlock blk;
  MlirValue x = block_arg_of_type(ctx, &blk, "tensor<1x8x8x4xf32>");
  /* conv 3x3, groups 2 (CinPerGroup 2), orig 6 channels, keep {0,2,3,5}. */
  const int8_t bits[4] = {2, 8, 1, 4};
  const int32_t kept[4] = {0, 2, 3, 5};
  const float scale[4] = {0.5f, 0.25f, 2.0f, 1.0f}, zp[4] = {2.0f, 128.0f, 0.5f, 8.0f};
  const float bias[4] = {0.1f, -0.2f, 0.3f, 0.0f};
  const int64_t K = 3 * 3 * 2;
  int64_t nbytes = ajpq_packed_size(K, bits, 4);
  uint8_t w[64], codes[4 * 18];
  for (int c = 0; c < 4; c++)
    for (int k = 0; k < 18; k++)
      codes[c * 18 + k] = (uint8_t)((c * 18 + k) * 37 % (1 << bits[c]));
  ajpq_status_free(ajpq_pack_rows(codes, K, bits, 4, w, nbytes));
  ajpq_compute_attrs_t a = {.kind = AJPQ_OP_CONV2D,
                            .n_kept = 4,
                            .orig_channels = 6,
                            .bits = bits,
                            .kept = kept,
                            .scale = scale,
                            .zero_point = zp,
                            .bias = bias,
                            .weights = w,
                            .weights_size = nbytes,
                            .kernel = {3, 3, 2},
                            .stride = {2, 2},
                            .pad = {1, 1, 1, 1},
                            .dilation = {1, 1},
                            .groups = 2};
  for (int storage = 0; storage < 2; storage++) {
    MlirOperation op = ajpq_build_compute(loc, x, &a, (ajpq_weights_storage_t)storage);
    EXPECT(!mlirOperationIsNull(op), "build conv2d");
    if (mlirOperationIsNull(op))
      continue;
    mlirBlockAppendOwnedOperation(blk, op);
    EXPECT(mlirOperationVerify(op), "IRDL verify");
    EXPECT(ajpq_dialect_verify_op(op), "C verify: %s", diag_buf);
    MlirType rt = mlirValueGetType(mlirOperationGetResult(op, 0));
    EXPECT(mlirShapedTypeGetDimSize(rt, 1) == 4 && mlirShapedTypeGetDimSize(rt, 3) == 4,
           "result 1x4x4x4");
    ajpq_compute_attrs_t r;
    EXPECT(ajpq_compute_read(op, &r), "read");
    EXPECT(r.n_kept == 4 && r.orig_channels == 6 && r.groups == 2 && r.kernel[2] == 2 &&
               r.stride[0] == 2 && r.pad[3] == 1 && r.dilation[1] == 1 && !r.has_input_qparams,
           "scalars read back");
    EXPECT(memcmp(r.bits, bits, 4) == 0 && memcmp(r.kept, kept, 16) == 0 &&
               memcmp(r.scale, scale, 16) == 0 && memcmp(r.zero_point, zp, 16) == 0 && r.bias &&
               memcmp(r.bias, bias, 16) == 0,
           "arrays read back");
    EXPECT(r.weights_size == nbytes && memcmp(r.weights, w, (size_t)nbytes) == 0,
           "weights read back (storage %d)", storage);
    EXPECT(ajpq_compute_k(&r) == K, "K");
    ajpq_compute_attrs_release(&r);
  }
  /* i8 matmul without bias, printed in generic form. */
  MlirBlock blk2;
  MlirValue xi = block_arg_of_type(ctx, &blk2, "tensor<2x5xi8>");
  const int8_t mb[2] = {3, 1};
  const int32_t mk[2] = {1, 2};
  const float ms[2] = {0.125f, 1.0f}, mz[2] = {4.0f, 0.5f};
  const uint8_t mw[3] = {0x01, 0x02, 0x1f};
  ajpq_compute_attrs_t m = {.kind = AJPQ_OP_MATMUL,
                            .n_kept = 2,
                            .orig_channels = 3,
                            .bits = mb,
                            .kept = mk,
                            .scale = ms,
                            .zero_point = mz,
                            .weights = mw,
                            .weights_size = 3,
                            .kernel = {5},
                            .has_input_qparams = true,
                            .input_scale = 0.5f,
                            .input_zero_point = -1};
  MlirOperation op = ajpq_build_compute(loc, xi, &m, AJPQ_WEIGHTS_DENSE);
  EXPECT(!mlirOperationIsNull(op), "build matmul");
  if (!mlirOperationIsNull(op)) {
    mlirBlockAppendOwnedOperation(blk2, op);
    EXPECT(ajpq_dialect_verify_op(op), "matmul verify: %s", diag_buf);
    mlirOperationPrint(op, print_cb, NULL);
    printf("\n");
    ajpq_compute_attrs_t r;
    EXPECT(ajpq_compute_read(op, &r) && r.has_input_qparams && r.input_scale == 0.5f &&
               r.input_zero_point == -1 && r.kernel[0] == 5 && r.bias == NULL,
           "matmul read back");
    ajpq_compute_attrs_release(&r);
  }
  /* A wrong request: i8 input without input_scale. */
  m.has_input_qparams = false;
  diag_buf[0] = 0;
  op = ajpq_build_compute(loc, xi, &m, AJPQ_WEIGHTS_DENSE);
  EXPECT(mlirOperationIsNull(op), "i8 input without qparams must not build");
  printf("build error: %s", diag_buf);
  mlirBlockDestroy(blk);
  mlirBlockDestroy(blk2);
}

static void test_mlir_act_and_map(MlirContext ctx) {
  printf("TEST: mlir_act_and_map\n");
  MlirLocation loc = mlirLocationUnknownGet(ctx);
  MlirBlock blk;
  MlirValue x = block_arg_of_type(ctx, &blk, "tensor<1x3x6xf32>");
  ajpq_act_qparams_t p = {0.25f, 3, 6};
  MlirOperation q = ajpq_build_quantize(loc, x, &p);
  mlirBlockAppendOwnedOperation(blk, q);
  MlirOperation d = ajpq_build_dequantize(loc, mlirOperationGetResult(q, 0), 0.25f, 3);
  mlirBlockAppendOwnedOperation(blk, d);
  const int32_t idx[3] = {0, 2, 5};
  ajpq_channel_map_t g = {.axis = 2, .n_indices = 3, .indices = idx};
  MlirOperation ga = ajpq_build_gather(loc, mlirOperationGetResult(d, 0), &g);
  mlirBlockAppendOwnedOperation(blk, ga);
  const float fill[6] = {0, 1, 0, 2, 3, 0};
  ajpq_channel_map_t s = {
      .axis = 2, .n_indices = 3, .indices = idx, .size = 6, .fill = fill, .n_fill = 6};
  MlirOperation sc = ajpq_build_scatter(loc, mlirOperationGetResult(ga, 0), &s);
  mlirBlockAppendOwnedOperation(blk, sc);
  diag_buf[0] = 0;
  MlirOperation ops[4] = {q, d, ga, sc};
  for (int i = 0; i < 4; i++) {
    EXPECT(mlirOperationVerify(ops[i]), "IRDL verify op %d", i);
    EXPECT(ajpq_dialect_verify_op(ops[i]), "C verify op %d: %s", i, diag_buf);
    mlirOperationPrint(ops[i], print_cb, NULL);
    printf("\n");
  }
  ajpq_act_qparams_t r;
  EXPECT(ajpq_act_read(q, &r) && r.scale == 0.25f && r.zero_point == 3 && r.bits == 6, "quantize");
  EXPECT(ajpq_act_read(d, &r) && r.bits == 8, "dequantize");
  ajpq_channel_map_t m;
  EXPECT(ajpq_channel_map_read(sc, &m) && m.axis == 2 && m.size == 6 && m.n_indices == 3 &&
             m.indices[2] == 5 && m.fill && m.fill[4] == 3.0f,
         "scatter read");
  ajpq_channel_map_release(&m);
  EXPECT(ajpq_channel_map_read(ga, &m) && m.n_indices == 3 && m.fill == NULL, "gather read");
  ajpq_channel_map_release(&m);
  mlirBlockDestroy(blk);
}

static void test_mlir_resource_missing(MlirContext ctx) {
  printf("TEST: mlir_resource_missing\n");
  const char *src =
      "func.func @f(%x: tensor<2x4xf32>) -> tensor<2x2xf32> {\n"
      "  %y = \"ajpq.matmul\"(%x) {weights = dense_resource<nope> : tensor<4xi8>, format = "
      "\"ajpq.rowpacked-lsb\", bits = array<i8: 4, 4>, kept = array<i32: 0, 2>, orig_channels = "
      "3 : i64, scale = array<f32: 0.5, 0.25>, zero_point = array<f32: 8.0, 8.0>, kernel = "
      "array<i64: 4>} : (tensor<2x4xf32>) -> tensor<2x2xf32>\n"
      "  %z = \"ajpq.matmul\"(%x) {weights = dense_resource<short> : tensor<4xi8>, format = "
      "\"ajpq.rowpacked-lsb\", bits = array<i8: 4, 4>, kept = array<i32: 0, 2>, orig_channels = "
      "3 : i64, scale = array<f32: 0.5, 0.25>, zero_point = array<f32: 8.0, 8.0>, kernel = "
      "array<i64: 4>} : (tensor<2x4xf32>) -> tensor<2x2xf32>\n"
      "  %w = \"ajpq.matmul\"(%x) {weights = dense_resource<good> : tensor<4xi8>, format = "
      "\"ajpq.rowpacked-lsb\", bits = array<i8: 4, 4>, kept = array<i32: 0, 2>, orig_channels = "
      "3 : i64, scale = array<f32: 0.5, 0.25>, zero_point = array<f32: 8.0, 8.0>, kernel = "
      "array<i64: 4>} : (tensor<2x4xf32>) -> tensor<2x2xf32>\n"
      "  return %y : tensor<2x2xf32>\n}\n"
      "{-#\n  dialect_resources: {\n    builtin: {\n      short: \"0x0100000001\",\n"
      "      good: \"0x0100000001020304\"\n    }\n  }\n#-}\n";
  MlirModule m = mlirModuleCreateParse(ctx, mlirStringRefCreateFromCString(src));
  EXPECT(!mlirModuleIsNull(m), "parse");
  if (mlirModuleIsNull(m))
    return;
  diag_buf[0] = 0;
  bool ok = ajpq_dialect_verify_all(mlirModuleGetOperation(m));
  EXPECT(!ok, "missing and short blobs must fail");
  printf("%s", diag_buf);
  /* The good one reads back. */
  MlirOperation fn = mlirBlockGetFirstOperation(mlirModuleGetBody(m));
  MlirBlock body = mlirRegionGetFirstBlock(mlirOperationGetRegion(fn, 0));
  MlirOperation y = mlirBlockGetFirstOperation(body);
  MlirOperation w = mlirOperationGetNextInBlock(mlirOperationGetNextInBlock(y));
  ajpq_compute_attrs_t r;
  EXPECT(ajpq_compute_read(w, &r) && r.weights_size == 4 && r.weights[3] == 4, "good blob");
  ajpq_compute_attrs_release(&r);
  diag_buf[0] = 0;
  EXPECT(!ajpq_compute_read(y, &r), "missing blob must not be read");
  printf("read: %s", diag_buf);
  mlirModuleDestroy(m);
}

/* Rules IRDL already enforces at parse time are re-checked by the C verifier
 * for ops built in C (mlirOperationCreate does not verify): each removed
 * attribute gets its own message. */
static void test_mlir_defensive(MlirContext ctx) {
  printf("TEST: mlir_defensive\n");
  MlirLocation loc = mlirLocationUnknownGet(ctx);
  MlirBlock blk;
  MlirValue x = block_arg_of_type(ctx, &blk, "tensor<2x4xf32>");
  const int8_t bits[1] = {8};
  const int32_t kept[1] = {0};
  const float scale[1] = {1.0f}, zp[1] = {128.0f};
  const uint8_t w[4] = {1, 2, 3, 4};
  ajpq_compute_attrs_t a = {.kind = AJPQ_OP_MATMUL,
                            .n_kept = 1,
                            .orig_channels = 1,
                            .bits = bits,
                            .kept = kept,
                            .scale = scale,
                            .zero_point = zp,
                            .weights = w,
                            .weights_size = 4,
                            .kernel = {4}};
  const char *drop[] = {"format", "bits", "kept", "orig_channels", "weights"};
  for (int i = 0; i < 5; i++) {
    MlirOperation op = ajpq_build_compute(loc, x, &a, AJPQ_WEIGHTS_DENSE);
    mlirBlockAppendOwnedOperation(blk, op);
    mlirOperationRemoveAttributeByName(op, mlirStringRefCreateFromCString(drop[i]));
    diag_buf[0] = 0;
    EXPECT(!ajpq_dialect_verify_op(op), "dropping '%s' must fail", drop[i]);
    EXPECT(!mlirOperationVerify(op), "IRDL must also reject dropping '%s'", drop[i]);
    printf("drop %s: %s", drop[i], diag_buf);
    ajpq_compute_attrs_t r;
    diag_buf[0] = 0;
    EXPECT(!ajpq_compute_read(op, &r), "reader must refuse a matmul without '%s'", drop[i]);
  }
  ajpq_act_qparams_t p = {1.0f, 0, 8};
  const char *qdrop[] = {"scale", "zero_point", "bits"};
  for (int i = 0; i < 3; i++) {
    MlirOperation op = ajpq_build_quantize(loc, x, &p);
    mlirBlockAppendOwnedOperation(blk, op);
    mlirOperationRemoveAttributeByName(op, mlirStringRefCreateFromCString(qdrop[i]));
    diag_buf[0] = 0;
    EXPECT(!ajpq_dialect_verify_op(op), "dropping '%s' must fail", qdrop[i]);
    printf("drop %s: %s", qdrop[i], diag_buf);
  }
  const int32_t idx[1] = {1};
  ajpq_channel_map_t m = {.axis = 1, .n_indices = 1, .indices = idx};
  MlirOperation g = ajpq_build_gather(loc, x, &m);
  mlirBlockAppendOwnedOperation(blk, g);
  mlirOperationRemoveAttributeByName(g, mlirStringRefCreateFromCString("axis"));
  diag_buf[0] = 0;
  EXPECT(!ajpq_dialect_verify_op(g), "gather without axis must fail");
  printf("drop axis: %s", diag_buf);
  /* Two results. */
  MlirType t = mlirValueGetType(x);
  MlirType two[2] = {t, t};
  MlirOperationState st = mlirOperationStateGet(mlirStringRefCreateFromCString("ajpq.gather"), loc);
  mlirOperationStateAddOperands(&st, 1, &x);
  mlirOperationStateAddResults(&st, 2, two);
  MlirOperation g2 = mlirOperationCreate(&st);
  mlirBlockAppendOwnedOperation(blk, g2);
  diag_buf[0] = 0;
  EXPECT(!ajpq_dialect_verify_op(g2), "two results must fail");
  printf("two results: %s", diag_buf);
  /* A large dense_resource blob (1 MiB) verifies and reads back intact. */
  int64_t K = 1 << 17;
  uint8_t *big = malloc((size_t)K);
  for (int64_t i = 0; i < K; i++)
    big[i] = (uint8_t)(i * 131 + 7);
  MlirBlock blk2;
  MlirValue xb = block_arg_of_type(ctx, &blk2, "tensor<1x131072xf32>");
  ajpq_compute_attrs_t b = a;
  b.kernel[0] = K;
  b.weights = big;
  b.weights_size = K;
  MlirOperation op = ajpq_build_compute(loc, xb, &b, AJPQ_WEIGHTS_RESOURCE);
  mlirBlockAppendOwnedOperation(blk2, op);
  diag_buf[0] = 0;
  EXPECT(ajpq_dialect_verify_op(op), "1 MiB resource: %s", diag_buf);
  ajpq_compute_attrs_t r;
  EXPECT(ajpq_compute_read(op, &r) && r.weights_size == K && memcmp(r.weights, big, (size_t)K) == 0,
         "1 MiB resource read back");
  ajpq_compute_attrs_release(&r);
  free(big);
  printf("large resource ok\n");
  mlirBlockDestroy(blk);
  mlirBlockDestroy(blk2);
}

int main(void) {
  test_round_half_even();
  test_pack_known_vector();
  test_pack_roundtrip_all_bits();
  test_pack_rows_and_sizes();
  test_quant_against_reference();
  test_quant_ties_and_edges();
  test_activation();
  test_conv_out_dim();

  MlirContext ctx = mlirContextCreate();
  mlirContextAttachDiagnosticHandler(ctx, diag_handler, NULL, NULL);
  mlirDialectHandleLoadDialect(mlirGetDialectHandle__func__(), ctx);
  printf("TEST: load\n");
  bool loaded = ajpq_dialect_load(ctx);
  EXPECT(loaded, "load: %s", diag_buf);
  EXPECT(ajpq_dialect_load(ctx), "second load is a no-op");
  printf("loaded: %d\n", loaded);
  if (loaded) {
    test_mlir_compute_roundtrip(ctx);
    test_mlir_act_and_map(ctx);
    test_mlir_resource_missing(ctx);
    test_mlir_defensive(ctx);
  }
  mlirContextDestroy(ctx);
  printf("failures: %d\n", failures);
  return failures != 0;
}
