/* pool.c — the executor's worker pool: one process-wide set of threads that run index ranges
 * of a kernel. Workers spin briefly (~50 us) between jobs, so back-to-back layers pay no wake-up,
 * then sleep on a condition variable, so idle or oversubscribed machines lose no CPU to spinning
 * (an OpenMP active wait made 2 threads 50x slower on a loaded 2-vCPU machine). Tasks are handed
 * out dynamically (an atomic counter), so a preempted worker delays a job by one task only. */
#include "pool.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#define POOL_MAX 64

static struct {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int nworkers;              /* threads besides the caller */
  _Atomic unsigned long gen; /* job generation */
  ajpq_pool_fn fn;
  void *ctx;
  int64_t ntasks;
  int participants; /* workers allowed to join this job */
  _Atomic int64_t next, done;
} P = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

static double now_us(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static void run_tasks(void) {
  for (;;) {
    int64_t i = atomic_fetch_add(&P.next, 1);
    if (i >= P.ntasks)
      return;
    P.fn(P.ctx, i);
    atomic_fetch_add(&P.done, 1);
  }
}

static void *worker(void *arg) {
  int id = (int)(intptr_t)arg;
  unsigned long seen = atomic_load(&P.gen);
  for (;;) {
    double t0 = now_us();
    int spins = 0;
    while (atomic_load(&P.gen) == seen) {
      cpu_relax();
      if (++spins % 256 == 0 && now_us() - t0 > 50.0) {
        pthread_mutex_lock(&P.mu);
        while (atomic_load(&P.gen) == seen)
          pthread_cond_wait(&P.cv, &P.mu);
        pthread_mutex_unlock(&P.mu);
      }
    }
    seen = atomic_load(&P.gen);
    if (id < P.participants)
      run_tasks();
  }
  return NULL;
}

static void ensure_workers(int n) {
  if (n > POOL_MAX - 1)
    n = POOL_MAX - 1;
  pthread_mutex_lock(&P.mu);
  while (P.nworkers < n) {
    pthread_t t;
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&t, &at, worker, (void *)(intptr_t)P.nworkers) != 0) {
      pthread_attr_destroy(&at);
      break;
    }
    pthread_attr_destroy(&at);
    ++P.nworkers;
  }
  pthread_mutex_unlock(&P.mu);
}

void ajpq_pool_run(int threads, int64_t ntasks, ajpq_pool_fn fn, void *ctx) {
  if (ntasks <= 0)
    return;
  if (threads <= 1 || ntasks == 1) {
    for (int64_t i = 0; i < ntasks; ++i)
      fn(ctx, i);
    return;
  }
  /* One job at a time: a second caller (another executor on another thread) runs its job
   * serially instead of waiting. */
  static pthread_mutex_t job_mu = PTHREAD_MUTEX_INITIALIZER;
  if (pthread_mutex_trylock(&job_mu) != 0) {
    for (int64_t i = 0; i < ntasks; ++i)
      fn(ctx, i);
    return;
  }
  ensure_workers(threads - 1);
  pthread_mutex_lock(&P.mu);
  P.fn = fn;
  P.ctx = ctx;
  P.ntasks = ntasks;
  P.participants = threads - 1;
  atomic_store(&P.next, 0);
  atomic_store(&P.done, 0);
  atomic_fetch_add(&P.gen, 1);
  pthread_cond_broadcast(&P.cv);
  pthread_mutex_unlock(&P.mu);
  run_tasks();
  while (atomic_load(&P.done) < ntasks)
    sched_yield();
  pthread_mutex_unlock(&job_mu);
}
