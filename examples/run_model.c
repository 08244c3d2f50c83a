/* run_model.c — runs a model compiled ahead of time by
 *     ajpq-translate --mlir-to-obj tiny_model.mlir -o tiny_model.o --header=tiny_model.h
 * on one deterministic input image and prints the outputs. The program links
 * only the object file and the C library: no MLIR, LLVM or ajpq library.
 * Usage: ajpq-example-run            (prints "out[i] = value" lines) */
#include <stdio.h>

#include "tiny_model.h"

int main(void) {
  static float image[1 * 6 * 6 * 8]; /* NHWC 1x6x6x8, see tiny_model.h */
  static float scores[5];
  for (int i = 0; i < (int)(sizeof image / sizeof image[0]); ++i)
    image[i] = (float)((i * 37) % 101) / 50.0f - 1.0f; /* values in [-1, 1] */
  main_run(image, scores);
  for (int i = 0; i < 5; ++i)
    printf("out[%d] = %.6g\n", i, (double)scores[i]);
  return 0;
}
