# binding.gyp — the N-API addon of 'sabre/node' (sabre_native.c and the files it lists in sabre_native.h); built by native/install.mjs
# during `npm install`. Linux only: the addon wraps mmap, futex, memfd and /proc.
{
  "targets": [
    {
      "target_name": "sabre_native",
      "sources": ["sabre_native.c", "napi_args.c", "futex.c", "futex_async.c", "windows.c", "files.c", "process.c"],
      "defines": ["NAPI_VERSION=8"],
      "cflags_c": ["-std=gnu11", "-O2", "-fvisibility=hidden", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "libraries": ["-lpthread"],
      "conditions": [["OS!='linux'", {"type": "none"}]]
    }
  ]
}
