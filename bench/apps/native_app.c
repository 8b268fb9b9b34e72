// Benchmark app, the one issue 77 describes, in C so that no lock of a language's runtime ties its threads together:
// MIB mebibytes of pseudo-random memory; a writer thread that rewrites a whole 1 MiB block at a random place BLOCKS
// times a second; a thread that counts on the CPU as fast as it can and prints "spin 0 N CPU WALL" (its count, its own CPU
// time and the monotonic clock, in seconds) every 0.25 s; and a thread
// that answers each HTTP GET on PORT (one connection per request) with the count of blocks written so far. The main
// thread prints "ready MIB MiB" once the memory is filled, then "tick N" every 100 ms. A client's longest wait for an
// answer is then how long the app was stopped, not how long one of its threads was slowed by the pages it wrote.
// Usage: native_app MIB PORT [BLOCKS]
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "timing.h"

#define BLOCK (1UL << 20)

static uint8_t *memory;
static size_t blocks_in_memory;
static double blocks_per_second = 30;
static atomic_ulong blocks_written;

static uint64_t next_random(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *state = x;
}

static void fill(uint8_t *at, size_t bytes, uint64_t *state)
{
    for (size_t i = 0; i + 8 <= bytes; i += 8) {
        uint64_t word = next_random(state);
        memcpy(at + i, &word, 8);
    }
}

static void sleep_until(double when)
{
    double left = when - seconds();
    if (left > 0) {
        struct timespec t = { (time_t)left, (long)((left - (time_t)left) * 1e9) };
        nanosleep(&t, NULL);
    }
}

static void say(const char *line)
{
    // One write per line, so that the threads' lines never mix.
    ssize_t ignored = write(1, line, strlen(line));
    (void)ignored;
}

static void *writer(void *unused)
{
    uint64_t state = 0x9E3779B97F4A7C15ULL;
    double next = seconds();
    for (;;) {
        size_t block = next_random(&state) % blocks_in_memory;
        fill(memory + block * BLOCK, BLOCK, &state);
        atomic_fetch_add(&blocks_written, 1);
        next += 1.0 / blocks_per_second;
        sleep_until(next);
    }
    return unused;
}

static void *spinner(void *unused)
{
    unsigned long count = 0;
    double report = seconds() + 0.25;
    char line[64];
    for (;;) {
        for (int i = 0; i < 100000; i++) {
            count++;
            __asm__ volatile("" : "+r"(count)); // so the compiler keeps the loop
        }
        double now = seconds();
        if (now >= report) {
            // With the thread's own CPU time: the share of the wall clock it ran tells what took it off the CPU
            // (a checkpoint's hold, or a process beside it) apart from how fast the host runs a CPU second.
            struct timespec cpu;
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu);
            snprintf(line, sizeof line, "spin 0 %lu %.6f %.6f\n", count, cpu.tv_sec + cpu.tv_nsec / 1e9, now);
            say(line);
            report += 0.25;
        }
    }
    return unused;
}

static void answer(int connection)
{
    char request[2048];
    size_t have = 0;
    while (have < sizeof request - 1) {
        ssize_t got = read(connection, request + have, sizeof request - 1 - have);
        if (got <= 0)
            return;
        have += (size_t)got;
        request[have] = 0;
        if (strstr(request, "\r\n\r\n"))
            break;
    }
    char body[32], response[160];
    int body_length = snprintf(body, sizeof body, "%lu\n", atomic_load(&blocks_written));
    int length = snprintf(response, sizeof response,
                          "HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", body_length, body);
    ssize_t ignored = write(connection, response, (size_t)length);
    (void)ignored;
}

static void *server(void *listener_as_pointer)
{
    int listener = (int)(intptr_t)listener_as_pointer;
    for (;;) {
        int connection = accept(listener, NULL, NULL);
        if (connection < 0)
            continue;
        answer(connection);
        close(connection);
    }
    return NULL;
}

static int listen_on(int port)
{
    int listener = socket(AF_INET, SOCK_STREAM, 0), on = 1;
    struct sockaddr_in address = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    if (listener < 0 || bind(listener, (struct sockaddr *)&address, sizeof address) || listen(listener, 64)) {
        perror("native_app: listen");
        exit(1);
    }
    return listener;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: native_app MIB PORT [BLOCKS]\n");
        return 2;
    }
    size_t mib = strtoul(argv[1], NULL, 10);
    int port = atoi(argv[2]);
    if (argc > 3)
        blocks_per_second = atof(argv[3]);
    blocks_in_memory = mib ? mib : 1;
    signal(SIGUSR1, SIG_IGN); // periodic.py's signal to rewrite: this app's writer keeps its own pace
    memory = mmap(NULL, blocks_in_memory * BLOCK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (memory == MAP_FAILED) {
        perror("native_app: mmap");
        return 1;
    }
    uint64_t state = 0x2545F4914F6CDD1DULL;
    fill(memory, blocks_in_memory * BLOCK, &state);
    int listener = listen_on(port);
    pthread_t thread;
    pthread_create(&thread, NULL, server, (void *)(intptr_t)listener);
    pthread_create(&thread, NULL, writer, NULL);
    pthread_create(&thread, NULL, spinner, NULL);
    char line[64];
    snprintf(line, sizeof line, "ready %zu MiB\n", mib);
    say(line);
    for (unsigned long tick = 0;; tick++) {
        snprintf(line, sizeof line, "tick %lu\n", tick);
        say(line);
        sleep_until(seconds() + 0.1);
    }
}
