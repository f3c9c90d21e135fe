// sabre_native.c — the Node addon of 'sabre/node' (N-API only, Linux): what JavaScript cannot do
// to share a wasm memory between processes. One build serves every Node >= 20 (N-API 8).
//
// Loaded by src/node/native.ts; every export is a thin wrapper over one system call, and the
// policy (names, modes, header checks, which window to map) lives in TypeScript.
//
//   mapWindow(bytes: Uint8Array, fd, fileOffset)   mmap(MAP_SHARED | MAP_FIXED) of `fd` at
//        `fileOffset` over exactly the bytes of `bytes` (a view on a shared WebAssembly.Memory's
//        buffer); start, length and offset page-aligned. From then on those bytes ARE the file's.
//   unmapWindow(bytes)                 the same bytes replaced by private zero pages (the file is
//        no longer reachable through this memory).
//   futexWait(words: Int32Array, index, expected, timeoutMs) -> 0 woken, 1 not equal, 2 timed
//        out. A shared (not FUTEX_PRIVATE_FLAG) futex: a wake from any process mapping the
//        same file reaches it. timeoutMs < 0 or Infinity: forever. EINTR (a signal, e.g.
//        SIGCHLD) waits again until the same absolute CLOCK_MONOTONIC deadline.
//   futexWake(words, index, count) -> number of waiters woken.
//   futexWaitAsync(words, index, expected, timeoutMs, callback(code)) -> job
//        parks on a waiter thread of this addon (never libuv's threadpool) and calls
//        `callback` on the JS thread with 0/1/2 as above, or 3 when cancelled.
//   futexCancel(job) -> true if the job was still pending. Sets the job's private cancel flag
//        and wakes the word until the waiter thread has returned (a wake sent between its flag
//        check and its futex call would be lost otherwise); the other waiters on the word see
//        a spurious wake-up and re-check. The callback still runs, with 3 or the code it got.
//   memfdCreate(name, size) -> fd     memfd_create(MFD_CLOEXEC | MFD_ALLOW_SEALING), sized,
//        then sealed F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL: no one can truncate it (SIGBUS).
//   seals(fd) -> F_GET_SEALS bits.
//   shmOpen(name, create, size) -> fd   /dev/shm/<name>, O_RDWR | O_NOFOLLOW | O_CLOEXEC; create:
//        O_CREAT | O_EXCL, mode exactly 0600 (fchmod past the umask), sized with ftruncate (the
//        file is removed again if sizing fails). `name` may not contain '/' or be "." / "..".
//   shmUnlink(name)                    unlink /dev/shm/<name>.
//   fstat(fd) -> { size, uid, mode, regular }      geteuid() -> uid      close(fd)
//   mkfifo(path, mode)
//   processStart(pid) -> { start, state, exitStatus } | null   start time (clock ticks after
//        boot, field 22 of /proc/<pid>/stat), state letter, and for a zombie ("Z") its wait
//        status (field 52, as waitpid reports it; -1 when absent); (pid, start) names one
//        process for good, whatever pid reuse does later. null: no such process.
//   pageSize                                        sysconf(_SC_PAGESIZE)
//   yieldCpu()                          sched_yield(): a spinning waiter offers its CPU.
//   mapFileWindow(bytes, fd, fileOffset, writable)   as mapWindow for a data file: writable,
//        MAP_SHARED (writes reach the file and every process mapping it); else MAP_PRIVATE
//        (fd may be read-only; writes through the window stay in this process).
//   msyncWindow(bytes)                  msync(MS_SYNC) of the window's pages: written to disk.
//   guardWindow(bytes) -> slot          turns SIGBUS inside the window into a flag (see "The
//        SIGBUS guard" below); unguardWindow(slot) retires it, windowFaulted(slot) -> whether
//        a fault was absorbed. Up to 256 windows at once.
//   futexWaitv(arrays[], indexes[], expected[], timeoutMs) -> 0 woken (by any word), 1 a word
//        did not hold its expected value, 2 timed out. FUTEX_WAITV (Linux >= 5.16) on 1..128
//        shared 32-bit words at once; throws with code ENOSYS on older kernels.
//
// Errors from the system are thrown as Error with `code` = the errno name ("EEXIST", ...) and
// `syscall` set; argument errors as TypeError.
//
// Async waits: one process-wide set of waiter threads, created on demand, each parked on one
// word at a time, exiting after 10 s idle. A job holds a reference to the typed array (the
// memory stays alive while a thread waits on it) and to its callback; its result travels back
// through the env's thread-safe function, which is referenced (keeps the event loop alive)
// only while jobs are pending. When an env (a worker thread) is torn down, its pending jobs
// are cancelled; their memory is not reclaimed (a rare, bounded leak).
#define _GNU_SOURCE
#ifndef NAPI_VERSION
#define NAPI_VERSION 8
#endif
#include <node_api.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef MFD_CLOEXEC
#define MFD_CLOEXEC 0x0001U
#define MFD_ALLOW_SEALING 0x0002U
#endif
#ifndef F_ADD_SEALS
#define F_ADD_SEALS 1033
#define F_GET_SEALS 1034
#define F_SEAL_SEAL 0x0001
#define F_SEAL_SHRINK 0x0002
#define F_SEAL_GROW 0x0004
#endif

enum { R_WOKEN = 0, R_NOT_EQUAL = 1, R_TIMED_OUT = 2, R_CANCELLED = 3 };

#define CHECK(call)                                                  \
  do {                                                               \
    if ((call) != napi_ok) {                                         \
      napi_throw_error(env, "ERR_SABRE_NATIVE", "N-API call failed: " #call); \
      return NULL;                                                   \
    }                                                                \
  } while (0)

// ---- errors --------------------------------------------------------------------------------

static const char* errno_name(int e) {
  switch (e) {
    case EPERM: return "EPERM";
    case ENOENT: return "ENOENT";
    case ESRCH: return "ESRCH";
    case EINTR: return "EINTR";
    case EBADF: return "EBADF";
    case EAGAIN: return "EAGAIN";
    case ENOMEM: return "ENOMEM";
    case EACCES: return "EACCES";
    case EFAULT: return "EFAULT";
    case EEXIST: return "EEXIST";
    case ENOTDIR: return "ENOTDIR";
    case EISDIR: return "EISDIR";
    case EINVAL: return "EINVAL";
    case ENFILE: return "ENFILE";
    case EMFILE: return "EMFILE";
    case EFBIG: return "EFBIG";
    case ENOSPC: return "ENOSPC";
    case EROFS: return "EROFS";
    case ENAMETOOLONG: return "ENAMETOOLONG";
    case ENOSYS: return "ENOSYS";
    case ELOOP: return "ELOOP";
    case ETIMEDOUT: return "ETIMEDOUT";
    case ENODEV: return "ENODEV";
    case EOVERFLOW: return "EOVERFLOW";
    default: return "EUNKNOWN";
  }
}

static napi_value throw_errno(napi_env env, int e, const char* syscall_name, const char* what) {
  char message[512];
  snprintf(message, sizeof message, "%s: %s failed: %s (%s)", what, syscall_name, strerror(e), errno_name(e));
  napi_value msg, err, code, sc;
  napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &msg);
  napi_create_error(env, NULL, msg, &err);
  napi_create_string_utf8(env, errno_name(e), NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, syscall_name, NAPI_AUTO_LENGTH, &sc);
  napi_set_named_property(env, err, "code", code);
  napi_set_named_property(env, err, "syscall", sc);
  napi_value errnum;
  napi_create_int32(env, e, &errnum);
  napi_set_named_property(env, err, "errno", errnum);
  napi_throw(env, err);
  return NULL;
}

static napi_value type_error(napi_env env, const char* message) {
  napi_throw_type_error(env, NULL, message);
  return NULL;
}

// ---- argument helpers ----------------------------------------------------------------------

static int get_args(napi_env env, napi_callback_info info, size_t want, napi_value* argv) {
  size_t argc = want;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < want) {
    napi_throw_type_error(env, NULL, "sabre native: too few arguments");
    return 0;
  }
  return 1;
}

static int get_int64(napi_env env, napi_value v, int64_t* out) {
  double d;
  if (napi_get_value_double(env, v, &d) != napi_ok || !isfinite(d) || d != floor(d)) return 0;
  *out = (int64_t)d;
  return 1;
}

static int get_double(napi_env env, napi_value v, double* out) {
  return napi_get_value_double(env, v, out) == napi_ok;
}

/** The address of words[index] of an Int32Array, or NULL (a TypeError is pending). */
static int32_t* word_of(napi_env env, napi_value array, napi_value index_value) {
  napi_typedarray_type type;
  size_t length;
  void* data;
  if (napi_get_typedarray_info(env, array, &type, &length, &data, NULL, NULL) != napi_ok || type != napi_int32_array) {
    type_error(env, "sabre native: expected an Int32Array over the region's memory");
    return NULL;
  }
  int64_t index;
  if (!get_int64(env, index_value, &index) || index < 0 || (uint64_t)index >= length) {
    type_error(env, "sabre native: word index out of range");
    return NULL;
  }
  return (int32_t*)data + index;
}

static char* get_string(napi_env env, napi_value v, char* buf, size_t size) {
  size_t len;
  if (napi_get_value_string_utf8(env, v, buf, size, &len) != napi_ok || len + 1 >= size) return NULL;
  return buf;
}

// ---- futex ---------------------------------------------------------------------------------

static long sys_futex(int32_t* addr, int op, int32_t val, const struct timespec* ts, uint32_t bitset) {
  return syscall(SYS_futex, addr, op, val, ts, NULL, bitset);
}

/** Absolute CLOCK_MONOTONIC deadline `ms` from now; returns 0 for forever (ms < 0 or infinite). */
static int deadline_after(double ms, struct timespec* at) {
  if (!(ms >= 0) || isinf(ms)) return 0;
  clock_gettime(CLOCK_MONOTONIC, at);
  double whole = floor(ms / 1000.0);
  at->tv_sec += (time_t)whole;
  at->tv_nsec += (long)((ms - whole * 1000.0) * 1e6);
  if (at->tv_nsec >= 1000000000L) {
    at->tv_sec += 1;
    at->tv_nsec -= 1000000000L;
  }
  return 1;
}

/**
 * Parks while *addr == expected until woken, the deadline, or *cancel. FUTEX_WAIT_BITSET takes
 * an absolute CLOCK_MONOTONIC time, so a retry after EINTR waits exactly the time left.
 * Returns an R_* code, or -errno for an unexpected failure.
 */
static int wait_word(int32_t* addr, int32_t expected, int timed, const struct timespec* at, atomic_int* cancel) {
  for (;;) {
    if (cancel && atomic_load(cancel)) return R_CANCELLED;
    long r = sys_futex(addr, FUTEX_WAIT_BITSET, expected, timed ? at : NULL, FUTEX_BITSET_MATCH_ANY);
    if (r == 0) return cancel && atomic_load(cancel) ? R_CANCELLED : R_WOKEN;
    int e = errno;
    if (e == EAGAIN) return R_NOT_EQUAL;
    if (e == ETIMEDOUT) return R_TIMED_OUT;
    if (e == EINTR) continue; // a signal (SIGCHLD, ...): the kernel re-checks the word
    return -e;
  }
}

static napi_value futex_wait(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  if (!get_args(env, info, 4, argv)) return NULL;
  int32_t* addr = word_of(env, argv[0], argv[1]);
  if (!addr) return NULL;
  int32_t expected;
  double ms;
  if (napi_get_value_int32(env, argv[2], &expected) != napi_ok || !get_double(env, argv[3], &ms)) {
    return type_error(env, "futexWait(words, index, expected, timeoutMs): expected and timeoutMs are numbers");
  }
  struct timespec at;
  int timed = deadline_after(ms, &at);
  int r = wait_word(addr, expected, timed, &at, NULL);
  if (r < 0) return throw_errno(env, -r, "futex", "futexWait");
  napi_value out;
  CHECK(napi_create_int32(env, r, &out));
  return out;
}

static napi_value futex_wake(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (!get_args(env, info, 3, argv)) return NULL;
  int32_t* addr = word_of(env, argv[0], argv[1]);
  if (!addr) return NULL;
  double count;
  if (!get_double(env, argv[2], &count)) return type_error(env, "futexWake(words, index, count): count is a number");
  int n = count >= INT_MAX || isinf(count) ? INT_MAX : count < 0 ? 0 : (int)count;
  long r = sys_futex(addr, FUTEX_WAKE, n, NULL, 0);
  if (r < 0) return throw_errno(env, errno, "futex", "futexWake");
  napi_value out;
  CHECK(napi_create_int32(env, (int32_t)r, &out));
  return out;
}

// ---- async waits on waiter threads ---------------------------------------------------------

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

    int r = wait_word(j->addr, j->expected, j->timed, &j->at, &j->cancel);
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
    sys_futex(j->addr, FUTEX_WAKE, INT_MAX, NULL, 0);
    if (atomic_load(&j->finished)) break;
    struct timespec pause = {0, 50000}; // 50 us: the thread is between its flag check and its wait, or queued
    nanosleep(&pause, NULL);
  }
}

static napi_value futex_wait_async(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  if (!get_args(env, info, 5, argv)) return NULL;
  int32_t* addr = word_of(env, argv[0], argv[1]);
  if (!addr) return NULL;
  int32_t expected;
  double ms;
  napi_valuetype cb_type;
  if (napi_get_value_int32(env, argv[2], &expected) != napi_ok || !get_double(env, argv[3], &ms) ||
      napi_typeof(env, argv[4], &cb_type) != napi_ok || cb_type != napi_function) {
    return type_error(env, "futexWaitAsync(words, index, expected, timeoutMs, callback)");
  }
  env_state* st;
  CHECK(napi_get_instance_data(env, (void**)&st));
  job* j = calloc(1, sizeof(job));
  if (!j) return throw_errno(env, ENOMEM, "calloc", "futexWaitAsync");
  j->addr = addr;
  j->expected = expected;
  j->timed = deadline_after(ms, &j->at);
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
    return throw_errno(env, e, "pthread_create", "futexWaitAsync");
  }
  return external;
}

static napi_value futex_cancel(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv)) return NULL;
  job* j;
  if (napi_get_value_external(env, argv[0], (void**)&j) != napi_ok || !j) return type_error(env, "futexCancel(job)");
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
    sys_futex(j->addr, FUTEX_WAKE, INT_MAX, NULL, 0);
  }
  napi_release_threadsafe_function(st->tsfn, napi_tsfn_abort);
}

// ---- memory windows ------------------------------------------------------------------------

static long page_size(void) {
  static long size = 0;
  if (!size) size = sysconf(_SC_PAGESIZE);
  return size;
}

static int bytes_of(napi_env env, napi_value v, void** data, size_t* length) {
  napi_typedarray_type type;
  if (napi_get_typedarray_info(env, v, &type, length, data, NULL, NULL) != napi_ok || type != napi_uint8_array) {
    napi_throw_type_error(env, NULL, "sabre native: expected a Uint8Array over the region's memory");
    return 0;
  }
  long page = page_size();
  if (((uintptr_t)*data % (uintptr_t)page) != 0 || *length == 0 || *length % (size_t)page != 0) {
    napi_throw_range_error(env, NULL, "sabre native: the window must start on a page boundary and span whole pages");
    return 0;
  }
  return 1;
}

/** mmap of argv = (bytes, fd, fileOffset) with `flags` | MAP_FIXED over exactly `bytes`. */
static napi_value map_fd_window(napi_env env, napi_value* argv, int flags, const char* what) {
  void* data;
  size_t length;
  if (!bytes_of(env, argv[0], &data, &length)) return NULL;
  int32_t fd;
  int64_t offset;
  if (napi_get_value_int32(env, argv[1], &fd) != napi_ok || !get_int64(env, argv[2], &offset) || offset < 0 ||
      offset % page_size() != 0) {
    return type_error(env, "sabre native: mapping a window needs an fd (an integer) and a page-aligned fileOffset");
  }
  void* r = mmap(data, length, PROT_READ | PROT_WRITE, flags | MAP_FIXED, fd, (off_t)offset);
  if (r == MAP_FAILED) return throw_errno(env, errno, "mmap", what);
  return NULL;
}

static napi_value map_window(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (!get_args(env, info, 3, argv)) return NULL;
  return map_fd_window(env, argv, MAP_SHARED, "mapWindow");
}

static napi_value unmap_window(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv)) return NULL;
  void* data;
  size_t length;
  if (!bytes_of(env, argv[0], &data, &length)) return NULL;
  void* r = mmap(data, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  if (r == MAP_FAILED) return throw_errno(env, errno, "mmap", "unmapWindow");
  return NULL;
}

// ---- files ---------------------------------------------------------------------------------

static napi_value memfd_create_js(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!get_args(env, info, 2, argv)) return NULL;
  char name[250];
  int64_t size;
  if (!get_string(env, argv[0], name, sizeof name) || !get_int64(env, argv[1], &size) || size <= 0) {
    return type_error(env, "memfdCreate(name, size): a short name and a positive size");
  }
  int fd = (int)syscall(SYS_memfd_create, name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0) return throw_errno(env, errno, "memfd_create", "memfdCreate");
  if (ftruncate(fd, (off_t)size) != 0) {
    int e = errno;
    close(fd);
    return throw_errno(env, e, "ftruncate", "memfdCreate");
  }
  if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) != 0) {
    int e = errno;
    close(fd);
    return throw_errno(env, e, "fcntl(F_ADD_SEALS)", "memfdCreate");
  }
  napi_value out;
  CHECK(napi_create_int32(env, fd, &out));
  return out;
}

static napi_value seals_js(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv)) return NULL;
  int32_t fd;
  if (napi_get_value_int32(env, argv[0], &fd) != napi_ok) return type_error(env, "seals(fd)");
  int r = fcntl(fd, F_GET_SEALS);
  if (r < 0) return throw_errno(env, errno, "fcntl(F_GET_SEALS)", "seals");
  napi_value out;
  CHECK(napi_create_int32(env, r, &out));
  return out;
}

static int shm_path(napi_env env, napi_value v, char* path, size_t size) {
  char name[256];
  if (!get_string(env, v, name, sizeof name) || name[0] == 0 || strchr(name, '/') || strcmp(name, ".") == 0 ||
      strcmp(name, "..") == 0) {
    napi_throw_type_error(env, NULL, "sabre native: a /dev/shm name is one path component (no '/', not . or ..)");
    return 0;
  }
  snprintf(path, size, "/dev/shm/%s", name);
  return 1;
}

static napi_value shm_open_js(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (!get_args(env, info, 3, argv)) return NULL;
  char path[300];
  if (!shm_path(env, argv[0], path, sizeof path)) return NULL;
  bool create;
  int64_t size = 0;
  if (napi_get_value_bool(env, argv[1], &create) != napi_ok || (create && (!get_int64(env, argv[2], &size) || size <= 0))) {
    return type_error(env, "shmOpen(name, create, size)");
  }
  int flags = O_RDWR | O_NOFOLLOW | O_CLOEXEC | (create ? O_CREAT | O_EXCL : 0);
  int fd = open(path, flags, 0600);
  if (fd < 0) return throw_errno(env, errno, "open", path);
  if (create) {
    const char* failed = fchmod(fd, 0600) != 0 ? "fchmod" : ftruncate(fd, (off_t)size) != 0 ? "ftruncate" : NULL;
    if (failed) {
      int e = errno;
      close(fd);
      unlink(path);
      return throw_errno(env, e, failed, path);
    }
  }
  napi_value out;
  CHECK(napi_create_int32(env, fd, &out));
  return out;
}

static napi_value shm_unlink_js(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv)) return NULL;
  char path[300];
  if (!shm_path(env, argv[0], path, sizeof path)) return NULL;
  if (unlink(path) != 0) return throw_errno(env, errno, "unlink", path);
  return NULL;
}

static napi_value fstat_js(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv)) return NULL;
  int32_t fd;
  if (napi_get_value_int32(env, argv[0], &fd) != napi_ok) return type_error(env, "fstat(fd)");
  struct stat st;
  if (fstat(fd, &st) != 0) return throw_errno(env, errno, "fstat", "fstat");
  napi_value out, size, uid, mode, regular;
  CHECK(napi_create_object(env, &out));
  CHECK(napi_create_double(env, (double)st.st_size, &size));
  CHECK(napi_create_uint32(env, st.st_uid, &uid));
  CHECK(napi_create_uint32(env, st.st_mode & 07777, &mode));
  CHECK(napi_get_boolean(env, S_ISREG(st.st_mode), &regular));
  napi_set_named_property(env, out, "size", size);
  napi_set_named_property(env, out, "uid", uid);
  napi_set_named_property(env, out, "mode", mode);
  napi_set_named_property(env, out, "regular", regular);
  return out;
}

static napi_value geteuid_js(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value out;
  CHECK(napi_create_uint32(env, geteuid(), &out));
  return out;
}

static napi_value close_js(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv)) return NULL;
  int32_t fd;
  if (napi_get_value_int32(env, argv[0], &fd) != napi_ok) return type_error(env, "close(fd)");
  if (close(fd) != 0 && errno != EINTR) return throw_errno(env, errno, "close", "close");
  return NULL;
}

static napi_value mkfifo_js(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!get_args(env, info, 2, argv)) return NULL;
  char path[4096];
  int32_t mode;
  if (!get_string(env, argv[0], path, sizeof path) || napi_get_value_int32(env, argv[1], &mode) != napi_ok) {
    return type_error(env, "mkfifo(path, mode)");
  }
  if (mkfifo(path, (mode_t)mode) != 0) return throw_errno(env, errno, "mkfifo", path);
  return NULL;
}

static napi_value process_start_js(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv)) return NULL;
  int32_t pid;
  if (napi_get_value_int32(env, argv[0], &pid) != napi_ok || pid <= 0) return type_error(env, "processStart(pid)");
  char path[64], buf[1024];
  snprintf(path, sizeof path, "/proc/%d/stat", pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  napi_value out;
  if (fd < 0) {
    CHECK(napi_get_null(env, &out));
    return out;
  }
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) {
    CHECK(napi_get_null(env, &out));
    return out;
  }
  buf[n] = 0;
  // "pid (comm) state ppid ... starttime(22)": comm may hold spaces and ')', so start after the last ')'
  char* p = strrchr(buf, ')');
  if (!p || p[1] != ' ') return throw_errno(env, EINVAL, "read", "processStart: unexpected /proc/<pid>/stat");
  p += 2;
  char state = *p;
  unsigned long long start = 0;
  long long exit_code = -1;
  int field = 3; // `p` is at field 3 (state)
  for (char* q = p; *q; q++) {
    if (*q == ' ') {
      field++;
      if (field == 22) start = strtoull(q + 1, NULL, 10);
      if (field == 52) exit_code = strtoll(q + 1, NULL, 10);
    }
  }
  napi_value start_v, state_v, exit_v;
  char state_s[2] = {state, 0};
  CHECK(napi_create_object(env, &out));
  CHECK(napi_create_double(env, (double)start, &start_v));
  CHECK(napi_create_string_utf8(env, state_s, 1, &state_v));
  napi_set_named_property(env, out, "start", start_v);
  napi_set_named_property(env, out, "state", state_v);
  CHECK(napi_create_double(env, (double)exit_code, &exit_v));
  napi_set_named_property(env, out, "exitStatus", exit_v);
  return out;
}

// ---- spinning ------------------------------------------------------------------------------

static napi_value yield_cpu_js(napi_env env, napi_callback_info info) {
  (void)env;
  (void)info;
  sched_yield();
  return NULL;
}

// ---- mapped files ----------------------------------------------------------------------------

static napi_value map_file_window_js(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  if (!get_args(env, info, 4, argv)) return NULL;
  bool writable;
  if (napi_get_value_bool(env, argv[3], &writable) != napi_ok) return type_error(env, "mapFileWindow(bytes, fd, fileOffset, writable): writable is a boolean");
  return map_fd_window(env, argv, writable ? MAP_SHARED : MAP_PRIVATE, "mapFileWindow");
}

static napi_value msync_window_js(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv)) return NULL;
  void* data;
  size_t length;
  if (!bytes_of(env, argv[0], &data, &length)) return NULL;
  if (msync(data, length, MS_SYNC) != 0) return throw_errno(env, errno, "msync", "msyncWindow");
  return NULL;
}

// The SIGBUS guard. A slot per guarded window; the handler reads the slots without locks
// (each field is atomic; a slot is published by storing its length last and retired by
// storing 0 first). A fault inside a guarded window replaces the window from the faulting
// page to its end with private zero pages (the access is then retried and succeeds) and marks
// the slot; faults anywhere else go to the handler installed before ours, or kill the process
// as SIGBUS always did.
#define GUARD_SLOTS 256
typedef struct {
  _Atomic uintptr_t start;
  _Atomic size_t length;
  atomic_int faulted;
} guard_slot;
static guard_slot guards[GUARD_SLOTS];
static pthread_mutex_t guard_lock = PTHREAD_MUTEX_INITIALIZER;
static struct sigaction previous_sigbus;
static int guard_installed = 0;

static void sigbus_handler(int sig, siginfo_t* si, void* context) {
  uintptr_t at = (uintptr_t)si->si_addr;
  for (int i = 0; i < GUARD_SLOTS; i++) {
    size_t length = atomic_load(&guards[i].length);
    if (!length) continue;
    uintptr_t start = atomic_load(&guards[i].start);
    if (at < start || at - start >= length) continue;
    uintptr_t page = at & ~((uintptr_t)page_size() - 1);
    size_t rest = start + length - page;
    void* r = (void*)syscall(SYS_mmap, (void*)page, rest, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    if (r == MAP_FAILED) break;
    atomic_store(&guards[i].faulted, 1);
    return;
  }
  if (previous_sigbus.sa_flags & SA_SIGINFO) {
    if (previous_sigbus.sa_sigaction) {
      previous_sigbus.sa_sigaction(sig, si, context);
      return;
    }
  } else if (previous_sigbus.sa_handler != SIG_DFL && previous_sigbus.sa_handler != SIG_IGN) {
    previous_sigbus.sa_handler(sig);
    return;
  }
  // not ours: the default action (the faulting access runs again and kills the process)
  signal(SIGBUS, SIG_DFL);
}

static napi_value guard_window_js(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv)) return NULL;
  void* data;
  size_t length;
  if (!bytes_of(env, argv[0], &data, &length)) return NULL;
  pthread_mutex_lock(&guard_lock);
  if (!guard_installed) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = sigbus_handler;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGBUS, &sa, &previous_sigbus) != 0) {
      int e = errno;
      pthread_mutex_unlock(&guard_lock);
      return throw_errno(env, e, "sigaction", "guardWindow");
    }
    guard_installed = 1;
  }
  int slot = -1;
  for (int i = 0; i < GUARD_SLOTS && slot < 0; i++) {
    if (!atomic_load(&guards[i].length)) slot = i;
  }
  if (slot >= 0) {
    atomic_store(&guards[slot].faulted, 0);
    atomic_store(&guards[slot].start, (uintptr_t)data);
    atomic_store(&guards[slot].length, length); // publish: the handler sees the slot from here
  }
  pthread_mutex_unlock(&guard_lock);
  if (slot < 0) return throw_errno(env, EMFILE, "guardWindow", "guardWindow: 256 mapped files are guarded already");
  napi_value out;
  CHECK(napi_create_int32(env, slot, &out));
  return out;
}

static int guard_slot_of(napi_env env, napi_value v) {
  int32_t slot;
  if (napi_get_value_int32(env, v, &slot) != napi_ok || slot < 0 || slot >= GUARD_SLOTS) {
    napi_throw_type_error(env, NULL, "sabre native: a guard slot from guardWindow");
    return -1;
  }
  return slot;
}

static napi_value unguard_window_js(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv)) return NULL;
  int slot = guard_slot_of(env, argv[0]);
  if (slot < 0) return NULL;
  pthread_mutex_lock(&guard_lock);
  atomic_store(&guards[slot].length, 0); // retire first: the handler stops matching the range
  atomic_store(&guards[slot].start, 0);
  pthread_mutex_unlock(&guard_lock);
  return NULL;
}

static napi_value window_faulted_js(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv)) return NULL;
  int slot = guard_slot_of(env, argv[0]);
  if (slot < 0) return NULL;
  napi_value out;
  CHECK(napi_get_boolean(env, atomic_load(&guards[slot].faulted) != 0, &out));
  return out;
}

// ---- waiting on several words ------------------------------------------------------------

#ifndef SYS_futex_waitv
#define SYS_futex_waitv 449
#endif
#define WAITV_MAX 128
struct sabre_futex_waitv {
  uint64_t val;
  uint64_t uaddr;
  uint32_t flags;
  uint32_t reserved;
};

static napi_value futex_waitv_js(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  if (!get_args(env, info, 4, argv)) return NULL;
  bool is_array;
  uint32_t n, m;
  if (napi_is_array(env, argv[0], &is_array) != napi_ok || !is_array || napi_get_array_length(env, argv[0], &n) != napi_ok ||
      napi_is_array(env, argv[1], &is_array) != napi_ok || !is_array || napi_get_array_length(env, argv[1], &m) != napi_ok ||
      n != m || n == 0 || n > WAITV_MAX) {
    return type_error(env, "futexWaitv(words[], indexes[], expected[], timeoutMs): 1 to 128 words");
  }
  struct sabre_futex_waitv w[WAITV_MAX];
  memset(w, 0, sizeof w);
  for (uint32_t i = 0; i < n; i++) {
    napi_value a, ix, ex;
    int32_t expected;
    if (napi_get_element(env, argv[0], i, &a) != napi_ok || napi_get_element(env, argv[1], i, &ix) != napi_ok) return NULL;
    int32_t* addr = word_of(env, a, ix);
    if (!addr) return NULL;
    if (napi_get_element(env, argv[2], i, &ex) != napi_ok || napi_get_value_int32(env, ex, &expected) != napi_ok) {
      return type_error(env, "futexWaitv: expected values are numbers");
    }
    w[i].val = (uint32_t)expected;
    w[i].uaddr = (uint64_t)(uintptr_t)addr;
    w[i].flags = 2; // FUTEX2_SIZE_U32, shared (no FUTEX2_PRIVATE)
  }
  double ms;
  if (!get_double(env, argv[3], &ms)) return type_error(env, "futexWaitv: timeoutMs is a number");
  struct timespec at;
  int timed = deadline_after(ms, &at);
  int32_t result;
  for (;;) {
    long r = syscall(SYS_futex_waitv, w, n, 0, timed ? &at : NULL, CLOCK_MONOTONIC);
    if (r >= 0) {
      result = R_WOKEN;
      break;
    }
    int e = errno;
    if (e == EAGAIN) {
      result = R_NOT_EQUAL;
      break;
    }
    if (e == ETIMEDOUT) {
      result = R_TIMED_OUT;
      break;
    }
    if (e == EINTR) continue;
    return throw_errno(env, e, "futex_waitv", "futexWaitv");
  }
  napi_value out;
  CHECK(napi_create_int32(env, result, &out));
  return out;
}

// ---- module --------------------------------------------------------------------------------

static void env_state_finalize(napi_env env, void* data, void* hint) {
  (void)env;
  (void)hint;
  (void)data; // leaked with its jobs if any were pending at teardown; otherwise tiny
}

NAPI_MODULE_INIT() {
  env_state* st = calloc(1, sizeof(env_state));
  if (!st) return NULL;
  pthread_mutex_init(&st->lock, NULL);
  napi_value name;
  CHECK(napi_create_string_utf8(env, "sabre futex wait", NAPI_AUTO_LENGTH, &name));
  CHECK(napi_create_threadsafe_function(env, NULL, NULL, name, 0, 1, NULL, NULL, NULL, deliver, &st->tsfn));
  CHECK(napi_unref_threadsafe_function(env, st->tsfn));
  CHECK(napi_set_instance_data(env, st, env_state_finalize, NULL));
  CHECK(napi_add_env_cleanup_hook(env, env_cleanup, st));

  napi_property_descriptor props[] = {
      {"mapWindow", NULL, map_window, NULL, NULL, NULL, napi_enumerable, NULL},
      {"unmapWindow", NULL, unmap_window, NULL, NULL, NULL, napi_enumerable, NULL},
      {"futexWait", NULL, futex_wait, NULL, NULL, NULL, napi_enumerable, NULL},
      {"futexWake", NULL, futex_wake, NULL, NULL, NULL, napi_enumerable, NULL},
      {"futexWaitAsync", NULL, futex_wait_async, NULL, NULL, NULL, napi_enumerable, NULL},
      {"futexCancel", NULL, futex_cancel, NULL, NULL, NULL, napi_enumerable, NULL},
      {"memfdCreate", NULL, memfd_create_js, NULL, NULL, NULL, napi_enumerable, NULL},
      {"seals", NULL, seals_js, NULL, NULL, NULL, napi_enumerable, NULL},
      {"shmOpen", NULL, shm_open_js, NULL, NULL, NULL, napi_enumerable, NULL},
      {"shmUnlink", NULL, shm_unlink_js, NULL, NULL, NULL, napi_enumerable, NULL},
      {"fstat", NULL, fstat_js, NULL, NULL, NULL, napi_enumerable, NULL},
      {"geteuid", NULL, geteuid_js, NULL, NULL, NULL, napi_enumerable, NULL},
      {"close", NULL, close_js, NULL, NULL, NULL, napi_enumerable, NULL},
      {"mkfifo", NULL, mkfifo_js, NULL, NULL, NULL, napi_enumerable, NULL},
      {"processStart", NULL, process_start_js, NULL, NULL, NULL, napi_enumerable, NULL},
      {"yieldCpu", NULL, yield_cpu_js, NULL, NULL, NULL, napi_enumerable, NULL},
      {"mapFileWindow", NULL, map_file_window_js, NULL, NULL, NULL, napi_enumerable, NULL},
      {"msyncWindow", NULL, msync_window_js, NULL, NULL, NULL, napi_enumerable, NULL},
      {"guardWindow", NULL, guard_window_js, NULL, NULL, NULL, napi_enumerable, NULL},
      {"unguardWindow", NULL, unguard_window_js, NULL, NULL, NULL, napi_enumerable, NULL},
      {"windowFaulted", NULL, window_faulted_js, NULL, NULL, NULL, napi_enumerable, NULL},
      {"futexWaitv", NULL, futex_waitv_js, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  CHECK(napi_define_properties(env, exports, sizeof props / sizeof props[0], props));
  napi_value page, seals;
  CHECK(napi_create_int32(env, (int32_t)page_size(), &page));
  CHECK(napi_set_named_property(env, exports, "pageSize", page));
  CHECK(napi_create_int32(env, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL, &seals));
  CHECK(napi_set_named_property(env, exports, "SEALS", seals));
  return exports;
}
