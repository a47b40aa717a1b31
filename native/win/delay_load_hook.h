// See delay_load_hook.cc: the mingw build's Node-API imports, bound to the host executable.
#pragma once

// Binds every import of the host's Node-API and libuv at once; false if one is missing.
bool BindHostImports();
