/* split.c — --split-input-file: cut the input at marker lines ("// -----").
 *
 * A marker line is the marker followed only by blanks. Each chunk remembers its first line in the
 * original file; opt_chunk_padded prepends that many newlines so diagnostics
 * keep the original line numbers.
 */
#include "opt.h"

#include <stdlib.h>
#include <string.h>

/* Does the line [p, eol) consist of `marker` plus optional blanks? */
static bool is_marker_line(const char *p, const char *eol, const char *marker, size_t mlen) {
  if ((size_t)(eol - p) < mlen || strncmp(p, marker, mlen) != 0)
    return false;
  for (const char *q = p + mlen; q < eol; ++q)
    if (*q != ' ' && *q != '\t' && *q != '\r')
      return false;
  return true;
}

size_t opt_split_input(const char *buf, size_t len, bool split, const char *marker,
                       opt_chunk_t **out) {
  size_t cap = 4, n = 0;
  opt_chunk_t *chunks = malloc(cap * sizeof(*chunks));
  if (!chunks)
    return 0;
  const char *start = buf, *end = buf + len, *p = buf;
  unsigned line = 1, start_line = 1;
  size_t mlen = strlen(marker);
  if (split) {
    while (p < end) {
      const char *eol = memchr(p, '\n', (size_t)(end - p));
      if (!eol)
        eol = end;
      if (is_marker_line(p, eol, marker, mlen)) {
        if (n == cap) {
          cap *= 2;
          opt_chunk_t *c = realloc(chunks, cap * sizeof(*chunks));
          if (!c) {
            free(chunks);
            return 0;
          }
          chunks = c;
        }
        chunks[n++] = (opt_chunk_t){start, (size_t)(p - start), start_line};
        start = eol < end ? eol + 1 : end;
        start_line = line + 1;
      }
      p = eol < end ? eol + 1 : end;
      ++line;
    }
  }
  if (n == cap) {
    opt_chunk_t *c = realloc(chunks, (cap + 1) * sizeof(*chunks));
    if (!c) {
      free(chunks);
      return 0;
    }
    chunks = c;
  }
  chunks[n++] = (opt_chunk_t){start, (size_t)(end - start), start_line};
  *out = chunks;
  return n;
}

char *opt_chunk_padded(const opt_chunk_t *chunk) {
  size_t pad = chunk->first_line - 1;
  char *s = malloc(pad + chunk->len + 1);
  if (!s)
    return NULL;
  memset(s, '\n', pad);
  memcpy(s + pad, chunk->text, chunk->len);
  s[pad + chunk->len] = '\0';
  return s;
}
