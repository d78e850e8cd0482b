/* lazyfree.c - see lazyfree.h.  A mutex-protected singly linked queue and
 * one thread that drains it; submitters never wait for a free. */
#include "server/core/lazyfree.h"

#include <pthread.h>
#include <stdlib.h>

#include "server/core/mem.h"

struct job {
    struct job *next;
    void (*destroy)(void *);
    void *obj;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static struct job *head, *tail;
static int running, stopping;
static pthread_t thread;
static uint64_t pending, done;

static void *lazyfree_main(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "lazyfree");
    pthread_mutex_lock(&lock);
    for (;;) {
        while (!head && !stopping)
            pthread_cond_wait(&wake, &lock);
        struct job *j = head;
        if (!j)
            break; /* stopping and drained */
        head = j->next;
        if (!head)
            tail = NULL;
        pthread_mutex_unlock(&lock);
        j->destroy(j->obj);
        free(j);
        pthread_mutex_lock(&lock);
        pending--;
        done++;
    }
    pthread_mutex_unlock(&lock);
    return NULL;
}

void lazyfree_start(void)
{
    pthread_mutex_lock(&lock);
    stopping = 0;
    running = pthread_create(&thread, NULL, lazyfree_main, NULL) == 0;
    pthread_mutex_unlock(&lock);
}

void lazyfree_stop(void)
{
    pthread_mutex_lock(&lock);
    if (!running) {
        pthread_mutex_unlock(&lock);
        return;
    }
    stopping = 1;
    pthread_cond_signal(&wake);
    pthread_mutex_unlock(&lock);
    pthread_join(thread, NULL);
    pthread_mutex_lock(&lock);
    running = 0;
    pthread_mutex_unlock(&lock);
}

void lazyfree_submit(void (*destroy)(void *), void *obj)
{
    struct job *j = xmalloc(sizeof(*j));
    j->next = NULL;
    j->destroy = destroy;
    j->obj = obj;
    pthread_mutex_lock(&lock);
    if (!running || stopping) {
        pthread_mutex_unlock(&lock);
        free(j);
        destroy(obj);
        return;
    }
    if (tail)
        tail->next = j;
    else
        head = j;
    tail = j;
    pending++;
    pthread_cond_signal(&wake);
    pthread_mutex_unlock(&lock);
}

uint64_t lazyfree_pending(void)
{
    pthread_mutex_lock(&lock);
    uint64_t n = pending;
    pthread_mutex_unlock(&lock);
    return n;
}

uint64_t lazyfree_done(void)
{
    pthread_mutex_lock(&lock);
    uint64_t n = done;
    pthread_mutex_unlock(&lock);
    return n;
}
