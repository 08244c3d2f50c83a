/* status.c — implementation of ajpq_status.h (heap-allocated messages). */
#include "ajpq_status.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

struct ajpq_status_s {
  ajpq_status_code_t code;
  char *message;
};

/* Returned when even the status cannot be allocated; never freed. */
static struct ajpq_status_s oom_status = {AJPQ_RESOURCE_EXHAUSTED, "out of memory"};

static char *vformat(const char *fmt, va_list ap) {
  va_list ap2;
  va_copy(ap2, ap);
  int n = vsnprintf(NULL, 0, fmt, ap2);
  va_end(ap2);
  if (n < 0)
    return NULL;
  char *buf = malloc((size_t)n + 1);
  if (buf)
    vsnprintf(buf, (size_t)n + 1, fmt, ap);
  return buf;
}

ajpq_status_t ajpq_status_make(ajpq_status_code_t code, const char *fmt, ...) {
  if (code == AJPQ_OK)
    return NULL;
  struct ajpq_status_s *s = malloc(sizeof *s);
  if (!s)
    return &oom_status;
  va_list ap;
  va_start(ap, fmt);
  s->message = vformat(fmt, ap);
  va_end(ap);
  if (!s->message) {
    free(s);
    return &oom_status;
  }
  s->code = code;
  return s;
}

ajpq_status_t ajpq_status_annotate(ajpq_status_t s, const char *fmt, ...) {
  if (!s || s == &oom_status)
    return s;
  va_list ap;
  va_start(ap, fmt);
  char *ctx = vformat(fmt, ap);
  va_end(ap);
  if (!ctx)
    return s;
  size_t n = strlen(ctx) + 2 + strlen(s->message) + 1;
  char *joined = malloc(n);
  if (joined) {
    snprintf(joined, n, "%s: %s", ctx, s->message);
    free(s->message);
    s->message = joined;
  }
  free(ctx);
  return s;
}

ajpq_status_code_t ajpq_status_code(ajpq_status_t s) { return s ? s->code : AJPQ_OK; }

const char *ajpq_status_message(ajpq_status_t s) { return s ? s->message : ""; }

const char *ajpq_status_code_name(ajpq_status_code_t code) {
  switch (code) {
  case AJPQ_OK: return "OK";
  case AJPQ_INVALID_ARGUMENT: return "INVALID_ARGUMENT";
  case AJPQ_DATA_LOSS: return "DATA_LOSS";
  case AJPQ_IO_ERROR: return "IO_ERROR";
  case AJPQ_UNIMPLEMENTED: return "UNIMPLEMENTED";
  case AJPQ_RESOURCE_EXHAUSTED: return "RESOURCE_EXHAUSTED";
  case AJPQ_FAILED_PRECONDITION: return "FAILED_PRECONDITION";
  case AJPQ_INTERNAL: return "INTERNAL";
  case AJPQ_NOT_FOUND: return "NOT_FOUND";
  }
  return "UNKNOWN";
}

void ajpq_status_fprint(FILE *f, const char *prefix, ajpq_status_t s) {
  if (!s)
    return;
  fprintf(f, "%s: error: %s\n", prefix ? prefix : "ajpq", s->message);
}

void ajpq_status_free(ajpq_status_t s) {
  if (!s || s == &oom_status)
    return;
  free(s->message);
  free(s);
}
