/* npy.c — NumPy .npy reader/writer (format 1.0/2.0/3.0, little-endian, C order).
 * Spec: numpy/lib/format.py ("NEP 1"): magic "\x93NUMPY", major, minor, header length (u16 LE in
 * v1, u32 LE in v2/v3), an ASCII (v3: UTF-8) Python dict literal with keys descr, fortran_order,
 * shape, padded with spaces and ended by '\n'. */
#include "ajpq_io.h"
#include "ajpq_output.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NPY_MAX_HEADER 65536

static ajpq_status_t bad(const char *path, const char *what) {
  return ajpq_status_make(AJPQ_DATA_LOSS, "%s: malformed .npy: %s", path, what);
}

/* Finds the value text after `'key':` in the header dict; NULL if absent. */
static const char *find_key(const char *h, const char *key) {
  char pat[32];
  snprintf(pat, sizeof pat, "'%s'", key);
  const char *p = strstr(h, pat);
  if (!p) {
    snprintf(pat, sizeof pat, "\"%s\"", key);
    p = strstr(h, pat);
  }
  if (!p)
    return NULL;
  p += strlen(pat);
  while (*p == ' ')
    ++p;
  if (*p != ':')
    return NULL;
  ++p;
  while (*p == ' ')
    ++p;
  return p;
}

static ajpq_status_t parse_header(const char *path, const char *h, ajpq_dtype_t *dtype, int *rank,
                                  int64_t *dims) {
  const char *p = h;
  while (*p == ' ')
    ++p;
  if (*p != '{')
    return bad(path, "header is not a dict");
  const char *d = find_key(h, "descr");
  if (!d || (*d != '\'' && *d != '"'))
    return bad(path, "header has no 'descr' string");
  char q = *d++;
  char descr[16];
  size_t n = 0;
  while (*d && *d != q && n < sizeof descr - 1)
    descr[n++] = *d++;
  descr[n] = 0;
  if (*d != q)
    return bad(path, "unterminated 'descr'");
  if (!strcmp(descr, "<f4"))
    *dtype = AJPQ_DTYPE_F32;
  else if (!strcmp(descr, "<f8"))
    *dtype = AJPQ_DTYPE_F64;
  else if (!strcmp(descr, "|u1") || !strcmp(descr, "<u1") || !strcmp(descr, "u1"))
    *dtype = AJPQ_DTYPE_U8;
  else if (!strcmp(descr, "<i8"))
    *dtype = AJPQ_DTYPE_I64;
  else
    return ajpq_status_make(AJPQ_UNIMPLEMENTED,
                            "%s: .npy dtype '%s' not supported (float32 '<f4', float64 '<f8', "
                            "uint8 '|u1', int64 '<i8')",
                            path, descr);
  const char *f = find_key(h, "fortran_order");
  if (!f)
    return bad(path, "header has no 'fortran_order'");
  if (!strncmp(f, "True", 4))
    return ajpq_status_make(AJPQ_UNIMPLEMENTED, "%s: Fortran-order .npy not supported", path);
  if (strncmp(f, "False", 5))
    return bad(path, "'fortran_order' is neither True nor False");
  const char *s = find_key(h, "shape");
  if (!s || *s != '(')
    return bad(path, "header has no 'shape' tuple");
  ++s;
  int r = 0;
  for (;;) {
    while (*s == ' ')
      ++s;
    if (*s == ')')
      break;
    if (!isdigit((unsigned char)*s))
      return bad(path, "shape entry is not a non-negative integer");
    errno = 0;
    char *end;
    long long v = strtoll(s, &end, 10);
    if (errno || v < 0 || v > (1LL << 40))
      return bad(path, "shape entry out of range");
    if (r >= AJPQ_IO_MAX_RANK)
      return ajpq_status_make(AJPQ_UNIMPLEMENTED, "%s: rank above %d", path, AJPQ_IO_MAX_RANK);
    dims[r++] = v;
    s = end;
    while (*s == ' ')
      ++s;
    if (*s == ',')
      ++s;
    else if (*s != ')')
      return bad(path, "shape tuple syntax");
  }
  *rank = r;
  return NULL;
}

ajpq_status_t ajpq_npy_read(const char *path, ajpq_tensor_t **out) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return ajpq_status_make(AJPQ_IO_ERROR, "%s: cannot open: %s", path, strerror(errno));
  ajpq_status_t st = NULL;
  char *hdr = NULL;
  ajpq_tensor_t *t = NULL;
  unsigned char pre[12];
  if (fread(pre, 1, 8, f) != 8 || memcmp(pre, "\x93NUMPY", 6)) {
    st = bad(path, "wrong magic (not a .npy file)");
    goto done;
  }
  uint32_t hlen;
  if (pre[6] == 1) {
    if (fread(pre + 8, 1, 2, f) != 2) {
      st = bad(path, "truncated header");
      goto done;
    }
    hlen = pre[8] | (uint32_t)pre[9] << 8;
  } else if (pre[6] == 2 || pre[6] == 3) {
    if (fread(pre + 8, 1, 4, f) != 4) {
      st = bad(path, "truncated header");
      goto done;
    }
    hlen = pre[8] | (uint32_t)pre[9] << 8 | (uint32_t)pre[10] << 16 | (uint32_t)pre[11] << 24;
  } else {
    st = ajpq_status_make(AJPQ_UNIMPLEMENTED, "%s: .npy format version %u.%u not supported", path,
                          pre[6], pre[7]);
    goto done;
  }
  if (hlen == 0 || hlen > NPY_MAX_HEADER) {
    st = bad(path, "header length out of range");
    goto done;
  }
  hdr = malloc(hlen + 1);
  if (!hdr || fread(hdr, 1, hlen, f) != hlen) {
    st = bad(path, "truncated header");
    goto done;
  }
  hdr[hlen] = 0;
  if (strlen(hdr) != hlen || hdr[hlen - 1] != '\n') {
    st = bad(path, "header not terminated by a newline");
    goto done;
  }
  ajpq_dtype_t dt = AJPQ_DTYPE_F32;
  int rank = 0;
  int64_t dims[AJPQ_IO_MAX_RANK];
  if ((st = parse_header(path, hdr, &dt, &rank, dims)))
    goto done;
  if ((st = ajpq_tensor_create(dt, rank, dims, &t))) {
    st = ajpq_status_annotate(st, "%s", path);
    goto done;
  }
  size_t bytes = (size_t)t->numel * ajpq_dtype_size(dt);
  if (fread(t->data, 1, bytes, f) != bytes) {
    st = ajpq_status_make(AJPQ_DATA_LOSS, "%s: truncated .npy data (expected %zu bytes)", path,
                          bytes);
    goto done;
  }
  if (fgetc(f) != EOF) {
    st = bad(path, "trailing bytes after the data");
    goto done;
  }
  if (dt == AJPQ_DTYPE_F32 || dt == AJPQ_DTYPE_F64) {
    for (int64_t i = 0; i < t->numel; ++i) {
      double v = dt == AJPQ_DTYPE_F32 ? ((float *)t->data)[i] : ((double *)t->data)[i];
      if (!isfinite(v)) {
        st = ajpq_status_make(AJPQ_DATA_LOSS, "%s: non-finite value at flat index %lld", path,
                              (long long)i);
        goto done;
      }
    }
  }
done:
  fclose(f);
  free(hdr);
  if (st) {
    ajpq_tensor_free(t);
    return st;
  }
  *out = t;
  return NULL;
}

static const char *descr_of(ajpq_dtype_t d) {
  switch (d) {
  case AJPQ_DTYPE_F32: return "<f4";
  case AJPQ_DTYPE_F64: return "<f8";
  case AJPQ_DTYPE_U8: return "|u1";
  case AJPQ_DTYPE_I64: return "<i8";
  }
  return "?";
}

ajpq_status_t ajpq_npy_write(const char *path, const ajpq_tensor_t *t) {
  char dict[512];
  int n = snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (",
                   descr_of(t->dtype));
  /* NumPy's own spelling: (), (n,), (a, b). */
  for (int i = 0; i < t->rank; ++i)
    n += snprintf(dict + n, sizeof dict - n, "%s%lld%s", i ? ", " : "", (long long)t->dims[i],
                  t->rank == 1 ? "," : "");
  n += snprintf(dict + n, sizeof dict - n, "), }");
  /* Pad so that magic + len + header is a multiple of 64, ending in '\n'. */
  int pre = 10;
  int total = pre + n + 1;
  int pad = (64 - total % 64) % 64;
  int hlen = n + pad + 1;
  ajpq_output_t o; /* temp file + rename; /dev/null or a FIFO written in place */
  ajpq_status_t st = ajpq_output_open(&o, path);
  if (st)
    return st;
  FILE *f = o.f;
  unsigned char head[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (unsigned char)(hlen & 255),
                            (unsigned char)(hlen >> 8)};
  bool ok = fwrite(head, 1, 10, f) == 10 && fwrite(dict, 1, n, f) == (size_t)n;
  for (int i = 0; ok && i < pad; ++i)
    ok = fputc(' ', f) != EOF;
  ok = ok && fputc('\n', f) != EOF;
  size_t bytes = (size_t)t->numel * ajpq_dtype_size(t->dtype);
  ok = ok && fwrite(t->data, 1, bytes, f) == bytes;
  if (!ok) {
    int err = errno;
    ajpq_output_abort(&o);
    return ajpq_status_make(AJPQ_IO_ERROR, "cannot write output file '%s': %s", path,
                            strerror(err ? err : EIO));
  }
  return ajpq_output_commit(&o);
}

ajpq_status_t ajpq_npy_write_f32(const char *path, const float *data, int rank,
                                 const int64_t *dims) {
  if (rank < 0 || rank > AJPQ_IO_MAX_RANK)
    return ajpq_status_make(AJPQ_INVALID_ARGUMENT, "%s: rank %d", path, rank);
  ajpq_tensor_t t = {.dtype = AJPQ_DTYPE_F32, .rank = rank, .numel = 1, .data = (void *)data};
  for (int i = 0; i < rank; ++i) {
    t.dims[i] = dims[i];
    t.numel *= dims[i];
  }
  return ajpq_npy_write(path, &t);
}
