/* ajpq_kernels.h — kernel-side weight layout and scalar reference kernels.
 *
 * The `ajpq` dialect stores weights in one canonical format,
 * `ajpq.rowpacked-lsb` (docs/dialect.md). The kernels want another one; this
 * module converts between them at compile time and provides two independent
 * scalar implementations of the integer semantics of `ajpq.conv2d` /
 * `ajpq.matmul` with int8 activations:
 *
 *   - a NAIVE reference that reads codes straight from rowpacked-lsb and
 *     evaluates the formulas of docs/dialect.md literally;
 *   - a PACKED scalar kernel that reads the kernel layout exactly the way the
 *     generated vector code (passes/lower_to_kernels.c) does: per-class byte-
 *     sliced streams, raw dot products Σ x_q·q, zero-point compensation by
 *     per-channel code sums, implicit im2col into a per-pixel row buffer.
 *
 * Kernel layout ("ajpq.kernel-v1"), see kernel-notes.md:
 *   - output channels are grouped by (conv group, bit-width class); each class
 *     is split into power-of-two SLICES (1,2,4,8 stay whole; 3=2+1, 5=4+1,
 *     6=4+2, 7=4+2+1, low bits first) and each slice is one STREAM;
 *   - a stream of slice width s holds rows in groups of 4 (padded with zero
 *     rows); a row is cut into 64-byte BLOCKS of 512/s weights each; within a
 *     block, byte j field i (bits [i·s, (i+1)·s)) holds the slice of the code
 *     of weight k = block·(512/s) + 64·i + j (0 beyond K);
 *   - stream bytes are ordered [row group][block][row in group (4)][64];
 *   - every channel carries qsum = Σ_k q (int32), used for the activation
 *     zero point: Σ (x_q − z_x)·q = Σ x_q·q − z_x·qsum.
 *
 * Integer semantics (docs/dialect.md, "ajpq.conv2d", i8 input): per output
 * pixel and channel j, acc = Σ (x_q − z_x)·q (padding contributes 0) and
 * S = Σ (x_q − z_x) over the window; int32, wrapping. The fp32 epilogue is
 * evaluated in exactly this order (also by the generated code):
 *     t = (float)acc − zero_point[j]·(float)S
 *     y = (input_scale·scale[j])·t + bias[j]
 *
 * Limits: K = KH·KW·CinPerGroup ≤ AJPQ_KERNELS_MAX_K so that no int32 partial
 * sum can overflow. All functions return ajpq_status_t (NULL = OK).
 */
#ifndef AJPQ_KERNELS_H
#define AJPQ_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#include "ajpq_status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Largest supported K (weights per output channel). 255·128·K < 2^31. */
#define AJPQ_KERNELS_MAX_K 65536

/* Weights of one compute op in the canonical format (borrowed pointers).
 * `packed` holds Σ_c ⌈k·bits[c]/8⌉ bytes, rows in kept order, LSB-first. */
typedef struct {
  int64_t n;              /* N_kept: kept output channels. */
  int64_t k;              /* weights per channel (KH·KW·CinPerGroup). */
  const int8_t *bits;     /* [n], each in 1..8. */
  const uint8_t *packed;  /* ajpq.rowpacked-lsb bytes. */
  size_t packed_size;     /* must equal ajpq_kernels_rowpacked_size(). */
  const float *scale;     /* [n] per-channel weight scale. */
  const float *zero_point;/* [n] per-channel weight zero point (2z ∈ ℤ). */
  const float *bias;      /* [n] or NULL (= 0). */
} ajpq_kernels_weights_t;

/* Geometry of an NHWC convolution (a matmul is h = w = kh = kw = 1,
 * cin = cin_per_group = K, batch = number of rows M). */
typedef struct {
  int64_t batch, h, w, cin;             /* input NHWC. */
  int64_t kh, kw, cin_per_group, groups;
  int64_t stride_h, stride_w;
  int64_t pad_top, pad_bottom, pad_left, pad_right;
  int64_t dil_h, dil_w;
  int64_t n;                            /* N_kept output channels. */
  int64_t oh, ow;                       /* filled by ajpq_kernels_conv_check. */
} ajpq_kernels_conv_t;

/* One kernel-layout stream (see the file comment). Owned by its packed layer. */
typedef struct {
  int32_t group;        /* conv group of its channels. */
  int32_t bits;         /* class bit-width b (1..8). */
  int32_t slice_bits;   /* s ∈ {1,2,4,8}. */
  int32_t shift;        /* the slice holds code bits [shift, shift+s). */
  int64_t rows;         /* real channels; rows_padded = round_up(rows, 4). */
  int64_t rows_padded;
  int64_t blocks;       /* 64-byte blocks per row = ⌈K / (512/s)⌉. */
  uint8_t *data;        /* rows_padded·blocks·64 bytes. */
  int32_t *chan;        /* [rows_padded] output channel (kept index), −1 = pad. */
} ajpq_kernels_stream_t;

/* A layer in kernel layout. Create with ajpq_kernels_pack, free with
 * ajpq_kernels_packed_destroy. */
typedef struct {
  int64_t n, k, groups;
  int64_t kpad;         /* activation row length the kernels read: ⌈K/512⌉·512. */
  size_t num_streams;
  ajpq_kernels_stream_t *streams;
  int32_t *qsum;        /* [n] Σ_k q. */
  float *scale, *zero_point, *bias; /* [n] copies (bias 0 when absent). */
  uint8_t *codes;       /* [k][n] unpacked codes (depthwise / direct kernels). */
} ajpq_kernels_packed_t;

/* --- ajpq.rowpacked-lsb (docs/dialect.md "Packing format") ------------- */

/* Byte size of n rows of k codes at bits[c] bits each: Σ_c ⌈k·bits[c]/8⌉. */
size_t ajpq_kernels_rowpacked_size(int64_t n, int64_t k, const int8_t *bits);

/* Packs codes[c·k + kk] (each < 2^bits[c]) into `out` (rowpacked_size bytes,
 * zero-filled first). INVALID_ARGUMENT on a code out of range or bad bits. */
ajpq_status_t ajpq_kernels_rowpacked_pack(int64_t n, int64_t k, const int8_t *bits,
                                          const uint8_t *codes, uint8_t *out, size_t out_size);

/* Reads code kk of a row that starts at `row` and has `bits` bits per code. */
uint32_t ajpq_kernels_rowpacked_get(const uint8_t *row, int bits, int64_t kk);

/* --- Kernel layout --------------------------------------------------- */

/* Decomposes a bit-width into power-of-two slice widths, low bits first.
 * Writes up to 3 widths to `slices` and returns their count (0 for b ∉ 1..8). */
int ajpq_kernels_slices(int bits, int slices[3]);

/* Validates `w` (sizes, bits in 1..8, codes' byte count, k ≤ MAX_K, n a
 * multiple of groups) and builds the kernel layout; channel j belongs to
 * group j / (n/groups). Owned result in *out. */
ajpq_status_t ajpq_kernels_pack(const ajpq_kernels_weights_t *w, int64_t groups,
                                ajpq_kernels_packed_t **out);

/* Frees a packed layer; NULL is fine. */
void ajpq_kernels_packed_destroy(ajpq_kernels_packed_t *p);

/* Validates a geometry (positive sizes, cin = groups·cin_per_group, n a
 * multiple of groups, window fits the padded input) and fills oh, ow. */
ajpq_status_t ajpq_kernels_conv_check(ajpq_kernels_conv_t *g);

/* --- Reference kernels (int8 activations) --------------------------- */

/* NAIVE reference straight from the spec. x: NHWC int8 [batch,h,w,cin];
 * acc: int32 [batch,oh,ow,n] = Σ (x_q − z_x)·q; s_out (may be NULL): int32
 * [batch,oh,ow,groups] = Σ (x_q − z_x) over each group's window. */
ajpq_status_t ajpq_kernels_reference_conv_acc(const ajpq_kernels_conv_t *g,
                                              const ajpq_kernels_weights_t *w,
                                              const int8_t *x, int32_t x_zero_point,
                                              int32_t *acc, int32_t *s_out);

/* PACKED scalar kernel: same outputs as the naive reference, computed the
 * way the generated code does (implicit im2col row per pixel and group,
 * byte-sliced stream dot products, acc = D − z_x·qsum). `p` must come from
 * ajpq_kernels_pack with the same n, k and groups as `g`. */
ajpq_status_t ajpq_kernels_packed_conv_acc(const ajpq_kernels_conv_t *g,
                                           const ajpq_kernels_packed_t *p,
                                           const int8_t *x, int32_t x_zero_point,
                                           int32_t *acc, int32_t *s_out);

/* fp32 epilogue of the file comment: y[pix,j] from acc[pix,j] and
 * s[pix, j / (n/groups)], for `pixels` output pixels. */
void ajpq_kernels_epilogue(int64_t pixels, int64_t n, int64_t groups, const int32_t *acc,
                           const int32_t *s, float input_scale, const float *scale,
                           const float *zero_point, const float *bias, float *y);

/* f32-input reference (docs/dialect.md, f32 rule): w = scale·(q − z) in
 * f32, acc = Σ x·w in f32 in (kh,kw,ci) order, y = acc + bias. x NHWC f32. */
ajpq_status_t ajpq_kernels_reference_conv_f32(const ajpq_kernels_conv_t *g,
                                              const ajpq_kernels_weights_t *w,
                                              const float *x, float *y);

#ifdef __cplusplus
}
#endif

#endif /* AJPQ_KERNELS_H */
