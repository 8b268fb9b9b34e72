// Test app for crik's write tracking (WriteTrackingTests). It maps area A (256 pages, written), area M (16 pages, to be
// moved) and area R (16 pages, to be mapped anew), each with a PROT_NONE page on both sides so that no two are one mapping,
// starts a thread that spins writing to its own page of area T (so that crik's system call in the app meets a running
// thread), and says "areas A M R T" (hexadecimal addresses). Then it does what each line on stdin says and answers "done"
// (with what it made, where it says so):
//   write FIRST COUNT STEP   writes one byte in pages FIRST, FIRST+STEP, ... of A (COUNT pages)
//   read FIRST COUNT         reads pages of A
//   dontneed FIRST COUNT     MADV_DONTNEED on pages of A (they read as zeros)
//   move                     mremap moves M elsewhere: "done NEWADDRESS"
//   remap                    R is unmapped and mapped again at the same place, alike: "done"
//   new                      maps and writes 4 new pages: "done ADDRESS"
//   fork                     forks a child that writes page 0 of A and then sleeps: "done PID"
//   sleep MS                 sleeps MS milliseconds in nanosleep and says how long it slept: "done SLEPT_MS" (a system call
//                            that crik interrupts starts again and sleeps out its time)
//   spins                    how many writes the spinning thread has made so far: "done N"
//   seccomp                  installs a seccomp filter of its own that kills the process at its next userfaultfd(2)
#define _GNU_SOURCE
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096
#define A_PAGES 256

static char *a, *m, *r, *t;
static volatile uint64_t spins;

static char *area(size_t pages)
{
    char *space = mmap(NULL, (pages + 2) * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (space == MAP_FAILED)
        exit(1);
    char *at = mmap(space + PAGE, pages * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    if (at == MAP_FAILED)
        exit(1);
    memset(at, 1, pages * PAGE);
    return at;
}

static void *spin(void *unused)
{
    (void)unused;
    for (;;)
        t[0] = (char)++spins;
    return NULL;
}

// A filter that kills the process at userfaultfd(2) and lets every other call through, as a hardened app's might.
static int kill_at_userfaultfd(void)
{
    struct sock_filter code[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_userfaultfd, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog program = { sizeof code / sizeof code[0], code };
    return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 && prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program) == 0;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    a = area(A_PAGES);
    m = area(16);
    r = area(16);
    t = area(1);
    pthread_t thread;
    if (pthread_create(&thread, NULL, spin, NULL) != 0)
        return 1;
    printf("areas %lx %lx %lx %lx\n", (unsigned long)a, (unsigned long)m, (unsigned long)r, (unsigned long)t);
    char line[256];
    while (fgets(line, sizeof line, stdin)) {
        long first = 0, count = 0, step = 1;
        volatile char sink = 0;
        if (sscanf(line, "write %ld %ld %ld", &first, &count, &step) == 3) {
            for (long i = 0; i < count; i++)
                a[(first + i * step) * PAGE + 7]++;
            printf("done\n");
        } else if (sscanf(line, "read %ld %ld", &first, &count) == 2) {
            for (long i = 0; i < count; i++)
                sink += a[(first + i) * PAGE];
            printf("done\n");
        } else if (sscanf(line, "dontneed %ld %ld", &first, &count) == 2) {
            printf(madvise(a + first * PAGE, count * PAGE, MADV_DONTNEED) == 0 ? "done\n" : "failed\n");
        } else if (strncmp(line, "move", 4) == 0) {
            char *to = area(16);
            m = mremap(m, 16 * PAGE, 16 * PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, to);
            printf(m == MAP_FAILED ? "failed\n" : "done %lx\n", (unsigned long)m);
        } else if (strncmp(line, "remap", 5) == 0) {
            munmap(r, 16 * PAGE);
            char *again = mmap(r, 16 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
            printf(again == r ? "done\n" : "failed\n");
        } else if (strncmp(line, "new", 3) == 0) {
            char *fresh = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            memset(fresh, 2, 4 * PAGE);
            printf("done %lx\n", (unsigned long)fresh);
        } else if (strncmp(line, "fork", 4) == 0) {
            pid_t child = fork();
            if (child == 0) {
                a[0]++;
                for (;;)
                    pause();
            }
            printf("done %d\n", child);
        } else if (sscanf(line, "sleep %ld", &count) == 1) {
            double started = now_ms();
            struct timespec pause_for = { count / 1000, (count % 1000) * 1000000L };
            int slept = nanosleep(&pause_for, NULL);
            printf(slept == 0 ? "done %.0f\n" : "failed\n", now_ms() - started);
        } else if (strncmp(line, "seccomp", 7) == 0) {
            printf(kill_at_userfaultfd() ? "done\n" : "failed\n");
        } else if (strncmp(line, "spins", 5) == 0) {
            printf("done %llu\n", (unsigned long long)spins);
        } else {
            printf("unknown\n");
        }
        (void)sink;
    }
    return 0;
}
