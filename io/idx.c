/* idx.c — IDX reader (LeCun's MNIST format: 0x00 0x00 type rank, big-endian u32 dims, data),
 * gzip or raw. Only type 0x08 (unsigned byte) is accepted: MNIST/Fashion-MNIST images and
 * labels. */
#include "ajpq_io.h"

#include <errno.h>
#include <string.h>
#include <zlib.h>

ajpq_status_t ajpq_idx_read(const char *path, ajpq_tensor_t **out) {
  /* gzopen reads raw files transparently as well. */
  gzFile g = gzopen(path, "rb");
  if (!g)
    return ajpq_status_make(AJPQ_IO_ERROR, "%s: cannot open: %s", path, strerror(errno));
  ajpq_status_t st = NULL;
  ajpq_tensor_t *t = NULL;
  unsigned char m[4];
  if (gzread(g, m, 4) != 4 || m[0] != 0 || m[1] != 0) {
    st = ajpq_status_make(AJPQ_DATA_LOSS, "%s: wrong IDX magic", path);
    goto done;
  }
  if (m[2] != 0x08) {
    st = ajpq_status_make(AJPQ_UNIMPLEMENTED, "%s: IDX data type 0x%02x not supported (only "
                          "0x08 unsigned byte)", path, m[2]);
    goto done;
  }
  int rank = m[3];
  if (rank < 1 || rank > AJPQ_IO_MAX_RANK) {
    st = ajpq_status_make(AJPQ_DATA_LOSS, "%s: IDX rank %d outside [1, %d]", path, rank,
                          AJPQ_IO_MAX_RANK);
    goto done;
  }
  int64_t dims[AJPQ_IO_MAX_RANK];
  for (int i = 0; i < rank; ++i) {
    unsigned char b[4];
    if (gzread(g, b, 4) != 4) {
      st = ajpq_status_make(AJPQ_DATA_LOSS, "%s: truncated IDX header", path);
      goto done;
    }
    dims[i] = (int64_t)b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3];
  }
  if ((st = ajpq_tensor_create(AJPQ_DTYPE_U8, rank, dims, &t))) {
    st = ajpq_status_annotate(st, "%s", path);
    goto done;
  }
  if (t->numel > 0x7fffffff || gzread(g, t->data, (unsigned)t->numel) != (int)t->numel) {
    st = ajpq_status_make(AJPQ_DATA_LOSS, "%s: truncated IDX data (expected %lld bytes)", path,
                          (long long)t->numel);
    goto done;
  }
  unsigned char extra;
  if (gzread(g, &extra, 1) != 0) {
    st = ajpq_status_make(AJPQ_DATA_LOSS, "%s: trailing bytes after the IDX data", path);
    goto done;
  }
done:
  gzclose(g);
  if (st) {
    ajpq_tensor_free(t);
    return st;
  }
  *out = t;
  return NULL;
}
