/* ajpq_dialect_internal.h — helpers shared by the files of the ajpq_dialect
 * library (not part of its public API; see ajpq_dialect.h). */
#ifndef AJPQ_DIALECT_INTERNAL_H
#define AJPQ_DIALECT_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "mlir-c/IR.h"

/* C string → MlirStringRef. */
MlirStringRef ajpq__sref(const char *s);
/* Attribute `name` of `op`; null attribute if absent. */
MlirAttribute ajpq__attr(MlirOperation op, const char *name);
/* Value of an integer (or index) attribute of any signedness; false if `a`
 * is null or not an integer attribute. */
bool ajpq__int_value(MlirAttribute a, int64_t *v);
/* True if the dense_resource attribute `a` (element type i8) has a blob of
 * exactly `n` bytes attached (a parsed `dense_resource<x>` may have none). */
bool ajpq__resource_has_data(MlirAttribute a, int64_t n);
/* Weights bytes of a compute op: borrowed (dense) or a malloc'ed copy
 * returned in *owned_copy (splat/resource). Emits an error on failure. */
bool ajpq__read_weights(MlirOperation op, const char *opname, const uint8_t **data, int64_t *size,
                        void **owned_copy);

#endif /* AJPQ_DIALECT_INTERNAL_H */
