// futex.c — blocking waits and wakes on 32-bit words of a region's memory, between processes.
//
//   futexWait(words, index, expected, timeoutMs) -> R_WOKEN | R_NOT_EQUAL | R_TIMED_OUT
//   futexWake(words, index, count) -> waiters woken
//   futexWaitv(arrays[], indexes[], expected[], timeoutMs) -> the same codes, on 1..128 words
//
// Contracts:
//   - Shared futexes (never FUTEX_PRIVATE_FLAG): a wake from any process mapping the same file
//     reaches the waiter; V8's Atomics.wait/notify do not cross processes.
//   - Deadlines are absolute CLOCK_MONOTONIC times (FUTEX_WAIT_BITSET, futex_waitv), so a wait
//     interrupted by a signal (EINTR: SIGCHLD when a child exits) waits again for exactly the
//     time left. timeoutMs < 0, NaN or Infinity: forever.
//   - sn_wait_word is also the wait of futex_async.c's waiter threads: it checks `cancel`
//     before each wait and after a wake-up.
//   - futexWaitv needs Linux >= 5.16; older kernels throw with code ENOSYS.
#include "sabre_native.h"

long sn_sys_futex(int32_t* addr, int op, int32_t val, const struct timespec* ts, uint32_t bitset) {
  return syscall(SYS_futex, addr, op, val, ts, NULL, bitset);
}

/** Absolute CLOCK_MONOTONIC deadline `ms` from now; returns 0 for forever (ms < 0 or infinite). */
int sn_deadline_after(double ms, struct timespec* at) {
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

/** failed_wait's answer for EINTR: wait again (never an errno, whose negation is at least -4095). */
#define WAIT_AGAIN INT_MIN

/** The outcome of a futex wait that failed with `e`: R_NOT_EQUAL, R_TIMED_OUT, WAIT_AGAIN (EINTR:
 *  a signal, SIGCHLD...; the kernel re-checks the word), or -e for an unexpected error. */
static int failed_wait(int e) {
  if (e == EAGAIN) return R_NOT_EQUAL;
  if (e == ETIMEDOUT) return R_TIMED_OUT;
  if (e == EINTR) return WAIT_AGAIN;
  return -e;
}

/**
 * Parks while *addr == expected until woken, the deadline, or *cancel. FUTEX_WAIT_BITSET takes
 * an absolute CLOCK_MONOTONIC time, so a retry after EINTR waits exactly the time left.
 * Returns an R_* code, or -errno for an unexpected failure.
 */
int sn_wait_word(int32_t* addr, int32_t expected, int timed, const struct timespec* at, atomic_int* cancel) {
  for (;;) {
    if (cancel && atomic_load(cancel)) return R_CANCELLED;
    long r = sn_sys_futex(addr, FUTEX_WAIT_BITSET, expected, timed ? at : NULL, FUTEX_BITSET_MATCH_ANY);
    if (r == 0) return cancel && atomic_load(cancel) ? R_CANCELLED : R_WOKEN;
    int outcome = failed_wait(errno);
    if (outcome != WAIT_AGAIN) return outcome;
  }
}

napi_value sn_futex_wait(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  if (!sn_get_args(env, info, 4, argv)) return NULL;
  int32_t* addr = sn_word_of(env, argv[0], argv[1]);
  if (!addr) return NULL;
  int32_t expected;
  double ms;
  if (napi_get_value_int32(env, argv[2], &expected) != napi_ok || !sn_get_double(env, argv[3], &ms)) {
    return sn_type_error(env, "futexWait(words, index, expected, timeoutMs): expected and timeoutMs are numbers");
  }
  struct timespec at;
  int timed = sn_deadline_after(ms, &at);
  int r = sn_wait_word(addr, expected, timed, &at, NULL);
  if (r < 0) return sn_throw_errno(env, -r, "futex", "futexWait");
  return sn_int32(env, r);
}

napi_value sn_futex_wake(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (!sn_get_args(env, info, 3, argv)) return NULL;
  int32_t* addr = sn_word_of(env, argv[0], argv[1]);
  if (!addr) return NULL;
  double count;
  if (!sn_get_double(env, argv[2], &count)) return sn_type_error(env, "futexWake(words, index, count): count is a number");
  int n = count >= INT_MAX || isinf(count) ? INT_MAX : count < 0 ? 0 : (int)count;
  long r = sn_sys_futex(addr, FUTEX_WAKE, n, NULL, 0);
  if (r < 0) return sn_throw_errno(env, errno, "futex", "futexWake");
  return sn_int32(env, (int32_t)r);
}


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

napi_value sn_futex_waitv(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  if (!sn_get_args(env, info, 4, argv)) return NULL;
  bool is_array;
  uint32_t n, m;
  if (napi_is_array(env, argv[0], &is_array) != napi_ok || !is_array || napi_get_array_length(env, argv[0], &n) != napi_ok ||
      napi_is_array(env, argv[1], &is_array) != napi_ok || !is_array || napi_get_array_length(env, argv[1], &m) != napi_ok ||
      n != m || n == 0 || n > WAITV_MAX) {
    return sn_type_error(env, "futexWaitv(words[], indexes[], expected[], timeoutMs): 1 to 128 words");
  }
  struct sabre_futex_waitv w[WAITV_MAX];
  memset(w, 0, sizeof w);
  for (uint32_t i = 0; i < n; i++) {
    napi_value a, ix, ex;
    int32_t expected;
    if (napi_get_element(env, argv[0], i, &a) != napi_ok || napi_get_element(env, argv[1], i, &ix) != napi_ok) return NULL;
    int32_t* addr = sn_word_of(env, a, ix);
    if (!addr) return NULL;
    if (napi_get_element(env, argv[2], i, &ex) != napi_ok || napi_get_value_int32(env, ex, &expected) != napi_ok) {
      return sn_type_error(env, "futexWaitv: expected values are numbers");
    }
    w[i].val = (uint32_t)expected;
    w[i].uaddr = (uint64_t)(uintptr_t)addr;
    w[i].flags = 2; // FUTEX2_SIZE_U32, shared (no FUTEX2_PRIVATE)
  }
  double ms;
  if (!sn_get_double(env, argv[3], &ms)) return sn_type_error(env, "futexWaitv: timeoutMs is a number");
  struct timespec at;
  int timed = sn_deadline_after(ms, &at);
  for (;;) {
    if (syscall(SYS_futex_waitv, w, n, 0, timed ? &at : NULL, CLOCK_MONOTONIC) >= 0) return sn_int32(env, R_WOKEN);
    int outcome = failed_wait(errno);
    if (outcome == WAIT_AGAIN) continue;
    if (outcome < 0) return sn_throw_errno(env, -outcome, "futex_waitv", "futexWaitv");
    return sn_int32(env, outcome);
  }
}
