// Fills an area of the MiB it is given with pages in a pattern that changes every page or few (written, never touched,
// guard pages), maps 200 small areas of three pages with their middle page written, forks a child that keeps all of it
// (and dies with it), and prints "ready". At SIGUSR1 it rewrites every fifth page it wrote (the test has armed crik's
// tracking of its writes in between), prints "written", and waits to be killed: the page tables of both then hold runs
// of every kind, short and long, for CRIU's scan of them (Criu/EarlyScanTests).
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102
#endif

enum kind { WRITTEN, GUARD, UNTOUCHED };

static enum kind kind_of(size_t page_index)
{
    unsigned r = (unsigned)((page_index * 2654435761u) >> 7) % 16;
    return r < 11 ? WRITTEN : r == 11 ? GUARD : UNTOUCHED;
}

int main(int argc, char **argv)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE), size = (size_t)atol(argc > 1 ? argv[1] : "256") << 20;
    sigset_t usr1;
    int signal;

    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    sigprocmask(SIG_BLOCK, &usr1, NULL);

    char *memory = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (memory == MAP_FAILED) {
        perror("mmap");
        return 1;
    }
    for (size_t i = 0; i < size / page; i++) {
        if (kind_of(i) == WRITTEN)
            memory[i * page] = (char)(i | 1);
        else if (kind_of(i) == GUARD && madvise(memory + i * page, page, MADV_GUARD_INSTALL) != 0) {
            perror("madvise(MADV_GUARD_INSTALL)");
            return 1;
        }
    }
    for (int i = 0; i < 200; i++) {
        char *small = mmap(NULL, 3 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (small == MAP_FAILED) {
            perror("mmap");
            return 1;
        }
        small[page] = (char)i;
    }
    pid_t parent = getpid();
    pid_t child = fork();
    if (child < 0) {
        perror("fork");
        return 1;
    }
    if (child == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            return 0;
        for (;;)
            pause();
    }
    printf("ready\n");
    fflush(stdout);

    sigwait(&usr1, &signal);
    for (size_t i = 0; i < size / page; i += 5)
        if (kind_of(i) == WRITTEN)
            memory[i * page] = (char)(i | 3);
    printf("written\n");
    fflush(stdout);
    for (;;)
        pause();
}
