/* replay_main.c — runs LLVMFuzzerTestOneInput over files given on the command
 * line (no libFuzzer needed): a regression runner for the fuzz corpus and the
 * crashers. Prints "replayed N inputs" at the end; a crash kills the run. */
#include <stdio.h>
#include <stdlib.h>

#include "ajpq_onnx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv) {
  int n = 0;
  for (int i = 1; i < argc; ++i) {
    uint8_t *d;
    size_t sz;
    ajpq_status_t st = ajpq_onnx_read_file(argv[i], (size_t)1 << 26, &d, &sz);
    if (st) {
      ajpq_status_fprint(stderr, "ajpq-onnx-fuzz-replay", st);
      ajpq_status_free(st);
      return 1;
    }
    LLVMFuzzerTestOneInput(d, sz);
    free(d);
    ++n;
  }
  printf("replayed %d inputs\n", n);
  return 0;
}
