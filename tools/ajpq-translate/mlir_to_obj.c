/* mlir_to_obj.c — the --mlir-to-obj translation of ajpq-translate:
 *
 *   ajpq-translate --mlir-to-obj model.mlir -o model.o --header=model.h
 *       [--target-features=+avx512f,...] [--func=NAME] [--timing]
 *   ajpq-translate --mlir-to-obj --print-pipeline
 *
 * Parses a module with ajpq ops (and float TOSA ops), adds a C entry point
 * for the model function (ajpq_codegen_add_entry), lowers it with
 * ajpq-lower-to-kernels + the upstream pipeline (ajpq_codegen_lower), and
 * emits an O3 object for the host CPU or --target-features through the LLVM
 * C API (ajpq_codegen_emit_object). --header writes the C header documenting
 * `<func>_run(in0…, out0…)`. Outputs are written to temporary files and
 * renamed on success. --timing prints the wall and CPU seconds of every stage
 * (parse, ajpq-lower-to-kernels, upstream MLIR pipeline, MLIR to LLVM IR,
 * LLVM optimization, LLVM code generation, total) to stderr.
 * --print-pipeline prints the upstream phases (ajpq_codegen_print_pipeline)
 * to stdout and exits without reading the input.
 * Owned by the kernels engineer; see kernels/ajpq_codegen.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ajpq_codegen.h"
#include "ajpq_dialect.h"
#include "ajpq_output.h"
#include "mlir-c/Diagnostics.h"
#include "mlir-c/IR.h"
#include "translate.h"

static void print_cb(MlirStringRef s, void *ud) {
  fwrite(s.data, 1, s.length, (FILE *)ud);
}

static MlirLogicalResult on_diag(MlirDiagnostic d, void *ud) {
  (void)ud;
  fprintf(stderr, "ajpq-translate: ");
  MlirLocation loc = mlirDiagnosticGetLocation(d);
  mlirLocationPrint(loc, print_cb, stderr);
  fprintf(stderr, ": %s: ", mlirDiagnosticGetSeverity(d) == MlirDiagnosticError ? "error" : "note");
  mlirDiagnosticPrint(d, print_cb, stderr);
  fprintf(stderr, "\n");
  return mlirLogicalResultSuccess();
}

static double now_s(clockid_t id) {
  struct timespec ts;
  clock_gettime(id, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void print_stage(const char *name, double wall, double cpu) {
  fprintf(stderr, "ajpq-translate: timing: %-24s wall %8.3f s  cpu %8.3f s\n", name, wall, cpu);
}

static char *read_all(const char *path, size_t *len) {
  FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
  if (!f)
    return NULL;
  size_t cap = 1 << 16, n = 0;
  char *buf = malloc(cap);
  while (buf) {
    if (n + 1 >= cap) {
      char *nb = realloc(buf, cap *= 2);
      if (!nb) {
        free(buf);
        buf = NULL;
        break;
      }
      buf = nb;
    }
    size_t got = fread(buf + n, 1, cap - n - 1, f);
    n += got;
    if (got == 0)
      break;
  }
  if (buf)
    buf[n] = 0;
  if (f != stdin)
    fclose(f);
  *len = n;
  return buf;
}

int ajpq_translate_mlir_to_obj(const ajpq_translate_args_t *args) {
  const char *header = NULL, *features = NULL, *func = NULL;
  bool timing = false, print_pipeline = false;
  for (int i = 0; i < args->argc; ++i) {
    const char *s = args->argv[i];
    if (strncmp(s, "--header=", 9) == 0)
      header = s + 9;
    else if (strncmp(s, "--target-features=", 18) == 0)
      features = s + 18;
    else if (strncmp(s, "--func=", 7) == 0)
      func = s + 7;
    else if (strcmp(s, "--timing") == 0)
      timing = true;
    else if (strcmp(s, "--print-pipeline") == 0)
      print_pipeline = true;
    else
      return ajpq_translate_unknown_option(s, "--mlir-to-obj");
  }
  if (print_pipeline) {
    ajpq_codegen_print_pipeline(stdout);
    return fflush(stdout) == 0 ? 0 : 1;
  }
  if (strcmp(args->output, "-") == 0) {
    fprintf(stderr,
            "ajpq-translate: error: --mlir-to-obj writes an object file: give -o <file.o>\n");
    return 1;
  }
  size_t len = 0;
  char *text = NULL;
  int from_stdin = strcmp(args->input, "-") == 0;
  if (from_stdin && !(text = read_all(args->input, &len))) {
    fprintf(stderr, "ajpq-translate: error: cannot read stdin\n");
    return 1;
  }
  if (!from_stdin) {
    /* A clear message for a missing/unreadable input (the MLIR parser only
     * says "could not open input file" at an unknown location). */
    struct stat sb;
    FILE *probe = fopen(args->input, "rb");
    if (!probe || fstat(fileno(probe), &sb) != 0 || S_ISDIR(sb.st_mode)) {
      fprintf(stderr, "ajpq-translate: error: cannot read input file '%s': %s\n", args->input,
              probe ? "is a directory" : strerror(errno));
      if (probe)
        fclose(probe);
      return 1;
    }
    fclose(probe);
    if (!(text = read_all(args->input, &len))) {
      fprintf(stderr, "ajpq-translate: error: cannot read input file '%s'\n", args->input);
      return 1;
    }
  }
  unsigned deep_line = 0, deep_col = 0;
  if (!ajpq_mlir_nesting_ok(text, len, AJPQ_MLIR_MAX_NESTING, &deep_line, &deep_col)) {
    fprintf(stderr,
            "ajpq-translate: error: %s:%u:%u: brackets nested deeper than %d levels (refused: "
            "MLIR's parser would overflow its stack)\n",
            from_stdin ? "<stdin>" : args->input, deep_line, deep_col, AJPQ_MLIR_MAX_NESTING);
    free(text);
    return 1;
  }
  double parse_wall = now_s(CLOCK_MONOTONIC), parse_cpu = now_s(CLOCK_PROCESS_CPUTIME_ID);
  ajpq_codegen_timing_t tm = {{0}, {0}};
  MlirContext ctx = mlirContextCreate();
  mlirContextAttachDiagnosticHandler(ctx, on_diag, NULL, NULL);
  int rc = 1;
  MlirModule m = {NULL};
  ajpq_status_t st = NULL;
  if (!ajpq_codegen_prepare_context(ctx)) {
    fprintf(stderr, "ajpq-translate: error: cannot load the ajpq dialect\n");
    goto out;
  }
  m = from_stdin ? mlirModuleCreateParse(ctx, mlirStringRefCreate(text, len))
                 : mlirModuleCreateParseFromFile(ctx, mlirStringRefCreateFromCString(args->input));
  if (mlirModuleIsNull(m)) {
    fprintf(stderr, "ajpq-translate: error: '%s': parse failed\n", args->input);
    goto out;
  }
  parse_wall = now_s(CLOCK_MONOTONIC) - parse_wall;
  parse_cpu = now_s(CLOCK_PROCESS_CPUTIME_ID) - parse_cpu;
  ajpq_codegen_signature_t sig;
  st = ajpq_codegen_add_entry(m, func, &sig);
  if (!st)
    st = ajpq_codegen_lower_timed(m, features, &tm);
  /* Both outputs or neither (support/ajpq_output.h): both are written to
   * temporary files (devices and FIFOs in place) and committed only when
   * everything was written. */
  ajpq_output_t obj_out = {0}, hdr_out = {0};
  bool obj_open = false, hdr_open = false;
  if (!st) {
    st = ajpq_output_open(&obj_out, args->output);
    if (st) {
      ajpq_status_free(st);
      st = ajpq_status_make(AJPQ_IO_ERROR, "cannot write object '%s': %s", args->output,
                            strerror(obj_out.err));
    } else {
      obj_open = true;
    }
  }
  if (!st && header) {
    st = ajpq_output_open(&hdr_out, header);
    if (st) {
      ajpq_status_free(st);
      st = ajpq_status_make(AJPQ_IO_ERROR, "cannot write header '%s': %s", header,
                            strerror(hdr_out.err));
    } else {
      hdr_open = true;
    }
  }
  if (!st && header)
    st = ajpq_codegen_print_header(&sig, args->input, hdr_out.f);
  if (!st)
    st = ajpq_codegen_emit_object_timed(m, features, obj_out.f, &tm);
  bool obj_is_file = obj_out.tmp_path != NULL; /* not a device written in place */
  if (!st) {
    obj_open = false;
    st = ajpq_output_commit(&obj_out);
    if (st) {
      ajpq_status_free(st);
      st = ajpq_status_make(AJPQ_IO_ERROR, "cannot write object '%s': %s", args->output,
                            strerror(obj_out.err));
    }
  }
  if (!st && hdr_open) {
    hdr_open = false;
    st = ajpq_output_commit(&hdr_out);
    if (st) {
      ajpq_status_free(st);
      st = ajpq_status_make(AJPQ_IO_ERROR, "cannot write header '%s': %s", header,
                            strerror(hdr_out.err));
      if (obj_is_file)
        unlink(args->output); /* neither: drop the object just committed */
    }
  }
  if (obj_open)
    ajpq_output_abort(&obj_out);
  if (hdr_open)
    ajpq_output_abort(&hdr_out);
  if (st) {
    fprintf(stderr, "ajpq-translate: error: %s: %s\n", args->input, ajpq_status_message(st));
    ajpq_status_free(st);
    goto out;
  }
  if (timing) {
    double tw = parse_wall, tc = parse_cpu;
    print_stage("parse", parse_wall, parse_cpu);
    for (int i = 0; i < AJPQ_CODEGEN_STAGE_COUNT; ++i) {
      print_stage(ajpq_codegen_stage_name((ajpq_codegen_stage_t)i), tm.wall_s[i], tm.cpu_s[i]);
      tw += tm.wall_s[i];
      tc += tm.cpu_s[i];
    }
    print_stage("total", tw, tc);
  }
  rc = 0;
out:
  if (!mlirModuleIsNull(m))
    mlirModuleDestroy(m);
  mlirContextDestroy(ctx);
  free(text);
  return rc;
}
