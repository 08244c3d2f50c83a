/* output.c — see ajpq_output.h. */
#define _GNU_SOURCE
#include "ajpq_output.h"

#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- Interrupt cleanup (see ajpq_output_install_signal_cleanup) ----------
 *
 * A slot is FREE, CLAIMED (a thread is copying a path in or out; the handler
 * skips it) or LIVE (the handler unlinks its path). The buffers are static so
 * the handler needs no allocation; the states are lock-free atomics (asserted
 * below), so reading them in a handler is async-signal-safe. */
enum { SLOT_FREE = 0, SLOT_CLAIMED = 1, SLOT_LIVE = 2 };
#define PENDING_PATH_MAX 4096
static char g_pending[AJPQ_OUTPUT_MAX_PENDING][PENDING_PATH_MAX];
static atomic_int g_pending_state[AJPQ_OUTPUT_MAX_PENDING];
static atomic_bool g_cleanup_installed;
_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "the signal handler needs lock-free atomic_int");

/* The signals whose default action kills the process and that a user sends to
 * stop a tool: Ctrl-C, kill/timeout, a closed terminal. */
static const int k_cleanup_signals[] = {SIGINT, SIGTERM, SIGHUP};

/* Blocks the cleanup signals in this thread, so that creating (or removing) a
 * temporary file and (un)registering it happen as one step for the handler:
 * no window in which the file exists unregistered. */
static void block_cleanup_signals(sigset_t *old) {
  sigset_t set;
  sigemptyset(&set);
  for (size_t i = 0; i < sizeof(k_cleanup_signals) / sizeof(k_cleanup_signals[0]); i++)
    sigaddset(&set, k_cleanup_signals[i]);
  pthread_sigmask(SIG_BLOCK, &set, old);
}

static void restore_signals(const sigset_t *old) { pthread_sigmask(SIG_SETMASK, old, NULL); }

/* Puts `path` into a free slot; returns the slot or -1 (registry full, path
 * too long: the output still works, only without interrupt cleanup). */
static int pending_add(const char *path) {
  size_t n = strlen(path);
  if (n >= PENDING_PATH_MAX)
    return -1;
  for (int i = 0; i < AJPQ_OUTPUT_MAX_PENDING; i++) {
    int expect = SLOT_FREE;
    if (atomic_compare_exchange_strong(&g_pending_state[i], &expect, SLOT_CLAIMED)) {
      memcpy(g_pending[i], path, n + 1);
      atomic_store(&g_pending_state[i], SLOT_LIVE);
      return i;
    }
  }
  return -1;
}

static void pending_remove(int slot) {
  if (slot >= 0)
    atomic_store(&g_pending_state[slot], SLOT_FREE);
}

/* The handler: only async-signal-safe calls (unlink, sigaction, raise). */
static void cleanup_on_signal(int sig) {
  int saved_errno = errno;
  for (int i = 0; i < AJPQ_OUTPUT_MAX_PENDING; i++)
    if (atomic_load(&g_pending_state[i]) == SLOT_LIVE)
      unlink(g_pending[i]);
  /* Default action + re-raise: the signal is blocked while this handler runs,
   * so it is delivered (and kills the process) as soon as the handler returns,
   * giving the parent a "killed by <sig>" status. */
  struct sigaction dfl;
  memset(&dfl, 0, sizeof(dfl));
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  sigaction(sig, &dfl, NULL);
  raise(sig);
  errno = saved_errno;
}

ajpq_status_t ajpq_output_install_signal_cleanup(void) {
  if (atomic_exchange(&g_cleanup_installed, true))
    return NULL;
  static const char *const names[] = {"SIGINT", "SIGTERM", "SIGHUP"};
  for (size_t i = 0; i < sizeof(k_cleanup_signals) / sizeof(k_cleanup_signals[0]); i++) {
    int sig = k_cleanup_signals[i];
    struct sigaction old;
    if (sigaction(sig, NULL, &old) != 0)
      return ajpq_status_make(AJPQ_INTERNAL, "cannot query the %s handler: %s", names[i],
                              strerror(errno));
    /* Leave a host's handler and an inherited SIG_IGN alone (see the header). */
    if ((old.sa_flags & SA_SIGINFO) || old.sa_handler != SIG_DFL)
      continue;
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = cleanup_on_signal;
    sigemptyset(&sa.sa_mask);
    /* A second signal (SIGTERM after Ctrl-C) waits until the first one's
     * cleanup is done instead of interrupting it. */
    for (size_t j = 0; j < sizeof(k_cleanup_signals) / sizeof(k_cleanup_signals[0]); j++)
      sigaddset(&sa.sa_mask, k_cleanup_signals[j]);
    if (sigaction(sig, &sa, NULL) != 0)
      return ajpq_status_make(AJPQ_INTERNAL, "cannot install the %s handler: %s", names[i],
                              strerror(errno));
  }
  return NULL;
}

/* True if `path` must be written in place (see ajpq_output.h). */
static bool write_in_place(const char *path, const struct stat *sb, bool exists) {
  if (!strncmp(path, "/dev/", 5) || !strncmp(path, "/proc/", 6))
    return true;
  return exists && !S_ISREG(sb->st_mode);
}

ajpq_status_t ajpq_output_open(ajpq_output_t *out, const char *path) {
  memset(out, 0, sizeof(*out));
  out->path = path;
  out->sig_slot = -1;
  if (!strcmp(path, "-")) {
    out->f = stdout;
    return NULL;
  }
  if (!*path)
    return ajpq_status_make(AJPQ_INVALID_ARGUMENT, "cannot write output file '': empty name");
  struct stat sb;
  bool exists = stat(path, &sb) == 0;
  if (exists && S_ISDIR(sb.st_mode)) {
    out->err = EISDIR;
    return ajpq_status_make(AJPQ_IO_ERROR, "cannot write output file '%s': Is a directory", path);
  }
  if (write_in_place(path, &sb, exists)) {
    out->f = fopen(path, "wb");
    if (!out->f) {
      out->err = errno;
      return ajpq_status_make(AJPQ_IO_ERROR, "cannot write output file '%s': %s", path,
                              strerror(out->err));
    }
    return NULL;
  }
  size_t n = strlen(path) + 16;
  out->tmp_path = malloc(n);
  if (!out->tmp_path) {
    out->err = ENOMEM;
    return ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED, "cannot write output file '%s': out of memory",
                            path);
  }
  snprintf(out->tmp_path, n, "%s.tmpXXXXXX", path);
  sigset_t oldmask;
  block_cleanup_signals(&oldmask);
  int fd = mkstemp(out->tmp_path);
  int mkstemp_errno = errno;
  if (fd >= 0)
    out->sig_slot = pending_add(out->tmp_path);
  restore_signals(&oldmask);
  if (fd < 0) {
    int err = out->err = mkstemp_errno;
    free(out->tmp_path);
    out->tmp_path = NULL;
    return ajpq_status_make(AJPQ_IO_ERROR, "cannot create output file '%s': %s", path,
                            strerror(err));
  }
  /* mkstemp creates 0600; give the file the mode a plain fopen would. */
  mode_t mask = umask(0);
  umask(mask);
  (void)fchmod(fd, 0666 & ~mask);
  out->f = fdopen(fd, "wb");
  if (!out->f) {
    int err = out->err = errno;
    close(fd);
    unlink(out->tmp_path);
    pending_remove(out->sig_slot);
    out->sig_slot = -1;
    free(out->tmp_path);
    out->tmp_path = NULL;
    return ajpq_status_make(AJPQ_IO_ERROR, "cannot write output file '%s': %s", path,
                            strerror(err));
  }
  return NULL;
}

const char *ajpq_output_write_path(const ajpq_output_t *out) {
  return out->tmp_path ? out->tmp_path : out->path;
}

ajpq_status_t ajpq_output_commit(ajpq_output_t *out) {
  if (!out->f)
    return ajpq_status_make(AJPQ_INTERNAL, "output '%s' committed twice or never opened",
                            out->path ? out->path : "?");
  ajpq_status_t st = NULL;
  if (out->f == stdout) {
    if (fflush(stdout) != 0)
      st = ajpq_status_make(AJPQ_IO_ERROR, "cannot write to stdout: %s", strerror(errno));
    out->f = NULL;
    return st;
  }
  bool wrote = !ferror(out->f);
  errno = 0;
  wrote = (fclose(out->f) == 0) && wrote;
  int err = errno;
  out->f = NULL;
  if (!wrote) {
    out->err = err ? err : EIO;
    st = err ? ajpq_status_make(AJPQ_IO_ERROR, "cannot write output file '%s': %s", out->path,
                                strerror(err))
             : ajpq_status_make(AJPQ_IO_ERROR, "cannot write output file '%s'", out->path);
  } else if (out->tmp_path) {
    /* Rename and unregister as one step for the handler (see
     * block_cleanup_signals): a signal now either finds the temporary file
     * registered or finds the output complete. */
    sigset_t oldmask;
    block_cleanup_signals(&oldmask);
    if (rename(out->tmp_path, out->path) != 0)
      out->err = errno;
    else {
      pending_remove(out->sig_slot);
      out->sig_slot = -1;
    }
    restore_signals(&oldmask);
    if (out->err)
      st = ajpq_status_make(AJPQ_IO_ERROR, "cannot write output file '%s': %s", out->path,
                            strerror(out->err));
  }
  if (out->tmp_path) {
    if (st)
      unlink(out->tmp_path);
    pending_remove(out->sig_slot);
    out->sig_slot = -1;
    free(out->tmp_path);
    out->tmp_path = NULL;
  }
  return st;
}

void ajpq_output_abort(ajpq_output_t *out) {
  if (out->f == stdout)
    fflush(stdout);
  else if (out->f)
    fclose(out->f);
  out->f = NULL;
  if (out->tmp_path) {
    unlink(out->tmp_path);
    pending_remove(out->sig_slot);
    out->sig_slot = -1;
    free(out->tmp_path);
    out->tmp_path = NULL;
  }
}
