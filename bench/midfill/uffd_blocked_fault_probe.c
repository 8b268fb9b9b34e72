// Can criu dump an app whose threads wait in userfaults nobody serves yet?
// The app registers area B (missing faults) and hands its uffd to its parent (the "daemon", outside
// the dumped tree). One second in, thread U reads a missing page of B (a user-mode fault) and thread K
// read()s a pipe into another missing page (a fault inside the kernel). The daemon logs each fault and
// serves none until HOLD seconds have passed (argv[1], default 20); then it serves them with 0xEE.
// Each thread prints what it got. Dump the app (criu dump -t <app> --leave-running) while they wait:
// if criu finishes before the daemon serves, a fault nobody serves does not hold up a dump.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096
static char *b;
static int pipefd[2];

static double now(void) { struct timespec t; clock_gettime(CLOCK_REALTIME, &t); return t.tv_sec + t.tv_nsec / 1e9; }

static void *user_fault(void *arg) {
    (void)arg; sleep(1);
    unsigned char v = *(volatile unsigned char *)(b + 1 * PAGE);
    printf("%.3f app: user-mode read of page 1 got 0x%02x\n", now(), v); fflush(stdout);
    return NULL;
}

static void *kernel_fault(void *arg) {
    (void)arg; sleep(1);
    ssize_t n = read(pipefd[0], b + 3 * PAGE, 1);
    printf("%.3f app: read() into page 3 returned %zd (%s), byte 0x%02x\n", now(), n, n < 0 ? strerror(errno) : "ok",
           n > 0 ? (unsigned char)b[3 * PAGE] : 0); fflush(stdout);
    return NULL;
}

static void send_fd(int sock, int fd) {
    char buf[CMSG_SPACE(sizeof(int))] = {0}; char c = 'x';
    struct iovec io = {&c, 1};
    struct msghdr m = {.msg_iov = &io, .msg_iovlen = 1, .msg_control = buf, .msg_controllen = sizeof buf};
    struct cmsghdr *h = CMSG_FIRSTHDR(&m);
    h->cmsg_level = SOL_SOCKET; h->cmsg_type = SCM_RIGHTS; h->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(h), &fd, sizeof(int));
    if (sendmsg(sock, &m, 0) < 0) { perror("sendmsg"); exit(1); }
}

static int recv_fd(int sock) {
    char buf[CMSG_SPACE(sizeof(int))]; char c;
    struct iovec io = {&c, 1};
    struct msghdr m = {.msg_iov = &io, .msg_iovlen = 1, .msg_control = buf, .msg_controllen = sizeof buf};
    if (recvmsg(sock, &m, 0) < 0) { perror("recvmsg"); exit(1); }
    int fd; memcpy(&fd, CMSG_DATA(CMSG_FIRSTHDR(&m)), sizeof(int));
    return fd;
}

int main(int argc, char **argv) {
    int hold = argc > 1 ? atoi(argv[1]) : 20;
    int sv[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    if (fork() == 0) {
        close(sv[0]);
        setsid();
        b = mmap(NULL, 16 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        int uffd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
        struct uffdio_api api = {.api = UFFD_API};
        if (uffd < 0 || ioctl(uffd, UFFDIO_API, &api)) { perror("uffd"); return 1; }
        struct uffdio_register reg = {.range = {(uintptr_t)b, 16 * PAGE}, .mode = UFFDIO_REGISTER_MODE_MISSING};
        if (ioctl(uffd, UFFDIO_REGISTER, &reg)) { perror("register"); return 1; }
        send_fd(sv[1], uffd);
        close(uffd);
        close(sv[1]);
        if (pipe(pipefd)) return 1;
        if (write(pipefd[1], "k", 1) != 1) return 1;
        printf("app %d: B=%p\n", getpid(), b); fflush(stdout);
        pthread_t u, k;
        pthread_create(&u, NULL, user_fault, NULL);
        pthread_create(&k, NULL, kernel_fault, NULL);
        pthread_join(u, NULL);
        pthread_join(k, NULL);
        printf("%.3f app: both threads done\n", now()); fflush(stdout);
        for (;;) pause();
    }
    close(sv[1]);
    int uffd = recv_fd(sv[0]);
    char *fill = aligned_alloc(PAGE, PAGE);
    memset(fill, 0xEE, PAGE);
    double start = now();
    unsigned long pending[64]; int npending = 0;
    for (;;) {
        struct pollfd p = {uffd, POLLIN, 0};
        int ready = poll(&p, 1, 200);
        if (ready > 0) {
            struct uffd_msg msg;
            if (read(uffd, &msg, sizeof msg) == sizeof msg && msg.event == UFFD_EVENT_PAGEFAULT) {
                unsigned long addr = msg.arg.pagefault.address & ~(PAGE - 1UL);
                printf("%.3f daemon: fault at page %ld flags 0x%llx\n", now(), (long)((addr - 0) & 0xffff) / PAGE, msg.arg.pagefault.flags);
                fflush(stdout);
                if (npending < 64) pending[npending++] = addr;
            }
        }
        if (now() - start >= hold && npending > 0) {
            for (int i = 0; i < npending; i++) {
                struct uffdio_copy cp = {.dst = pending[i], .src = (uintptr_t)fill, .len = PAGE};
                int r = ioctl(uffd, UFFDIO_COPY, &cp);
                printf("%.3f daemon: served 0x%lx (%s)\n", now(), pending[i], r ? strerror(errno) : "ok"); fflush(stdout);
            }
            npending = 0;
        }
    }
}
