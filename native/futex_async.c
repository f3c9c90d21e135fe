// futex_async.c — futexWaitAsync and futexCancel: a futex wait that does not block the JS
// thread. The wait runs on a waiter thread of this addon (never libuv's threadpool: 4 threads
// by default, which blocking waits would starve of fs and dns work); its result comes back to
// the JS thread through the env's thread-safe function.
//
//   futexWaitAsync(words, index, expected, timeoutMs, callback(code)) -> job (an external)
//   futexCancel(job) -> true if the job was still pending
//
// Threads and ownership:
//   - One process-wide set of waiter threads, created on demand (one per queued job beyond
//     the idle ones), each parked on one word at a time, exiting after 10 s idle. The queue
//     (queue_head/tail, queued, idle_threads) is guarded by queue_lock.
//   - A job holds a reference to its typed array (the memory stays alive while a thread
//     waits on it) and to its callback, and two counts (`refs`): the JS external's and the
//     delivery's; it is freed when both are gone. Fields marked JS-thread-only are touched by
//     the JS thread alone; `cancel` and `finished` are atomics shared with its waiter thread.
//   - An env (the main thread, or a worker thread) has one env_state: its thread-safe function,
//     referenced (keeping the event loop alive) only while it has pending jobs, and its list
//     of pending jobs. A waiter thread hands a finished job to the env under the env's lock and
//     only while `closing` is unset; env_cleanup sets it under that lock, so no thread touches
//     a released thread-safe function.
//   - futexCancel sets the job's cancel flag and wakes the word until its waiter thread has
//     returned (a wake sent between its flag check and its futex call would be lost
//     otherwise); other waiters on the word see a spurious wake-up and re-check. The callback
//     still runs, with R_CANCELLED or the code the wait got.
//   - When an env is torn down its pending jobs are cancelled; their memory is not reclaimed
//     (a rare, bounded leak).
#include "sabre_native.h"

typedef struct env_state env_state;

typedef struct job {
  int32_t* addr;
  int32_t expected;
  int timed;
  struct timespec at;
  atomic_int cancel;   // set by futexCancel (JS thread); read by the waiter thread
  atomic_int finished; // set by the waiter thread once its wait has returned
  int result;
  // JS-thread-only fields
  int delivered;        // the callback ran
  int refs;             // the external and the delivery each hold one
  napi_ref array_ref;
  napi_ref callback_ref;
  env_state* state;
  napi_threadsafe_function tsfn;
  struct job* prev;
  struct job* next;
  struct job* queue_next; // waiter-thread queue (under queue_lock)
} job;

struct env_state {
  napi_threadsafe_function tsfn;
  int pending;
  job* head;            // pending jobs of this env (JS thread only)
  int closing;          // set by env_cleanup under `lock`; from then no waiter thread touches tsfn
  pthread_mutex_t lock; // held by a waiter thread while it hands a job to tsfn
};

static pthread_mutex_t queue_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t queue_cond = PTHREAD_COND_INITIALIZER;
static job* queue_head = NULL;
static job* queue_tail = NULL;
static int queued = 0;
static int idle_threads = 0;

static void* waiter_main(void* unused) {
  (void)unused;
  pthread_mutex_lock(&queue_lock);
  for (;;) {
    while (!queue_head) {
      idle_threads++;
      struct timespec until;
      clock_gettime(CLOCK_REALTIME, &until);
      until.tv_sec += 10;
      int r = pthread_cond_timedwait(&queue_cond, &queue_lock, &until);
      idle_threads--;
      if (r == ETIMEDOUT && !queue_head) {
        pthread_mutex_unlock(&queue_lock);
        return NULL;
      }
    }
    job* j = queue_head;
    queue_head = j->queue_next;
    if (!queue_head) queue_tail = NULL;
    queued--;
    pthread_mutex_unlock(&queue_lock);

    int r = sn_wait_word(j->addr, j->expected, j->timed, &j->at, &j->cancel);
    j->result = r < 0 ? R_WOKEN : r; // an unexpected failure reads as a spurious wake: callers re-check
    // The env's own hold keeps tsfn alive until env_cleanup, which sets `closing` under the
    // env's lock: a waiter thread hands its job over under that lock, so it never touches a
    // tsfn that teardown (a worker thread's, or the process's at exit) has released. Once the
    // job is queued, the JS thread may deliver and free it: nothing here touches `j` after.
    env_state* st = j->state;
    pthread_mutex_lock(&st->lock);
    atomic_store(&j->finished, 1);
    if (!st->closing) napi_call_threadsafe_function(st->tsfn, j, napi_tsfn_nonblocking);
    // else: the env is gone (torn down): the job is leaked, see the header
    pthread_mutex_unlock(&st->lock);

    pthread_mutex_lock(&queue_lock);
  }
}

static int submit(job* j) {
  pthread_mutex_lock(&queue_lock);
  j->queue_next = NULL;
  if (queue_tail) queue_tail->queue_next = j;
  else queue_head = j;
  queue_tail = j;
  queued++;
  int need_thread = queued > idle_threads;
  if (!need_thread) pthread_cond_signal(&queue_cond);
  pthread_mutex_unlock(&queue_lock);
  if (need_thread) {
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 64 * 1024);
    int e = pthread_create(&t, &attr, waiter_main, NULL);
    pthread_attr_destroy(&attr);
    if (e != 0) {
      // no thread: take the job back out of the queue, unless an idle thread got it
      pthread_mutex_lock(&queue_lock);
      job** p = &queue_head;
      job* last = NULL;
      int removed = 0;
      while (*p) {
        if (*p == j) {
          *p = j->queue_next;
          removed = 1;
          queued--;
          break;
        }
        last = *p;
        p = &(*p)->queue_next;
      }
      if (removed && queue_tail == j) queue_tail = last;
      pthread_mutex_unlock(&queue_lock);
      if (removed) return e;
    }
  }
  return 0;
}

static void job_unref(napi_env env, job* j) {
  if (--j->refs > 0) return;
  if (j->array_ref) napi_delete_reference(env, j->array_ref);
  if (j->callback_ref) napi_delete_reference(env, j->callback_ref);
  free(j);
}

static void unlink_pending(job* j) {
  env_state* st = j->state;
  if (j->prev) j->prev->next = j->next;
  else if (st->head == j) st->head = j->next;
  if (j->next) j->next->prev = j->prev;
  j->prev = j->next = NULL;
}

/** On the JS thread: a waiter thread finished `data` (a job). */
static void deliver(napi_env env, napi_value unused_js, void* context, void* data) {
  (void)unused_js;
  (void)context;
  job* j = (job*)data;
  if (!env) return; // env torn down: leaked, see the header
  env_state* st = j->state;
  j->delivered = 1;
  unlink_pending(j);
  if (--st->pending == 0 && !st->closing) napi_unref_threadsafe_function(env, st->tsfn);
  napi_value callback, global, code;
  if (napi_get_reference_value(env, j->callback_ref, &callback) == napi_ok && callback &&
      napi_get_global(env, &global) == napi_ok && napi_create_int32(env, j->result, &code) == napi_ok) {
    napi_status s = napi_call_function(env, global, callback, 1, &code, NULL);
    if (s == napi_pending_exception) {
      napi_value error;
      napi_get_and_clear_last_exception(env, &error);
      napi_fatal_exception(env, error);
    }
  }
  job_unref(env, j);
}

static void job_external_finalize(napi_env env, void* data, void* hint) {
  (void)hint;
  job_unref(env, (job*)data);
}

/** Wakes `j`'s word until its waiter thread has returned (see futexCancel in the header). */
static void cancel_job(job* j) {
  atomic_store(&j->cancel, 1);
  for (int i = 0; i < 20000 && !atomic_load(&j->finished); i++) {
    sn_sys_futex(j->addr, FUTEX_WAKE, INT_MAX, NULL, 0);
    if (atomic_load(&j->finished)) break;
    struct timespec pause = {0, 50000}; // 50 us: the thread is between its flag check and its wait, or queued
    nanosleep(&pause, NULL);
  }
}

napi_value sn_futex_wait_async(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  if (!sn_get_args(env, info, 5, argv)) return NULL;
  int32_t* addr = sn_word_of(env, argv[0], argv[1]);
  if (!addr) return NULL;
  int32_t expected;
  double ms;
  napi_valuetype cb_type;
  if (napi_get_value_int32(env, argv[2], &expected) != napi_ok || !sn_get_double(env, argv[3], &ms) ||
      napi_typeof(env, argv[4], &cb_type) != napi_ok || cb_type != napi_function) {
    return sn_type_error(env, "futexWaitAsync(words, index, expected, timeoutMs, callback)");
  }
  env_state* st;
  CHECK(napi_get_instance_data(env, (void**)&st));
  job* j = calloc(1, sizeof(job));
  if (!j) return sn_throw_errno(env, ENOMEM, "calloc", "futexWaitAsync");
  j->addr = addr;
  j->expected = expected;
  j->timed = sn_deadline_after(ms, &j->at);
  j->refs = 2;
  j->state = st;
  j->tsfn = st->tsfn;
  atomic_init(&j->cancel, 0);
  atomic_init(&j->finished, 0);
  if (napi_create_reference(env, argv[0], 1, &j->array_ref) != napi_ok ||
      napi_create_reference(env, argv[4], 1, &j->callback_ref) != napi_ok) {
    j->refs = 1;
    job_unref(env, j);
    napi_throw_error(env, "ERR_SABRE_NATIVE", "futexWaitAsync: could not set up the wait");
    return NULL;
  }
  napi_value external;
  if (napi_create_external(env, j, job_external_finalize, NULL, &external) != napi_ok) {
    j->refs = 1;
    job_unref(env, j);
    napi_throw_error(env, "ERR_SABRE_NATIVE", "futexWaitAsync: could not set up the wait");
    return NULL;
  }
  j->next = st->head;
  if (st->head) st->head->prev = j;
  st->head = j;
  if (st->pending++ == 0) napi_ref_threadsafe_function(env, st->tsfn);
  int e = submit(j);
  if (e != 0) {
    unlink_pending(j);
    if (--st->pending == 0) napi_unref_threadsafe_function(env, st->tsfn);
    j->delivered = 1;
    j->refs--; // the delivery that will never come; the external keeps the rest
    return sn_throw_errno(env, e, "pthread_create", "futexWaitAsync");
  }
  return external;
}

napi_value sn_futex_cancel(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!sn_get_args(env, info, 1, argv)) return NULL;
  job* j;
  if (napi_get_value_external(env, argv[0], (void**)&j) != napi_ok || !j) return sn_type_error(env, "futexCancel(job)");
  napi_value out;
  int pending = !j->delivered && !atomic_load(&j->finished);
  if (!j->delivered) cancel_job(j);
  CHECK(napi_get_boolean(env, pending, &out));
  return out;
}

static void env_cleanup(void* arg) {
  env_state* st = (env_state*)arg;
  pthread_mutex_lock(&st->lock);
  st->closing = 1;
  pthread_mutex_unlock(&st->lock);
  for (job* j = st->head; j; j = j->next) {
    atomic_store(&j->cancel, 1);
    sn_sys_futex(j->addr, FUTEX_WAKE, INT_MAX, NULL, 0);
  }
  napi_release_threadsafe_function(st->tsfn, napi_tsfn_abort);
}

static void env_state_finalize(napi_env env, void* data, void* hint) {
  (void)env;
  (void)hint;
  (void)data; // leaked with its jobs if any were pending at teardown; otherwise tiny
}

void* sn_futex_async_init(napi_env env) {
  env_state* st = calloc(1, sizeof(env_state));
  if (!st) return NULL;
  pthread_mutex_init(&st->lock, NULL);
  napi_value name;
  CHECK(napi_create_string_utf8(env, "sabre futex wait", NAPI_AUTO_LENGTH, &name));
  CHECK(napi_create_threadsafe_function(env, NULL, NULL, name, 0, 1, NULL, NULL, NULL, deliver, &st->tsfn));
  CHECK(napi_unref_threadsafe_function(env, st->tsfn));
  CHECK(napi_set_instance_data(env, st, env_state_finalize, NULL));
  CHECK(napi_add_env_cleanup_hook(env, env_cleanup, st));
  return st;
}
