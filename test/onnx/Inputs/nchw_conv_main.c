/* Harness for test/onnx/mlir-to-obj-nchw.test: runs the compiled NCHW 1x1 conv (model.h,
 * ajpq-translate --mlir-to-obj) on x[c][h][w] = 25c + 5h + w and prints a few outputs. */
#include <stdio.h>

#include "model.h"

int main(void) {
  static float x[2 * 5 * 5], y[3 * 5 * 5];
  for (int i = 0; i < 50; ++i)
    x[i] = (float)i;
  main_run(x, y);
  printf("y[0][0][0] %g %g %g\n", y[0], y[25], y[50]);
  printf("y[.][1][2] %g %g %g\n", y[7], y[32], y[57]);
  return 0;
}
