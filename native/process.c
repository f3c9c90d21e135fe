// process.c — facts about processes, and giving up the CPU.
//
//   processStart(pid) -> { start, state, exitStatus } | null
//        start: clock ticks after boot (field 22 of /proc/<pid>/stat); state: its state letter;
//        exitStatus: for a zombie ("Z"), its wait status (field 52, as waitpid reports it), else
//        -1. (pid, start) names one process for good, whatever pid reuse does later. null: no
//        such process (or it vanished while being read).
//   yieldCpu()                          sched_yield(): a spinning waiter offers its CPU.
//
// Contracts: the command name in /proc/<pid>/stat may hold spaces and ')', so fields are
// counted from after its LAST ')'; a line of another shape throws EINVAL.
#include "sabre_native.h"

napi_value sn_process_start(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!sn_get_args(env, info, 1, argv)) return NULL;
  int32_t pid;
  if (napi_get_value_int32(env, argv[0], &pid) != napi_ok || pid <= 0) return sn_type_error(env, "processStart(pid)");
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
  if (!p || p[1] != ' ') return sn_throw_errno(env, EINVAL, "read", "processStart: unexpected /proc/<pid>/stat");
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

napi_value sn_yield_cpu(napi_env env, napi_callback_info info) {
  (void)env;
  (void)info;
  sched_yield();
  return NULL;
}
