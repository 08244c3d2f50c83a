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
 *
 * Interrupts: while a temporary file is open its path sits in a small
 * fixed-size registry (ajpq_output_install_signal_cleanup explains why and
 * how), so a tool stopped by Ctrl-C, `kill` or a closed terminal in the middle
 * of a long run (an ajpq-opt --joint-compress search holds its `-o` temporary
 * file open for the whole search) leaves neither the output nor a
 * `<path>.tmpXXXXXX` behind.
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
  int sig_slot;     /* slot of tmp_path in the interrupt-cleanup registry, -1 = none
                       (in place, or the registry was full / the path too long) */
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

/* Makes SIGINT, SIGTERM and SIGHUP remove every temporary output file that
 * is open at that moment (in this process, any thread), then end the process
 * by that signal as if no handler were installed: the default action runs, so
 * the exit status says "killed by SIGINT" (shell: 130) and a parent such as
 * make or a shell script sees the interruption, not a normal exit.
 *
 * Why explicit: the output library is also linked into other programs
 * (compiler engineers run our passes inside their own pipelines), and a
 * library must not take signals over behind its host's back. The ajpq tools
 * call this once at the start of main. A signal whose disposition is not the
 * default — a handler the host installed, or SIG_IGN (nohup, a background
 * job's SIGINT) — is left exactly as it is; such a host does its own
 * cleanup (typically: its handler sets a flag, its normal code then calls
 * ajpq_output_abort, which is not async-signal-safe itself). Calling this
 * again is a no-op.
 *
 * Async-signal-safety: the handler only reads a static array of fixed-size
 * path buffers whose slots are claimed and published with lock-free C11
 * atomics, and only calls unlink, sigaction and raise (all async-signal-safe
 * per POSIX) — no malloc, no stdio. A registered path is unregistered only
 * after the rename/unlink that ends it, so the handler may at worst unlink a
 * path that is already gone (harmless), never miss an existing one; creating
 * and registering a temporary file (and renaming and unregistering it) run
 * with these signals blocked in the calling thread, so there is no window in
 * a single-threaded process (in a multi-threaded one a signal taken by
 * another thread during those few instructions can still miss that one
 * file). At most
 * AJPQ_OUTPUT_MAX_PENDING temporary files of at most 4095 bytes path length
 * are covered at once; beyond that an output still works but its temporary
 * file is not removed on a signal.
 *
 * Returns NULL, or AJPQ_INTERNAL naming the signal whose sigaction failed
 * (owned by the caller; the signals set up before it stay set up). */
ajpq_status_t ajpq_output_install_signal_cleanup(void);

/* How many temporary files the interrupt cleanup registry holds at once. */
#define AJPQ_OUTPUT_MAX_PENDING 16

#ifdef __cplusplus
}
#endif

#endif /* AJPQ_SUPPORT_OUTPUT_H */
