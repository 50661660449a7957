{
  "targets": [
    {
      "target_name": "crac_bridge",
      "sources": ["bridge.c"],
      "cflags": ["-std=gnu11", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "libraries": ["-ldl"]
    },
    {
      "target_name": "crac_restore_helper",
      "type": "executable",
      "sources": ["restore_helper.c", "kdat_cache.c", "fast_restore.c", "restore_plan.c"],
      "cflags": ["-std=gnu11", "-Wall", "-Wextra"]
    },
    {
      "target_name": "crac_no_io_uring",
      "type": "shared_library",
      "product_prefix": "",
      "sources": ["no_io_uring.c"],
      "cflags": ["-std=gnu11", "-Wall", "-Wextra"],
      "libraries": ["-ldl"]
    }
  ]
}
