/* Detached calls (doc/PROTOCOL.md section 29) on the fake driver, through
 * the public renderer API: a driver call that blocks until a later command
 * of the same connection acts no longer holds the connection.
 *
 * The fake driver (tests/fake_driver.h) keeps the books; this test puts its
 * own timeline semaphores and compute pipelines in front of it, which block
 * the way a driver's do (a wait until a signal, a compile until the test
 * opens a gate) and which are safe to call from the host's threads.  It
 * checks: the connection goes on while a call blocks, in the same batch
 * and in later ones; commands before a detached call are seen by it (the
 * order of the stream); the ids a blocked creation makes are held (reused:
 * ID_IN_USE) and bound to what the driver made; destroying what a blocked
 * call uses waits for it; a kept failure answers at once; the blocking
 * limit; every DETACH and COLLECT check; and a teardown that ends blocked
 * waits.  An alarm turns a deadlock into a failure. */
#define _GNU_SOURCE /* setenv (host_test_guest.h); before any include */

#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fake_driver.h"
#include "host_test_guest.h"
#include "tap.h"
#include "vkw_detach.h"
#include "vkwire/renderer.h"

#define SEM_A 500u
#define SEM_B 501u
#define SEM_C 502u
#define LAYOUT_ID 510u
#define MODULE_ID 511u
#define PIPE_0 600u
#define PIPE_1 601u

/* ---- the blocking driver calls ---- */

static struct {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    struct {
        uint64_t handle, value;
    } timelines[16];
    int waits;                   /* calls inside vkWaitSemaphores now */
    uint64_t waited[8];          /* the semaphores they wait on */
    bool destroyed_under_a_wait; /* a semaphore destroyed while waited on */
    bool gate_open;              /* compiles end only once it is */
    int compiles;                /* calls inside vkCreateComputePipelines now */
    uint64_t next_pipeline;
    int pipelines_alive;
    bool destroyed_unknown;      /* a pipeline handle it never made */
    bool destroyed_while_compiling;
} t = {.lock = PTHREAD_MUTEX_INITIALIZER, .changed = PTHREAD_COND_INITIALIZER};

static PFN_vkGetDeviceProcAddr fake_gdpa;
static PFN_vkDestroySemaphore fake_destroy_semaphore;

/* Under the lock. */
static uint64_t *timeline(uint64_t handle)
{
    for (size_t i = 0; i < 16; i++)
        if (t.timelines[i].handle == handle)
            return &t.timelines[i].value;
    for (size_t i = 0; i < 16; i++)
        if (t.timelines[i].handle == 0) {
            t.timelines[i].handle = handle;
            t.timelines[i].value = 0;
            return &t.timelines[i].value;
        }
    abort();
}

static void signal_timeline(VkSemaphore s, uint64_t value)
{
    pthread_mutex_lock(&t.lock);
    uint64_t *v = timeline(VKW_HANDLE_U64(s));
    if (value > *v)
        *v = value;
    pthread_cond_broadcast(&t.changed);
    pthread_mutex_unlock(&t.lock);
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts); /* the condition variable's clock */
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* One semaphore, all-of semantics are enough here. */
static VKAPI_ATTR VkResult VKAPI_CALL t_WaitSemaphores(VkDevice device,
                                                      const VkSemaphoreWaitInfo *info,
                                                      uint64_t timeout)
{
    (void)device;
    const uint64_t sem = VKW_HANDLE_U64(info->pSemaphores[0]);
    const uint64_t end = timeout > UINT64_MAX - now_ns() ? UINT64_MAX : now_ns() + timeout;
    VkResult r = VK_SUCCESS;
    pthread_mutex_lock(&t.lock);
    const int slot = t.waits++;
    if (slot < 8)
        t.waited[slot] = sem;
    pthread_cond_broadcast(&t.changed);
    while (*timeline(sem) < info->pValues[0]) {
        if (now_ns() >= end) {
            r = VK_TIMEOUT;
            break;
        }
        const uint64_t until = end == UINT64_MAX ? now_ns() + 1000000000ull : end;
        struct timespec ts = {(time_t)(until / 1000000000ull), (long)(until % 1000000000ull)};
        pthread_cond_timedwait(&t.changed, &t.lock, &ts);
    }
    if (slot < 8)
        t.waited[slot] = 0;
    t.waits--;
    pthread_cond_broadcast(&t.changed);
    pthread_mutex_unlock(&t.lock);
    return r;
}

static VKAPI_ATTR VkResult VKAPI_CALL t_SignalSemaphore(VkDevice device,
                                                       const VkSemaphoreSignalInfo *info)
{
    (void)device;
    signal_timeline(info->semaphore, info->value);
    return VK_SUCCESS;
}

static VKAPI_ATTR void VKAPI_CALL t_DestroySemaphore(VkDevice device, VkSemaphore s,
                                                    const VkAllocationCallbacks *a)
{
    pthread_mutex_lock(&t.lock);
    for (int i = 0; i < 8; i++)
        if (s && t.waited[i] == VKW_HANDLE_U64(s))
            t.destroyed_under_a_wait = true;
    pthread_mutex_unlock(&t.lock);
    fake_destroy_semaphore(device, s, a);
}

static VKAPI_ATTR VkResult VKAPI_CALL t_CreateComputePipelines(
    VkDevice device, VkPipelineCache cache, uint32_t n, const VkComputePipelineCreateInfo *infos,
    const VkAllocationCallbacks *a, VkPipeline *out)
{
    (void)device, (void)cache, (void)infos, (void)a;
    pthread_mutex_lock(&t.lock);
    t.compiles++;
    pthread_cond_broadcast(&t.changed);
    while (!t.gate_open)
        pthread_cond_wait(&t.changed, &t.lock);
    for (uint32_t i = 0; i < n; i++)
        out[i] = VKW_U64_HANDLE(VkPipeline, t.next_pipeline++);
    t.pipelines_alive += (int)n;
    t.compiles--;
    pthread_mutex_unlock(&t.lock);
    return VK_SUCCESS;
}

static VKAPI_ATTR void VKAPI_CALL t_DestroyPipeline(VkDevice device, VkPipeline p,
                                                   const VkAllocationCallbacks *a)
{
    (void)device, (void)a;
    if (!p)
        return;
    pthread_mutex_lock(&t.lock);
    if (VKW_HANDLE_U64(p) < 0x70000 || VKW_HANDLE_U64(p) >= t.next_pipeline)
        t.destroyed_unknown = true;
    if (t.compiles)
        t.destroyed_while_compiling = true;
    t.pipelines_alive--;
    pthread_mutex_unlock(&t.lock);
}

static PFN_vkVoidFunction own(const char *name);

static VKAPI_ATTR PFN_vkVoidFunction VKAPI_CALL t_GetDeviceProcAddr(VkDevice device,
                                                                   const char *name)
{
    PFN_vkVoidFunction f = own(name);
    return f ? f : fake_gdpa(device, name);
}

static PFN_vkVoidFunction own(const char *name)
{
    if (!name)
        return NULL;
    if (strcmp(name, "vkGetDeviceProcAddr") == 0)
        return (PFN_vkVoidFunction)t_GetDeviceProcAddr;
    if (strcmp(name, "vkWaitSemaphores") == 0 || strcmp(name, "vkWaitSemaphoresKHR") == 0)
        return (PFN_vkVoidFunction)t_WaitSemaphores;
    if (strcmp(name, "vkSignalSemaphore") == 0 || strcmp(name, "vkSignalSemaphoreKHR") == 0)
        return (PFN_vkVoidFunction)t_SignalSemaphore;
    if (strcmp(name, "vkDestroySemaphore") == 0)
        return (PFN_vkVoidFunction)t_DestroySemaphore;
    if (strcmp(name, "vkCreateComputePipelines") == 0)
        return (PFN_vkVoidFunction)t_CreateComputePipelines;
    if (strcmp(name, "vkDestroyPipeline") == 0)
        return (PFN_vkVoidFunction)t_DestroyPipeline;
    return NULL;
}

static VKAPI_ATTR PFN_vkVoidFunction VKAPI_CALL t_gipa(VkInstance instance, const char *name)
{
    PFN_vkVoidFunction f = own(name);
    return f ? f : vkw_fake_get_instance_proc_addr(instance, name);
}

static void reset_driver(void)
{
    pthread_mutex_lock(&t.lock);
    memset(t.timelines, 0, sizeof t.timelines);
    memset(t.waited, 0, sizeof t.waited);
    t.waits = t.compiles = t.pipelines_alive = 0;
    t.destroyed_under_a_wait = t.destroyed_unknown = t.destroyed_while_compiling = false;
    t.gate_open = false;
    t.next_pipeline = 0x70000;
    pthread_mutex_unlock(&t.lock);
    vkw_fake_reset();
}

/* Wait (at most 5 s) until `*count` reaches `want` (a call is inside the
 * driver). */
static bool await_count(const int *count, int want)
{
    const uint64_t end = now_ns() + 5000000000ull;
    pthread_mutex_lock(&t.lock);
    while (*count != want && now_ns() < end) {
        struct timespec ts = {(time_t)(end / 1000000000ull), (long)(end % 1000000000ull)};
        pthread_cond_timedwait(&t.changed, &t.lock, &ts);
    }
    const bool reached = *count == want;
    pthread_mutex_unlock(&t.lock);
    return reached;
}

/* What the device does 100 ms from now: `value` reached on every
 * semaphore a wait is blocked on (its host handle: what the driver knows),
 * or, for 0, the gate opening. */
struct later {
    pthread_t thread;
    uint64_t value;
};

static void *act_later(void *arg)
{
    struct later *l = arg;
    nanosleep(&(struct timespec){0, 100 * 1000 * 1000}, NULL);
    if (l->value) {
        pthread_mutex_lock(&t.lock);
        for (int i = 0; i < 8; i++)
            if (t.waited[i] && *timeline(t.waited[i]) < l->value)
                *timeline(t.waited[i]) = l->value;
        pthread_cond_broadcast(&t.changed);
        pthread_mutex_unlock(&t.lock);
    } else {
        pthread_mutex_lock(&t.lock);
        t.gate_open = true;
        pthread_cond_broadcast(&t.changed);
        pthread_mutex_unlock(&t.lock);
    }
    return NULL;
}

static void start_later(struct later *l, uint64_t value)
{
    l->value = value;
    if (pthread_create(&l->thread, NULL, act_later, l) != 0)
        abort();
}

/* ---- the guest side ---- */

static void on_hang(int sig)
{
    (void)sig;
    static const char line[] = "Bail out! a detached call held the connection (deadlock)\n";
    if (write(STDOUT_FILENO, line, sizeof line - 1) < 0) {
        /* nowhere to say it */
    }
    _exit(1);
}

struct side {
    struct vkw_renderer *renderer;
    struct vkw_renderer_context *ctx;
    struct tg_guest g;
    const void *reply;
    size_t reply_size;
};

static enum vkw_renderer_status run(struct side *s)
{
    alarm(20);
    enum vkw_renderer_status st = vkw_renderer_context_process(s->ctx, s->g.w.data, s->g.w.size,
                                                               &s->reply, &s->reply_size);
    alarm(0);
    vkw_writer_reset(&s->g.w);
    return st;
}

/* The host (max_blocking 0: the default) up to a device, with three
 * semaphores and what a compute pipeline names. */
static bool open_side(struct side *s, size_t max_blocking)
{
    memset(s, 0, sizeof(*s));
    reset_driver();
    struct vkw_renderer_options o = VKW_RENDERER_OPTIONS_INIT;
    o.get_instance_proc_addr = t_gipa;
    o.max_blocking = max_blocking;
    if (vkw_renderer_create(&o, &s->renderer) != 0)
        return false;
    s->ctx = vkw_renderer_context_create(s->renderer);
    tg_init(&s->g);
    tg_hello(&s->g, VKW_PROTOCOL_MAJOR);
    if (!s->ctx || run(s) != VKW_RENDERER_OK)
        return false;
    tg_bring_up(&s->g);
    const uint64_t sems[3] = {SEM_A, SEM_B, SEM_C};
    for (int i = 0; i < 3; i++) {
        VkSemaphoreTypeCreateInfo type = {.sType = VK_STRUCTURE_TYPE_SEMAPHORE_TYPE_CREATE_INFO,
                                          .semaphoreType = VK_SEMAPHORE_TYPE_TIMELINE};
        VkSemaphoreCreateInfo ci = {.sType = VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO,
                                    .pNext = &type};
        VkSemaphore sem = VKW_U64_HANDLE(VkSemaphore, sems[i]);
        vkw_encode_vkCreateSemaphore(&s->g.w, ++s->g.serial, TG_DEVICE(&s->g), &ci, NULL, &sem);
    }
    VkPipelineLayoutCreateInfo lci = {.sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO};
    VkPipelineLayout layout = VKW_U64_HANDLE(VkPipelineLayout, LAYOUT_ID);
    vkw_encode_vkCreatePipelineLayout(&s->g.w, ++s->g.serial, TG_DEVICE(&s->g), &lci, NULL,
                                      &layout);
    static const uint32_t code[5] = {0x07230203u};
    VkShaderModuleCreateInfo mci = {.sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO,
                                     .codeSize = sizeof code,
                                     .pCode = code};
    VkShaderModule module = VKW_U64_HANDLE(VkShaderModule, MODULE_ID);
    vkw_encode_vkCreateShaderModule(&s->g.w, ++s->g.serial, TG_DEVICE(&s->g), &mci, NULL,
                                    &module);
    return run(s) == VKW_RENDERER_OK && tg_count_ok(s->reply, s->reply_size, true, NULL) == 3;
}

static void close_side(struct side *s)
{
    vkw_renderer_context_destroy(s->ctx);
    vkw_renderer_destroy(s->renderer);
    tg_fini(&s->g);
}

/* Set the flags of the command encoded at `at`. */
static void set_flags(struct side *s, size_t at, uint32_t flags)
{
    memcpy(s->g.w.data + at + 4, &flags, 4);
}

/* vkWaitSemaphores(sem >= value, timeout), sent with `flags`; its serial. */
static uint32_t wait_sem(struct side *s, uint64_t sem, uint64_t value, uint64_t timeout,
                         uint32_t flags)
{
    VkSemaphore handle = VKW_U64_HANDLE(VkSemaphore, sem);
    VkSemaphoreWaitInfo info = {.sType = VK_STRUCTURE_TYPE_SEMAPHORE_WAIT_INFO,
                                .semaphoreCount = 1,
                                .pSemaphores = &handle,
                                .pValues = &value};
    const size_t at = s->g.w.size;
    vkw_encode_vkWaitSemaphores(&s->g.w, ++s->g.serial, TG_DEVICE(&s->g), &info, timeout);
    set_flags(s, at, flags);
    return s->g.serial;
}

static void signal_sem(struct side *s, uint64_t sem, uint64_t value, bool reply)
{
    VkSemaphoreSignalInfo info = {.sType = VK_STRUCTURE_TYPE_SEMAPHORE_SIGNAL_INFO,
                                  .semaphore = VKW_U64_HANDLE(VkSemaphore, sem),
                                  .value = value};
    const size_t at = s->g.w.size;
    vkw_encode_vkSignalSemaphore(&s->g.w, ++s->g.serial, TG_DEVICE(&s->g), &info);
    set_flags(s, at, reply ? VKW_COMMAND_FLAG_REPLY : 0);
}

/* COLLECT of `of`, with `payload_words` u32 words (2 is right). */
static uint32_t collect(struct side *s, uint32_t of, uint32_t wait_us, uint32_t flags,
                        int payload_words)
{
    const size_t at = vkw_begin_command(&s->g.w, VKW_MSG_COLLECT, flags, ++s->g.serial);
    const uint32_t words[3] = {of, wait_us, 0};
    for (int i = 0; i < payload_words; i++)
        vkw_write_u32(&s->g.w, words[i]);
    vkw_end_message(&s->g.w, at);
    return s->g.serial;
}

/* The COLLECT reply with serial `serial` in the last answer: its state, and
 * for DONE the detached command's VkResult (its payload's first word). */
static bool collected(struct side *s, uint32_t serial, uint32_t *state, VkResult *result)
{
    struct tg_replies rs;
    struct vkw_reply_header h;
    struct vkw_reader p;
    tg_replies_init(&rs, s->reply, s->reply_size);
    while (tg_next_reply(&rs, &h, &p)) {
        if (h.opcode != VKW_MSG_COLLECT || h.serial != serial || h.status != VKW_OK)
            continue;
        *state = vkw_read_u32(&p);
        const uint32_t zero = vkw_read_u32(&p);
        if (*state == VKW_COLLECT_DONE)
            *result = (VkResult)vkw_read_i32(&p);
        return vkw_reader_ok(&p) && zero == 0 &&
               (*state != VKW_COLLECT_RUNNING || vkw_reader_remaining(&p) == 0);
    }
    return false;
}

/* COLLECT until DONE (at most 5 s); the call's VkResult. */
static bool collect_done(struct side *s, uint32_t of, VkResult *result)
{
    for (int i = 0; i < 5000; i++) {
        const uint32_t serial = collect(s, of, VKW_COLLECT_MAX_WAIT_US, VKW_COMMAND_FLAG_REPLY, 2);
        uint32_t state = 0;
        if (run(s) != VKW_RENDERER_OK || !collected(s, serial, &state, result))
            return false;
        if (state == VKW_COLLECT_DONE)
            return true;
    }
    return false;
}

/* The context ended with `status` naming `value`. */
static bool died(struct side *s, enum vkw_renderer_status st, uint32_t status, uint64_t value)
{
    uint32_t got = 0;
    uint64_t got_value = 0;
    const bool found = tg_error_reply(s->reply, s->reply_size, &got, &got_value);
    if (!found || got != status || got_value != value || st != VKW_RENDERER_PROTOCOL_ERROR)
        diag("got status %u value %llu (%s)", got, (unsigned long long)got_value,
             vkw_renderer_context_error(s->ctx));
    return st == VKW_RENDERER_PROTOCOL_ERROR && found && got == status && got_value == value;
}

/* ---- tests ---- */

static void test_connection_goes_on(void)
{
    struct side s;
    ok(open_side(&s, 0), "bring-up: three timeline semaphores, a layout and a module");

    /* A wait no one has released yet: the first COLLECT says it runs. */
    const uint32_t w = wait_sem(&s, SEM_A, 5, UINT64_MAX,
                                VKW_COMMAND_FLAG_REPLY | VKW_COMMAND_FLAG_DETACH);
    const uint32_t c = collect(&s, w, 0, VKW_COMMAND_FLAG_REPLY, 2);
    uint32_t state = 99;
    VkResult result = VK_ERROR_UNKNOWN;
    ok(run(&s) == VKW_RENDERER_OK && tg_count_ok(s.reply, s.reply_size, false, NULL) == 1 &&
           collected(&s, c, &state, &result) && state == VKW_COLLECT_RUNNING,
       "a detached wait answers nothing itself; COLLECT says it still runs");
    ok(await_count(&t.waits, 1), "the wait is inside the driver, on a host thread");
    struct vkw_renderer_context_stats st = {.size = sizeof st};
    ok(vkw_renderer_context_get_stats(s.ctx, &st) == 0 && st.blocking == 1,
       "the stats count one detached call");

    /* The command that releases it is run while it waits (before: never). */
    signal_sem(&s, SEM_A, 5, true);
    ok(run(&s) == VKW_RENDERER_OK && tg_count_ok(s.reply, s.reply_size, true, NULL) == 1,
       "a later vkSignalSemaphore runs while the wait blocks");
    ok(collect_done(&s, w, &result) && result == VK_SUCCESS,
       "the wait returns VK_SUCCESS, collected");
    ok(vkw_renderer_context_get_stats(s.ctx, &st) == 0 && st.blocking == 0,
       "collected: no detached call left");

    /* In one batch: a detached wait, then the signal that releases it, then
     * its COLLECT: the batch's later command does not wait for it. */
    const uint32_t w2 = wait_sem(&s, SEM_B, 1, UINT64_MAX,
                                 VKW_COMMAND_FLAG_REPLY | VKW_COMMAND_FLAG_DETACH);
    signal_sem(&s, SEM_B, 1, true);
    const uint32_t c2 = collect(&s, w2, VKW_COLLECT_MAX_WAIT_US, VKW_COMMAND_FLAG_REPLY, 2);
    state = 99;
    bool in_batch = run(&s) == VKW_RENDERER_OK && collected(&s, c2, &state, &result);
    if (in_batch && state == VKW_COLLECT_RUNNING) /* (a slow machine: ask again) */
        in_batch = collect_done(&s, w2, &result), state = VKW_COLLECT_DONE;
    ok(in_batch && state == VKW_COLLECT_DONE && result == VK_SUCCESS,
       "a wait released by a later command of its own batch returns");

    /* Order: a signal earlier in the batch is seen by a detached wait with
     * no time to wait. */
    signal_sem(&s, SEM_C, 7, false);
    const uint32_t w3 = wait_sem(&s, SEM_C, 7, 0, VKW_COMMAND_FLAG_REPLY | VKW_COMMAND_FLAG_DETACH);
    const uint32_t c3 = collect(&s, w3, VKW_COLLECT_MAX_WAIT_US, VKW_COMMAND_FLAG_REPLY, 2);
    in_batch = run(&s) == VKW_RENDERER_OK && collected(&s, c3, &state, &result);
    if (in_batch && state == VKW_COLLECT_RUNNING)
        in_batch = collect_done(&s, w3, &result), state = VKW_COLLECT_DONE;
    ok(in_batch && result == VK_SUCCESS,
       "a detached call sees the commands before it (stream order)");
    const uint32_t w4 = wait_sem(&s, SEM_C, 8, 0, VKW_COMMAND_FLAG_REPLY | VKW_COMMAND_FLAG_DETACH);
    ok(run(&s) == VKW_RENDERER_OK && collect_done(&s, w4, &result) && result == VK_TIMEOUT,
       "and not one after it: timeout 0 on a value not reached is VK_TIMEOUT");
    close_side(&s);
    is_str(vkw_fake_problem(), "", "the fake driver saw nothing wrong");
    ok(vkw_fake_live_objects() == 0, "nothing left alive");
}

static void encode_pipelines(struct side *s, uint64_t first_id, uint32_t flags)
{
    VkComputePipelineCreateInfo infos[2];
    for (int i = 0; i < 2; i++)
        infos[i] = (VkComputePipelineCreateInfo){
            .sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO,
            .stage = {.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
                      .stage = VK_SHADER_STAGE_COMPUTE_BIT,
                      .module = VKW_U64_HANDLE(VkShaderModule, MODULE_ID),
                      .pName = "main"},
            .layout = VKW_U64_HANDLE(VkPipelineLayout, LAYOUT_ID),
            .basePipelineIndex = -1};
    VkPipeline pipes[2] = {VKW_U64_HANDLE(VkPipeline, first_id),
                           VKW_U64_HANDLE(VkPipeline, first_id + 1)};
    const size_t at = s->g.w.size;
    vkw_encode_vkCreateComputePipelines(&s->g.w, ++s->g.serial, TG_DEVICE(&s->g),
                                        VK_NULL_HANDLE, 2, infos, NULL, pipes);
    set_flags(s, at, flags);
}

static void test_creation(void)
{
    struct side s;
    ok(open_side(&s, 0), "bring-up");
    encode_pipelines(&s, PIPE_0, VKW_COMMAND_FLAG_REPLY | VKW_COMMAND_FLAG_DETACH);
    const uint32_t create = s.g.serial;
    ok(run(&s) == VKW_RENDERER_OK && s.reply_size == 0 && await_count(&t.compiles, 1),
       "a detached pipeline compile blocks on a host thread; the batch answers nothing");
    signal_sem(&s, SEM_A, 1, true);
    ok(run(&s) == VKW_RENDERER_OK && tg_count_ok(s.reply, s.reply_size, true, NULL) == 1,
       "the connection goes on during the compile");

    /* Destroying a pipeline of the blocked creation waits for it, then
     * destroys what the driver made. */
    struct later l;
    start_later(&l, 0); /* the gate opens in 100 ms */
    vkw_encode_vkDestroyPipeline(&s.g.w, ++s.g.serial, TG_DEVICE(&s.g),
                                 VKW_U64_HANDLE(VkPipeline, PIPE_0), NULL);
    const enum vkw_renderer_status destroyed = run(&s);
    pthread_join(l.thread, NULL);
    ok(destroyed == VKW_RENDERER_OK && !t.destroyed_while_compiling && !t.destroyed_unknown &&
           t.pipelines_alive == 1,
       "destroying a pipeline the blocked call makes waits for it, then destroys its handle");
    VkResult result = VK_ERROR_UNKNOWN;
    ok(collect_done(&s, create, &result) && result == VK_SUCCESS,
       "the creation is collected afterwards, VK_SUCCESS");
    close_side(&s);
    ok(t.pipelines_alive == 0 && !t.destroyed_unknown,
       "teardown destroys the other pipeline, bound by the finished call");
    is_str(vkw_fake_problem(), "", "the fake driver saw nothing wrong");

    /* Its ids are held while it runs: a new object may not take one. */
    ok(open_side(&s, 0), "bring-up");
    encode_pipelines(&s, PIPE_0, VKW_COMMAND_FLAG_REPLY | VKW_COMMAND_FLAG_DETACH);
    ok(run(&s) == VKW_RENDERER_OK && await_count(&t.compiles, 1), "a compile blocks");
    tg_create_buffer(&s.g, PIPE_1, 64);
    ok(died(&s, run(&s), VKW_ERROR_ID_IN_USE, PIPE_1),
       "an id the blocked creation holds, used again: id_in_use");
    pthread_mutex_lock(&t.lock);
    t.gate_open = true;
    pthread_cond_broadcast(&t.changed);
    pthread_mutex_unlock(&t.lock);
    close_side(&s);
    ok(t.pipelines_alive == 0 && vkw_fake_live_objects() == 0,
       "teardown finishes the compile and destroys what it made");
}

static void test_destroy_waits(void)
{
    struct side s;
    ok(open_side(&s, 0), "bring-up");
    const uint32_t w = wait_sem(&s, SEM_A, 3, UINT64_MAX,
                                VKW_COMMAND_FLAG_REPLY | VKW_COMMAND_FLAG_DETACH);
    ok(run(&s) == VKW_RENDERER_OK && await_count(&t.waits, 1), "a wait on A blocks");
    /* An unrelated semaphore goes at once. */
    vkw_encode_vkDestroySemaphore(&s.g.w, ++s.g.serial, TG_DEVICE(&s.g),
                                  VKW_U64_HANDLE(VkSemaphore, SEM_B), NULL);
    ok(run(&s) == VKW_RENDERER_OK && t.waits == 1, "destroying another semaphore does not wait");
    /* A: the device signals it in 100 ms; the destroy waits until then. */
    struct later l;
    start_later(&l, 3);
    vkw_encode_vkDestroySemaphore(&s.g.w, ++s.g.serial, TG_DEVICE(&s.g),
                                  VKW_U64_HANDLE(VkSemaphore, SEM_A), NULL);
    const enum vkw_renderer_status st = run(&s);
    pthread_join(l.thread, NULL);
    ok(st == VKW_RENDERER_OK && !t.destroyed_under_a_wait,
       "destroying the semaphore a blocked wait names waits for the wait");
    VkResult result = VK_ERROR_UNKNOWN;
    ok(collect_done(&s, w, &result) && result == VK_SUCCESS, "the wait is collected, VK_SUCCESS");
    close_side(&s);
    is_str(vkw_fake_problem(), "", "the fake driver saw nothing wrong");
}

static void test_kept_failure(void)
{
    struct side s;
    ok(open_side(&s, 0), "bring-up");
    vkw_fake_fail_creation(VK_OBJECT_TYPE_BUFFER, VK_ERROR_OUT_OF_DEVICE_MEMORY);
    VkBufferCreateInfo ci = {.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
                             .size = 64,
                             .usage = VK_BUFFER_USAGE_TRANSFER_SRC_BIT};
    VkBuffer buffer = VKW_U64_HANDLE(VkBuffer, 700);
    vkw_encode_vkCreateBuffer(&s.g.w, ++s.g.serial, TG_DEVICE(&s.g), &ci, NULL, &buffer);
    /* A wait nothing will release: the kept failure answers it instead. */
    const uint32_t w = wait_sem(&s, SEM_A, 9, UINT64_MAX,
                                VKW_COMMAND_FLAG_REPLY | VKW_COMMAND_FLAG_DETACH);
    const uint32_t c = collect(&s, w, 0, VKW_COMMAND_FLAG_REPLY, 2);
    uint32_t state = 99;
    VkResult result = VK_ERROR_UNKNOWN;
    ok(run(&s) == VKW_RENDERER_OK && collected(&s, c, &state, &result) &&
           state == VKW_COLLECT_DONE && result == VK_ERROR_OUT_OF_DEVICE_MEMORY && t.waits == 0,
       "a kept failure answers a detached wait at once, without the driver");
    vkw_fake_fail_creation(VK_OBJECT_TYPE_BUFFER, VK_SUCCESS);
    close_side(&s);
}

static void test_limit_and_teardown(void)
{
    struct side s;
    ok(open_side(&s, 2), "bring-up, at most 2 blocking calls");
    wait_sem(&s, SEM_A, 1, UINT64_MAX, VKW_COMMAND_FLAG_REPLY | VKW_COMMAND_FLAG_DETACH);
    wait_sem(&s, SEM_B, 1, UINT64_MAX, VKW_COMMAND_FLAG_REPLY | VKW_COMMAND_FLAG_DETACH);
    ok(run(&s) == VKW_RENDERER_OK && await_count(&t.waits, 2), "two waits block, each on a thread");
    wait_sem(&s, SEM_C, 1, UINT64_MAX, VKW_COMMAND_FLAG_REPLY | VKW_COMMAND_FLAG_DETACH);
    ok(died(&s, run(&s), VKW_ERROR_LIMIT, VKW_LIMIT_BLOCKING), "a third: limit blocking");
    char want[80];
    snprintf(want, sizeof want, "limit blocking (2) in vkWaitSemaphores (serial %u)", s.g.serial);
    is_str(vkw_renderer_context_error(s.ctx), want, "the reason names the limit and its value");
    /* Teardown ends waits that nothing will release (at their next slice). */
    const uint64_t start = now_ns();
    close_side(&s);
    const uint64_t took = now_ns() - start;
    ok(took < 3000000000ull && t.waits == 0, "teardown ends the blocked waits (%llu ms)",
       (unsigned long long)(took / 1000000));
    ok(vkw_fake_live_objects() == 0, "nothing left alive");
    is_str(vkw_fake_problem(), "", "the fake driver saw nothing wrong");
}

/* A context that dies with `status` at the batch `encode` makes, naming
 * the value `encode` returns. */
static void refused(uint64_t (*encode)(struct side *s), uint32_t status, const char *what)
{
    struct side s;
    if (!open_side(&s, 0)) {
        ok(false, "%s: bring-up", what);
        return;
    }
    const uint64_t value = encode(&s);
    ok(died(&s, run(&s), status, value), "%s", what);
    pthread_mutex_lock(&t.lock);
    memset(t.timelines, 0, sizeof t.timelines);
    pthread_mutex_unlock(&t.lock);
    close_side(&s);
}

static uint64_t detach_without_reply(struct side *s)
{
    wait_sem(s, SEM_A, 0, 0, VKW_COMMAND_FLAG_DETACH);
    return VKW_COMMAND_FLAG_DETACH; /* the flags */
}
static uint64_t detach_a_buffer(struct side *s)
{
    const size_t at = s->g.w.size;
    tg_create_buffer(&s->g, 700, 64);
    set_flags(s, at, VKW_COMMAND_FLAG_REPLY | VKW_COMMAND_FLAG_DETACH);
    return VKW_COMMAND_FLAG_REPLY | VKW_COMMAND_FLAG_DETACH;
}
static uint64_t detach_collect(struct side *s)
{
    collect(s, 1, 0, VKW_COMMAND_FLAG_REPLY | VKW_COMMAND_FLAG_DETACH, 2);
    return VKW_COMMAND_FLAG_REPLY | VKW_COMMAND_FLAG_DETACH;
}
static uint64_t serial_twice(struct side *s)
{
    const uint32_t w = wait_sem(s, SEM_A, 1, UINT64_MAX,
                                VKW_COMMAND_FLAG_REPLY | VKW_COMMAND_FLAG_DETACH);
    s->g.serial--; /* the same serial again */
    wait_sem(s, SEM_B, 1, UINT64_MAX, VKW_COMMAND_FLAG_REPLY | VKW_COMMAND_FLAG_DETACH);
    return w;
}
static uint64_t collect_unknown(struct side *s)
{
    collect(s, 4242, 0, VKW_COMMAND_FLAG_REPLY, 2);
    return 4242;
}
static uint64_t collect_without_reply(struct side *s)
{
    const uint32_t w = wait_sem(s, SEM_A, 0, 0, VKW_COMMAND_FLAG_REPLY | VKW_COMMAND_FLAG_DETACH);
    collect(s, w, 0, 0, 2);
    return 0;
}
static uint64_t collect_trailing(struct side *s)
{
    const uint32_t w = wait_sem(s, SEM_A, 0, 0, VKW_COMMAND_FLAG_REPLY | VKW_COMMAND_FLAG_DETACH);
    collect(s, w, 0, VKW_COMMAND_FLAG_REPLY, 3);
    return 4; /* bytes left over */
}
/* A call collected DONE has no serial any more: collecting it again is
 * BAD_HANDLE.  (Its own batches: a wait with nothing to wait for still
 * ends on its thread, which a loaded machine may not run within one
 * COLLECT's longest wait.) */
static void test_collect_twice(void)
{
    struct side s;
    if (!open_side(&s, 0)) {
        ok(false, "COLLECT of a call already collected: bring-up");
        return;
    }
    const uint32_t w = wait_sem(&s, SEM_A, 0, 0, VKW_COMMAND_FLAG_REPLY | VKW_COMMAND_FLAG_DETACH);
    uint32_t state = VKW_COLLECT_RUNNING;
    VkResult result = VK_ERROR_UNKNOWN;
    for (int tries = 0; tries < 20000 && state == VKW_COLLECT_RUNNING; tries++) {
        const uint32_t c = collect(&s, w, VKW_COLLECT_MAX_WAIT_US, VKW_COMMAND_FLAG_REPLY, 2);
        if (run(&s) != VKW_RENDERER_OK || !collected(&s, c, &state, &result))
            break;
    }
    collect(&s, w, 0, VKW_COMMAND_FLAG_REPLY, 2);
    ok(state == VKW_COLLECT_DONE && died(&s, run(&s), VKW_ERROR_BAD_HANDLE, w),
       "COLLECT of a call already collected");
    close_side(&s);
}

static void test_checks(void)
{
    refused(detach_without_reply, VKW_ERROR_BAD_FLAGS, "DETACH without REPLY: bad_flags");
    refused(detach_a_buffer, VKW_ERROR_BAD_FLAGS,
            "DETACH on a command that cannot block (vkCreateBuffer): bad_flags");
    refused(detach_collect, VKW_ERROR_BAD_FLAGS, "DETACH on a private message: bad_flags");
    refused(serial_twice, VKW_ERROR_ID_IN_USE,
            "a serial a detached call holds, sent again: id_in_use (the serial)");
    refused(collect_unknown, VKW_ERROR_BAD_HANDLE,
            "COLLECT of a serial no call holds: bad_handle (the serial)");
    refused(collect_without_reply, VKW_ERROR_BAD_FLAGS, "COLLECT without REPLY: bad_flags 0");
    refused(collect_trailing, VKW_ERROR_TRAILING_BYTES, "COLLECT with a word too many");
    test_collect_twice();
}

/* HELLO never carries DETACH. */
static void test_hello(void)
{
    struct side s;
    memset(&s, 0, sizeof s);
    struct vkw_renderer_options o = VKW_RENDERER_OPTIONS_INIT;
    o.get_instance_proc_addr = t_gipa;
    vkw_renderer_create(&o, &s.renderer);
    s.ctx = vkw_renderer_context_create(s.renderer);
    tg_init(&s.g);
    tg_hello(&s.g, VKW_PROTOCOL_MAJOR);
    set_flags(&s, 0, VKW_COMMAND_FLAG_REPLY | VKW_COMMAND_FLAG_DETACH);
    ok(died(&s, run(&s), VKW_ERROR_BAD_FLAGS, VKW_COMMAND_FLAG_REPLY | VKW_COMMAND_FLAG_DETACH),
       "a HELLO with DETACH: bad_flags");
    close_side(&s);
}

int main(void)
{
    signal(SIGALRM, on_hang);
    fake_gdpa = (PFN_vkGetDeviceProcAddr)vkw_fake_get_instance_proc_addr(NULL,
                                                                         "vkGetDeviceProcAddr");
    fake_destroy_semaphore =
        (PFN_vkDestroySemaphore)vkw_fake_get_instance_proc_addr(NULL, "vkDestroySemaphore");
    test_connection_goes_on();
    test_creation();
    test_destroy_waits();
    test_kept_failure();
    test_limit_and_teardown();
    test_checks();
    test_hello();
    return done_testing();
}
