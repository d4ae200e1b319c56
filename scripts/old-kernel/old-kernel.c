/*
 * old-kernel: run a program as if the kernel were Linux 3.2 (the floor Rust's musl targets
 * promise): every system call that Linux 3.2 did not have fails with ENOSYS, exactly what an
 * old kernel answers. scripts/build-static.sh runs each native smoke test through it, so a
 * binary that needs statx, getrandom, copy_file_range, clone3, ... without a fallback fails
 * here instead of on a customer's old server.
 *
 *   old-kernel PROGRAM [ARG...]    install the filter, then execvp PROGRAM (it and everything
 *                                  it runs keep the filter: seccomp filters are inherited)
 *
 * Why C and not Rust: installing a seccomp filter takes raw prctl/seccomp calls with a BPF
 * program, which is `unsafe` code, and the workspace forbids unsafe_code. A separate Rust crate
 * would need its own lock file and the libc crate for ~80 lines; C needs nothing but a compiler
 * (build-static.sh compiles it with the same `zig cc` it uses for the musl targets).
 *
 * The filter looks at seccomp_data.arch first, because one launcher runs binaries of several
 * ABIs and each has its own numbering (a 32-bit i686 binary started from this x86_64 program
 * makes i386 system calls):
 *
 *   AUDIT_ARCH_X86_64  numbers above 311 fail. The x32 ABI (the 0x40000000 bit) came in Linux
 *                      3.4, so every x32 call fails too.
 *   AUDIT_ARCH_I386    numbers above 348 fail. This includes the direct socket calls (359 socket
 *                      ... 373, Linux 4.3: before that i386 had only socketcall, 102) and the
 *                      time64 calls (403 clock_gettime64 ..., Linux 5.1).
 *   AUDIT_ARCH_AARCH64 numbers above 272 fail: arm64 arrived in Linux 3.7, whose generic table
 *                      (include/uapi/asm-generic/unistd.h) ended at 272 kcmp (3.5); 273
 *                      finit_module is 3.8. Used only when this runs on an aarch64 machine.
 *   anything else      allowed (not an ABI this launcher is meant for).
 *
 * Where the numbers come from: the kernel's syscall tables at tag v3.2,
 * arch/x86/include/asm/unistd_64.h (last entry 311 process_vm_writev, added in 3.2 after 310
 * process_vm_readv and 309 getcpu) and arch/x86/kernel/syscall_table_32.S (last entry 348
 * process_vm_writev, after 346 setns); the first later ones are 312 and 349 kcmp (v3.5,
 * arch/x86/syscalls/syscall_{64,32}.tbl). Today's arch/x86/entry/syscalls/syscall_64.tbl keeps
 * the same numbers (312 kcmp, 313 finit_module, ..., 318 getrandom, 326 copy_file_range,
 * 332 statx, 334 rseq, 435 clone3) and syscall_32.tbl likewise (355 getrandom, 383 statx).
 * Numbers are assigned in order and never reused, so "above the last 3.2 entry" is exactly
 * "newer than 3.2".
 *
 * What it cannot model: flags that old kernels did not know on calls they had (O_TMPFILE in
 * 3.11, ...), and the new kernel's vDSO (clock_gettime and friends answered without a system
 * call; a 32-bit process may find __vdso_clock_gettime64, which 3.2 did not export).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#define X86_64_LAST_3_2 311u
#define I386_LAST_3_2 348u
#define AARCH64_LAST_3_7 272u
#define X32_SYSCALL_BIT 0x40000000u

#define LOAD(field) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, field))
#define RET(value) BPF_STMT(BPF_RET | BPF_K, (value))

/* Jump offsets count the instructions skipped: "jt, jf" of BPF_JUMP. Indices on the right. */
static struct sock_filter filter[] = {
    LOAD(arch),                                                           /*  0 */
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 3),         /*  1 -> 2 : 5 */
    LOAD(nr),                                                             /*  2 */
    BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, X32_SYSCALL_BIT, 8, 0),           /*  3 -> 12 : 4 */
    BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, X86_64_LAST_3_2, 7, 6),           /*  4 -> 12 : 11 */
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_I386, 0, 2),           /*  5 -> 6 : 8 */
    LOAD(nr),                                                             /*  6 */
    BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, I386_LAST_3_2, 4, 3),             /*  7 -> 12 : 11 */
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_AARCH64, 0, 2),        /*  8 -> 9 : 11 */
    LOAD(nr),                                                             /*  9 */
    BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, AARCH64_LAST_3_7, 1, 0),          /* 10 -> 12 : 11 */
    RET(SECCOMP_RET_ALLOW),                                               /* 11 */
    RET(SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA)),                 /* 12 */
};

int main(int argc, char **argv) {
    struct sock_fprog prog = {
        .len = sizeof(filter) / sizeof(filter[0]),
        .filter = filter,
    };
    if (argc < 2) {
        fprintf(stderr, "usage: old-kernel PROGRAM [ARG...]\n");
        return 2;
    }
    /* Required to install a filter without CAP_SYS_ADMIN; also what a hardened old box
     * would not give us anyway (no setuid gains for the child). */
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
        fprintf(stderr, "old-kernel: prctl(PR_SET_NO_NEW_PRIVS): %s\n", strerror(errno));
        return 126;
    }
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) {
        fprintf(stderr, "old-kernel: seccomp(SECCOMP_SET_MODE_FILTER): %s\n", strerror(errno));
        return 126;
    }
    execvp(argv[1], argv + 1);
    fprintf(stderr, "old-kernel: exec %s: %s\n", argv[1], strerror(errno));
    return 127;
}
