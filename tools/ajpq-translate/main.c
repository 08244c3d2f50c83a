/* ajpq-translate — translations into and out of MLIR, after mlir-translate:
 *   ajpq-translate --import-onnx model.onnx -o model.mlir
 * Common options are parsed here; each translation lives in its own file and
 * is selected through k_translations (see translate.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ajpq_output.h"
#include "translate.h"

static const ajpq_translation_t k_translations[] = {
    {"--import-onnx", "ONNX model (.onnx) -> MLIR (func.func in TOSA, NHWC inside)",
     ajpq_translate_import_onnx},
#ifdef AJPQ_HAVE_MLIR_TO_OBJ
    {"--mlir-to-obj", "MLIR (lowered ajpq kernels) -> object file", ajpq_translate_mlir_to_obj},
#endif
};
#define N_TRANSLATIONS (sizeof(k_translations) / sizeof(k_translations[0]))

static void usage(FILE *f) {
  fprintf(f, "OVERVIEW: ajpq translation driver\n\n"
             "USAGE: ajpq-translate <translation> [options] [input|-]\n\n"
             "Translations (exactly one):\n");
  for (size_t i = 0; i < N_TRANSLATIONS; ++i)
    fprintf(f, "  %-22s %s\n", k_translations[i].flag, k_translations[i].help);
  fprintf(f, "\nCommon options:\n"
             "  -o <file>                              output file (default: stdout); written\n"
             "                                         to a temporary file, renamed on success\n"
             "  --mlir-elide-elementsattrs-if-larger=N elide constants with more than N elements\n"
             "  --mlir-print-debuginfo[=true|false]    print locations (ONNX node names);\n"
             "                                         on by default for --import-onnx so\n"
             "                                         later passes and reports keep the\n"
             "                                         original layer names\n"
             "\n--import-onnx options:\n"
             "  --input-shape=NAME:1x3x224x224         fix an input's shape (repeatable)\n"
             "  --func-name=NAME                       name of the function (default: main)\n"
#ifdef AJPQ_HAVE_MLIR_TO_OBJ
             "\n--mlir-to-obj options (-o <file.o> is required):\n"
             "  --header=FILE.h                        also write a C header for the entry point\n"
             "  --target-features=+avx512f,...         LLVM target features (default: the host's)\n"
             "  --func=NAME                            entry function (default: main, else the\n"
             "                                         module's only public function)\n"
             "  --timing                               print wall/CPU seconds per stage to stderr\n"
             "  --print-pipeline                       print the upstream lowering phases and exit\n"
#endif
             "\nEvery option that takes a value accepts --opt=VALUE and --opt VALUE.\n");
}

FILE *ajpq_translate_open_output(const char *path, ajpq_output_t *out) {
  ajpq_status_t st = ajpq_output_open(out, path);
  if (st) {
    ajpq_status_fprint(stderr, "ajpq-translate", st);
    ajpq_status_free(st);
    return NULL;
  }
  return out->f;
}

int ajpq_translate_close_output(ajpq_output_t *out, int ok) {
  if (!ok) {
    ajpq_output_abort(out);
    return 1;
  }
  ajpq_status_t st = ajpq_output_commit(out);
  if (st) {
    ajpq_status_fprint(stderr, "ajpq-translate", st);
    ajpq_status_free(st);
    return 1;
  }
  return 0;
}

int ajpq_translate_unknown_option(const char *opt, const char *flag) {
  fprintf(stderr, "ajpq-translate: error: unknown option '%s' for %s (see --help)\n", opt, flag);
  return 1;
}

/* Options of the translations that take a value: "--opt VALUE" is accepted
 * as "--opt=VALUE" (mlir-translate / LLVM cl::opt convention). */
static const char *const k_value_options[] = {
    "--input-shape", "--func-name", "--header", "--target-features", "--func",
    "--mlir-elide-elementsattrs-if-larger",
};

static int is_value_option(const char *s) {
  for (size_t k = 0; k < sizeof(k_value_options) / sizeof(k_value_options[0]); ++k)
    if (strcmp(s, k_value_options[k]) == 0)
      return 1;
  return 0;
}

static int run_main(int argc, char **argv);

/* The resolved folder of path plus its last component into buf; 0 when the folder does not
 * resolve (the output would fail to open anyway). */
static int canon_path(const char *path, char *buf, size_t n) {
  const char *slash = strrchr(path, '/');
  char dir[PATH_MAX], real[PATH_MAX];
  if (!slash)
    snprintf(dir, sizeof dir, ".");
  else if (slash == path)
    snprintf(dir, sizeof dir, "/");
  else
    snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
  if (!realpath(dir, real))
    return 0;
  snprintf(buf, n, "%s/%s", real, slash ? slash + 1 : path);
  return 1;
}

/* True when paths a and b name one file: the same spelling, or (both existing) the same inode
 * (./x.o vs x.o, a symlink). "-" (stdout), devices and FIFOs never count. */
static int same_file(const char *a, const char *b) {
  if (!strcmp(a, "-") || !strcmp(b, "-"))
    return 0;
  struct stat sa, sb;
  int ha = stat(a, &sa) == 0, hb = stat(b, &sb) == 0;
  /* devices and FIFOs (-o /dev/null --header /dev/null) are written in place: sharing is fine */
  if ((ha && !S_ISREG(sa.st_mode)) || (hb && !S_ISREG(sb.st_mode)))
    return 0;
  if (!strcmp(a, b))
    return 1;
  if (ha && hb)
    return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
  /* not written yet: compare the resolved folders and the last components (./x.o vs x.o) */
  char ca[PATH_MAX + 256], cb[PATH_MAX + 256];
  return canon_path(a, ca, sizeof ca) && canon_path(b, cb, sizeof cb) && !strcmp(ca, cb);
}

int main(int argc, char **argv) {
  /* An interrupted import/compile must not leave -o/--header temporary files
   * behind (support/ajpq_output.h). */
  ajpq_status_t sig_st = ajpq_output_install_signal_cleanup();
  if (sig_st) {
    fprintf(stderr, "ajpq-translate: warning: %s\n", ajpq_status_message(sig_st));
    ajpq_status_free(sig_st);
  }
  /* Join "--opt VALUE" into "--opt=VALUE" first; everything below sees only
   * the "=" spelling. */
  char **joined = calloc((size_t)argc + 1, sizeof(char *));
  char **owned = calloc((size_t)argc + 1, sizeof(char *));
  if (!joined || !owned) {
    free(joined);
    free(owned);
    fprintf(stderr, "ajpq-translate: error: out of memory\n");
    return 1;
  }
  int n = 0, n_owned = 0, rc = 0;
  for (int i = 0; i < argc; ++i) {
    if (i > 0 && is_value_option(argv[i])) {
      if (i + 1 >= argc) {
        fprintf(stderr, "ajpq-translate: error: %s needs a value\n", argv[i]);
        rc = 1;
        break;
      }
      size_t len = strlen(argv[i]) + strlen(argv[i + 1]) + 2;
      char *j = malloc(len);
      if (!j) {
        fprintf(stderr, "ajpq-translate: error: out of memory\n");
        rc = 1;
        break;
      }
      snprintf(j, len, "%s=%s", argv[i], argv[i + 1]);
      owned[n_owned++] = j;
      joined[n++] = j;
      ++i;
    } else {
      joined[n++] = argv[i];
    }
  }
  if (!rc)
    rc = run_main(n, joined);
  for (int i = 0; i < n_owned; ++i)
    free(owned[i]);
  free(owned);
  free(joined);
  return rc;
}

static int run_main(int argc, char **argv) {
  ajpq_translate_args_t a = {"-", "-", -1, -1, 0, NULL};
  const ajpq_translation_t *tr = NULL;
  char **rest = calloc((size_t)argc + 1, sizeof(char *));
  int have_input = 0;
  if (!rest)
    return 1;
  for (int i = 1; i < argc; ++i) {
    const char *s = argv[i];
    const ajpq_translation_t *hit = NULL;
    for (size_t k = 0; k < N_TRANSLATIONS; ++k)
      if (strcmp(s, k_translations[k].flag) == 0)
        hit = &k_translations[k];
    if (hit) {
      if (tr && tr != hit) {
        fprintf(stderr, "ajpq-translate: error: more than one translation (%s, %s)\n", tr->flag,
                hit->flag);
        free(rest);
        return 1;
      }
      tr = hit;
    } else if (strcmp(s, "-h") == 0 || strcmp(s, "--help") == 0) {
      usage(stdout);
      free(rest);
      return 0;
    } else if (strcmp(s, "-o") == 0) {
      if (++i >= argc) {
        fprintf(stderr, "ajpq-translate: error: -o needs a file name\n");
        free(rest);
        return 1;
      }
      a.output = argv[i];
    } else if (strncmp(s, "-o", 2) == 0 && s[2] && s[1] != '-') {
      a.output = s + 2;
    } else if (strncmp(s, "--mlir-elide-elementsattrs-if-larger=", 37) == 0) {
      char *end;
      a.elide_limit = strtol(s + 37, &end, 10);
      if (end == s + 37 || *end || a.elide_limit < 0) {
        fprintf(stderr, "ajpq-translate: error: bad value in '%s'\n", s);
        free(rest);
        return 1;
      }
    } else if (strcmp(s, "--mlir-print-debuginfo") == 0 ||
               strcmp(s, "--mlir-print-debuginfo=true") == 0) {
      a.debug_info = 1;
    } else if (strcmp(s, "--mlir-print-debuginfo=false") == 0) {
      a.debug_info = 0;
    } else if (s[0] == '-' && s[1]) {
      rest[a.argc++] = argv[i];
    } else {
      if (have_input) {
        fprintf(stderr, "ajpq-translate: error: more than one input file ('%s', '%s')\n", a.input,
                s);
        free(rest);
        return 1;
      }
      a.input = s;
      have_input = 1;
    }
  }
  if (!tr) {
    fprintf(stderr, "ajpq-translate: error: no translation given (e.g. --import-onnx)\n");
    usage(stderr);
    free(rest);
    return 1;
  }
  /* --header= and --func= with an empty value ("--header=" from a shell variable
   * that was never set) used to fail late with "cannot write header '': Success"; and a header
   * written to the object's own path replaced the object and exited 0 with no object at all. */
  for (int i = 0; i < a.argc; ++i) {
    static const char *const k_nonempty[] = {"--header=", "--func="}; /* --func-name: import_onnx.c */
    for (size_t k = 0; k < sizeof k_nonempty / sizeof k_nonempty[0]; ++k) {
      size_t l = strlen(k_nonempty[k]);
      if (strncmp(rest[i], k_nonempty[k], l) == 0 && !rest[i][l]) {
        fprintf(stderr, "ajpq-translate: error: %.*s needs a non-empty value\n", (int)(l - 1),
                k_nonempty[k]);
        free(rest);
        return 1;
      }
    }
    if (strncmp(rest[i], "--header=", 9) == 0 && same_file(rest[i] + 9, a.output)) {
      fprintf(stderr,
              "ajpq-translate: error: --header '%s' is the same file as the output (-o '%s')\n",
              rest[i] + 9, a.output);
      free(rest);
      return 1;
    }
  }
  a.argv = rest;
  int rc = tr->run(&a);
  free(rest);
  return rc;
}
