# The native batched UDP addon (native/*.c, plain C against node_api.h). Built by
# scripts/build-native.mjs at `npm install`/`npm ci`; a failed build only disables the native path.
{
  "targets": [
    {
      "target_name": "dnsbench_udp",
      "sources": ["native/addon.c", "native/udp_sock.c", "native/ptimer.c", "native/sched.c"],
      "conditions": [
        ["OS=='linux'", {
          "cflags_c": ["-std=gnu11", "-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"],
          "defines": ["_GNU_SOURCE"]
        }]
      ]
    }
  ]
}
