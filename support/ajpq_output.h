/* ajpq_output.h — write an output file all-or-nothing, safely for devices.
 *
 * Every ajpq tool that writes a file (ajpq-opt -o, ajpq-translate -o and
 * --header, ajpq-runner --save-outputs) goes through this one implementation:
 *
 *   ajpq_output_t o;
 *   ajpq_status_t st = ajpq_output_open(&o, path);   // "-" = stdout
 *   if (!st) { fwrite(..., o.f); st = ok ? ajpq_output_commit(&o) : (ajpq_output_abort(&o), x); }
 *
 * A regular file (or a path that does not exist yet) is written to a
 * temporary file `<path>.tmpXXXXXX` in the same directory and renamed over
 * `path` only by ajpq_output_commit, so a failed run never leaves a
 * half-written or new output. Anything that is not a regular file — a
 * character device such as /dev/null, a FIFO, a terminal — and every path
 * under /dev/ or /proc/ (/dev/stdout is a symlink) is written IN PLACE:
 * renaming a temporary file over it would replace the device node (as root,
 * `-o /dev/null` once turned /dev/null into a regular file for the whole
 * machine). A directory is refused ("Is a directory").
 *
 * Error messages always name the output path as the user gave it, never the
 * temporary file. Pure C; no MLIR here.
 */
#ifndef AJPQ_SUPPORT_OUTPUT_H
#define AJPQ_SUPPORT_OUTPUT_H

#include <stdbool.h>
#include <stdio.h>

#include "ajpq_status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* An output being written. All fields are read-only for the caller. */
typedef struct {
  const char *path; /* output path as given (borrowed: must outlive the output), "-" = stdout */
  char *tmp_path;   /* temporary file renamed on commit (owned); NULL when written in place */
  FILE *f;          /* the stream to write to (binary mode); NULL once committed/aborted */
  int err;          /* errno of the last failure of open/commit (0 = none), for callers
                       that word their own message */
} ajpq_output_t;

/* Opens `path` for writing (see the file comment for the in-place rules).
 * On success `out->f` is ready; the caller must end with exactly one
 * ajpq_output_commit or ajpq_output_abort. On error `out` holds nothing
 * (no temp file left) and the status (AJPQ_IO_ERROR, AJPQ_RESOURCE_EXHAUSTED)
 * says "cannot write output file '<path>': <reason>" or
 * "cannot create output file '<path>': <reason>" (owned by the caller). */
ajpq_status_t ajpq_output_open(ajpq_output_t *out, const char *path);

/* The path the bytes currently go to: the temporary file, or `path` itself
 * when written in place. For writers that take a file name instead of a
 * FILE* (they must truncate and write that file, not replace it). */
const char *ajpq_output_write_path(const ajpq_output_t *out);

/* Flushes and closes the stream; renames the temporary file over `path`.
 * stdout is only flushed. Returns NULL on success, else AJPQ_IO_ERROR
 * "cannot write output file '<path>'[: reason]" and removes the temporary
 * file. Always releases everything `out` holds. */
ajpq_status_t ajpq_output_commit(ajpq_output_t *out);

/* Gives up: closes the stream and removes the temporary file (a file written
 * in place keeps what was written; stdout is flushed). Safe to call on an
 * output already committed or aborted, or one whose open failed. */
void ajpq_output_abort(ajpq_output_t *out);

#ifdef __cplusplus
}
#endif

#endif /* AJPQ_SUPPORT_OUTPUT_H */
