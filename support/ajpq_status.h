/* ajpq_status.h — the error type of ajpq's non-IR libraries.
 *
 * Ownership policy for all ajpq C modules (stated once, here):
 *   - `*_create` returns an owned object; `*_destroy` frees it and accepts NULL.
 *   - `*_get*` borrows; the pointer lives as long as its owner.
 *   - Out-parameters come last; on failure they are left unchanged or zeroed.
 *
 * A status is an opaque pointer where NULL means OK (after IREE). A failure
 * carries a code and a formatted message; callers add context with
 * ajpq_status_annotate() ("while reading 'x.npy'") and either return it or
 * print it with ajpq_status_fprint() and free it with ajpq_status_free().
 * IR code (passes, importer output) reports through MLIR diagnostics instead.
 */
#ifndef AJPQ_SUPPORT_STATUS_H
#define AJPQ_SUPPORT_STATUS_H

#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Status codes. One sentence each on when to use it. */
typedef enum {
  AJPQ_OK = 0,
  /* The caller passed a value outside its documented domain (bad shape, option). */
  AJPQ_INVALID_ARGUMENT = 1,
  /* Input data is malformed: wrong magic, truncated file, inconsistent header. */
  AJPQ_DATA_LOSS = 2,
  /* A file could not be opened, read or written (errno text is in the message). */
  AJPQ_IO_ERROR = 3,
  /* The input is well formed but uses something ajpq does not implement. */
  AJPQ_UNIMPLEMENTED = 4,
  /* An allocation failed or a requested size exceeds the documented limits. */
  AJPQ_RESOURCE_EXHAUSTED = 5,
  /* A constraint cannot be met (e.g. an infeasible compression budget). */
  AJPQ_FAILED_PRECONDITION = 6,
  /* An internal invariant broke: a bug in ajpq, never the user's input. */
  AJPQ_INTERNAL = 7,
  /* A named thing (file, tensor, op, key) does not exist. */
  AJPQ_NOT_FOUND = 8,
} ajpq_status_code_t;

typedef struct ajpq_status_s *ajpq_status_t;

/* Creates a failure status with a printf-style message. Returns NULL (OK)
 * when code == AJPQ_OK. Never fails: on out-of-memory it returns a static
 * status with code AJPQ_RESOURCE_EXHAUSTED that ajpq_status_free ignores. */
ajpq_status_t ajpq_status_make(ajpq_status_code_t code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Prepends context to a failure ("context: message") and returns it. A NULL
 * (OK) status is returned unchanged. Takes ownership of `s`. */
ajpq_status_t ajpq_status_annotate(ajpq_status_t s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The code of `s`; AJPQ_OK for NULL. */
ajpq_status_code_t ajpq_status_code(ajpq_status_t s);

/* The message of `s` (borrowed, valid until ajpq_status_free); "" for NULL. */
const char *ajpq_status_message(ajpq_status_t s);

/* The code's name, e.g. "INVALID_ARGUMENT". */
const char *ajpq_status_code_name(ajpq_status_code_t code);

/* Prints "<prefix>: error: <message>\n" to `f`. Does not free `s`. */
void ajpq_status_fprint(FILE *f, const char *prefix, ajpq_status_t s);

/* Frees `s`; NULL is fine. */
void ajpq_status_free(ajpq_status_t s);

/* Returns early from the enclosing function with the failure of `expr`. */
#define AJPQ_RETURN_IF_ERROR(expr)                                                                 \
  do {                                                                                             \
    ajpq_status_t ajpq_status_tmp_ = (expr);                                                       \
    if (ajpq_status_tmp_)                                                                          \
      return ajpq_status_tmp_;                                                                     \
  } while (0)

#ifdef __cplusplus
}
#endif

#endif /* AJPQ_SUPPORT_STATUS_H */
