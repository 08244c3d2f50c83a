/* translate.h — the translation table of ajpq-translate (mlir-translate
 * conventions: exactly one translation flag, input file or stdin, -o).
 *
 * A translation is one entry {flag, help, run} in k_translations (main.c).
 * To add one (e.g. --mlir-to-obj): write a file here defining its run
 * function, declare it below, add its line to the table, and add the file in
 * CMakeLists.txt. main.c parses the common options; every option it does not
 * know is left in args->argv for the translation, which must reject the ones
 * it does not know (ajpq_translate_unknown_option). */
#ifndef AJPQ_TRANSLATE_H
#define AJPQ_TRANSLATE_H

#include <stdio.h>

#include "ajpq_output.h"

typedef struct {
  const char *input;  /* input path, "-" = stdin */
  const char *output; /* output path, "-" = stdout */
  long elide_limit;   /* --mlir-elide-elementsattrs-if-larger=N, -1 if absent */
  int debug_info;     /* --mlir-print-debuginfo */
  int argc;           /* options left for the translation */
  char **argv;
} ajpq_translate_args_t;

typedef struct {
  const char *flag;                              /* "--import-onnx" */
  const char *help;                              /* one line */
  int (*run)(const ajpq_translate_args_t *args); /* returns the exit code (0 ok, 1 error) */
} ajpq_translation_t;

/* Opens the output `path` through support/ajpq_output.h ("-" = stdout; a
 * temporary file renamed on success; devices, FIFOs and /dev, /proc paths
 * written in place). Returns out->f, or NULL after printing an error that
 * names `path`. */
FILE *ajpq_translate_open_output(const char *path, ajpq_output_t *out);

/* Ends the output: when ok, commits it (rename over the path), else aborts
 * (no half-written output). Returns 0 on success, 1 (with a message naming
 * the output path) if writing or renaming failed or ok was 0. */
int ajpq_translate_close_output(ajpq_output_t *out, int ok);

/* Prints "ajpq-translate: error: unknown option '<opt>' for <flag>" and
 * returns 1. */
int ajpq_translate_unknown_option(const char *opt, const char *flag);

/* Translations. */
int ajpq_translate_import_onnx(const ajpq_translate_args_t *args);
#ifdef AJPQ_HAVE_MLIR_TO_OBJ
int ajpq_translate_mlir_to_obj(const ajpq_translate_args_t *args);
#endif

#endif
