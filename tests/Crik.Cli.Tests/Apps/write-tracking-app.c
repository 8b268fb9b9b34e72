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
//   big PAGES                maps and writes area B of PAGES pages: "done ADDRESS"
//   writebig FIRST COUNT STEP   as write, in area B
//   fork                     forks a child that writes page 0 of A and then sleeps: "done PID"
//   sleep MS                 sleeps MS milliseconds in nanosleep and says how long it slept: "done SLEPT_MS" (a system call
//                            that crik interrupts starts again and sleeps out its time)
//   spins                    how many writes the spinning thread has made so far: "done N"
//   exec                     runs itself again in place (execv of /proc/self/exe), which starts over with "areas ..."
//   seccomp                  installs a seccomp filter of its own that kills the process at its next userfaultfd(2)
//   timedread MS             arms a POSIX timer (SIGALRM, its value a pointer of the app's) to fire once in MS milliseconds
//                            and reads a pipe nobody writes; the handler has no SA_RESTART, so the read ends with EINTR:
//                            "done eintr CODE value-kept|value-lost" (CODE: the siginfo's si_code, -2 for a timer)
//   timedppoll MS            the same with ppoll, which unblocks SIGALRM (blocked otherwise) for the call alone:
//                            "done eintr CODE value-kept|value-lost mask-kept|mask-lost"
//   aio                      makes a Linux AIO context (io_setup), as an app that reads with O_DIRECT does: "done"
//   uring                    makes an io_uring (io_uring_setup): "done"
//   pinned                   pins 4 pages of a new area for an io_uring whose descriptor it then closes: "done"
// SIGALRM is blocked in the spinning thread, so the timer's signal comes to the main thread. Started with the argument
// "alone", the app starts no spinning thread: its main thread is its only one.
#define _GNU_SOURCE
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096
#define A_PAGES 256

static char *a, *m, *r, *t, *big;
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

static int timer_marker;
static volatile int alarm_code, alarm_value_kept;

static void *spin(void *unused)
{
    (void)unused;
    sigset_t alarm;
    sigemptyset(&alarm);
    sigaddset(&alarm, SIGALRM);
    pthread_sigmask(SIG_BLOCK, &alarm, NULL);
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

static void on_alarm(int signal, siginfo_t *info, void *context)
{
    (void)signal;
    (void)context;
    alarm_code = info->si_code;
    alarm_value_kept = info->si_value.sival_ptr == &timer_marker;
}

// Arms a one-shot POSIX timer that sends SIGALRM, with a pointer of the app's as its value, to a handler without SA_RESTART.
static int arm_timer(long ms)
{
    struct sigaction action = { .sa_sigaction = on_alarm, .sa_flags = SA_SIGINFO };
    sigemptyset(&action.sa_mask);
    struct sigevent event = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGALRM };
    event.sigev_value.sival_ptr = &timer_marker;
    timer_t timer;
    struct itimerspec once = { .it_value = { ms / 1000, (ms % 1000) * 1000000L } };
    alarm_code = 0;
    alarm_value_kept = 0;
    return sigaction(SIGALRM, &action, NULL) == 0 && timer_create(CLOCK_MONOTONIC, &event, &timer) == 0
        && timer_settime(timer, 0, &once, NULL) == 0;
}

// A blocking call the timer's signal interrupts: "eintr CODE value-kept" when it ended with EINTR after the handler ran.
static void say_interrupted(int result, const char *extra)
{
    if (result == -1 && errno == EINTR && alarm_code != 0)
        printf("done eintr %d %s%s\n", alarm_code, alarm_value_kept ? "value-kept" : "value-lost", extra);
    else
        printf("failed %d %d\n", result, errno);
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    a = area(A_PAGES);
    m = area(16);
    r = area(16);
    t = area(1);
    pthread_t thread;
    if ((argc < 2 || strcmp(argv[1], "alone") != 0) && pthread_create(&thread, NULL, spin, NULL) != 0)
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
        } else if (sscanf(line, "writemoved %ld", &first) == 1) {
            m[first * PAGE + 7]++;
            printf("done\n");
        } else if (strncmp(line, "remap", 5) == 0) {
            munmap(r, 16 * PAGE);
            char *again = mmap(r, 16 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
            printf(again == r ? "done\n" : "failed\n");
        } else if (sscanf(line, "big %ld", &count) == 1) {
            big = area((size_t)count);
            memset(big, 3, (size_t)count * PAGE);
            printf("done %lx\n", (unsigned long)big);
        } else if (sscanf(line, "writebig %ld %ld %ld", &first, &count, &step) == 3 && big != NULL) {
            for (long i = 0; i < count; i++)
                big[(first + i * step) * PAGE + 7]++;
            printf("done\n");
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
        } else if (sscanf(line, "timedread %ld", &count) == 1) {
            int ends[2];
            char byte;
            if (pipe(ends) != 0 || !arm_timer(count)) {
                printf("failed\n");
                continue;
            }
            say_interrupted((int)read(ends[0], &byte, 1), "");
            close(ends[0]);
            close(ends[1]);
        } else if (sscanf(line, "timedppoll %ld", &count) == 1) {
            int ends[2];
            sigset_t alarm, during, after;
            sigemptyset(&alarm);
            sigaddset(&alarm, SIGALRM);
            sigprocmask(SIG_BLOCK, &alarm, &during);
            sigdelset(&during, SIGALRM);
            if (pipe(ends) != 0 || !arm_timer(count)) {
                printf("failed\n");
                continue;
            }
            struct pollfd wait_for = { .fd = ends[0], .events = POLLIN };
            int result = ppoll(&wait_for, 1, NULL, &during);
            int saved = errno;
            sigprocmask(SIG_BLOCK, NULL, &after);
            errno = saved;
            say_interrupted(result, sigismember(&after, SIGALRM) ? " mask-kept" : " mask-lost");
            sigprocmask(SIG_UNBLOCK, &alarm, NULL);
            close(ends[0]);
            close(ends[1]);
        } else if (strncmp(line, "exec", 4) == 0) {
            execv("/proc/self/exe", argv);
            printf("failed\n");
        } else if (strncmp(line, "seccomp", 7) == 0) {
            printf(kill_at_userfaultfd() ? "done\n" : "failed\n");
        } else if (strncmp(line, "aio", 3) == 0) {
            unsigned long context = 0;
            printf(syscall(SYS_io_setup, 4, &context) == 0 ? "done\n" : "failed\n");
        } else if (strncmp(line, "uring", 5) == 0) {
            static char params[120]; // struct io_uring_params, zeroed
            printf(syscall(SYS_io_uring_setup, 4, params) >= 0 ? "done\n" : "failed\n");
        } else if (strncmp(line, "pinned", 6) == 0) {
            // An io_uring with 4 pages of a new area registered as a fixed buffer (pinned), its descriptor registered with
            // the ring and closed: the process shows no io_uring among its descriptors, only its pinned pages.
            static char params[120];
            int ring = (int)syscall(SYS_io_uring_setup, 4, params);
            char *buffer = area(4);
            struct iovec pages = { buffer, 4 * PAGE };
            struct { unsigned offset, resv; unsigned long long data; } own = { ~0u, 0, (unsigned long long)ring };
            int ok = ring >= 0 && syscall(SYS_io_uring_register, ring, 0 /* IORING_REGISTER_BUFFERS */, &pages, 1) == 0
                && syscall(SYS_io_uring_register, ring, 20 /* IORING_REGISTER_RING_FDS */, &own, 1) == 1 && close(ring) == 0;
            printf(ok ? "done\n" : "failed\n");
        } else if (strncmp(line, "spins", 5) == 0) {
            printf("done %llu\n", (unsigned long long)spins);
        } else {
            printf("unknown\n");
        }
        (void)sink;
    }
    return 0;
}
