// Whether a userfaultfd still serves a live process: UFFDIO_WRITEPROTECT (un-protect) on a page of a range registered
// for missing faults only answers ENOENT while the process lives, ESRCH once it exited or ran exec (6.18: checked).
// Build: gcc -O1 -o probe uffd_liveness_probe.c; ./probe
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
static int probe(int uffd, void *at) {
    struct uffdio_writeprotect wp = {.range = {(uintptr_t)at, 4096}, .mode = 0};
    int r = ioctl(uffd, UFFDIO_WRITEPROTECT, &wp);
    return r == 0 ? 0 : errno;
}
int main(void) {
    int sv[2]; socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    char *b = mmap(NULL, 16 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    pid_t child = fork();
    if (child == 0) {
        int uffd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
        struct uffdio_api api = {.api = UFFD_API};
        ioctl(uffd, UFFDIO_API, &api);
        struct uffdio_register reg = {.range = {(uintptr_t)b, 16 * 4096}, .mode = UFFDIO_REGISTER_MODE_MISSING};
        ioctl(uffd, UFFDIO_REGISTER, &reg);
        char buf[CMSG_SPACE(sizeof(int))] = {0}; char c = 'x'; struct iovec io = {&c, 1};
        struct msghdr m = {.msg_iov = &io, .msg_iovlen = 1, .msg_control = buf, .msg_controllen = sizeof buf};
        struct cmsghdr *h = CMSG_FIRSTHDR(&m); h->cmsg_level = SOL_SOCKET; h->cmsg_type = SCM_RIGHTS; h->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(h), &uffd, sizeof(int)); sendmsg(sv[1], &m, 0); close(uffd);
        read(sv[1], &c, 1); // wait for the go
        char *argv[] = {"/bin/sleep", "2", NULL};
        execv("/bin/sleep", argv);
        return 1;
    }
    char buf[CMSG_SPACE(sizeof(int))]; char c; struct iovec io = {&c, 1};
    struct msghdr m = {.msg_iov = &io, .msg_iovlen = 1, .msg_control = buf, .msg_controllen = sizeof buf};
    recvmsg(sv[0], &m, 0); int uffd; memcpy(&uffd, CMSG_DATA(CMSG_FIRSTHDR(&m)), sizeof(int));
    printf("alive: %s\n", strerror(probe(uffd, b)));
    printf("alive, unregistered address: %s\n", strerror(probe(uffd, (void *)0x10000)));
    write(sv[0], "g", 1); usleep(300000);
    printf("after exec: %s\n", strerror(probe(uffd, b)));
    waitpid(child, NULL, 0);
    printf("after exit: %s\n", strerror(probe(uffd, b)));
    return 0;
}
