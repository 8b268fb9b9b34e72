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
//   shrinkbelow  area 1 is unmapped, and area 3 moves with MREMAP_FIXED, shrinking to half, to end where area 2
//                begins (its first half follows; area 2, just above, keeps its own bytes)
// CASE may also be several of the names below joined by "+": the i-th acts on area i, so that they cannot interfere. Each
// says "NAME yes|no" after every restore: on the first it acts and checks what it can without reading most of its area
// (its first, middle and last word), after the next ones it checks those again; those marked "each restore" act again
// after every restore, while the memory may still be arriving. Before any case acts, the app says how much of each area
// has arrived ("arrived P0% P1% P2% P3%", by mincore):
//   mremapshrink  the area shrinks in place to half (its tail is unmapped)
//   mremapfixed   the area moves with MREMAP_FIXED, at the same size, to a new place (its old place is unmapped)
//   dontunmap     the area moves with MREMAP_DONTUNMAP|MREMAP_FIXED: its bytes at the new place, the old place still
//                 mapped and reading zeros (a userfaultfd's registration stays on it: crik gives it zero pages)
//   free          the first half is read (so it arrives), the area gets MADV_FREE and then MADV_PAGEOUT (which discards
//                 freed pages that are in: they read as zeros; "madv_free left N of M pages zero"), and the even pages of the
//                 first half are written again (with other bytes): a page written reads what was written, any other page
//                 either its old bytes or zeros, the whole page alike (the kernel may discard a freed page until it is
//                 written; one not yet arrived was not in, and arrives with its bytes)
//   keeponfork    each restore: MADV_WIPEONFORK then MADV_KEEPONFORK, then a child is forked that reads the whole area
//   cold, pageout, hugepage, nohugepage   each restore: madvise with MADV_COLD, _PAGEOUT, _HUGEPAGE, _NOHUGEPAGE
//   populateread, populatewrite   each restore: MADV_POPULATE_READ or _WRITE on the area: it returns 0, every page is then
//                 resident (mincore) and every byte right (pages not yet arrived arrive with their bytes, not zeros)
//   collapse      each restore: MADV_COLLAPSE ("madv_collapse gave ERRNO|0"): where every page is in, 0 (or EAGAIN, ENOMEM:
//                 no huge page to be had); else an errno madvise(2) documents: EBUSY where a 2 MiB range misses a page
//                 and a userfaultfd is armed on it (the kernel will not collapse over a missing page then), EINVAL where a
//                 range has no page at all, or where crik tracks the app's writes (a page still write-protected)
//   populatecollapse   each restore: MADV_POPULATE_WRITE, then MADV_COLLAPSE as collapse (no page is missing then)
//   mlock         each restore: mlock(2), which makes every page arrive first; 0 and every byte right
//   lockall       mlockall(MCL_CURRENT|MCL_FUTURE|MCL_ONFAULT), then a new area (its first half written, the rest zeros),
//                 then the area grows to twice its size with MREMAP_FIXED (its bytes follow, the rest is zeros)
//   lockfuture    as lockall, with mlockall(MCL_FUTURE|MCL_ONFAULT)
//   guard         at the start, before any checkpoint: MADV_GUARD_INSTALL on the second page of every sixteen
//                 (kernel 6.13+), which CRIU keeps as guard entries inside the area's mapping (zdtm's maps12); after
//                 each restore the guards are still there (pagemap's PM_GUARD_REGION) and the pages between them as
//                 they were (every check skips the guards)
//   guardlate     as guard, installed just after the first restore instead, on pages not yet arrived (no event
//                 tells crik; a copy there would remove the guard)
// A CASE that starts with "busy+" also runs a thread that never sleeps, from the start.
// then "changed N" (N restores so far). On SIGUSR1 it checks every area it still has as it was
// ("intact yes|no"; area 0 after wipeonfork is the parent's own and still as it was).
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "memory-case-app.h"

#ifndef MADV_WIPEONFORK
#define MADV_WIPEONFORK 18
#endif
#ifndef MADV_KEEPONFORK
#define MADV_KEEPONFORK 19
#endif
#ifndef MADV_COLD
#define MADV_COLD 20
#endif
#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif
#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif
#ifndef MLOCK_ONFAULT
#define MLOCK_ONFAULT 1
#endif
#ifndef MCL_ONFAULT
#define MCL_ONFAULT 4
#endif
#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP 4
#endif
#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102
#endif
// pagemap's bit for a page of a guard region (PM_GUARD_REGION, 6.15+).
#define PM_GUARD_REGION (1ULL << 58)

#define AREAS 4
// Areas the app makes after the restore (the old place of a dontunmap, a new area), after the first AREAS.
#define SLOTS (2 * AREAS)
#define PAGE 4096
#define PAGE_WORDS (PAGE / sizeof(uint64_t))
// What a page written again after MADV_FREE holds: the bytes of another seed.
#define REWRITTEN 100

static uint64_t *areas[SLOTS];
static int slots = AREAS;
static size_t area_words;
// What each area holds now: its length in words, the seed of its bytes, and the words that read as zeros.
static size_t words[SLOTS], zero_from[SLOTS], zero_to[SLOTS];
static int seed[SLOTS];
// An area given MADV_FREE: the even pages below rewritten_to hold REWRITTEN bytes, every other page its own or zeros.
static int freed[SLOTS];
static size_t rewritten_to[SLOTS];
// An area with guard pages: the second page of every sixteen is one, never read.
static int guarded[SLOTS];
static const char *case_names;

static int in_guard(int area, size_t word)
{
    return guarded[area] && (word / PAGE_WORDS) % 16 == 1;
}

static int rewritten(int area, size_t word)
{
    return freed[area] && word < rewritten_to[area] && (word / PAGE_WORDS) % 2 == 0;
}

static int word_right(int area, size_t word)
{
    if (in_guard(area, word))
        return 1;
    uint64_t value = areas[area][word];
    if (word >= zero_from[area] && word < zero_to[area])
        return value == 0;
    if (rewritten(area, word))
        return value == expected(seed[area] + REWRITTEN, word);
    return value == expected(seed[area], word) || (freed[area] && value == 0);
}

static int intact(int area)
{
    for (size_t w = 0; w < words[area]; w++) {
        if (in_guard(area, w))
            continue;
        if (!word_right(area, w))
            return 0;
        // A freed page reads as zeros whole or not at all.
        if (freed[area] && w % PAGE_WORDS && (areas[area][w] == 0) != (areas[area][w - w % PAGE_WORDS] == 0))
            return 0;
    }
    return 1;
}

// One word of every 64th page: what a child checks, so that most of the memory has still not arrived after it.
static int sampled(int area)
{
    for (size_t w = 0; w < area_words; w += 64 * PAGE_WORDS)
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

// A fresh place with a PROT_NONE page either side of it, so that what moves or is mapped there is a mapping of its own.
static void *guarded_place(size_t bytes)
{
    char *at = fresh_place(bytes + 2 * PAGE);
    return at ? at + PAGE : NULL;
}

// Nothing is mapped at [at, +bytes): mincore says ENOMEM.
static int unmapped(void *at, size_t bytes)
{
    unsigned char page;
    for (size_t offset = 0; offset < bytes; offset += PAGE)
        if (mincore((char *)at + offset, PAGE, &page) == 0 || errno != ENOMEM)
            return 0;
    return 1;
}

// How many pages of the area are in memory (mincore); -1 when mincore fails.
static long resident_pages(int area)
{
    size_t pages = words[area] / PAGE_WORDS;
    unsigned char *in = malloc(pages);
    long count = in && mincore(areas[area], pages * PAGE, in) == 0 ? 0 : -1;
    for (size_t p = 0; count >= 0 && p < pages; p++)
        count += in[p] & 1;
    free(in);
    return count;
}

static int resident(int area) { return resident_pages(area) == (long)(words[area] / PAGE_WORDS); }

// How much of each area has arrived (before a case acts): "arrived P0% P1% P2% P3%" ("gone" for an area unmapped).
static void say_arrived(void)
{
    printf("arrived");
    for (int a = 0; a < AREAS; a++) {
        if (words[a] < PAGE_WORDS)
            printf(" gone"); // unmapped by a case (shrinkbelow)
        else
            printf(" %ld%%", resident_pages(a) * 100 / (long)(words[a] / PAGE_WORDS));
    }
    printf("\n");
}

// The first, a middle and the last word of the area: what a case checks, reading three pages, so that most of the
// memory has still not arrived at the checkpoint taken during the fill.
static int spots(int area)
{
    return word_right(area, 0) && word_right(area, words[area] / 2) && word_right(area, words[area] - 1);
}

// A new area after the restore in the next slot, with the seed of its slot's number.
static int new_slot(void *at, size_t area_words_now, int seed_of)
{
    int slot = slots++;
    areas[slot] = at;
    words[slot] = area_words_now;
    seed[slot] = seed_of < 0 ? slot : seed_of;
    return slot;
}

// Whether which is one of names (a list ending in NULL).
static int one_of(const char *which, const char *const *names)
{
    for (; *names; names++)
        if (strcmp(which, *names) == 0)
            return 1;
    return 0;
}

// The cases of one name that reshape the areas the first time only.
static const char *const reshapes[] = { "mprotect", "munmapfixed", "fixedover", "mremapgrow", "shrinkmove", "dontneed", "shrinkbelow", NULL };
// The cases of several that act the first time only.
static const char *const once[] = { "mremapshrink", "mremapfixed", "dontunmap", "free", "lockall", "lockfuture", NULL };

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
    } else if (strcmp(which, "shrinkbelow") == 0) {
        char *below = (char *)areas[2] - half;
        void *moved = munmap(areas[1], bytes + 4096) == 0 ? mremap(areas[3], bytes, half, MREMAP_MAYMOVE | MREMAP_FIXED, below) : MAP_FAILED;
        ok = moved != MAP_FAILED;
        if (ok) {
            words[1] = 0;
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

// Moves the area to a guarded new place with MREMAP_FIXED (and these flags), at new_bytes; its old place or NULL.
static void *move_area(int area, size_t bytes, size_t new_bytes, int flags)
{
    void *to = guarded_place(new_bytes), *from = areas[area];
    if (!to || mremap(from, bytes, new_bytes, MREMAP_MAYMOVE | MREMAP_FIXED | flags, to) != to)
        return NULL;
    areas[area] = to;
    words[area] = new_bytes / sizeof(uint64_t);
    return from;
}

// A new area (its first half written with its slot's bytes, the rest zeros), then the area grown to twice its size.
static int lock_and_grow(int area, int lock_flags, size_t bytes)
{
    if (mlockall(lock_flags) != 0)
        return 0;
    uint64_t *fresh = guarded_place(bytes);
    if (!fresh || mmap(fresh, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != fresh)
        return 0;
    int slot = new_slot(fresh, area_words, -1);
    for (size_t w = 0; w < area_words / 2; w++)
        fresh[w] = expected(seed[slot], w);
    zeros(slot, area_words / 2, area_words);
    if (!move_area(area, bytes, 2 * bytes, 0))
        return 0;
    zeros(area, area_words, 2 * area_words);
    return spots(slot);
}

// Whether the area at START is registered for userfaultfd write-protection ("uw" among its smaps VmFlags): crik tracks its
// writes, and the kernel collapses no 2 MiB range with a page still write-protected (khugepaged.c: SCAN_PTE_UFFD_WP, EINVAL).
static int write_protected(const void *start)
{
    char line[512];
    unsigned long at = (unsigned long)start, from, to;
    FILE *smaps = fopen("/proc/self/smaps", "r");
    int in_area = 0, found = 0;
    while (smaps && !found && fgets(line, sizeof line, smaps)) {
        if (strncmp(line, "VmFlags:", 8) == 0)
            found = in_area ? (strstr(line, " uw") != NULL ? 1 : -1) : 0;
        else if (sscanf(line, "%lx-%lx ", &from, &to) == 2 && strchr(line, '-') < strchr(line, ' '))
            in_area = from <= at && at < to;
    }
    if (smaps)
        fclose(smaps);
    return found == 1;
}

// MADV_COLLAPSE: done where every page is in (or refused for want of a huge page), else refused with an errno madvise(2)
// documents: EBUSY for a 2 MiB range with a page missing where a userfaultfd is armed (khugepaged.c: SCAN_EXCEED_NONE_PTE),
// EINVAL for one with no page at all.
static int collapse(int area, size_t bytes)
{
    int all_in = resident(area);
    int done = madvise(areas[area], bytes, MADV_COLLAPSE) == 0, error = errno;
    printf("madv_collapse gave %s\n", done ? "0" : strerrorname_np(error));
    if (done || error == EAGAIN || error == ENOMEM)
        return 1;
    return (!all_in && (error == EBUSY || error == EINVAL)) || (error == EINVAL && write_protected(areas[area]));
}

static int populate(int area, size_t bytes, int advice)
{
    return madvise(areas[area], bytes, advice) == 0 && resident(area) && intact(area);
}

// A child forked after MADV_WIPEONFORK and then MADV_KEEPONFORK reads the whole area as it was; it says so itself.
static void keep_on_fork(int area, size_t bytes)
{
    if (madvise(areas[area], bytes, MADV_WIPEONFORK) != 0 || madvise(areas[area], bytes, MADV_KEEPONFORK) != 0) {
        printf("keeponfork no\n");
        return;
    }
    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
        printf("keeponfork %s\n", yes(intact(area)));
        fflush(stdout);
        _exit(0);
    }
    int status;
    if (child < 0 || waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        printf("keeponfork no\n");
}

// Whether every guard page of the area is still one, as pagemap says.
static int guards_hold(int area)
{
    FILE *pagemap = fopen("/proc/self/pagemap", "rb");
    if (!pagemap)
        return 0;
    int ok = 1;
    for (size_t page = 1; ok && page < words[area] / PAGE_WORDS; page += 16) {
        uint64_t entry = 0;
        ok = fseeko(pagemap, (off_t)(((uintptr_t)areas[area] / PAGE + page) * sizeof entry), SEEK_SET) == 0
            && fread(&entry, sizeof entry, 1, pagemap) == 1 && (entry & PM_GUARD_REGION);
        if (!ok)
            printf("guard page %zu of area %d is not one: pagemap %llx\n", page, area, (unsigned long long)entry);
    }
    fclose(pagemap);
    return ok;
}

// The guard pages of the area installed, at the start.
static int install_guards(int area, size_t bytes)
{
    for (size_t offset = PAGE; offset < bytes; offset += 16 * PAGE)
        if (madvise((char *)areas[area] + offset, PAGE, MADV_GUARD_INSTALL) != 0)
            return 0;
    guarded[area] = 1;
    return guards_hold(area);
}

// The first restore's change of a case of several (area given); 1 when it went as the kernel says.
static int act_once(const char *which, int area, size_t bytes)
{
    size_t half = bytes / 2;
    if (strcmp(which, "mremapshrink") == 0) {
        if (mremap(areas[area], bytes, half, 0) != areas[area])
            return 0;
        words[area] = area_words / 2;
        return unmapped((char *)areas[area] + half, half);
    }
    if (strcmp(which, "mremapfixed") == 0) {
        void *from = move_area(area, bytes, bytes, 0);
        return from && unmapped(from, bytes);
    }
    if (strcmp(which, "dontunmap") == 0) {
        void *from = move_area(area, bytes, bytes, MREMAP_DONTUNMAP);
        if (!from)
            return 0;
        int left = new_slot(from, area_words, area);
        zeros(left, 0, area_words);
        return spots(left);
    }
    if (strcmp(which, "free") == 0) {
        volatile uint64_t sum = 0;
        for (size_t w = 0; w < area_words / 2; w += PAGE_WORDS)
            sum += areas[area][w];
        if (madvise(areas[area], bytes, MADV_FREE) != 0 || madvise(areas[area], bytes, MADV_PAGEOUT) != 0)
            return 0;
        freed[area] = 1;
        rewritten_to[area] = area_words / 2;
        size_t zero_pages = 0; // of the first half, which had arrived: the rest is read by no one yet
        for (size_t w = 0; w < area_words / 2; w += PAGE_WORDS)
            zero_pages += areas[area][w] == 0;
        printf("madv_free left %zu of %zu pages zero\n", zero_pages, area_words / 2 / PAGE_WORDS);
        for (size_t w = 0; w < rewritten_to[area]; w++)
            if (rewritten(area, w))
                areas[area][w] = expected(seed[area] + REWRITTEN, w);
        return 1;
    }
    if (strcmp(which, "lockall") == 0)
        return lock_and_grow(area, MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT, bytes);
    return lock_and_grow(area, MCL_FUTURE | MCL_ONFAULT, bytes); // lockfuture
}

// A case's change made again after every restore (area given); 1 when it went as the kernel says, -1 when it is not one.
static int act_each_restore(const char *which, int area, size_t bytes)
{
    static const struct { const char *name; int advice; } advices[] = {
        { "cold", MADV_COLD }, { "pageout", MADV_PAGEOUT }, { "hugepage", MADV_HUGEPAGE }, { "nohugepage", MADV_NOHUGEPAGE },
    };
    for (size_t i = 0; i < sizeof advices / sizeof advices[0]; i++)
        if (strcmp(which, advices[i].name) == 0)
            return madvise(areas[area], bytes, advices[i].advice) == 0;
    if (strcmp(which, "populateread") == 0)
        return populate(area, bytes, MADV_POPULATE_READ);
    if (strcmp(which, "populatewrite") == 0)
        return populate(area, bytes, MADV_POPULATE_WRITE);
    if (strcmp(which, "collapse") == 0)
        return collapse(area, bytes);
    if (strcmp(which, "populatecollapse") == 0)
        return populate(area, bytes, MADV_POPULATE_WRITE) && collapse(area, bytes);
    if (strcmp(which, "mlock") == 0)
        return mlock(areas[area], bytes) == 0 && intact(area);
    return -1;
}

// Each of the cases joined by "+" acts on its own area, and says "NAME yes|no".
static int act_on_areas(const char *cases, int restores, size_t bytes)
{
    char names[256];
    snprintf(names, sizeof names, "%s", cases);
    int area = 0;
    for (char *name = strtok(names, "+"); name; name = strtok(NULL, "+"), area++) {
        if (area >= AREAS)
            return 0;
        if (strcmp(name, "keeponfork") == 0) {
            keep_on_fork(area, bytes);
            continue;
        }
        int ok = strcmp(name, "guard") == 0 ? guards_hold(area)
            : strcmp(name, "guardlate") == 0 ? (restores == 1 ? install_guards(area, bytes) : guards_hold(area))
            : act_each_restore(name, area, bytes);
        if (ok < 0 && one_of(name, once))
            ok = restores == 1 ? act_once(name, area, bytes) : 1;
        if (ok < 0)
            return 0;
        printf("%s %s\n", name, yes(ok && spots(area)));
    }
    return 1;
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
    } else if (strcmp(which, "lockonfault") == 0) {
        if (restores == 1)
            printf("locked %s\n", yes(mlock2(areas[1], bytes, MLOCK_ONFAULT) == 0));
    } else if (one_of(which, reshapes)) {
        if (restores == 1)
            reshape(which, bytes);
    } else if (!act_on_areas(which, restores, bytes)) {
        printf("change failed %s\n", which);
    }
}

static void on_restore(int restores)
{
    say_arrived();
    change(case_names, restores);
}

/* The "busy+" prefix: a thread that never sleeps, so that /proc only ever shows it running. */
static void *spin(void *unused)
{
    for (volatile uint64_t turns = 0;; turns++)
        ;
    return unused;
}

static int all_intact(void)
{
    int ok = 1;
    for (int a = 0; a < slots; a++)
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
        seed[a] = a;
        for (size_t w = 0; w < area_words; w++)
            areas[a][w] = expected(a, w);
    }
    case_names = argv[1];
    pthread_t spinner;
    if (strncmp(case_names, "busy+", 5) == 0) {
        case_names += 5;
        if (pthread_create(&spinner, NULL, spin, NULL) != 0)
            return 1;
    }
    char names[256];
    snprintf(names, sizeof names, "%s", case_names);
    int area = 0;
    for (char *name = strtok(names, "+"); name && area < AREAS; name = strtok(NULL, "+"), area++)
        if (strcmp(name, "guard") == 0 && !install_guards(area, bytes)) {
            printf("change failed guard install %d\n", errno);
            return 1;
        }
    printf("allocated %s\n", argv[2]);
    count_and_act(on_restore, all_intact);
}
