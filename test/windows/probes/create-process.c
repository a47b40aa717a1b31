/* A plain Win32 program: starts a child process `count` times, `conc` at a time, with
   CreateProcessW as libuv's uv_spawn calls it (inherited handles), and counts the
   CreateProcessW failures by GetLastError() and the children's exit codes.
   Usage: create-process.exe count conc cmdline...
   test/windows/probes/kill-in-startup.sh uses it to show what Wine's CreateProcessW says when
   the child dies in Wine's own start-up (docs/windows.md). */
#include <windows.h>
#include <stdio.h>
#include <stdlib.h>
#include <wchar.h>

int wmain(int argc, wchar_t** argv) {
  int count = _wtoi(argv[1]), conc = _wtoi(argv[2]);
  wchar_t cmd[4096] = L"";
  for (int i = 3; i < argc; i++) { if (i > 3) wcscat(cmd, L" "); wcscat(cmd, argv[i]); }
  int ok = 0, failed = 0, nonzero = 0;
  DWORD errs[64]; int errn[64]; int nerr = 0;
  for (int i = 0; i < count; i += conc) {
    HANDLE procs[64]; int n = 0;
    for (int j = 0; j < conc && i + j < count; j++) {
      STARTUPINFOW si = { sizeof si };
      PROCESS_INFORMATION pi;
      wchar_t buf[4096];
      wcscpy(buf, cmd);
      if (!CreateProcessW(NULL, buf, NULL, NULL, TRUE, CREATE_UNICODE_ENVIRONMENT, NULL, NULL, &si, &pi)) {
        DWORD e = GetLastError();
        failed++;
        int k = 0;
        for (; k < nerr && errs[k] != e; k++) {}
        if (k == nerr) { errs[nerr] = e; errn[nerr++] = 0; }
        errn[k]++;
        printf("spawn %d: CreateProcessW failed, GetLastError() = %lu\n", i + j, e);
        fflush(stdout);
        continue;
      }
      CloseHandle(pi.hThread);
      procs[n++] = pi.hProcess;
    }
    for (int k = 0; k < n; k++) {
      WaitForSingleObject(procs[k], INFINITE);
      DWORD code = 0;
      GetExitCodeProcess(procs[k], &code);
      if (code != 0) { nonzero++; printf("child exit code 0x%lx\n", code); fflush(stdout); }
      else ok++;
      CloseHandle(procs[k]);
    }
  }
  printf("%d spawns: %d ok, %d exited non-zero, %d CreateProcessW failures", count, ok, nonzero, failed);
  for (int k = 0; k < nerr; k++) printf(" [error %lu x%d]", errs[k], errn[k]);
  printf("\n");
  return 0;
}
