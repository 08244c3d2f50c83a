/* verify.c — the `ajpq-verify` pass: runs the C verifier of the ajpq dialect
 * (ajpq_dialect_verify_all) on every ajpq op under the module. It checks the
 * rules IRDL cannot express (docs/dialect.md, "Verifier rules"); drivers also
 * run it after every ajpq pass. */
#include "ajpq_dialect.h"
#include "ajpq_passes.h"

static bool verify_run(MlirOperation op, const ajpq_pass_options_t *opts, void *ctx) {
  (void)opts;
  (void)ctx;
  return ajpq_dialect_verify_all(op);
}

const ajpq_pass_info_t ajpq_pass_verify = {
    .name = "ajpq-verify",
    .summary = "Check every ajpq op against the rules IRDL cannot express (docs/dialect.md)",
    .anchor = "builtin.module",
    .options = NULL,
    .num_options = 0,
    .run = verify_run,
    .create = NULL,
    .destroy = NULL,
};
