/* output.c — see ajpq_output.h. */
#define _GNU_SOURCE
#include "ajpq_output.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* True if `path` must be written in place (see ajpq_output.h). */
static bool write_in_place(const char *path, const struct stat *sb, bool exists) {
  if (!strncmp(path, "/dev/", 5) || !strncmp(path, "/proc/", 6))
    return true;
  return exists && !S_ISREG(sb->st_mode);
}

ajpq_status_t ajpq_output_open(ajpq_output_t *out, const char *path) {
  memset(out, 0, sizeof(*out));
  out->path = path;
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
  int fd = mkstemp(out->tmp_path);
  if (fd < 0) {
    int err = out->err = errno;
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
  } else if (out->tmp_path && rename(out->tmp_path, out->path) != 0) {
    out->err = errno;
    st = ajpq_status_make(AJPQ_IO_ERROR, "cannot write output file '%s': %s", out->path,
                          strerror(out->err));
  }
  if (out->tmp_path) {
    if (st)
      unlink(out->tmp_path);
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
    free(out->tmp_path);
    out->tmp_path = NULL;
  }
}
