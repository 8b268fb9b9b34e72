// Test app for what a restored app does to its memory while it arrives (MemoryCaseTests).
// Usage: memory-cases CASE MIB. It maps four private anonymous areas of MIB/4 mebibytes each, fills them
// with bytes computed from where they are (so that it can check them without keeping a copy), and says
// "allocated". Then it says "count N" every 0.1 s. When its wall clock jumps by more than 1 s (it was
// checkpointed and restored), it does what CASE says at once, reading as little of its memory as it can:
//   wipeonfork   area 0 gets MADV_WIPEONFORK, then a child is forked: "child zero yes|no" (the child reads
//                area 0 as zeros, as the kernel gives it) and "child intact yes|no" (areas 1 to 3 as they were)
//   dontfork     area 2 gets MADV_DONTFORK, then a child is forked: "child intact yes|no" (areas 0, 1, 3)
//   lockonfault  area 1 is locked with mlock2(MLOCK_ONFAULT) (the first restore only): "locked yes|no"
// and, the first restore only, each changing what the app expects of its areas:
//   mprotect     the second half of area 1 is made PROT_NONE and then writable again (a split without an event)
//   munmapfixed  the second half of area 2 is unmapped, and a new area mapped there (zeros)
//   fixedover    a new area is mapped with MAP_FIXED over all of area 2 (zeros)
//   mremapgrow   area 0 grows to twice its size, moving where it must (its bytes follow; the rest is zeros)
//   shrinkmove   area 3 moves with MREMAP_FIXED to a new place, shrinking to half (its first half follows)
//   dontneed     the first half of area 3 is dropped with MADV_DONTNEED (zeros)
// then "changed N" (N restores so far). On SIGUSR1 it checks every area it still has as it was
// ("intact yes|no"; area 0 after wipeonfork is the parent's own and still as it was).
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "memory-case-app.h"

#ifndef MADV_WIPEONFORK
#define MADV_WIPEONFORK 18
#endif
#ifndef MLOCK_ONFAULT
#define MLOCK_ONFAULT 1
#endif

#define AREAS 4

static uint64_t *areas[AREAS];
static size_t area_words;
// What each area holds now: its length in words, and the words that read as zeros.
static size_t words[AREAS], zero_from[AREAS], zero_to[AREAS];

static int intact(int area)
{
    for (size_t w = 0; w < words[area]; w++)
        if (areas[area][w] != (w >= zero_from[area] && w < zero_to[area] ? 0 : expected(area, w)))
            return 0;
    return 1;
}

// One word of every 64th page: what a child checks, so that most of the memory has still not arrived after it.
static int sampled(int area)
{
    for (size_t w = 0; w < area_words; w += 64 * 4096 / sizeof(uint64_t))
        if (areas[area][w] != expected(area, w))
            return 0;
    return 1;
}

static int zero(int area)
{
    for (size_t w = 0; w < area_words; w++)
        if (areas[area][w] != 0)
            return 0;
    return 1;
}

// Forks a child that checks the areas given (those it has) and, with wiped >= 0, that area wiped; the parent waits.
static void fork_and_check(int wiped, int absent)
{
    fflush(stdout);
    pid_t child = fork();
    if (child < 0) {
        printf("change failed fork\n");
        return;
    }
    if (child == 0) {
        if (wiped >= 0)
            printf("child zero %s\n", yes(zero(wiped)));
        int ok = 1;
        for (int a = 0; a < AREAS; a++)
            if (a != wiped && a != absent)
                ok = sampled(a) && ok;
        printf("child intact %s\n", yes(ok));
        fflush(stdout);
        _exit(0);
    }
    int status;
    waitpid(child, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        printf("change failed child status %d\n", status);
}

static void zeros(int area, size_t from, size_t to)
{
    zero_from[area] = from;
    zero_to[area] = to;
}

// A fresh place for an area to move to: mapped PROT_NONE, so that nothing else takes it.
static void *fresh_place(size_t bytes)
{
    void *at = mmap(NULL, bytes, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return at == MAP_FAILED ? NULL : at;
}

static void reshape(const char *which, size_t bytes)
{
    size_t half = bytes / 2, half_words = area_words / 2;
    int ok = 1;
    if (strcmp(which, "mprotect") == 0) {
        ok = mprotect((char *)areas[1] + half, half, PROT_NONE) == 0 && mprotect((char *)areas[1] + half, half, PROT_READ | PROT_WRITE) == 0;
    } else if (strcmp(which, "munmapfixed") == 0) {
        ok = munmap((char *)areas[2] + half, half) == 0
            && mmap((char *)areas[2] + half, half, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != MAP_FAILED;
        zeros(2, half_words, area_words);
    } else if (strcmp(which, "fixedover") == 0) {
        ok = mmap(areas[2], bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != MAP_FAILED;
        zeros(2, 0, area_words);
    } else if (strcmp(which, "mremapgrow") == 0) {
        void *moved = mremap(areas[0], bytes, 2 * bytes, MREMAP_MAYMOVE);
        ok = moved != MAP_FAILED;
        if (ok) {
            areas[0] = moved;
            words[0] = 2 * area_words;
            zeros(0, area_words, 2 * area_words);
        }
    } else if (strcmp(which, "shrinkmove") == 0) {
        void *to = fresh_place(half);
        void *moved = to ? mremap(areas[3], bytes, half, MREMAP_MAYMOVE | MREMAP_FIXED, to) : MAP_FAILED;
        ok = moved != MAP_FAILED;
        if (ok) {
            areas[3] = moved;
            words[3] = half_words;
        }
    } else if (strcmp(which, "dontneed") == 0) {
        ok = madvise(areas[3], half, MADV_DONTNEED) == 0;
        zeros(3, 0, half_words);
    }
    if (!ok)
        printf("change failed %s\n", which);
}

static void change(const char *which, int restores)
{
    size_t bytes = area_words * sizeof(uint64_t);
    if (strcmp(which, "wipeonfork") == 0) {
        if (madvise(areas[0], bytes, MADV_WIPEONFORK) != 0)
            printf("change failed madvise\n");
        fork_and_check(0, -1);
    } else if (strcmp(which, "dontfork") == 0) {
        if (madvise(areas[2], bytes, MADV_DONTFORK) != 0)
            printf("change failed madvise\n");
        fork_and_check(-1, 2);
    } else if (strcmp(which, "lockonfault") == 0 && restores == 1) {
        printf("locked %s\n", yes(mlock2(areas[1], bytes, MLOCK_ONFAULT) == 0));
    } else if (restores == 1) {
        reshape(which, bytes);
    }
}

static const char *which_case;

static void changed(int restores) { change(which_case, restores); }

static int intact_all(void)
{
    int ok = 1;
    for (int a = 0; a < AREAS; a++)
        ok = intact(a) && ok;
    return ok;
}

int main(int argc, char **argv)
{
    if (argc != 3 || atoi(argv[2]) <= 0 || atoi(argv[2]) % AREAS) {
        fprintf(stderr, "usage: memory-cases CASE MIB (MIB a positive multiple of %d)\n", AREAS);
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    size_t bytes = ((size_t)atoi(argv[2]) << 20) / AREAS;
    area_words = bytes / sizeof(uint64_t);
    // Each area between pages mapped PROT_NONE, so that no two areas are one mapping.
    char *space = mmap(NULL, AREAS * (bytes + 4096) + 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (space == MAP_FAILED)
        return 1;
    for (int a = 0; a < AREAS; a++) {
        void *at = mmap(space + 4096 + a * (bytes + 4096), bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
        if (at == MAP_FAILED)
            return 1;
        areas[a] = at;
        words[a] = area_words;
        for (size_t w = 0; w < area_words; w++)
            areas[a][w] = expected(a, w);
    }
    printf("allocated %s\n", argv[2]);
    which_case = argv[1];
    count_and_act(changed, intact_all);
}
