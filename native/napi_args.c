// napi_args.c — errors and argument checks shared by every export of the addon.
//
// Contracts:
//   - sn_throw_errno throws an Error whose `code` is the errno's name ("EEXIST", ...; "EUNKNOWN"
//     for one not listed), with `syscall` and `errno` set and a message naming the call and
//     what it was for; JavaScript matches `code`, never the message.
//   - Argument errors are TypeErrors. Every helper returns 0 / NULL with the exception pending
//     when it fails, and its caller returns NULL at once.
//   - sn_word_of accepts only an Int32Array and an index inside it (the address it returns is
//     in bounds); sn_get_int64 only a finite integral number; sn_get_string only a string that
//     fits `size` with its terminating zero (never a truncated one).
#include "sabre_native.h"

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

napi_value sn_throw_errno(napi_env env, int e, const char* syscall_name, const char* what) {
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

napi_value sn_type_error(napi_env env, const char* message) {
  napi_throw_type_error(env, NULL, message);
  return NULL;
}

int sn_get_args(napi_env env, napi_callback_info info, size_t want, napi_value* argv) {
  size_t argc = want;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < want) {
    napi_throw_type_error(env, NULL, "sabre native: too few arguments");
    return 0;
  }
  return 1;
}

int sn_get_int64(napi_env env, napi_value v, int64_t* out) {
  double d;
  if (napi_get_value_double(env, v, &d) != napi_ok || !isfinite(d) || d != floor(d)) return 0;
  *out = (int64_t)d;
  return 1;
}

int sn_get_double(napi_env env, napi_value v, double* out) {
  return napi_get_value_double(env, v, out) == napi_ok;
}

/** The address of words[index] of an Int32Array, or NULL (a TypeError is pending). */
int32_t* sn_word_of(napi_env env, napi_value array, napi_value index_value) {
  napi_typedarray_type type;
  size_t length;
  void* data;
  if (napi_get_typedarray_info(env, array, &type, &length, &data, NULL, NULL) != napi_ok || type != napi_int32_array) {
    sn_type_error(env, "sabre native: expected an Int32Array over the region's memory");
    return NULL;
  }
  int64_t index;
  if (!sn_get_int64(env, index_value, &index) || index < 0 || (uint64_t)index >= length) {
    sn_type_error(env, "sabre native: word index out of range");
    return NULL;
  }
  return (int32_t*)data + index;
}

napi_value sn_int32(napi_env env, int32_t value) {
  napi_value out;
  CHECK(napi_create_int32(env, value, &out));
  return out;
}

char* sn_get_string(napi_env env, napi_value v, char* buf, size_t size) {
  size_t len;
  if (napi_get_value_string_utf8(env, v, buf, size, &len) != napi_ok || len + 1 >= size) return NULL;
  return buf;
}
