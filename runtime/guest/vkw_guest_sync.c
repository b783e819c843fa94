/* vkw_guest_sync — see vkw_guest_sync.h. */
#define _GNU_SOURCE /* syscall */
#include "vkw_guest_sync.h"

#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "vkw_guest_conn.h"
#include "vkw_guest_entry.h"
#include "vkw_guest_shadow.h"
#include "vkw_icd.h"
#include "vkw_sync_page.h"
#include "vkw_vulkan_util.h"

/* A wait the page cannot answer goes to the host a slice at a time, so
 * the application's other threads keep going through vkwire meanwhile. */
#define WAIT_SLICE_NS 1000000ull
/* A sleeper that heard nothing this long asks the host once: a host that
 * died, or work it could not watch, must not leave a wait hanging. */
#define QUIET_ASK_NS 50000000ull
#define BUCKETS 256u

enum fence_state { F_UNKNOWN, F_UNSIGNALLED, F_SIGNALLED, F_PENDING };

struct signal {
    uint64_t value, seq;
    uint32_t slot;
};

struct object {
    uint64_t id;
    struct object *next;
    bool semaphore;
    /* fence */
    enum fence_state state;
    uint32_t slot;
    uint64_t seq;
    /* timeline semaphore: the value known reached, and submissions' signals */
    uint64_t value;
    struct signal *signals;
    size_t nsignals, capsignals;
    bool untracked; /* signalled by something the page does not tell */
    /* fence: its payload was exported or imported (an fd), so whatever
     * holds that payload elsewhere may signal or reset it: always asked of
     * the host */
    bool foreign;
};

struct vkw_guest_sync {
    pthread_mutex_t lock;
    bool tried, active; /* the page was asked for; the host took it */
    const unsigned char *page;
    /* The page's wake word, published once the host took the page: the
     * one word the guest writes, when its connection is lost (wake_all). */
    _Atomic(_Atomic uint32_t *) wake;
    struct {
        uint64_t queue; /* 0: free */
        VkDevice device;
    } slots[VKW_SYNC_QUEUE_SLOTS];
    uint64_t seq[VKW_SYNC_QUEUE_SLOTS]; /* submissions numbered per slot, ever */
    struct object *buckets[BUCKETS];
};

/* ---- the page ---- */

static uint32_t load32(const struct vkw_guest_sync *s, size_t offset)
{
    return atomic_load_explicit((const _Atomic uint32_t *)(const void *)(s->page + offset),
                                memory_order_acquire);
}

static uint64_t completed(const struct vkw_guest_sync *s, uint32_t slot)
{
    return atomic_load_explicit(
        (const _Atomic uint64_t *)(const void *)(s->page + VKW_SYNC_COMPLETED_OFFSET + 8u * slot),
        memory_order_acquire);
}

static uint64_t monotonic_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

/* Sleep while the wake word still reads `seen`, at most `ns`: spin first
 * (the host usually answers within the transport's spin time), then the
 * futex.  The page is shared with the host, so the futex is not PRIVATE. */
static void sleep_on_page(const struct vkw_guest_sync *s, uint32_t seen, uint64_t ns)
{
    /* Read from the environment once; threads that race here all store
     * the same value (relaxed atomics: no data race for the checkers). */
    static _Atomic uint64_t spin_setting = UINT64_MAX;
    uint64_t spin_ns = atomic_load_explicit(&spin_setting, memory_order_relaxed);
    if (spin_ns == UINT64_MAX) {
        spin_ns = vkw_transport_spin_from_env();
        atomic_store_explicit(&spin_setting, spin_ns, memory_order_relaxed);
    }
    const uint64_t start = monotonic_ns();
    const uint64_t spin = spin_ns < ns ? spin_ns : ns;
    while (monotonic_ns() - start < spin) {
        if (load32(s, VKW_SYNC_WAKE_OFFSET) != seen)
            return;
        sched_yield();
    }
    const uint64_t spent = monotonic_ns() - start;
    if (spent >= ns)
        return;
    const uint64_t left = ns - spent;
    struct timespec ts = {(time_t)(left / 1000000000ull), (long)(left % 1000000000ull)};
    syscall(SYS_futex, (void *)(s->page + VKW_SYNC_WAKE_OFFSET), FUTEX_WAIT, seen, &ts, NULL, 0);
}

/* The connection is lost (conn->sync_wake; lock-free, as the thread that
 * lost it may hold the sync lock).  Sleepers compare the wake word with
 * what they read before they looked at the connection: bumping it first
 * means none of them goes to sleep after missing the loss, and FUTEX_WAKE
 * rouses those asleep.  The host never reads the page, so the bump only
 * tells this guest's own threads. */
static void wake_all(struct vkw_guest_sync *s)
{
    _Atomic uint32_t *wake = atomic_load_explicit(&s->wake, memory_order_acquire);
    if (!wake)
        return; /* no page: nobody sleeps on it */
    atomic_fetch_add_explicit(wake, 1, memory_order_seq_cst);
    syscall(SYS_futex, (void *)wake, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

/* ---- objects ---- */

static struct object **slot_of(struct vkw_guest_sync *s, uint64_t id)
{
    struct object **o = &s->buckets[(id * 0x9e3779b97f4a7c15ull) >> 56];
    while (*o && (*o)->id != id)
        o = &(*o)->next;
    return o;
}

static struct object *find(struct vkw_guest_sync *s, uint64_t id)
{
    return *slot_of(s, id);
}

static struct object *find_or_add(struct vkw_guest_sync *s, uint64_t id, bool semaphore)
{
    struct object **at = slot_of(s, id);
    if (!*at && (*at = calloc(1, sizeof(**at)))) {
        (*at)->id = id;
        (*at)->semaphore = semaphore;
    }
    return *at;
}

static void forget(struct vkw_guest_sync *s, uint64_t id)
{
    struct object **at = slot_of(s, id), *o = *at;
    if (!o)
        return;
    *at = o->next;
    free(o->signals);
    free(o);
}

void vkw_guest_sync_free(struct vkw_guest_sync *s)
{
    if (!s)
        return;
    for (unsigned i = 0; i < BUCKETS; i++)
        while (s->buckets[i])
            forget(s, s->buckets[i]->id);
    if (s->page)
        munmap((void *)s->page, VKW_SYNC_PAGE_BYTES);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

/* A fence's state now (pending ones that finished become signalled). */
static enum fence_state fence_now(struct vkw_guest_sync *s, struct object *o)
{
    if (o->foreign)
        return F_UNKNOWN;
    if (o->state == F_PENDING && completed(s, o->slot) >= o->seq)
        o->state = F_SIGNALLED;
    return o->state;
}

/* A timeline semaphore's value as far as the page tells (folding in the
 * signals of finished submissions). */
static uint64_t semaphore_now(struct vkw_guest_sync *s, struct object *o)
{
    size_t keep = 0;
    for (size_t i = 0; i < o->nsignals; i++) {
        const struct signal g = o->signals[i];
        if (completed(s, g.slot) >= g.seq) {
            if (g.value > o->value)
                o->value = g.value;
        } else {
            o->signals[keep++] = g;
        }
    }
    o->nsignals = keep;
    return o->value;
}

/* ---- the connection's page ---- */

static bool sync_wanted(void)
{
    const char *env = getenv("VKWIRE_SYNC");
    return !env || strcmp(env, "off") != 0;
}

/* Make and send the page, once per connection (the connection's turn
 * serialises this against other threads' calls, the sync lock against
 * other submitters).  Called with the sync lock held. */
static void activate(struct vkw_guest_conn *conn, struct vkw_guest_sync *s)
{
    void *pages = NULL;
    const int fd = vkw_guest_memfd(VKW_SYNC_PAGE_BYTES, &pages);
    if (fd < 0)
        return;
    struct vkw_call call;
    struct vkw_writer *w = vkw_call_begin(conn, &call);
    const size_t at = vkw_begin_command(w, VKW_MSG_SYNC_PAGE, VKW_COMMAND_FLAG_REPLY, call.serial);
    vkw_write_u32(w, 0); /* the fd's index among the message's fds */
    vkw_end_message(w, at);
    call.fds = &fd;
    call.nfds = 1;
    struct vkw_reader *r = vkw_call_wait(&call, false);
    const VkResult result = r ? (VkResult)vkw_read_i32(r) : VK_ERROR_DEVICE_LOST;
    const bool ok = vkw_call_end(&call, r) && result == VK_SUCCESS;
    close(fd); /* the host has its own */
    if (!ok) {
        munmap(pages, VKW_SYNC_PAGE_BYTES);
        return;
    }
    /* The guest writes none of what the host publishes; it stays writable
     * for the one bump a lost connection makes (wake_all). */
    s->page = pages;
    s->active = true;
    atomic_store_explicit(&s->wake, (_Atomic uint32_t *)pages + VKW_SYNC_WAKE_OFFSET / 4,
                          memory_order_release);
}

static pthread_mutex_t create_lock = PTHREAD_MUTEX_INITIALIZER;

/* The connection's sync state, made on first use; NULL without memory. */
static struct vkw_guest_sync *sync_of(struct vkw_guest_conn *conn)
{
    struct vkw_guest_sync *s = atomic_load_explicit(&conn->sync, memory_order_acquire);
    if (s)
        return s;
    pthread_mutex_lock(&create_lock);
    s = atomic_load_explicit(&conn->sync, memory_order_relaxed);
    if (!s && (s = calloc(1, sizeof(*s)))) {
        pthread_mutex_init(&s->lock, NULL);
        conn->sync_free = vkw_guest_sync_free;
        conn->sync_wake = wake_all;
        atomic_store_explicit(&conn->sync, s, memory_order_release);
    }
    pthread_mutex_unlock(&create_lock);
    return s;
}

/* The page answers only while the host says nothing is kept or stopped
 * (the callers look at the connection first: a lost one answers nothing). */
static bool page_answers(const struct vkw_guest_sync *s)
{
    return s->active && load32(s, VKW_SYNC_FLAGS_OFFSET) == 0;
}

/* ---- submissions ---- */

/* The slot of `queue`, registered with the host on first use; -1 when
 * there is no page or no free slot.  Under the sync lock. */
static int queue_slot(struct vkw_guest_conn *conn, struct vkw_guest_sync *s, VkQueue queue)
{
    const uint64_t id = vkw_guest_id_of(queue);
    int free_slot = -1;
    for (uint32_t i = 0; i < VKW_SYNC_QUEUE_SLOTS; i++) {
        if (s->slots[i].queue == id)
            return (int)i;
        if (!s->slots[i].queue && free_slot < 0)
            free_slot = (int)i;
    }
    if (free_slot < 0)
        return -1;
    struct vkw_call call;
    struct vkw_writer *w = vkw_call_begin(conn, &call);
    const size_t at = vkw_begin_command(w, VKW_MSG_SYNC_QUEUE, 0, call.serial);
    vkw_write_u64(w, id);
    vkw_write_u32(w, (uint32_t)free_slot);
    vkw_end_message(w, at);
    if (!vkw_call_send(&call))
        return -1;
    s->slots[free_slot].queue = id;
    s->slots[free_slot].device = vkw_guest_queue_device(queue);
    return free_slot;
}

static void note_signal(struct vkw_guest_sync *s, VkSemaphore semaphore, uint64_t value, int slot,
                        uint64_t seq)
{
    struct object *o = find(s, VKW_HANDLE_U64(semaphore));
    if (!o || !o->semaphore || o->untracked)
        return; /* binary semaphores have no status to answer */
    if (slot < 0) {
        o->untracked = true;
        return;
    }
    if (o->nsignals == o->capsignals) {
        const size_t cap = o->capsignals ? o->capsignals * 2 : 4;
        struct signal *p = realloc(o->signals, cap * sizeof(*p));
        if (!p) {
            o->untracked = true;
            return;
        }
        o->signals = p;
        o->capsignals = cap;
    }
    o->signals[o->nsignals++] = (struct signal){value, seq, (uint32_t)slot};
}

static const VkTimelineSemaphoreSubmitInfo *timeline_info(const void *next)
{
    for (const VkBaseInStructure *b = next; b; b = b->pNext)
        if (b->sType == VK_STRUCTURE_TYPE_TIMELINE_SEMAPHORE_SUBMIT_INFO)
            return (const VkTimelineSemaphoreSubmitInfo *)b;
    return NULL;
}

static void note_binary_style(struct vkw_guest_sync *s, const void *next, uint32_t n,
                              const VkSemaphore *semaphores, int slot, uint64_t seq)
{
    const VkTimelineSemaphoreSubmitInfo *t = timeline_info(next);
    for (uint32_t i = 0; i < n; i++)
        note_signal(s, semaphores[i],
                    t && t->pSignalSemaphoreValues && i < t->signalSemaphoreValueCount
                        ? t->pSignalSemaphoreValues[i]
                        : 0,
                    slot, seq);
}

void vkw_guest_sync_submit(VkQueue queue, int kind, uint32_t count, const void *infos,
                           VkFence fence)
{
    struct vkw_guest_conn *conn = vkw_guest_conn_of(queue);
    struct vkw_guest_sync *s = sync_of(conn);
    if (!s)
        return;
    pthread_mutex_lock(&s->lock);
    if (!s->tried && (conn->agreed_features & VKW_FEATURE_SYNC_STATUS) &&
        vkw_conn_passes_fds(conn->transport) && sync_wanted()) {
        s->tried = true; /* once, whatever comes of it */
        activate(conn, s);
    }
    if (!s->active) {
        pthread_mutex_unlock(&s->lock);
        return;
    }
    const int slot = queue_slot(conn, s, queue);
    const uint64_t seq = slot >= 0 ? ++s->seq[slot] : 0;
    if (fence) {
        struct object *o = find_or_add(s, VKW_HANDLE_U64(fence), false);
        if (o) {
            o->state = slot >= 0 ? F_PENDING : F_UNKNOWN;
            o->slot = slot >= 0 ? (uint32_t)slot : 0;
            o->seq = seq;
        }
    }
    for (uint32_t i = 0; i < count; i++) {
        if (kind == 1) {
            const VkSubmitInfo *si = &((const VkSubmitInfo *)infos)[i];
            note_binary_style(s, si->pNext, si->signalSemaphoreCount, si->pSignalSemaphores, slot,
                              seq);
        } else if (kind == 2) {
            const VkSubmitInfo2 *si = &((const VkSubmitInfo2 *)infos)[i];
            for (uint32_t k = 0; k < si->signalSemaphoreInfoCount; k++)
                note_signal(s, si->pSignalSemaphoreInfos[k].semaphore,
                            si->pSignalSemaphoreInfos[k].value, slot, seq);
        } else {
            const VkBindSparseInfo *bi = &((const VkBindSparseInfo *)infos)[i];
            note_binary_style(s, bi->pNext, bi->signalSemaphoreCount, bi->pSignalSemaphores, slot,
                              seq);
        }
    }
    pthread_mutex_unlock(&s->lock);
}

void vkw_guest_sync_foreign(VkDevice device, uint64_t handle, bool semaphore)
{
    struct vkw_guest_sync *s = sync_of(vkw_guest_conn_of(device));
    if (!s || !handle)
        return;
    pthread_mutex_lock(&s->lock);
    struct object *o = find(s, handle);
    if (semaphore) {
        if (o && o->semaphore)
            o->untracked = true; /* binary ones have no record: always asked */
    } else if ((o = find_or_add(s, handle, false))) {
        o->foreign = true;
    }
    pthread_mutex_unlock(&s->lock);
}

void vkw_guest_sync_forget_device(struct vkw_guest_conn *conn, VkDevice device)
{
    struct vkw_guest_sync *s = sync_of(conn);
    if (!s)
        return;
    pthread_mutex_lock(&s->lock);
    for (uint32_t i = 0; i < VKW_SYNC_QUEUE_SLOTS; i++)
        if (s->slots[i].device == device)
            s->slots[i].queue = 0, s->slots[i].device = VK_NULL_HANDLE;
    pthread_mutex_unlock(&s->lock);
}

/* ---- waits ---- */

/* What the page says of a set of waits: done, not yet, or it cannot tell
 * (then the host must be asked). */
enum verdict { DONE, NOT_YET, ASK };

struct fence_wait {
    VkDevice device;
    uint32_t count;
    const VkFence *fences;
    VkBool32 all;
};

static enum verdict fences_verdict(struct vkw_guest_sync *s, const void *args)
{
    const struct fence_wait *w = args;
    uint32_t signalled = 0;
    for (uint32_t i = 0; i < w->count; i++) {
        struct object *o = find(s, VKW_HANDLE_U64(w->fences[i]));
        if (!o || o->semaphore || o->foreign || o->state == F_UNKNOWN)
            return ASK;
        signalled += fence_now(s, o) == F_SIGNALLED;
    }
    return (w->all ? signalled == w->count : signalled > 0) ? DONE : NOT_YET;
}

static VkResult ask_fences(const void *args, uint64_t slice)
{
    const struct fence_wait *w = args;
    return vkw_forward_vkWaitForFences(w->device, w->count, w->fences, w->all, slice);
}

struct semaphore_wait {
    VkDevice device;
    const VkSemaphoreWaitInfo *info;
};

static enum verdict semaphores_verdict(struct vkw_guest_sync *s, const void *args)
{
    const VkSemaphoreWaitInfo *info = ((const struct semaphore_wait *)args)->info;
    uint32_t reached = 0;
    for (uint32_t i = 0; i < info->semaphoreCount; i++) {
        struct object *o = find(s, VKW_HANDLE_U64(info->pSemaphores[i]));
        if (!o || !o->semaphore || o->untracked)
            return ASK;
        reached += semaphore_now(s, o) >= info->pValues[i];
    }
    const bool any = (info->flags & VK_SEMAPHORE_WAIT_ANY_BIT) != 0;
    return (any ? reached > 0 || info->semaphoreCount == 0 : reached == info->semaphoreCount)
               ? DONE
               : NOT_YET;
}

static VkResult ask_semaphores(const void *args, uint64_t slice)
{
    const struct semaphore_wait *w = args;
    return vkw_forward_vkWaitSemaphores(w->device, w->info, slice);
}

/* Ask the host until it stops timing out or `timeout` (from `start`) has
 * passed, a slice at a time. */
static VkResult ask_sliced(VkResult (*ask)(const void *, uint64_t), const void *args,
                           uint64_t start, uint64_t timeout)
{
    for (;;) {
        const uint64_t spent = monotonic_ns() - start;
        const uint64_t left = timeout > spent ? timeout - spent : 0;
        const VkResult r = ask(args, left < WAIT_SLICE_NS ? left : WAIT_SLICE_NS);
        if (r != VK_TIMEOUT || left <= WAIT_SLICE_NS)
            return r;
    }
}

/* The wait: from the page while it can tell, from the host otherwise. */
static VkResult wait_for(struct vkw_guest_conn *conn,
                         enum verdict (*verdict)(struct vkw_guest_sync *, const void *),
                         VkResult (*ask)(const void *, uint64_t), const void *args,
                         uint64_t timeout)
{
    const uint64_t start = monotonic_ns();
    struct vkw_guest_sync *s = sync_of(conn);
    if (!s || !s->active)
        return ask_sliced(ask, args, start, timeout);
    bool checked = false;
    uint64_t quiet_since = start;
    uint32_t last_wake = load32(s, VKW_SYNC_WAKE_OFFSET);
    for (;;) {
        /* The wake word first: a publication (or a loss, wake_all) after
         * this read wakes the sleep below even if what follows missed it. */
        const uint32_t seen = load32(s, VKW_SYNC_WAKE_OFFSET);
        if (vkw_guest_conn_lost(conn))
            return VK_ERROR_DEVICE_LOST;
        enum verdict v = ASK;
        if (page_answers(s)) {
            pthread_mutex_lock(&s->lock);
            v = verdict(s, args);
            pthread_mutex_unlock(&s->lock);
        }
        const uint64_t now = monotonic_ns();
        const uint64_t spent = now - start;
        if (v == ASK)
            return ask_sliced(ask, args, start, timeout > spent ? timeout - spent : 0);
        if (v == DONE)
            return VK_SUCCESS;
        if (!checked) { /* the work waited for must reach the host */
            if (!vkw_guest_conn_check(conn))
                return VK_ERROR_DEVICE_LOST;
            checked = true;
        }
        if (spent >= timeout)
            return VK_TIMEOUT;
        if (seen != last_wake) {
            last_wake = seen;
            quiet_since = now;
        } else if (now - quiet_since >= QUIET_ASK_NS) {
            /* Nothing heard for long: make sure the host is there. */
            const VkResult r = ask(args, 0);
            if (r != VK_TIMEOUT)
                return r;
            quiet_since = monotonic_ns();
        }
        const uint64_t left = timeout - spent;
        sleep_on_page(s, seen, left < QUIET_ASK_NS ? left : QUIET_ASK_NS);
    }
}

VkResult vkw_guest_sync_wait_fences(VkDevice device, uint32_t count, const VkFence *fences,
                                    VkBool32 all, uint64_t timeout)
{
    const struct fence_wait w = {device, count, fences, all};
    return wait_for(vkw_guest_conn_of(device), fences_verdict, ask_fences, &w, timeout);
}

VkResult vkw_guest_sync_wait_semaphores(VkDevice device, const VkSemaphoreWaitInfo *info,
                                        uint64_t timeout)
{
    const struct semaphore_wait w = {device, info};
    return wait_for(vkw_guest_conn_of(device), semaphores_verdict, ask_semaphores, &w, timeout);
}

VkResult vkw_guest_sync_fence_status(VkDevice device, VkFence fence)
{
    struct vkw_guest_conn *conn = vkw_guest_conn_of(device);
    if (vkw_guest_conn_lost(conn))
        return VK_ERROR_DEVICE_LOST; /* what the page still says is stale */
    struct vkw_guest_sync *s = sync_of(conn);
    if (s && page_answers(s)) {
        pthread_mutex_lock(&s->lock);
        struct object *o = find(s, VKW_HANDLE_U64(fence));
        const enum fence_state state = o && !o->semaphore ? fence_now(s, o) : F_UNKNOWN;
        pthread_mutex_unlock(&s->lock);
        if (state == F_SIGNALLED)
            return VK_SUCCESS;
        if (state != F_UNKNOWN) {
            /* so that asking again can find it done, or the loss */
            return vkw_guest_conn_check(conn) ? VK_NOT_READY : VK_ERROR_DEVICE_LOST;
        }
    }
    const VkResult r = vkw_forward_vkGetFenceStatus(device, fence);
    if (s && s->active && (r == VK_SUCCESS || r == VK_NOT_READY)) {
        /* A fence never submitted or reset through the page keeps what the
         * host just said until it is. */
        pthread_mutex_lock(&s->lock);
        if (!find(s, VKW_HANDLE_U64(fence))) {
            struct object *o = find_or_add(s, VKW_HANDLE_U64(fence), false);
            if (o)
                o->state = r == VK_SUCCESS ? F_SIGNALLED : F_UNSIGNALLED;
        }
        pthread_mutex_unlock(&s->lock);
    }
    return r;
}

void vkw_guest_sync_pause(struct vkw_guest_conn *conn, uint64_t ns)
{
    if (vkw_guest_conn_lost(conn))
        return; /* the caller's next call says so */
    struct vkw_guest_sync *s = sync_of(conn);
    if (!s || !s->active) {
        nanosleep(&(struct timespec){(time_t)(ns / 1000000000ull), (long)(ns % 1000000000ull)},
                  NULL);
        return;
    }
    const uint32_t seen = load32(s, VKW_SYNC_WAKE_OFFSET);
    if (vkw_guest_conn_check(conn))
        sleep_on_page(s, seen, ns);
}

/* ---- entry points ---- */

VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkResetFences(VkDevice device, uint32_t fenceCount,
                                                    const VkFence *pFences)
{
    struct vkw_guest_sync *s = sync_of(vkw_guest_conn_of(device));
    if (s && s->active) {
        pthread_mutex_lock(&s->lock);
        for (uint32_t i = 0; i < fenceCount; i++) {
            struct object *o = find_or_add(s, VKW_HANDLE_U64(pFences[i]), false);
            if (o)
                o->state = F_UNSIGNALLED;
        }
        pthread_mutex_unlock(&s->lock);
    }
    return vkw_forward_vkResetFences(device, fenceCount, pFences);
}

VKAPI_ATTR void VKAPI_CALL vkw_icd_vkDestroyFence(VkDevice device, VkFence fence,
                                                 const VkAllocationCallbacks *pAllocator)
{
    struct vkw_guest_sync *s = fence ? sync_of(vkw_guest_conn_of(device)) : NULL;
    if (s) {
        pthread_mutex_lock(&s->lock);
        forget(s, VKW_HANDLE_U64(fence));
        pthread_mutex_unlock(&s->lock);
    }
    vkw_forward_vkDestroyFence(device, fence, pAllocator);
}

VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkCreateSemaphore(VkDevice device,
                                                        const VkSemaphoreCreateInfo *pCreateInfo,
                                                        const VkAllocationCallbacks *pAllocator,
                                                        VkSemaphore *pSemaphore)
{
    const VkResult r = vkw_forward_vkCreateSemaphore(device, pCreateInfo, pAllocator, pSemaphore);
    const VkSemaphoreTypeCreateInfo *type = NULL;
    for (const VkBaseInStructure *b = pCreateInfo->pNext; b; b = b->pNext)
        if (b->sType == VK_STRUCTURE_TYPE_SEMAPHORE_TYPE_CREATE_INFO)
            type = (const VkSemaphoreTypeCreateInfo *)b;
    struct vkw_guest_sync *s = sync_of(vkw_guest_conn_of(device));
    if (r != VK_SUCCESS || !s || !type || type->semaphoreType != VK_SEMAPHORE_TYPE_TIMELINE)
        return r;
    pthread_mutex_lock(&s->lock);
    struct object *o = find_or_add(s, VKW_HANDLE_U64(*pSemaphore), true);
    if (o) {
        o->value = type->initialValue;
        /* Exported semaphores can be signalled where the guest cannot see. */
        for (const VkBaseInStructure *b = pCreateInfo->pNext; b; b = b->pNext)
            if (b->sType == VK_STRUCTURE_TYPE_EXPORT_SEMAPHORE_CREATE_INFO)
                o->untracked = true;
    }
    pthread_mutex_unlock(&s->lock);
    return r;
}

VKAPI_ATTR void VKAPI_CALL vkw_icd_vkDestroySemaphore(VkDevice device, VkSemaphore semaphore,
                                                     const VkAllocationCallbacks *pAllocator)
{
    struct vkw_guest_sync *s = semaphore ? sync_of(vkw_guest_conn_of(device)) : NULL;
    if (s) {
        pthread_mutex_lock(&s->lock);
        forget(s, VKW_HANDLE_U64(semaphore));
        pthread_mutex_unlock(&s->lock);
    }
    vkw_forward_vkDestroySemaphore(device, semaphore, pAllocator);
}

VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkSignalSemaphore(VkDevice device,
                                                        const VkSemaphoreSignalInfo *pSignalInfo)
{
    const VkResult r = vkw_forward_vkSignalSemaphore(device, pSignalInfo);
    struct vkw_guest_sync *s = sync_of(vkw_guest_conn_of(device));
    if (r != VK_SUCCESS || !s)
        return r;
    /* Reached: the host runs commands in order, so whatever the guest
     * sends after this finds the value signalled. */
    pthread_mutex_lock(&s->lock);
    struct object *o = find(s, VKW_HANDLE_U64(pSignalInfo->semaphore));
    if (o && o->semaphore && pSignalInfo->value > o->value)
        o->value = pSignalInfo->value;
    pthread_mutex_unlock(&s->lock);
    return r;
}

VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkGetSemaphoreCounterValue(VkDevice device,
                                                                 VkSemaphore semaphore,
                                                                 uint64_t *pValue)
{
    struct vkw_guest_conn *conn = vkw_guest_conn_of(device);
    if (vkw_guest_conn_lost(conn))
        return VK_ERROR_DEVICE_LOST;
    struct vkw_guest_sync *s = sync_of(conn);
    if (s && page_answers(s)) {
        pthread_mutex_lock(&s->lock);
        struct object *o = find(s, VKW_HANDLE_U64(semaphore));
        const bool known = o && o->semaphore && !o->untracked;
        if (known)
            *pValue = semaphore_now(s, o);
        pthread_mutex_unlock(&s->lock);
        if (known) /* so that a later look can see it move, or the loss */
            return vkw_guest_conn_check(conn) ? VK_SUCCESS : VK_ERROR_DEVICE_LOST;
    }
    return vkw_forward_vkGetSemaphoreCounterValue(device, semaphore, pValue);
}
