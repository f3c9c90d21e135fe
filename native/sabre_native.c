// sabre_native.c — the Node addon of 'sabre/node' (N-API only, Linux): what JavaScript cannot do
// to share a wasm memory between processes. One build serves every Node >= 20 (N-API 8).
//
// Loaded by src/node/native.ts; every export is a thin wrapper over one system call, and the
// policy (names, modes, header checks, which window to map) lives in TypeScript. This file is
// the module: the exports below and their table; each lives in the file named beside its
// group (sabre_native.h lists the files and what they share).
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
// Async waits run on the addon's own waiter threads (futex_async.c says how, and what a torn
// down env leaks).
#include "sabre_native.h"

NAPI_MODULE_INIT() {
  if (!sn_futex_async_init(env)) return NULL;

  napi_property_descriptor props[] = {
      // windows.c
      {"mapWindow", NULL, sn_map_window, NULL, NULL, NULL, napi_enumerable, NULL},
      {"unmapWindow", NULL, sn_unmap_window, NULL, NULL, NULL, napi_enumerable, NULL},
      // futex.c, futex_async.c
      {"futexWait", NULL, sn_futex_wait, NULL, NULL, NULL, napi_enumerable, NULL},
      {"futexWake", NULL, sn_futex_wake, NULL, NULL, NULL, napi_enumerable, NULL},
      {"futexWaitAsync", NULL, sn_futex_wait_async, NULL, NULL, NULL, napi_enumerable, NULL},
      {"futexCancel", NULL, sn_futex_cancel, NULL, NULL, NULL, napi_enumerable, NULL},
      // files.c
      {"memfdCreate", NULL, sn_memfd_create, NULL, NULL, NULL, napi_enumerable, NULL},
      {"seals", NULL, sn_seals, NULL, NULL, NULL, napi_enumerable, NULL},
      {"shmOpen", NULL, sn_shm_open, NULL, NULL, NULL, napi_enumerable, NULL},
      {"shmUnlink", NULL, sn_shm_unlink, NULL, NULL, NULL, napi_enumerable, NULL},
      {"fstat", NULL, sn_fstat, NULL, NULL, NULL, napi_enumerable, NULL},
      {"geteuid", NULL, sn_geteuid, NULL, NULL, NULL, napi_enumerable, NULL},
      {"close", NULL, sn_close, NULL, NULL, NULL, napi_enumerable, NULL},
      {"mkfifo", NULL, sn_mkfifo, NULL, NULL, NULL, napi_enumerable, NULL},
      // process.c
      {"processStart", NULL, sn_process_start, NULL, NULL, NULL, napi_enumerable, NULL},
      {"yieldCpu", NULL, sn_yield_cpu, NULL, NULL, NULL, napi_enumerable, NULL},
      // windows.c (mapped data files and the SIGBUS guard)
      {"mapFileWindow", NULL, sn_map_file_window, NULL, NULL, NULL, napi_enumerable, NULL},
      {"msyncWindow", NULL, sn_msync_window, NULL, NULL, NULL, napi_enumerable, NULL},
      {"guardWindow", NULL, sn_guard_window, NULL, NULL, NULL, napi_enumerable, NULL},
      {"unguardWindow", NULL, sn_unguard_window, NULL, NULL, NULL, napi_enumerable, NULL},
      {"windowFaulted", NULL, sn_window_faulted, NULL, NULL, NULL, napi_enumerable, NULL},
      // futex.c
      {"futexWaitv", NULL, sn_futex_waitv, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  CHECK(napi_define_properties(env, exports, sizeof props / sizeof props[0], props));
  napi_value page, seals;
  CHECK(napi_create_int32(env, (int32_t)sn_page_size(), &page));
  CHECK(napi_set_named_property(env, exports, "pageSize", page));
  CHECK(napi_create_int32(env, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL, &seals));
  CHECK(napi_set_named_property(env, exports, "SEALS", seals));
  return exports;
}
