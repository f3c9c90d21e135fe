// windows.c — windows of a shared WebAssembly.Memory backed by a file, and the SIGBUS guard.
//
//   mapWindow(bytes, fd, fileOffset)                 mmap(MAP_SHARED | MAP_FIXED) of `fd` over
//        exactly the bytes of `bytes` (a Uint8Array on the memory's buffer): from then on those
//        bytes ARE the file's, in every process that maps it.
//   unmapWindow(bytes)                               the same bytes back to private zero pages.
//   mapFileWindow(bytes, fd, fileOffset, writable)   a data file: MAP_SHARED when writable, else
//        MAP_PRIVATE (fd may be read-only; writes stay in this process).
//   msyncWindow(bytes)                               msync(MS_SYNC): written to disk.
//   guardWindow(bytes) -> slot, unguardWindow(slot), windowFaulted(slot) -> boolean
//
// Contracts:
//   - A window starts on a page boundary and spans whole pages (RangeError otherwise), and so
//     does fileOffset; the bytes must be a Uint8Array (TypeError otherwise). MAP_FIXED replaces
//     the pages in place: the memory object and every view of it stay valid.
//   - The guard: see the comment above GUARD_SLOTS. It covers mapped data files, whose size
//     another process may change. A region's window is never guarded: a region file truncated
//     under its mapping still raises SIGBUS on access (memfds are sealed against it; the walks
//     over named regions fstat their file first, src/node/file-region.ts).
#include "sabre_native.h"

long sn_page_size(void) {
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
  long page = sn_page_size();
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
  if (napi_get_value_int32(env, argv[1], &fd) != napi_ok || !sn_get_int64(env, argv[2], &offset) || offset < 0 ||
      offset % sn_page_size() != 0) {
    return sn_type_error(env, "sabre native: mapping a window needs an fd (an integer) and a page-aligned fileOffset");
  }
  void* r = mmap(data, length, PROT_READ | PROT_WRITE, flags | MAP_FIXED, fd, (off_t)offset);
  if (r == MAP_FAILED) return sn_throw_errno(env, errno, "mmap", what);
  return NULL;
}

napi_value sn_map_window(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (!sn_get_args(env, info, 3, argv)) return NULL;
  return map_fd_window(env, argv, MAP_SHARED, "mapWindow");
}

napi_value sn_unmap_window(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!sn_get_args(env, info, 1, argv)) return NULL;
  void* data;
  size_t length;
  if (!bytes_of(env, argv[0], &data, &length)) return NULL;
  void* r = mmap(data, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  if (r == MAP_FAILED) return sn_throw_errno(env, errno, "mmap", "unmapWindow");
  return NULL;
}

napi_value sn_map_file_window(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  if (!sn_get_args(env, info, 4, argv)) return NULL;
  bool writable;
  if (napi_get_value_bool(env, argv[3], &writable) != napi_ok) return sn_type_error(env, "mapFileWindow(bytes, fd, fileOffset, writable): writable is a boolean");
  return map_fd_window(env, argv, writable ? MAP_SHARED : MAP_PRIVATE, "mapFileWindow");
}

napi_value sn_msync_window(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!sn_get_args(env, info, 1, argv)) return NULL;
  void* data;
  size_t length;
  if (!bytes_of(env, argv[0], &data, &length)) return NULL;
  if (msync(data, length, MS_SYNC) != 0) return sn_throw_errno(env, errno, "msync", "msyncWindow");
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
    uintptr_t page = at & ~((uintptr_t)sn_page_size() - 1);
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

napi_value sn_guard_window(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!sn_get_args(env, info, 1, argv)) return NULL;
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
      return sn_throw_errno(env, e, "sigaction", "guardWindow");
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
  if (slot < 0) return sn_throw_errno(env, EMFILE, "guardWindow", "guardWindow: 256 mapped files are guarded already");
  return sn_int32(env, slot);
}

/** The one argument of unguardWindow and windowFaulted: a slot from guardWindow (-1, with a
 *  TypeError pending, if it is not one). */
static int guard_slot_arg(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!sn_get_args(env, info, 1, argv)) return -1;
  int32_t slot;
  if (napi_get_value_int32(env, argv[0], &slot) != napi_ok || slot < 0 || slot >= GUARD_SLOTS) {
    napi_throw_type_error(env, NULL, "sabre native: a guard slot from guardWindow");
    return -1;
  }
  return slot;
}

napi_value sn_unguard_window(napi_env env, napi_callback_info info) {
  int slot = guard_slot_arg(env, info);
  if (slot < 0) return NULL;
  pthread_mutex_lock(&guard_lock);
  atomic_store(&guards[slot].length, 0); // retire first: the handler stops matching the range
  atomic_store(&guards[slot].start, 0);
  pthread_mutex_unlock(&guard_lock);
  return NULL;
}

napi_value sn_window_faulted(napi_env env, napi_callback_info info) {
  int slot = guard_slot_arg(env, info);
  if (slot < 0) return NULL;
  napi_value out;
  CHECK(napi_get_boolean(env, atomic_load(&guards[slot].faulted) != 0, &out));
  return out;
}
