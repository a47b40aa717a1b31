# One target. The per-OS sources are chosen in `conditions`; scripts/build-windows.mjs reads this
# file for its source list too, so there is one list of native sources, not two.
{
  "targets": [
    {
      "target_name": "overlapped",
      "sources": [
        "native/addon.cc",
        "native/core/accept_retry.cc",
        "native/core/backend_base.cc",
        "native/core/buffer_pool.cc",
        "native/core/relay.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": [
        "NAPI_VERSION=8",
        "NAPI_DISABLE_CPP_EXCEPTIONS",
        "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS",
        "NODE_ADDON_API_DISABLE_DEPRECATED"
      ],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra", "-fno-exceptions"],
      "conditions": [
        ["OS=='linux'", {
          "sources": [
            "native/unix/libstdcxx_compat.cc",
            "native/unix/socket.cc",
            "native/epoll/epoll_backend.cc",
            "native/uring/ring.cc",
            "native/uring/uring_backend.cc"
          ]
        }],
        ["OS=='win'", {
          "sources": [
            "native/iocp/error.cc",
            "native/iocp/iocp_backend.cc"
          ],
          "libraries": ["-lws2_32", "-lmswsock"]
        }]
      ]
    }
  ]
}
