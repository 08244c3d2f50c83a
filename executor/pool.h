/* pool.h — process-wide worker pool of the executor (internal). */
#ifndef AJPQ_EXECUTOR_POOL_H
#define AJPQ_EXECUTOR_POOL_H

#include <stdint.h>

typedef void (*ajpq_pool_fn)(void *ctx, int64_t task);

/* Runs fn(ctx, i) for i in [0, ntasks) on up to `threads` threads (the caller included) and
 * returns when all are done. Thread-safe: while one job owns the pool, a concurrent caller runs
 * its tasks serially on its own thread. */
void ajpq_pool_run(int threads, int64_t ntasks, ajpq_pool_fn fn, void *ctx);

#endif
