// Lets the Windows addon load in any process that exports Node-API, whatever its executable is
// called: node.exe, a renamed copy of it, electron.exe, an app that embeds Node (issue #13).
//
// The addon's Node-API and libuv imports are not exported by a DLL but by the executable that
// loads it, and a PE import names its module. scripts/build-windows.mjs links them as *delay*
// imports of "node.exe" (dlltool -y): nothing is resolved when Windows maps the .node, and the
// first call of such a function goes through mingw-w64's __delayLoadHelper2 (libmingwex's
// delayimp.c), which asks the hook below before it would LoadLibrary("node.exe"). The hook
// answers with the running executable's own module, so every import binds to the host process.
// This is node-gyp's src/win_delay_load_hook.cc, which MSVC builds get with /DELAYLOAD:node.exe.
//
// Why a delay-load hook, and not GetProcAddress(GetModuleHandle(NULL), ...) for each function
// at load time: it is the mechanism node-gyp, and so every MSVC-built addon, relies on; the
// sources call Node-API as declared in node_api.h, with no table of function pointers to keep
// in step with the functions they use; and mingw-w64 supports it (delayimp.h, libmingwex).
//
// Only scripts/build-windows.mjs compiles this file; binding.gyp does not list it: node-gyp on
// Windows (MSVC) already adds its own copy of this hook and /DELAYLOAD:node.exe, and a second
// definition of __pfnDliNotifyHook2 would not link.
#include <windows.h>

#include <delayimp.h>
#include <string.h>

namespace {

FARPROC WINAPI LoadHostHook(unsigned event, PDelayLoadInfo info) {
  if (event != dliNotePreLoadLibrary) return nullptr;
  // The name the import library gives the executable (scripts/build-windows.mjs's NAME line).
  if (_stricmp(info->szDll, "node.exe") != 0) return nullptr;
  return reinterpret_cast<FARPROC>(GetModuleHandleW(nullptr));
}

}  // namespace

// Read by __delayLoadHelper2. Defining it here keeps libmingwex's own (null) definition, which
// lives in an archive member of its own (delay-n.o), out of the link.
PfnDliHook __pfnDliNotifyHook2 = LoadHostHook;
