// files.c — the files behind file-backed regions, and FIFOs.
//
//   memfdCreate(name, size) -> fd       memfd_create(MFD_CLOEXEC | MFD_ALLOW_SEALING), sized, then
//        sealed F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL: nobody can truncate it (SIGBUS).
//   seals(fd) -> F_GET_SEALS bits
//   shmOpen(name, create, size) -> fd   /dev/shm/<name>, O_RDWR | O_NOFOLLOW | O_CLOEXEC; create:
//        O_CREAT | O_EXCL, mode exactly 0600 (fchmod past the umask), sized with ftruncate.
//   shmUnlink(name)                     unlink /dev/shm/<name>
//   fstat(fd) -> { size, uid, mode, regular }     geteuid() -> uid     close(fd)
//   mkfifo(path, mode)
//
// Contracts:
//   - A /dev/shm name is one path component: never contains '/', never "." or ".." (the
//     TypeScript side validates names further; this is the last line).
//   - A file that shmOpen created and could not size is removed again; a memfd that could not
//     be sized or sealed is closed. Nothing half-made is left behind.
//   - Every fd returned is close-on-exec; children get a region's memfd only as spawnProcess
//     passes it.
#include "sabre_native.h"

napi_value sn_memfd_create(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!sn_get_args(env, info, 2, argv)) return NULL;
  char name[250];
  int64_t size;
  if (!sn_get_string(env, argv[0], name, sizeof name) || !sn_get_int64(env, argv[1], &size) || size <= 0) {
    return sn_type_error(env, "memfdCreate(name, size): a short name and a positive size");
  }
  int fd = (int)syscall(SYS_memfd_create, name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0) return sn_throw_errno(env, errno, "memfd_create", "memfdCreate");
  if (ftruncate(fd, (off_t)size) != 0) {
    int e = errno;
    close(fd);
    return sn_throw_errno(env, e, "ftruncate", "memfdCreate");
  }
  if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) != 0) {
    int e = errno;
    close(fd);
    return sn_throw_errno(env, e, "fcntl(F_ADD_SEALS)", "memfdCreate");
  }
  return sn_int32(env, fd);
}

/** The one argument of seals, fstat and close: an fd (0, with a TypeError pending, if it is not). */
static int fd_arg(napi_env env, napi_callback_info info, const char* usage, int32_t* fd) {
  napi_value argv[1];
  if (!sn_get_args(env, info, 1, argv)) return 0;
  if (napi_get_value_int32(env, argv[0], fd) != napi_ok) {
    sn_type_error(env, usage);
    return 0;
  }
  return 1;
}

napi_value sn_seals(napi_env env, napi_callback_info info) {
  int32_t fd;
  if (!fd_arg(env, info, "seals(fd)", &fd)) return NULL;
  int r = fcntl(fd, F_GET_SEALS);
  if (r < 0) return sn_throw_errno(env, errno, "fcntl(F_GET_SEALS)", "seals");
  return sn_int32(env, r);
}

static int shm_path(napi_env env, napi_value v, char* path, size_t size) {
  char name[256];
  if (!sn_get_string(env, v, name, sizeof name) || name[0] == 0 || strchr(name, '/') || strcmp(name, ".") == 0 ||
      strcmp(name, "..") == 0) {
    napi_throw_type_error(env, NULL, "sabre native: a /dev/shm name is one path component (no '/', not . or ..)");
    return 0;
  }
  snprintf(path, size, "/dev/shm/%s", name);
  return 1;
}

napi_value sn_shm_open(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (!sn_get_args(env, info, 3, argv)) return NULL;
  char path[300];
  if (!shm_path(env, argv[0], path, sizeof path)) return NULL;
  bool create;
  int64_t size = 0;
  if (napi_get_value_bool(env, argv[1], &create) != napi_ok || (create && (!sn_get_int64(env, argv[2], &size) || size <= 0))) {
    return sn_type_error(env, "shmOpen(name, create, size)");
  }
  int flags = O_RDWR | O_NOFOLLOW | O_CLOEXEC | (create ? O_CREAT | O_EXCL : 0);
  int fd = open(path, flags, 0600);
  if (fd < 0) return sn_throw_errno(env, errno, "open", path);
  if (create) {
    const char* failed = fchmod(fd, 0600) != 0 ? "fchmod" : ftruncate(fd, (off_t)size) != 0 ? "ftruncate" : NULL;
    if (failed) {
      int e = errno;
      close(fd);
      unlink(path);
      return sn_throw_errno(env, e, failed, path);
    }
  }
  return sn_int32(env, fd);
}

napi_value sn_shm_unlink(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!sn_get_args(env, info, 1, argv)) return NULL;
  char path[300];
  if (!shm_path(env, argv[0], path, sizeof path)) return NULL;
  if (unlink(path) != 0) return sn_throw_errno(env, errno, "unlink", path);
  return NULL;
}

napi_value sn_fstat(napi_env env, napi_callback_info info) {
  int32_t fd;
  if (!fd_arg(env, info, "fstat(fd)", &fd)) return NULL;
  struct stat st;
  if (fstat(fd, &st) != 0) return sn_throw_errno(env, errno, "fstat", "fstat");
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

napi_value sn_geteuid(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value out;
  CHECK(napi_create_uint32(env, geteuid(), &out));
  return out;
}

napi_value sn_close(napi_env env, napi_callback_info info) {
  int32_t fd;
  if (!fd_arg(env, info, "close(fd)", &fd)) return NULL;
  if (close(fd) != 0 && errno != EINTR) return sn_throw_errno(env, errno, "close", "close");
  return NULL;
}

napi_value sn_mkfifo(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!sn_get_args(env, info, 2, argv)) return NULL;
  char path[4096];
  int32_t mode;
  if (!sn_get_string(env, argv[0], path, sizeof path) || napi_get_value_int32(env, argv[1], &mode) != napi_ok) {
    return sn_type_error(env, "mkfifo(path, mode)");
  }
  if (mkfifo(path, (mode_t)mode) != 0) return sn_throw_errno(env, errno, "mkfifo", path);
  return NULL;
}
