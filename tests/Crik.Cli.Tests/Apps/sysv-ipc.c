// Test app for the app's own IPC namespace (SysvIpcTests): in the namespace crik started it in, it makes a SysV shared
// memory segment that holds its counter, a message queue with one message, a semaphore set whose semaphore holds 7, and
// sets the namespace's msgmnb to 12345. Every 0.2 s it adds one to the counter in the segment and prints
// "count N" and "ipc sem S queued Q bytes B msgmnb M text T": what the namespace holds, as a restore must give it back
// (T is the queued message's text, read without taking it off the queue).
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <unistd.h>

#ifndef MSG_COPY
#define MSG_COPY 040000
#endif

struct message {
    long type;
    char text[32];
};

static void fail(const char *what)
{
    perror(what);
    exit(2);
}

static long read_msgmnb(void)
{
    FILE *f = fopen("/proc/sys/kernel/msgmnb", "r");
    long value = -1;
    if (!f || fscanf(f, "%ld", &value) != 1)
        fail("msgmnb");
    fclose(f);
    return value;
}

int main(void)
{
    FILE *f = fopen("/proc/sys/kernel/msgmnb", "w");
    if (!f || fprintf(f, "12345\n") < 0 || fclose(f) != 0)
        fail("set msgmnb");
    int shm = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
    int queue = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
    int sems = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);
    if (shm < 0 || queue < 0 || sems < 0)
        fail("get");
    volatile long *counter = shmat(shm, NULL, 0);
    if (counter == (void *)-1)
        fail("shmat");
    struct message sent = { .type = 1 };
    strcpy(sent.text, "kept across pods");
    if (msgsnd(queue, &sent, sizeof sent.text, 0) != 0 || semctl(sems, 0, SETVAL, 7) != 0)
        fail("fill");
    for (;;) {
        (*counter)++;
        struct msqid_ds state;
        struct message copy = { 0 };
        if (msgctl(queue, IPC_STAT, &state) != 0)
            fail("msgctl");
        if (msgrcv(queue, &copy, sizeof copy.text, 0, IPC_NOWAIT | MSG_COPY) < 0)
            strcpy(copy.text, "none");
        printf("count %ld\nipc sem %d queued %lu bytes %lu msgmnb %ld text %s\n", *counter, semctl(sems, 0, GETVAL),
               (unsigned long)state.msg_qnum, (unsigned long)state.msg_cbytes, read_msgmnb(), copy.text);
        fflush(stdout);
        usleep(200000);
    }
}
