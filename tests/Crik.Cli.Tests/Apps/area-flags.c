// An app with one area for each flag CRIU keeps for an area (advice, locking, no reserve, growing down), besides its
// ordinary ones. It says each area's flags as its own /proc/self/smaps gives them ("area NAME: FLAGS", the two-letter
// VmFlags CRIU restores), then "listed", when it starts and again after each restore, and "count N" every 0.1 s.
// An area whose flag this kernel refuses says "area NAME: refused". On SIGUSR1 it says "intact yes" when every area
// still holds what it wrote. With an argument N it also has N more areas, read-only pages between writable ones, so
// that its areas do not fit in one read of CRIU's BPF iterator.
#define _GNU_SOURCE
#include <stdlib.h>
#include <sys/mman.h>
#include "memory-case-app.h"

#define PAGES 4

struct area {
    const char *name;
    int map_flags;
    int advice; // -1: none, -2: mlock
    char *at;
};

static struct area areas[] = {
    { "dontfork", 0, MADV_DONTFORK, NULL },       { "wipeonfork", 0, MADV_WIPEONFORK, NULL },
    { "dontdump", 0, MADV_DONTDUMP, NULL },       { "hugepage", 0, MADV_HUGEPAGE, NULL },
    { "nohugepage", 0, MADV_NOHUGEPAGE, NULL },   { "sequential", 0, MADV_SEQUENTIAL, NULL },
    { "random", 0, MADV_RANDOM, NULL },           { "mergeable", 0, MADV_MERGEABLE, NULL },
    { "locked", 0, -2, NULL },                    { "noreserve", MAP_NORESERVE, -1, NULL },
    { "growsdown", MAP_GROWSDOWN, -1, NULL },
};
#define AREAS (sizeof areas / sizeof areas[0])

static const char *const kept[] = { "dc", "wf", "dd", "hg", "nh", "sr", "rr", "mg", "lo", "nr", "gd" };

// The flags CRIU keeps among the VmFlags of the area that starts at START, in smaps' order.
static void say_flags(const struct area *area)
{
    char line[512], flags[128] = "";
    unsigned long start = 0, end = 0, mine = (unsigned long)area->at;
    int in_area = 0;
    FILE *smaps = fopen("/proc/self/smaps", "r");
    while (smaps && fgets(line, sizeof line, smaps)) {
        if (sscanf(line, "%lx-%lx ", &start, &end) == 2 && strchr(line, '-') < strchr(line, ' '))
            in_area = start == mine;
        else if (in_area && strncmp(line, "VmFlags:", 8) == 0)
            for (char *flag = strtok(line + 8, " \n"); flag; flag = strtok(NULL, " \n"))
                for (size_t i = 0; i < sizeof kept / sizeof kept[0]; i++)
                    if (strcmp(flag, kept[i]) == 0)
                        strcat(strcat(flags, " "), flag);
    }
    if (smaps)
        fclose(smaps);
    printf("area %s:%s\n", area->name, flags);
}

static void say_all(int restores)
{
    (void)restores;
    for (size_t i = 0; i < AREAS; i++) {
        if (areas[i].at)
            say_flags(&areas[i]);
        else
            printf("area %s: refused\n", areas[i].name);
    }
    printf("listed\n");
}

static size_t area_bytes(void) { return PAGES * (size_t)sysconf(_SC_PAGESIZE); }

static int intact(void)
{
    for (size_t i = 0; i < AREAS; i++)
        for (size_t word = 0; areas[i].at && word < area_bytes() / sizeof(uint64_t); word++)
            if (((uint64_t *)areas[i].at)[word] != expected((int)i, word))
                return 0;
    return 1;
}

// COUNT read-only pages, each between two writable ones: as many areas more.
static void split_into_areas(long count)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    char *at = mmap(NULL, (2 * count + 1) * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (at == MAP_FAILED) {
        perror("mmap");
        exit(2);
    }
    for (long i = 0; i < count; i++)
        if (mprotect(at + (2 * i + 1) * page, page, PROT_READ) != 0) {
            perror("mprotect");
            exit(2);
        }
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc > 1)
        split_into_areas(strtol(argv[1], NULL, 10));
    size_t bytes = area_bytes();
    for (size_t i = 0; i < AREAS; i++) {
        char *at = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | areas[i].map_flags, -1, 0);
        if (at == MAP_FAILED)
            continue;
        int ok = areas[i].advice == -1 ? 1 : areas[i].advice == -2 ? mlock(at, bytes) == 0 : madvise(at, bytes, areas[i].advice) == 0;
        for (size_t word = 0; word < bytes / sizeof(uint64_t); word++)
            ((uint64_t *)at)[word] = expected((int)i, word);
        if (ok)
            areas[i].at = at;
        else
            munmap(at, bytes);
    }
    say_all(0);
    count_and_act(say_all, intact);
}
