/* stall_rename.c — LD_PRELOAD shim for the runner's interrupt test (interrupt-save-outputs.test).
 * rename() of a temporary output (`*.tmp*`, support/ajpq_output.h) waits STALL_RENAME_SECONDS
 * (default 300) before renaming, so a signal provably arrives while a fully written temporary file
 * exists and the final file does not yet: without it the runner's outputs are written in
 * microseconds, too fast to interrupt on purpose. The wait ends early only by a signal (sleep
 * returns), which is what the test sends; the real rename runs if the process survives it. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int rename(const char *from, const char *to) {
  const char *env = getenv("STALL_RENAME_SECONDS");
  int secs = env ? atoi(env) : 300;
  if (strstr(from, ".tmp"))
    for (int i = 0; i < secs && sleep(1) == 0; i++)
      ;
  int (*real)(const char *, const char *) =
      (int (*)(const char *, const char *))dlsym(RTLD_NEXT, "rename");
  return real ? real(from, to) : -1;
}
