/* output.c — `-o FILE`: write to a temporary file next to FILE and rename it
 * over FILE only when the whole run succeeded, so a failed run never leaves a
 * half-written (or any new) output file. "-" writes to stdout.
 */
#include "opt.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

bool opt_output_open(opt_output_t *out, const char *path) {
  memset(out, 0, sizeof(*out));
  out->path = path;
  if (!strcmp(path, "-")) {
    out->f = stdout;
    return true;
  }
  /* An existing non-regular file (/dev/null, a FIFO, a terminal) and any
   * path under /dev or /proc (/dev/stdout is a symlink, maybe to a regular
   * file) are written in place: a temporary file renamed over them would
   * replace the device node or link (as root, `-o /dev/null` broke
   * /dev/null for the whole machine). */
  struct stat sb;
  bool exists = stat(path, &sb) == 0;
  if ((exists && !S_ISREG(sb.st_mode)) || !strncmp(path, "/dev/", 5) ||
      !strncmp(path, "/proc/", 6)) {
    if (exists && S_ISDIR(sb.st_mode)) {
      fprintf(stderr, "%s: error: cannot write output file '%s': Is a directory\n", OPT_TOOL, path);
      return false;
    }
    out->f = fopen(path, "w");
    if (!out->f) {
      fprintf(stderr, "%s: error: cannot write output file '%s': %s\n", OPT_TOOL, path,
              strerror(errno));
      return false;
    }
    return true;
  }
  size_t n = strlen(path);
  out->tmp_path = malloc(n + 16);
  if (!out->tmp_path) {
    fprintf(stderr, "%s: error: out of memory\n", OPT_TOOL);
    return false;
  }
  snprintf(out->tmp_path, n + 16, "%s.tmp.XXXXXX", path);
  int fd = mkstemp(out->tmp_path);
  if (fd < 0) {
    fprintf(stderr, "%s: error: cannot create output file '%s': %s\n", OPT_TOOL, path,
            strerror(errno));
    free(out->tmp_path);
    out->tmp_path = NULL;
    return false;
  }
  /* mkstemp creates 0600; give the file the mode a plain fopen would. */
  mode_t mask = umask(0);
  umask(mask);
  (void)fchmod(fd, 0666 & ~mask);
  out->f = fdopen(fd, "w");
  if (!out->f) {
    fprintf(stderr, "%s: error: cannot write output file '%s': %s\n", OPT_TOOL, path,
            strerror(errno));
    close(fd);
    unlink(out->tmp_path);
    free(out->tmp_path);
    out->tmp_path = NULL;
    return false;
  }
  return true;
}

bool opt_output_close(opt_output_t *out, bool ok) {
  if (!out->f)
    return false;
  if (out->f == stdout) {
    bool flushed = fflush(stdout) == 0;
    out->f = NULL;
    if (!flushed)
      fprintf(stderr, "%s: error: cannot write to stdout: %s\n", OPT_TOOL, strerror(errno));
    return flushed;
  }
  bool wrote = !ferror(out->f);
  wrote = (fclose(out->f) == 0) && wrote;
  out->f = NULL;
  if (!out->tmp_path) { /* a device or FIFO written in place */
    if (ok && !wrote)
      fprintf(stderr, "%s: error: cannot write output file '%s'\n", OPT_TOOL, out->path);
    return ok && wrote;
  }
  bool result = false;
  if (ok && wrote) {
    if (rename(out->tmp_path, out->path) == 0)
      result = true;
    else
      fprintf(stderr, "%s: error: cannot rename '%s' to '%s': %s\n", OPT_TOOL, out->tmp_path,
              out->path, strerror(errno));
  } else if (ok) {
    fprintf(stderr, "%s: error: cannot write output file '%s'\n", OPT_TOOL, out->path);
  }
  if (!result)
    unlink(out->tmp_path);
  free(out->tmp_path);
  out->tmp_path = NULL;
  return result;
}
