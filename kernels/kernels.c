/* kernels.c — kernel-layout packing and the scalar reference kernels of
 * ajpq_kernels.h (layout and semantics are described there). */
#include "ajpq_kernels.h"

#include <stdlib.h>
#include <string.h>

size_t ajpq_kernels_rowpacked_size(int64_t n, int64_t k, const int8_t *bits) {
  size_t total = 0;
  for (int64_t c = 0; c < n; ++c)
    total += (size_t)((k * bits[c] + 7) / 8);
  return total;
}

uint32_t ajpq_kernels_rowpacked_get(const uint8_t *row, int bits, int64_t kk) {
  uint32_t v = 0;
  int64_t bit = kk * bits;
  for (int i = 0; i < bits; ++i, ++bit)
    v |= (uint32_t)((row[bit >> 3] >> (bit & 7)) & 1u) << i;
  return v;
}

ajpq_status_t ajpq_kernels_rowpacked_pack(int64_t n, int64_t k, const int8_t *bits,
                                          const uint8_t *codes, uint8_t *out, size_t out_size) {
  for (int64_t c = 0; c < n; ++c)
    if (bits[c] < 1 || bits[c] > 8)
      return ajpq_status_make(AJPQ_INVALID_ARGUMENT, "rowpacked: channel %lld has bit-width %d",
                              (long long)c, bits[c]);
  if (ajpq_kernels_rowpacked_size(n, k, bits) != out_size)
    return ajpq_status_make(AJPQ_INVALID_ARGUMENT, "rowpacked: output has %zu bytes, need %zu",
                            out_size, ajpq_kernels_rowpacked_size(n, k, bits));
  memset(out, 0, out_size);
  uint8_t *row = out;
  for (int64_t c = 0; c < n; ++c) {
    int b = bits[c];
    for (int64_t kk = 0; kk < k; ++kk) {
      uint32_t q = codes[c * k + kk];
      if (q >> b)
        return ajpq_status_make(AJPQ_INVALID_ARGUMENT,
                                "rowpacked: code %u of channel %lld does not fit %d bits", q,
                                (long long)c, b);
      for (int i = 0; i < b; ++i) {
        int64_t bit = kk * b + i;
        row[bit >> 3] |= (uint8_t)(((q >> i) & 1u) << (bit & 7));
      }
    }
    row += (k * b + 7) / 8;
  }
  return NULL;
}

int ajpq_kernels_slices(int bits, int slices[3]) {
  static const int table[9][4] = {{0},          {1, 1},       {1, 2},    {2, 2, 1},
                                  {1, 4},       {2, 4, 1},    {2, 4, 2}, {3, 4, 2, 1},
                                  {1, 8}};
  if (bits < 1 || bits > 8)
    return 0;
  /* table lists high slices first for readability; return low bits first. */
  int cnt = table[bits][0];
  for (int i = 0; i < cnt; ++i)
    slices[i] = table[bits][cnt - i];
  return cnt;
}

void ajpq_kernels_packed_destroy(ajpq_kernels_packed_t *p) {
  if (!p)
    return;
  for (size_t i = 0; i < p->num_streams; ++i) {
    free(p->streams[i].data);
    free(p->streams[i].chan);
  }
  free(p->streams);
  free(p->qsum);
  free(p->scale);
  free(p->zero_point);
  free(p->bias);
  free(p->codes);
  free(p);
}

static ajpq_status_t check_weights(const ajpq_kernels_weights_t *w, int64_t groups) {
  if (w->n <= 0 || w->k <= 0 || w->k > AJPQ_KERNELS_MAX_K)
    return ajpq_status_make(AJPQ_INVALID_ARGUMENT, "weights: n=%lld k=%lld out of range (k <= %d)",
                            (long long)w->n, (long long)w->k, AJPQ_KERNELS_MAX_K);
  if (groups <= 0 || w->n % groups)
    return ajpq_status_make(AJPQ_INVALID_ARGUMENT,
                            "weights: %lld channels are not a multiple of %lld groups",
                            (long long)w->n, (long long)groups);
  for (int64_t c = 0; c < w->n; ++c)
    if (w->bits[c] < 1 || w->bits[c] > 8)
      return ajpq_status_make(AJPQ_INVALID_ARGUMENT, "weights: channel %lld has bit-width %d",
                              (long long)c, w->bits[c]);
  size_t need = ajpq_kernels_rowpacked_size(w->n, w->k, w->bits);
  if (need != w->packed_size)
    return ajpq_status_make(AJPQ_INVALID_ARGUMENT,
                            "weights: %zu packed bytes, ajpq.rowpacked-lsb needs %zu",
                            w->packed_size, need);
  return NULL;
}

ajpq_status_t ajpq_kernels_pack(const ajpq_kernels_weights_t *w, int64_t groups,
                                ajpq_kernels_packed_t **out) {
  AJPQ_RETURN_IF_ERROR(check_weights(w, groups));
  int64_t n = w->n, k = w->k;
  ajpq_kernels_packed_t *p = calloc(1, sizeof *p);
  if (!p)
    return ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED, "pack: out of memory");
  p->n = n;
  p->k = k;
  p->groups = groups;
  p->kpad = (k + 511) / 512 * 512;
  p->qsum = calloc((size_t)n, sizeof *p->qsum);
  p->scale = malloc((size_t)n * sizeof(float));
  p->zero_point = malloc((size_t)n * sizeof(float));
  p->bias = calloc((size_t)n, sizeof(float));
  p->codes = malloc((size_t)(n * k));
  p->streams = calloc((size_t)groups * 8 * 3, sizeof *p->streams);
  if (!p->qsum || !p->scale || !p->zero_point || !p->bias || !p->codes || !p->streams) {
    ajpq_kernels_packed_destroy(p);
    return ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED, "pack: out of memory");
  }
  memcpy(p->scale, w->scale, (size_t)n * sizeof(float));
  memcpy(p->zero_point, w->zero_point, (size_t)n * sizeof(float));
  if (w->bias)
    memcpy(p->bias, w->bias, (size_t)n * sizeof(float));
  /* Unpack codes to [k][n] and compute qsum. */
  const uint8_t *row = w->packed;
  for (int64_t c = 0; c < n; ++c) {
    int32_t sum = 0;
    for (int64_t kk = 0; kk < k; ++kk) {
      uint32_t q = ajpq_kernels_rowpacked_get(row, w->bits[c], kk);
      p->codes[kk * n + c] = (uint8_t)q;
      sum += (int32_t)q;
    }
    p->qsum[c] = sum;
    row += (k * w->bits[c] + 7) / 8;
  }
  int64_t per_group = n / groups;
  for (int64_t g = 0; g < groups; ++g) {
    for (int b = 1; b <= 8; ++b) {
      int64_t rows = 0;
      for (int64_t j = g * per_group; j < (g + 1) * per_group; ++j)
        rows += w->bits[j] == b;
      if (!rows)
        continue;
      int slices[3];
      int ns = ajpq_kernels_slices(b, slices);
      int shift = 0;
      for (int si = 0; si < ns; ++si) {
        int s = slices[si];
        ajpq_kernels_stream_t *st = &p->streams[p->num_streams++];
        int64_t per_block = 512 / s;
        st->group = (int32_t)g;
        st->bits = b;
        st->slice_bits = s;
        st->shift = shift;
        st->rows = rows;
        st->rows_padded = (rows + 3) / 4 * 4;
        st->blocks = (k + per_block - 1) / per_block;
        st->data = calloc((size_t)(st->rows_padded * st->blocks * 64), 1);
        st->chan = malloc((size_t)st->rows_padded * sizeof(int32_t));
        if (!st->data || !st->chan) {
          ajpq_kernels_packed_destroy(p);
          return ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED, "pack: out of memory");
        }
        int64_t r = 0;
        for (int64_t j = g * per_group; j < (g + 1) * per_group; ++j) {
          if (w->bits[j] != b)
            continue;
          st->chan[r] = (int32_t)j;
          int64_t rg = r / 4, ri = r % 4;
          for (int64_t kk = 0; kk < k; ++kk) {
            uint32_t q = p->codes[kk * n + j];
            uint32_t part = (q >> shift) & ((1u << s) - 1u);
            int64_t blk = kk / per_block, off = kk % per_block;
            int64_t field = off / 64, byte = off % 64;
            uint8_t *dst = st->data + ((rg * st->blocks + blk) * 4 + ri) * 64 + byte;
            *dst |= (uint8_t)(part << (field * s));
          }
          ++r;
        }
        for (; r < st->rows_padded; ++r)
          st->chan[r] = -1;
        shift += s;
      }
    }
  }
  *out = p;
  return NULL;
}

ajpq_status_t ajpq_kernels_conv_check(ajpq_kernels_conv_t *g) {
  if (g->batch <= 0 || g->h <= 0 || g->w <= 0 || g->cin <= 0 || g->kh <= 0 || g->kw <= 0 ||
      g->cin_per_group <= 0 || g->groups <= 0 || g->stride_h <= 0 || g->stride_w <= 0 ||
      g->dil_h <= 0 || g->dil_w <= 0 || g->pad_top < 0 || g->pad_bottom < 0 || g->pad_left < 0 ||
      g->pad_right < 0 || g->n <= 0)
    return ajpq_status_make(AJPQ_INVALID_ARGUMENT, "conv: non-positive size or negative padding");
  if (g->cin != g->groups * g->cin_per_group)
    return ajpq_status_make(AJPQ_INVALID_ARGUMENT, "conv: cin %lld != groups %lld x %lld",
                            (long long)g->cin, (long long)g->groups, (long long)g->cin_per_group);
  if (g->n % g->groups)
    return ajpq_status_make(AJPQ_INVALID_ARGUMENT, "conv: %lld channels not a multiple of %lld groups",
                            (long long)g->n, (long long)g->groups);
  int64_t eh = g->h + g->pad_top + g->pad_bottom - g->dil_h * (g->kh - 1) - 1;
  int64_t ew = g->w + g->pad_left + g->pad_right - g->dil_w * (g->kw - 1) - 1;
  if (eh < 0 || ew < 0)
    return ajpq_status_make(AJPQ_INVALID_ARGUMENT, "conv: window larger than the padded input");
  g->oh = eh / g->stride_h + 1;
  g->ow = ew / g->stride_w + 1;
  return NULL;
}

/* Input element for window position (kh, kw, ci) of output pixel (b, oy, ox)
 * of group gr; sets *inside to 0 on padding. */
static int64_t in_index(const ajpq_kernels_conv_t *g, int64_t b, int64_t oy, int64_t ox,
                        int64_t ky, int64_t kx, int64_t ci, int64_t gr, int *inside) {
  int64_t iy = oy * g->stride_h - g->pad_top + ky * g->dil_h;
  int64_t ix = ox * g->stride_w - g->pad_left + kx * g->dil_w;
  *inside = iy >= 0 && iy < g->h && ix >= 0 && ix < g->w;
  return ((b * g->h + iy) * g->w + ix) * g->cin + gr * g->cin_per_group + ci;
}

static ajpq_status_t check_pair(ajpq_kernels_conv_t *g, int64_t n, int64_t k) {
  ajpq_kernels_conv_t tmp = *g;
  AJPQ_RETURN_IF_ERROR(ajpq_kernels_conv_check(&tmp));
  if (n != g->n || k != g->kh * g->kw * g->cin_per_group)
    return ajpq_status_make(AJPQ_INVALID_ARGUMENT,
                            "conv: weights have n=%lld k=%lld, geometry wants n=%lld k=%lld",
                            (long long)n, (long long)k, (long long)g->n,
                            (long long)(g->kh * g->kw * g->cin_per_group));
  *g = tmp;
  return NULL;
}

ajpq_status_t ajpq_kernels_reference_conv_acc(const ajpq_kernels_conv_t *g0,
                                              const ajpq_kernels_weights_t *w,
                                              const int8_t *x, int32_t zx,
                                              int32_t *acc, int32_t *s_out) {
  ajpq_kernels_conv_t g = *g0;
  AJPQ_RETURN_IF_ERROR(check_pair(&g, w->n, w->k));
  AJPQ_RETURN_IF_ERROR(check_weights(w, g.groups));
  const uint8_t **rows = malloc((size_t)w->n * sizeof *rows);
  if (!rows)
    return ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED, "reference: out of memory");
  const uint8_t *r = w->packed;
  for (int64_t c = 0; c < w->n; ++c) {
    rows[c] = r;
    r += (w->k * w->bits[c] + 7) / 8;
  }
  int64_t per_group = g.n / g.groups;
  for (int64_t b = 0; b < g.batch; ++b)
    for (int64_t oy = 0; oy < g.oh; ++oy)
      for (int64_t ox = 0; ox < g.ow; ++ox) {
        int64_t pix = (b * g.oh + oy) * g.ow + ox;
        for (int64_t j = 0; j < g.n; ++j) {
          int64_t gr = j / per_group;
          uint32_t a = 0, s = 0; /* wrapping int32 arithmetic */
          int64_t kk = 0;
          for (int64_t ky = 0; ky < g.kh; ++ky)
            for (int64_t kx = 0; kx < g.kw; ++kx)
              for (int64_t ci = 0; ci < g.cin_per_group; ++ci, ++kk) {
                int inside;
                int64_t idx = in_index(&g, b, oy, ox, ky, kx, ci, gr, &inside);
                int32_t xv = inside ? (int32_t)x[idx] - zx : 0;
                a += (uint32_t)(xv * (int32_t)ajpq_kernels_rowpacked_get(rows[j], w->bits[j], kk));
                s += (uint32_t)xv;
              }
          acc[pix * g.n + j] = (int32_t)a;
          if (s_out && j % per_group == 0)
            s_out[pix * g.groups + gr] = (int32_t)s;
        }
      }
  free(rows);
  return NULL;
}

ajpq_status_t ajpq_kernels_packed_conv_acc(const ajpq_kernels_conv_t *g0,
                                           const ajpq_kernels_packed_t *p, const int8_t *x,
                                           int32_t zx, int32_t *acc, int32_t *s_out) {
  ajpq_kernels_conv_t g = *g0;
  AJPQ_RETURN_IF_ERROR(check_pair(&g, p->n, p->k));
  if (p->groups != g.groups)
    return ajpq_status_make(AJPQ_INVALID_ARGUMENT, "packed: %lld groups, geometry has %lld",
                            (long long)p->groups, (long long)g.groups);
  int8_t *row = calloc((size_t)p->kpad, 1);     /* implicit im2col row */
  int32_t *dot = malloc((size_t)p->n * sizeof(int32_t));
  if (!row || !dot) {
    free(row);
    free(dot);
    return ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED, "packed: out of memory");
  }
  for (int64_t b = 0; b < g.batch; ++b)
    for (int64_t oy = 0; oy < g.oh; ++oy)
      for (int64_t ox = 0; ox < g.ow; ++ox) {
        int64_t pix = (b * g.oh + oy) * g.ow + ox;
        memset(dot, 0, (size_t)p->n * sizeof(int32_t));
        for (int64_t gr = 0; gr < g.groups; ++gr) {
          /* Gather the window; padding holds z_x so that D − z_x·qsum cancels it. */
          int32_t sx = 0;
          int64_t kk = 0;
          for (int64_t ky = 0; ky < g.kh; ++ky)
            for (int64_t kx = 0; kx < g.kw; ++kx)
              for (int64_t ci = 0; ci < g.cin_per_group; ++ci, ++kk) {
                int inside;
                int64_t idx = in_index(&g, b, oy, ox, ky, kx, ci, gr, &inside);
                row[kk] = inside ? x[idx] : (int8_t)zx;
                sx += row[kk];
              }
          if (s_out)
            s_out[pix * g.groups + gr] = (int32_t)((uint32_t)sx - (uint32_t)zx * (uint32_t)p->k);
          for (size_t si = 0; si < p->num_streams; ++si) {
            const ajpq_kernels_stream_t *st = &p->streams[si];
            if (st->group != gr)
              continue;
            int s = st->slice_bits;
            uint32_t mask = (1u << s) - 1u;
            for (int64_t r = 0; r < st->rows_padded; ++r) {
              int64_t rg = r / 4, ri = r % 4;
              int32_t d = 0;
              for (int64_t blk = 0; blk < st->blocks; ++blk) {
                const uint8_t *wb = st->data + ((rg * st->blocks + blk) * 4 + ri) * 64;
                for (int f = 0; f < 8 / s; ++f)
                  for (int j = 0; j < 64; ++j)
                    d += (int32_t)((wb[j] >> (f * s)) & mask) * row[blk * (512 / s) + f * 64 + j];
              }
              if (st->chan[r] >= 0)
                dot[st->chan[r]] += (int32_t)((uint32_t)d << st->shift);
            }
          }
        }
        for (int64_t j = 0; j < p->n; ++j)
          acc[pix * p->n + j] = (int32_t)((uint32_t)dot[j] - (uint32_t)zx * (uint32_t)p->qsum[j]);
      }
  free(row);
  free(dot);
  return NULL;
}

void ajpq_kernels_epilogue(int64_t pixels, int64_t n, int64_t groups, const int32_t *acc,
                           const int32_t *s, float input_scale, const float *scale,
                           const float *zero_point, const float *bias, float *y) {
  int64_t per_group = n / groups;
  for (int64_t p = 0; p < pixels; ++p)
    for (int64_t j = 0; j < n; ++j) {
      float t = (float)acc[p * n + j] - zero_point[j] * (float)s[p * groups + j / per_group];
      y[p * n + j] = (input_scale * scale[j]) * t + (bias ? bias[j] : 0.0f);
    }
}

ajpq_status_t ajpq_kernels_reference_conv_f32(const ajpq_kernels_conv_t *g0,
                                              const ajpq_kernels_weights_t *w, const float *x,
                                              float *y) {
  ajpq_kernels_conv_t g = *g0;
  AJPQ_RETURN_IF_ERROR(check_pair(&g, w->n, w->k));
  AJPQ_RETURN_IF_ERROR(check_weights(w, g.groups));
  const uint8_t *r = w->packed;
  int64_t per_group = g.n / g.groups;
  for (int64_t j = 0; j < g.n; ++j) {
    int64_t gr = j / per_group;
    for (int64_t b = 0; b < g.batch; ++b)
      for (int64_t oy = 0; oy < g.oh; ++oy)
        for (int64_t ox = 0; ox < g.ow; ++ox) {
          float a = 0.0f;
          int64_t kk = 0;
          for (int64_t ky = 0; ky < g.kh; ++ky)
            for (int64_t kx = 0; kx < g.kw; ++kx)
              for (int64_t ci = 0; ci < g.cin_per_group; ++ci, ++kk) {
                int inside;
                int64_t idx = in_index(&g, b, oy, ox, ky, kx, ci, gr, &inside);
                if (!inside)
                  continue;
                float q = (float)ajpq_kernels_rowpacked_get(r, w->bits[j], kk);
                a += x[idx] * (w->scale[j] * (q - w->zero_point[j]));
              }
          y[((b * g.oh + oy) * g.ow + ox) * g.n + j] = a + (w->bias ? w->bias[j] : 0.0f);
        }
    r += (w->k * w->bits[j] + 7) / 8;
  }
  return NULL;
}
