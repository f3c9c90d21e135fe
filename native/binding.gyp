# binding.gyp — the N-API addon of 'sabre/node' (sabre_native.c); built by native/install.mjs
# during `npm install`. Linux only: the addon wraps mmap, futex, memfd and /proc.
{
  "targets": [
    {
      "target_name": "sabre_native",
      "sources": ["sabre_native.c"],
      "defines": ["NAPI_VERSION=8"],
      "cflags_c": ["-std=gnu11", "-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "libraries": ["-lpthread"],
      "conditions": [["OS!='linux'", {"type": "none"}]]
    }
  ]
}
