/*
 * probe: the test of old-kernel itself. It makes a few raw system calls and prints what the
 * kernel answered, one line each ("NAME: ok" or "NAME: ERRNO-NAME"):
 *   statx     Linux 4.11: ENOSYS under old-kernel, ok without it
 *   getrandom Linux 3.17: likewise
 *   getppid   as old as Linux: ok under old-kernel too (the filter lets old calls through)
 *   x32-getpid (x86_64 only) the x32 ABI, Linux 3.4: ENOSYS under old-kernel
 * scripts/build-static.sh compiles it for x86_64 and i686 and checks both columns.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static void report(const char *name, long rc) {
    if (rc >= 0) {
        printf("%s: ok\n", name);
    } else if (errno == ENOSYS) {
        printf("%s: ENOSYS\n", name);
    } else {
        printf("%s: %s\n", name, strerror(errno));
    }
}

int main(void) {
    unsigned char buf[256]; /* struct statx is 256 bytes */
    report("statx", syscall(SYS_statx, AT_FDCWD, ".", 0, 0x7ff, buf));
    report("getrandom", syscall(SYS_getrandom, buf, 16, 0));
    report("getppid", syscall(SYS_getppid));
#ifdef __x86_64__
    report("x32-getpid", syscall(0x40000000L | SYS_getpid));
#endif
    return 0;
}
