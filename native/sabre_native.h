// sabre_native.h — what the files of the addon share (see sabre_native.c for the exports and
// their contracts): the system headers, constants older libc headers lack, the result codes
// of every wait, the CHECK macro, and the functions one file defines for the others. Every
// name shared between files starts with sn_, and none is exported from the shared object
// (binding.gyp compiles with -fvisibility=hidden; only the module's registration is
// visible); everything else is static in its file.
//
//   file            what it holds
//   sabre_native.c  the module: its exports table (the JS names) and the per-env set-up
//   napi_args.c     thrown errors (errno names) and argument checks shared by every export
//   futex.c         blocking futex waits and wakes on one word or several (FUTEX_WAITV)
//   futex_async.c   async futex waits on the addon's own waiter threads, and their delivery
//   windows.c       mmap windows over a wasm memory, msync, the SIGBUS guard
//   files.c         memfd, seals, /dev/shm files, fstat, close, mkfifo
//   process.c       processStart (/proc/<pid>/stat), yieldCpu
#ifndef SABRE_NATIVE_H
#define SABRE_NATIVE_H

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

/** What a wait returns to JavaScript (futexWait, futexWaitAsync's callback, futexWaitv). */
enum { R_WOKEN = 0, R_NOT_EQUAL = 1, R_TIMED_OUT = 2, R_CANCELLED = 3 };

/** In a function returning a pointer (napi_value): a failed N-API call throws and returns NULL. */
#define CHECK(call)                                                  \
  do {                                                               \
    if ((call) != napi_ok) {                                         \
      napi_throw_error(env, "ERR_SABRE_NATIVE", "N-API call failed: " #call); \
      return NULL;                                                   \
    }                                                                \
  } while (0)

// napi_args.c: each returns NULL / 0 with a JS exception pending when it fails.
napi_value sn_throw_errno(napi_env env, int e, const char* syscall_name, const char* what);
napi_value sn_type_error(napi_env env, const char* message);
int sn_get_args(napi_env env, napi_callback_info info, size_t want, napi_value* argv);
int sn_get_int64(napi_env env, napi_value v, int64_t* out);
int sn_get_double(napi_env env, napi_value v, double* out);
int32_t* sn_word_of(napi_env env, napi_value array, napi_value index_value);
char* sn_get_string(napi_env env, napi_value v, char* buf, size_t size);
/** `value` as a JS number: what most exports return. */
napi_value sn_int32(napi_env env, int32_t value);

// futex.c
long sn_sys_futex(int32_t* addr, int op, int32_t val, const struct timespec* ts, uint32_t bitset);
int sn_deadline_after(double ms, struct timespec* at);
int sn_wait_word(int32_t* addr, int32_t expected, int timed, const struct timespec* at, atomic_int* cancel);
napi_value sn_futex_wait(napi_env env, napi_callback_info info);
napi_value sn_futex_wake(napi_env env, napi_callback_info info);
napi_value sn_futex_waitv(napi_env env, napi_callback_info info);

// futex_async.c: sn_futex_async_init sets up this env's delivery (NULL: an exception is pending).
void* sn_futex_async_init(napi_env env);
napi_value sn_futex_wait_async(napi_env env, napi_callback_info info);
napi_value sn_futex_cancel(napi_env env, napi_callback_info info);

// windows.c
long sn_page_size(void);
napi_value sn_map_window(napi_env env, napi_callback_info info);
napi_value sn_unmap_window(napi_env env, napi_callback_info info);
napi_value sn_map_file_window(napi_env env, napi_callback_info info);
napi_value sn_msync_window(napi_env env, napi_callback_info info);
napi_value sn_guard_window(napi_env env, napi_callback_info info);
napi_value sn_unguard_window(napi_env env, napi_callback_info info);
napi_value sn_window_faulted(napi_env env, napi_callback_info info);

// files.c
napi_value sn_memfd_create(napi_env env, napi_callback_info info);
napi_value sn_seals(napi_env env, napi_callback_info info);
napi_value sn_shm_open(napi_env env, napi_callback_info info);
napi_value sn_shm_unlink(napi_env env, napi_callback_info info);
napi_value sn_fstat(napi_env env, napi_callback_info info);
napi_value sn_geteuid(napi_env env, napi_callback_info info);
napi_value sn_close(napi_env env, napi_callback_info info);
napi_value sn_mkfifo(napi_env env, napi_callback_info info);

// process.c
napi_value sn_process_start(napi_env env, napi_callback_info info);
napi_value sn_yield_cpu(napi_env env, napi_callback_info info);

#endif
