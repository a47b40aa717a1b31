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

#include "delay_load_hook.h"

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

// Binds every import of "node.exe" at once (scripts/build-windows.mjs defines
// OVERLAPPED_DELAY_LOAD_HOOK, and the module's init calls this before any Node-API call).
//
// Why not lazily, at each function's first call, as delay-loading does by default: the
// lazy-binding stub binutils' dlltool makes saves only the integer argument registers
// (rcx, rdx, r8, r9) around __delayLoadHelper2, not xmm0-xmm3, and the helper and
// GetProcAddress may use those. The first call of a function that takes a double
// (napi_create_double, from Napi::Number::New) could then receive another value (the bug
// lld fixed in its own thunks, llvm#51941). Bound up front, no call ever goes through the
// stub with live arguments. Wine does not show the difference; Windows may.
//
// Why not __HrLoadAllImportsForDll("node.exe"): mingw-w64's loads the DLL by name itself,
// without the hook, so it fails in a renamed node.exe (seen under Wine). The descriptor is
// walked here instead, each slot bound through __delayLoadHelper2, which asks the hook. Its
// symbol is named by dlltool after the delay library's file name (build-windows.mjs runs
// dlltool in build-win/ with `-y libnode-delay.a`, so the name does not depend on the path).
// Every name is looked up first: __delayLoadHelper2 raises an exception for a missing one,
// and a host without a function this addon imports gets `false` instead.
extern "C" const ImgDelayDescr __DELAY_IMPORT_DESCRIPTOR_libnode_delay_a;
extern "C" IMAGE_DOS_HEADER __ImageBase;
// libmingwex's (delayimp.c); delayimp.h does not declare it.
extern "C" FARPROC WINAPI __delayLoadHelper2(PCImgDelayDescr pidd, FARPROC* ppfnIATEntry);

bool BindHostImports() {
  const ImgDelayDescr& d = __DELAY_IMPORT_DESCRIPTOR_libnode_delay_a;
  char* base = reinterpret_cast<char*>(&__ImageBase);
  // dlltool writes RVAs (grAttrs has dlattrRva).
  if ((d.grAttrs & dlattrRva) == 0) return false;
  auto* names = reinterpret_cast<PImgThunkData>(base + d.rvaINT);
  auto* slots = reinterpret_cast<PImgThunkData>(base + d.rvaIAT);
  HMODULE host = GetModuleHandleW(nullptr);
  for (size_t i = 0; names[i].u1.AddressOfData != 0; i++) {
    if (IMAGE_SNAP_BY_ORDINAL(names[i].u1.Ordinal)) return false;  // dlltool imports by name
    auto* byName = reinterpret_cast<PIMAGE_IMPORT_BY_NAME>(base + names[i].u1.AddressOfData);
    if (GetProcAddress(host, reinterpret_cast<const char*>(byName->Name)) == nullptr) return false;
  }
  for (size_t i = 0; names[i].u1.AddressOfData != 0; i++) {
    __delayLoadHelper2(&d, reinterpret_cast<FARPROC*>(&slots[i].u1.Function));
  }
  return true;
}
