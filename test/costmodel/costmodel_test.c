/* costmodel_test.c — unit tests of ajpq_costmodel against hand-computed
 * values (each expected number is derived in the comment above it). Run by
 * costmodel.test; prints `TEST: name` banners, exits 1 on any failure. */
#include "ajpq_costmodel.h"

#include <stdio.h>
#include <stdlib.h>

static int failures;

#define EXPECT_EQ(a, b)                                                                            \
  do {                                                                                             \
    long long va_ = (long long)(a), vb_ = (long long)(b);                                          \
    if (va_ != vb_) {                                                                              \
      printf("FAIL %s:%d: %s = %lld, expected %lld\n", __FILE__, __LINE__, #a, va_, vb_);          \
      failures++;                                                                                  \
    }                                                                                              \
  } while (0)

static ajpq_costmodel_cost_t cost(const ajpq_costmodel_layer_t *l, const uint8_t *bits, const uint8_t *in,
                              int act) {
  ajpq_costmodel_cost_t c = {0};
  ajpq_status_t s = ajpq_costmodel_layer(l, bits, in, act, &c);
  if (s) {
    ajpq_status_fprint(stdout, "FAIL", s);
    ajpq_status_free(s);
    failures++;
  }
  return c;
}

static const ajpq_costmodel_layer_t conv = {AJPQ_COSTMODEL_CONV, 3, 4, 3, 3, 1, 8, 8, true, false};

/* conv 3->4, 3x3, 8x8 output, bias; K = 27 weights per channel. */
static void test_conv_mixed(void) {
  printf("TEST: conv_mixed\n");
  const uint8_t bits[4] = {8, 4, 0, 2};
  ajpq_costmodel_cost_t c = cost(&conv, bits, NULL, 8);
  /* 3 kept channels x 64 positions x 27 = 5184 */
  EXPECT_EQ(c.macs, 5184);
  /* 64*27*(8+4+2)*8 = 193536 */
  EXPECT_EQ(c.bitops, 193536);
  /* payload ceil(216/8)=27 + ceil(108/8)=14 + ceil(54/8)=7 = 48; meta 3*(4 scale + 1 bit code)
   * = 15 (symmetric: zero point implied); bias 3*4 = 12; kept-channel bitmask ceil(4/8) = 1 */
  EXPECT_EQ(c.weight_bytes, 76);
  EXPECT_EQ(c.kept_channels, 3);
  EXPECT_EQ(c.erased_channels, 1);
  /* 27*14 = 378 bits over 108 weights = 3.5 */
  EXPECT_EQ(c.payload_bits, 378);
  EXPECT_EQ(ajpq_costmodel_avg_bits(&c) * 1000, 3500);
  printf("macs=%lld bitops=%lld bytes=%lld\n", (long long)c.macs, (long long)c.bitops,
         (long long)c.weight_bytes);
}

/* NULL bits = the fp32 layer: 4 bytes per weight and bias, no metadata. */
static void test_conv_fp32(void) {
  printf("TEST: conv_fp32\n");
  ajpq_costmodel_cost_t c = cost(&conv, NULL, NULL, 32);
  EXPECT_EQ(c.macs, 6912);           /* 4*64*27 */
  EXPECT_EQ(c.bitops, 6912 * 1024);  /* x 32 x 32 */
  EXPECT_EQ(c.weight_bytes, 448);    /* 108*4 + 4*4 */
  EXPECT_EQ(ajpq_costmodel_avg_bits(&c), 32);
  /* explicit bits = 32 means the same thing */
  const uint8_t f[4] = {32, 32, 32, 32};
  ajpq_costmodel_cost_t d = cost(&conv, f, NULL, 32);
  EXPECT_EQ(d.weight_bytes, 448);
  EXPECT_EQ(d.bitops, c.bitops);
}

/* Input channel 1 erased by the producer: K = 2*9 = 18. */
static void test_conv_input_erased(void) {
  printf("TEST: conv_input_erased\n");
  const uint8_t bits[4] = {8, 4, 0, 2};
  const uint8_t in[3] = {1, 0, 1};
  ajpq_costmodel_cost_t c = cost(&conv, bits, in, 8);
  EXPECT_EQ(c.macs, 3456);            /* 64*18*3 */
  EXPECT_EQ(c.bitops, 129024);        /* 64*18*14*8 */
  EXPECT_EQ(c.weight_bytes, 18 + 9 + 5 + 3 * 5 + 12 + 1); /* rows + scale/bit code + bias + bitmask */
  EXPECT_EQ(c.orig_weights, 108);     /* the uncompressed layer is the reference */
}

/* BitOPs and size must follow the bit-widths (the pitfall: a tool that read
 * every datatype as float). */
static void test_bits_change_cost(void) {
  printf("TEST: bits_change_cost\n");
  const uint8_t a[4] = {8, 4, 0, 2}, b[4] = {8, 8, 0, 2}, one[4] = {1, 1, 1, 1};
  ajpq_costmodel_cost_t ca = cost(&conv, a, NULL, 8), cb = cost(&conv, b, NULL, 8);
  EXPECT_EQ(cb.bitops - ca.bitops, 64 * 27 * 4 * 8);
  EXPECT_EQ(cb.weight_bytes - ca.weight_bytes, 27 - 14);
  EXPECT_EQ(cb.macs, ca.macs);
  /* act bits scale BitOPs linearly */
  ajpq_costmodel_cost_t c4 = cost(&conv, a, NULL, 4);
  EXPECT_EQ(c4.bitops * 2, ca.bitops);
  /* 1-bit: ceil(27/8) = 4 bytes per row */
  ajpq_costmodel_cost_t c1 = cost(&conv, one, NULL, 8);
  EXPECT_EQ(c1.weight_bytes, 4 * (4 + 5 + 4) + 1); /* + 1 B bitmask */
}

/* Keep ratio 0 (everything erased) and 1 (everything kept). */
static void test_edge_ratios(void) {
  printf("TEST: edge_ratios\n");
  const uint8_t zero[4] = {0, 0, 0, 0}, all8[4] = {8, 8, 8, 8};
  ajpq_costmodel_cost_t z = cost(&conv, zero, NULL, 8);
  EXPECT_EQ(z.macs, 0);
  EXPECT_EQ(z.bitops, 0);
  EXPECT_EQ(z.weight_bytes, 0);
  EXPECT_EQ(z.kept_channels, 0);
  EXPECT_EQ(z.erased_channels, 4);
  EXPECT_EQ(ajpq_costmodel_avg_bits(&z), 0);
  ajpq_costmodel_cost_t f = cost(&conv, all8, NULL, 8);
  EXPECT_EQ(f.macs, 6912);
  EXPECT_EQ(f.weight_bytes, 4 * (27 + 5 + 4) + 1);
  /* every input erased: kept channels cost metadata only, 0 MACs */
  const uint8_t noin[3] = {0, 0, 0};
  ajpq_costmodel_cost_t n = cost(&conv, all8, noin, 8);
  EXPECT_EQ(n.macs, 0);
  EXPECT_EQ(n.weight_bytes, 4 * (5 + 4) + 1);
}

/* depthwise 4 channels, 3x3, 4x4 output, no bias; input 2 erased. */
static void test_depthwise(void) {
  printf("TEST: depthwise\n");
  ajpq_costmodel_layer_t dw = {AJPQ_COSTMODEL_DEPTHWISE, 4, 4, 3, 3, 4, 4, 4, false, false};
  const uint8_t bits[4] = {2, 2, 0, 2};
  const uint8_t in[4] = {1, 1, 0, 1};
  ajpq_costmodel_cost_t c = cost(&dw, bits, in, 8);
  EXPECT_EQ(c.macs, 3 * 16 * 9);     /* 432 */
  EXPECT_EQ(c.bitops, 432 * 2 * 8);
  EXPECT_EQ(c.weight_bytes, 3 * (3 + 5) + 1); /* ceil(18/8) = 3; bitmask 1 */
  /* multiplier 2: cout 8 reads input c/2 */
  ajpq_costmodel_layer_t dw2 = {AJPQ_COSTMODEL_DEPTHWISE, 4, 8, 3, 3, 4, 4, 4, false, false};
  const uint8_t b2[8] = {2, 2, 2, 2, 2, 2, 2, 2};
  ajpq_costmodel_cost_t d = cost(&dw2, b2, in, 8);
  EXPECT_EQ(d.macs, 6 * 16 * 9); /* channels 4,5 read the erased input */
}

/* grouped 4->4, groups 2, 1x1, 2x2 output; input 1 erased (group 0 keeps 1
 * input, group 1 keeps 2). */
static void test_grouped(void) {
  printf("TEST: grouped\n");
  ajpq_costmodel_layer_t g = {AJPQ_COSTMODEL_GROUPED, 4, 4, 1, 1, 2, 2, 2, false, false};
  const uint8_t bits[4] = {1, 3, 5, 7};
  const uint8_t in[4] = {1, 0, 1, 1};
  ajpq_costmodel_cost_t c = cost(&g, bits, in, 8);
  EXPECT_EQ(c.macs, 4 * (1 + 1 + 2 + 2));
  EXPECT_EQ(c.bitops, 4 * 8 * (1 * 1 + 1 * 3 + 2 * 5 + 2 * 7));
  EXPECT_EQ(c.weight_bytes, (1 + 1 + 2 + 2) + 4 * 5 + 1);
}

/* matmul K=10, N=3, one row, bias; a float channel, an 8-bit, an erased one. */
static void test_matmul(void) {
  printf("TEST: matmul\n");
  ajpq_costmodel_layer_t m = {AJPQ_COSTMODEL_MATMUL, 10, 3, 1, 1, 1, 1, 1, true, false};
  const uint8_t bits[3] = {32, 8, 0};
  ajpq_costmodel_cost_t c = cost(&m, bits, NULL, 32);
  EXPECT_EQ(c.macs, 20);
  EXPECT_EQ(c.bitops, 10 * 32 * 32 + 10 * 8 * 32);
  /* float row 40 + bias 4; 8-bit row 10 + scale/bit code 5 + bias 4; bitmask ceil(3/8) = 1 */
  EXPECT_EQ(c.weight_bytes, (40 + 4) + (10 + 5 + 4) + 1);
  EXPECT_EQ(ajpq_costmodel_channel_bytes(&m, 10, 8), 19);
  /* an all-float layer stores no bitmask: 3 * (40 + 4) */
  const uint8_t fl[3] = {32, 32, 32};
  EXPECT_EQ(cost(&m, fl, NULL, 32).weight_bytes, 132);
  /* asymmetric scheme: + 4 B zero point per quantized channel */
  ajpq_costmodel_layer_t ma = m;
  ma.asymmetric = true;
  EXPECT_EQ(ajpq_costmodel_channel_bytes(&ma, 10, 8), 23);
  EXPECT_EQ(cost(&ma, bits, NULL, 32).weight_bytes, (40 + 4) + (10 + 5 + 4 + 4) + 1);
  /* bitmask of a 20-channel layer: ceil(20/8) = 3 bytes; 1 kept at 2 bits, K = 10 */
  ajpq_costmodel_layer_t m20 = {AJPQ_COSTMODEL_MATMUL, 10, 20, 1, 1, 1, 1, 1, false, false};
  uint8_t b20[20] = {0};
  b20[7] = 2;
  EXPECT_EQ(cost(&m20, b20, NULL, 8).weight_bytes, 3 + 5 + 3);
  EXPECT_EQ(ajpq_costmodel_channel_bytes(&m, 10, 0), 0);
  ajpq_costmodel_cost_t sum = {0};
  ajpq_costmodel_add(&sum, &c);
  ajpq_costmodel_add(&sum, &c);
  EXPECT_EQ(sum.weight_bytes, 2 * c.weight_bytes);
}

static void expect_error(const ajpq_costmodel_layer_t *l, const uint8_t *bits, int act, const char *what) {
  ajpq_costmodel_cost_t c;
  ajpq_status_t s = ajpq_costmodel_layer(l, bits, NULL, act, &c);
  if (!s) {
    printf("FAIL: %s accepted\n", what);
    failures++;
    return;
  }
  printf("error %s: %s\n", what, ajpq_status_message(s));
  ajpq_status_free(s);
}

static void test_errors(void) {
  printf("TEST: errors\n");
  const uint8_t bad[4] = {8, 9, 0, 2}, ok[4] = {8, 8, 8, 8};
  expect_error(&conv, bad, 8, "bits9");
  expect_error(&conv, ok, 0, "act0");
  expect_error(&conv, ok, 16, "act16");
  ajpq_costmodel_layer_t g = {AJPQ_COSTMODEL_GROUPED, 4, 4, 1, 1, 3, 2, 2, false, false};
  expect_error(&g, ok, 8, "groups");
  ajpq_costmodel_layer_t dw = {AJPQ_COSTMODEL_DEPTHWISE, 4, 4, 3, 3, 2, 4, 4, false, false};
  expect_error(&dw, ok, 8, "depthwise");
  ajpq_costmodel_layer_t z = {AJPQ_COSTMODEL_CONV, 0, 4, 3, 3, 1, 4, 4, false, false};
  expect_error(&z, ok, 8, "cin0");
}

int main(void) {
  test_conv_mixed();
  test_conv_fp32();
  test_conv_input_erased();
  test_bits_change_cost();
  test_edge_ratios();
  test_depthwise();
  test_grouped();
  test_matmul();
  test_errors();
  printf(failures ? "FAILED %d\n" : "ALL PASSED\n", failures);
  return failures ? 1 : 0;
}
