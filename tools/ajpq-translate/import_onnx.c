/* import_onnx.c — the --import-onnx translation: ONNX -> MLIR text. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ajpq_onnx.h"
#include "mlir-c/IR.h"
#include "translate.h"

static void write_chunk(MlirStringRef s, void *user) {
  fwrite(s.data, 1, s.length, (FILE *)user);
}

int ajpq_translate_import_onnx(const ajpq_translate_args_t *a) {
  ajpq_onnx_options_t opts;
  ajpq_onnx_options_init(&opts);
  ajpq_onnx_input_shape_t shapes[64];
  char names[64][256];
  int ns = 0;
  for (int i = 0; i < a->argc; ++i) {
    const char *s = a->argv[i];
    if (strncmp(s, "--input-shape=", 14) == 0) {
      if (ns == 64) {
        fprintf(stderr, "ajpq-translate: error: more than 64 --input-shape options\n");
        return 1;
      }
      ajpq_status_t st =
          ajpq_onnx_parse_input_shape(s + 14, names[ns], sizeof(names[ns]), &shapes[ns]);
      if (st) {
        ajpq_status_fprint(stderr, "ajpq-translate", st);
        ajpq_status_free(st);
        return 1;
      }
      ++ns;
    } else if (strncmp(s, "--func-name=", 12) == 0) {
      if (!s[12]) {
        fprintf(stderr, "ajpq-translate: error: --func-name needs a non-empty NAME\n");
        return 1;
      }
      opts.func_name = s + 12;
    } else {
      return ajpq_translate_unknown_option(s, "--import-onnx");
    }
  }
  opts.input_shapes = shapes;
  opts.n_input_shapes = ns;
  MlirContext ctx = mlirContextCreateWithThreading(false);
  ajpq_onnx_load_dialects(ctx);
  MlirModule m;
  ajpq_status_t st = ajpq_onnx_import_file(ctx, a->input, &opts, &m);
  if (st) {
    ajpq_status_fprint(stderr, "ajpq-translate", st);
    ajpq_status_free(st);
    mlirContextDestroy(ctx);
    return 1;
  }
  ajpq_output_t out;
  FILE *f = ajpq_translate_open_output(a->output, &out);
  int rc = 1;
  if (f) {
    MlirOpPrintingFlags fl = mlirOpPrintingFlagsCreate();
    if (a->elide_limit >= 0) {
      mlirOpPrintingFlagsElideLargeElementsAttrs(fl, a->elide_limit);
      mlirOpPrintingFlagsElideLargeResourceString(fl, a->elide_limit);
    }
    /* Default on (-1): the ONNX node names must survive a trip through a
     * file so joint-compress reports and skip-layers can name layers. */
    if (a->debug_info != 0)
      mlirOpPrintingFlagsEnableDebugInfo(fl, true, false);
    mlirOperationPrintWithFlags(mlirModuleGetOperation(m), fl, write_chunk, f);
    fputc('\n', f);
    mlirOpPrintingFlagsDestroy(fl);
    rc = ajpq_translate_close_output(&out, 1);
  }
  mlirModuleDestroy(m);
  mlirContextDestroy(ctx);
  return rc;
}
