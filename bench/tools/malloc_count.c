// LD_PRELOAD counter of allocation calls, for "allocations per request" (bench/tools/per_request.py).
// Counts malloc/calloc/realloc/aligned_alloc/posix_memalign (operator new ends in malloc in libstdc++).
// On SIGWINCH (unused by Corral) it writes the count, as decimal, to $MALLOC_COUNT_OUT: the tool reads
// it before and after a load run and divides the difference by the requests served.
// Build: cc -O2 -shared -fPIC -o malloc_count.so malloc_count.c -ldl
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static atomic_ulong calls;
static const char* out_path;  // read once at load: getenv is not async-signal-safe

extern void* __libc_malloc(size_t);
extern void* __libc_calloc(size_t, size_t);
extern void* __libc_realloc(void*, size_t);
extern void* __libc_memalign(size_t, size_t);

void* malloc(size_t n) { atomic_fetch_add_explicit(&calls, 1, memory_order_relaxed); return __libc_malloc(n); }
void* calloc(size_t a, size_t b) { atomic_fetch_add_explicit(&calls, 1, memory_order_relaxed); return __libc_calloc(a, b); }
void* realloc(void* p, size_t n) { atomic_fetch_add_explicit(&calls, 1, memory_order_relaxed); return __libc_realloc(p, n); }
void* aligned_alloc(size_t a, size_t n) { atomic_fetch_add_explicit(&calls, 1, memory_order_relaxed); return __libc_memalign(a, n); }
int posix_memalign(void** out, size_t a, size_t n) {
  atomic_fetch_add_explicit(&calls, 1, memory_order_relaxed);
  *out = __libc_memalign(a, n);
  return *out ? 0 : 12;
}

static void dump(int sig) {
  (void)sig;
  const char* path = out_path;
  if (!path) return;
  char buf[32];
  int i = sizeof buf;
  unsigned long v = atomic_load(&calls);
  buf[--i] = '\n';
  do { buf[--i] = (char)('0' + v % 10); v /= 10; } while (v && i > 0);
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd >= 0) { (void)!write(fd, buf + i, sizeof buf - i); close(fd); }
}

__attribute__((constructor)) static void install(void) {
  out_path = getenv("MALLOC_COUNT_OUT");
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = dump;
  sa.sa_flags = SA_RESTART;
  sigaction(SIGWINCH, &sa, 0);
}
