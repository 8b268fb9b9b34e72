// What does criu dump record of a userfaultfd-registered area whose pages never arrived?
// The app (child) maps area A (touched, 64 pages), area B (registered for missing faults, 256 pages)
// and fills half of B with UFFDIO_COPY, drops 8 of the filled pages (MADV_DONTNEED), hands the uffd
// to its parent (the "daemon", outside the dumped tree) and closes its own copy. The parent serves
// any fault with a page of 0xEE and logs it. Run: ./probe; then criu dump -t <child> and look at the
// pagemap and the parent's fault log (a fault during the dump means criu touched a missing page).
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096
#define BPAGES 256

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

int main(void) {
    int sv[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    pid_t child = fork();
    if (child == 0) {
        close(sv[0]);
        setsid();
        char *a = mmap(NULL, 64 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        for (int i = 0; i < 64; i++) memset(a + i * PAGE, 0xA0 + (i & 15), PAGE);
        char *b = mmap(NULL, BPAGES * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        int uffd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
        struct uffdio_api api = {.api = UFFD_API, .features = UFFD_FEATURE_EVENT_REMOVE | UFFD_FEATURE_EVENT_UNMAP | UFFD_FEATURE_EVENT_REMAP};
        if (uffd < 0 || ioctl(uffd, UFFDIO_API, &api)) { perror("uffd"); return 1; }
        struct uffdio_register reg = {.range = {(uintptr_t)b, BPAGES * PAGE}, .mode = UFFDIO_REGISTER_MODE_MISSING};
        if (ioctl(uffd, UFFDIO_REGISTER, &reg)) { perror("register"); return 1; }
        char *src = aligned_alloc(PAGE, PAGE);
        for (int i = 0; i < BPAGES; i += 2) { // every even page arrives
            memset(src, 0xB0 + (i & 15), PAGE);
            struct uffdio_copy cp = {.dst = (uintptr_t)(b + i * PAGE), .src = (uintptr_t)src, .len = PAGE};
            if (ioctl(uffd, UFFDIO_COPY, &cp)) { perror("copy"); return 1; }
        }
        send_fd(sv[1], uffd);
        close(uffd);
        close(sv[1]);
        madvise(b + 16 * PAGE, 8 * PAGE, MADV_DONTNEED); // drops 4 filled pages (16,18,20,22): the daemon hears a REMOVE
        printf("app %d: A=%p B=%p (even pages filled, 16-23 dropped, odd missing)\n", getpid(), a, b);
        fflush(stdout);
        for (;;) pause();
    }
    close(sv[1]);
    int uffd = recv_fd(sv[0]);
    char *fill = aligned_alloc(PAGE, PAGE);
    memset(fill, 0xEE, PAGE);
    for (;;) {
        struct pollfd p = {uffd, POLLIN, 0};
        if (poll(&p, 1, 1000) <= 0) continue;
        struct uffd_msg msg;
        if (read(uffd, &msg, sizeof msg) != sizeof msg) continue;
        struct timespec t; clock_gettime(CLOCK_REALTIME, &t);
        if (msg.event == UFFD_EVENT_PAGEFAULT) {
            unsigned long addr = msg.arg.pagefault.address & ~(PAGE - 1UL);
            printf("%ld.%03ld FAULT at 0x%lx flags 0x%llx\n", t.tv_sec, t.tv_nsec / 1000000, addr, msg.arg.pagefault.flags);
            struct uffdio_copy cp = {.dst = addr, .src = (uintptr_t)fill, .len = PAGE};
            ioctl(uffd, UFFDIO_COPY, &cp);
        } else {
            printf("%ld.%03ld EVENT 0x%x\n", t.tv_sec, t.tv_nsec / 1000000, msg.event);
        }
        fflush(stdout);
    }
}
