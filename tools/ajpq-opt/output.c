/* output.c — `-o FILE` of ajpq-opt, on top of support/ajpq_output.h (temp
 * file renamed over FILE only when the whole run succeeded; devices, FIFOs
 * and paths under /dev or /proc written in place; "-" is stdout). */
#include "opt.h"

#include <stdlib.h>

bool opt_output_open(opt_output_t *out, const char *path) {
  ajpq_status_t st = ajpq_output_open(out, path);
  if (st) {
    ajpq_status_fprint(stderr, OPT_TOOL, st);
    ajpq_status_free(st);
    return false;
  }
  return true;
}

bool opt_output_close(opt_output_t *out, bool ok) {
  if (!ok) {
    ajpq_output_abort(out);
    return false;
  }
  ajpq_status_t st = ajpq_output_commit(out);
  if (st) {
    ajpq_status_fprint(stderr, OPT_TOOL, st);
    ajpq_status_free(st);
    return false;
  }
  return true;
}
