// Puts pages of its own memory in the states the kernel can leave an anonymous page in, prints "<state> <address>" for
// each (address in hex), then "ready", and waits for a line on stdin before it exits: the test reads its
// /proc/PID/pagemap meanwhile (Interop/PageStatesTests). Without swap, a page paged out stays in memory.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif
#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102
#endif
#define WP_UNPOPULATED (1ULL << 13)
#define WP_ASYNC (1ULL << 15)

static long page;

static char *map_pages(int count)
{
    char *area = mmap(NULL, count * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (area == MAP_FAILED) {
        perror("mmap");
        exit(1);
    }
    for (int i = 0; i < count; i++)
        area[i * page] = (char)(i + 1);
    return area;
}

static void say(const char *state, char *at) { printf("%s %lx\n", state, (unsigned long)(uintptr_t)at); }

static void must(int ok, const char *what)
{
    if (!ok) {
        perror(what);
        exit(1);
    }
}

// Area W: registered with a userfaultfd in asynchronous write-protect mode that writes protections on empty entries too.
static void write_protected(void)
{
    char *w = map_pages(5);
    must(madvise(w, page, MADV_DONTNEED) == 0, "MADV_DONTNEED"); // page 0 empty
    int uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
    struct uffdio_api api = { .api = UFFD_API, .features = WP_ASYNC | WP_UNPOPULATED };
    must(uffd >= 0 && ioctl(uffd, UFFDIO_API, &api) == 0, "userfaultfd");
    struct uffdio_register reg = { .range = { (uintptr_t)w, 5 * page }, .mode = UFFDIO_REGISTER_MODE_WP };
    must(ioctl(uffd, UFFDIO_REGISTER, &reg) == 0, "UFFDIO_REGISTER");
    struct uffdio_writeprotect wp = { .range = { (uintptr_t)w, 5 * page }, .mode = UFFDIO_WRITEPROTECT_MODE_WP };
    must(ioctl(uffd, UFFDIO_WRITEPROTECT, &wp) == 0, "UFFDIO_WRITEPROTECT");
    must(madvise(w + 2 * page, page, MADV_PAGEOUT) == 0, "MADV_PAGEOUT");
    must(madvise(w + 3 * page, page, MADV_DONTNEED) == 0, "MADV_DONTNEED");
    must(madvise(w + 4 * page, page, MADV_FREE) == 0 && madvise(w + 4 * page, page, MADV_PAGEOUT) == 0, "MADV_FREE");
    say("wp-marker", w);
    say("wp-present", w + page);
    say("wp-pagedout", w + 2 * page);
    say("wp-dropped", w + 3 * page);
    say("wp-freed-reclaimed", w + 4 * page);
}

static void plain(void)
{
    char *p = map_pages(6);
    must(madvise(p + page, page, MADV_PAGEOUT) == 0, "MADV_PAGEOUT");
    must(madvise(p + 2 * page, 2 * page, MADV_FREE) == 0, "MADV_FREE");
    must(madvise(p + 3 * page, page, MADV_PAGEOUT) == 0, "MADV_PAGEOUT");
    must(madvise(p + 4 * page, page, MADV_DONTNEED) == 0, "MADV_DONTNEED");
    say("present", p);
    say("pagedout", p + page);
    say("freed", p + 2 * page);
    say("freed-reclaimed", p + 3 * page);
    say("dropped", p + 4 * page);
    if (madvise(p + 5 * page, page, MADV_GUARD_INSTALL) == 0)
        say("guard", p + 5 * page);
}

int main(void)
{
    page = sysconf(_SC_PAGESIZE);
    write_protected();
    plain();
    printf("ready\n");
    fflush(stdout);
    char line[8];
    return fgets(line, sizeof line, stdin) ? 0 : 0;
}
