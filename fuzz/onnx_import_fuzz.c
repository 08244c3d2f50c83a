/* onnx_import_fuzz.c — libFuzzer target for the ONNX importer: every input is
 * a candidate ModelProto fed to ajpq_onnx_import. Any outcome but a crash,
 * hang, leak or huge allocation is fine (errors are expected).
 *
 * Built as a libFuzzer binary with -DAJPQ_FUZZ=ON and clang:
 *   CC=clang cmake -S . -B build-fuzz -G Ninja -DAJPQ_FUZZ=ON
 *   cmake --build build-fuzz --target ajpq-onnx-fuzz
 *   build-fuzz/bin/ajpq-onnx-fuzz -max_len=65536 -rss_limit_mb=2048 \
 *       fuzz/corpus/onnx_import
 * Without AJPQ_FUZZ the same function is linked into ajpq-onnx-fuzz-replay
 * (replay_main.c), which lit uses to replay the corpus and the crashers. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ajpq_onnx.h"
#include "mlir-c/IR.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static MlirContext g_ctx;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (mlirContextIsNull(g_ctx)) {
    g_ctx = mlirContextCreateWithThreading(false);
    ajpq_onnx_load_dialects(g_ctx);
  }
  ajpq_onnx_options_t opts;
  ajpq_onnx_options_init(&opts);
  opts.source_name = "fuzz.onnx";
  MlirModule m;
  ajpq_status_t st = ajpq_onnx_import(g_ctx, data, size, &opts, &m);
  if (st) {
    /* A module that fails to verify is an importer bug: make it a crash. */
    if (ajpq_status_code(st) == AJPQ_INTERNAL) {
      ajpq_status_fprint(stderr, "ajpq-onnx-fuzz", st);
      __builtin_trap();
    }
    ajpq_status_free(st);
  } else
    mlirModuleDestroy(m);
  return 0;
}
