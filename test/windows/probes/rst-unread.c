/* A plain Winsock program: what does recv() report for a connection that the peer reset
   (SO_LINGER {1, 0}, then closesocket) while no receive was pending on it?
   Windows, like Linux, reports the reset: WSAECONNRESET. Wine 8.0 reports an orderly end:
   recv() returns 0. scripts/test-windows.mjs runs this under Wine before the suite and gates
   the one case that depends on it (test/reset-and-destroy.test.ts, "while connecting").
   Prints one word: "reset", "end", or "other" (with the numbers), for the last of 20 rounds,
   and exits 0 when every round agreed. */
#include <winsock2.h>
#include <stdio.h>
#include <string.h>

int main(void) {
  WSADATA w;
  if (WSAStartup(MAKEWORD(2, 2), &w) != 0) return 2;
  const char* seen = NULL;
  int agreed = 1;
  for (int round = 0; round < 20; round++) {
    SOCKET l = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int len = sizeof a;
    if (bind(l, (struct sockaddr*)&a, sizeof a) || getsockname(l, (struct sockaddr*)&a, &len) || listen(l, 4)) return 2;
    SOCKET c = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    if (connect(c, (struct sockaddr*)&a, sizeof a) != 0) return 2;
    SOCKET s = accept(l, NULL, NULL);
    if (s == INVALID_SOCKET) return 2;
    struct linger lg = {1, 0};
    setsockopt(c, SOL_SOCKET, SO_LINGER, (const char*)&lg, sizeof lg);
    closesocket(c); /* an RST, with no receive pending on s */
    Sleep(50);
    char buf[16];
    int n = recv(s, buf, sizeof buf, 0);
    int err = n < 0 ? WSAGetLastError() : 0;
    const char* now = n == 0 ? "end" : (n < 0 && err == WSAECONNRESET) ? "reset" : "other";
    if (now[0] == 'o') printf("recv returned %d, WSAGetLastError %d\n", n, err);
    if (seen && strcmp(seen, now) != 0) agreed = 0;
    seen = now;
    closesocket(s);
    closesocket(l);
  }
  printf("%s\n", seen);
  return agreed ? 0 : 1;
}
