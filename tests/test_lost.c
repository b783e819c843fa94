/* test_lost — what an application sees when its connection is lost
 * (doc/PROTOCOL.md 26), through the Vulkan loader and the vkwire ICD, on a
 * private vkwire-server running lavapipe.
 *
 * Two ways to lose it: the host ends the context for a protocol error (the
 * application destroys a buffer that does not exist), and the client's
 * worker process dies (SIGKILL).  Either way, threads blocked in every
 * kind of wait must all return VK_ERROR_DEVICE_LOST: vkWaitForFences
 * (without and with a timeout), vkWaitSemaphores, vkQueueWaitIdle,
 * vkDeviceWaitIdle, vkGetQueryPoolResults with WAIT, loops polling
 * vkGetFenceStatus and vkGetSemaphoreCounterValue (which the sync page
 * answers without the host), and, when the worker dies, a thread inside a
 * round trip.  Every later call then says the device is lost, void ones do
 * nothing, vkGetDeviceQueue still gives a queue, vkAllocateCommandBuffers
 * leaves no freed object in the application's hands, the proc-address
 * queries still answer, everything can be destroyed (no leak or use after
 * free under ASan), and a new instance works.
 *
 * Also: two instances alive at once (each a connection of its own) never
 * share a handle value, so destroying one's command pool leaves the
 * other's command buffers alone.
 *
 * Hangs are the failure this guards against: alarm() ends a run that
 * hangs; nothing here asserts a duration. */
#define _GNU_SOURCE /* setenv, mkdtemp; before any include */

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <vulkan/vulkan.h>

#include "host_test_guest.h"
#include "proc_util.h"
#include "tap.h"

#define HANG_GUARD_S 240 /* the whole program; a hang is the bug */
#define DEVICES 3        /* 0: fences, semaphores, pollers, device idle; 1: queue idle; 2: queries */

static char tmp_dir[256], socket_path[400], log_path[400], server_bin[1024], lavapipe[4096];
static char driver_lib[4096]; /* preloaded into the server in sanitizer builds */
static pid_t server_pid;

static void sleep_ms(int ms)
{
    struct timespec t = {ms / 1000, (long)(ms % 1000) * 1000000};
    nanosleep(&t, NULL);
}

/* ---- the server ---- */

static bool start_server(void)
{
    server_pid = fork();
    if (server_pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive the test */
        setenv("VK_DRIVER_FILES", lavapipe, 1);
        setenv("VK_ICD_FILENAMES", lavapipe, 1);
        if (driver_lib[0]) { /* as tests/test_server.c does, and why */
            setenv("LD_PRELOAD", driver_lib, 1);
            setenv("ASAN_OPTIONS", "verify_asan_link_order=0", 1);
        }
        int fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        if (fd >= 0) {
            dup2(fd, STDOUT_FILENO);
            dup2(fd, STDERR_FILENO);
        }
        char listen[512];
        snprintf(listen, sizeof(listen), "--listen=unix:%s", socket_path);
        /* The contexts left with queue work that waits forever: their
         * teardown cannot finish, so their workers are ended soon. */
        execl(server_bin, server_bin, listen, "--cleanup-timeout=1", (char *)NULL);
        _exit(127);
    }
    /* The socket file exists a moment before the server listens on it:
     * its log line says when it does. */
    for (int i = 0; i < 200; i++) {
        char *log = slurp(log_path);
        const bool listening = log && strstr(log, "listening on");
        free(log);
        if (listening)
            return true;
        sleep_ms(50);
    }
    return false;
}

/* The worker of the client that connected last (the server logs "client N
 * (pid P) connected; worker pid W"), or -1. */
static pid_t last_worker(void)
{
    pid_t pid = -1;
    for (int tries = 0; tries < 100 && pid < 0; tries++) {
        char *log = slurp(log_path);
        for (const char *p = log; p && (p = strstr(p, "worker pid ")) != NULL; p++)
            pid = (pid_t)atoi(p + strlen("worker pid "));
        free(log);
        if (pid < 0)
            sleep_ms(20);
    }
    return pid;
}

/* ---- the application's objects ---- */

struct dev {
    VkDevice device;
    VkQueue queue;
    VkCommandPool pool;
    VkCommandBuffer cb;  /* device 1: resets and writes `queries` behind the gate */
    VkSemaphore gate;    /* timeline, never signalled: the work behind it never runs */
    VkSemaphore timeline; /* reaches 5 when that work runs */
    VkFence fence;       /* signalled when that work runs */
    VkQueryPool queries;
    VkEvent event;
};

struct app {
    VkInstance instance;
    VkPhysicalDevice physical;
    struct dev d[DEVICES];
};

static bool make_instance(VkInstance *instance, VkPhysicalDevice *physical)
{
    const VkApplicationInfo app = {.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
                                   .pApplicationName = "vkwire-test-lost",
                                   .apiVersion = VK_API_VERSION_1_3};
    const VkInstanceCreateInfo ici = {.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
                                      .pApplicationInfo = &app};
    uint32_t n = 1;
    return vkCreateInstance(&ici, NULL, instance) == VK_SUCCESS &&
           vkEnumeratePhysicalDevices(*instance, &n, physical) >= 0 && n == 1;
}

/* make_device's choices. */
#define GATED 0x1u          /* work behind the gate is submitted */
#define WRITES_QUERIES 0x2u /* that work resets and writes `queries` */
#define NO_QUEUE 0x4u       /* the queue is not asked for */
#define COMMAND_BUFFER 0x8u /* a command buffer is allocated, not recorded */

static bool make_device(VkPhysicalDevice physical, struct dev *d, unsigned how)
{
    const bool gated = how & GATED, writes_queries = how & WRITES_QUERIES;
    memset(d, 0, sizeof(*d));
    const float priority = 1.0f;
    const VkDeviceQueueCreateInfo qci = {.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
                                         .queueCount = 1,
                                         .pQueuePriorities = &priority};
    VkPhysicalDeviceVulkan12Features f12 = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES,
        .timelineSemaphore = VK_TRUE,
        .hostQueryReset = VK_TRUE};
    const VkDeviceCreateInfo dci = {.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
                                    .pNext = &f12,
                                    .queueCreateInfoCount = 1,
                                    .pQueueCreateInfos = &qci};
    if (vkCreateDevice(physical, &dci, NULL, &d->device) != VK_SUCCESS)
        return false;
    const VkSemaphoreTypeCreateInfo timeline = {
        .sType = VK_STRUCTURE_TYPE_SEMAPHORE_TYPE_CREATE_INFO,
        .semaphoreType = VK_SEMAPHORE_TYPE_TIMELINE};
    const VkSemaphoreCreateInfo sci = {.sType = VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO,
                                       .pNext = &timeline};
    const VkFenceCreateInfo fci = {.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    const VkQueryPoolCreateInfo qpci = {.sType = VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO,
                                        .queryType = VK_QUERY_TYPE_TIMESTAMP,
                                        .queryCount = 1};
    const VkEventCreateInfo eci = {.sType = VK_STRUCTURE_TYPE_EVENT_CREATE_INFO};
    const VkCommandPoolCreateInfo pci = {.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
    if (!(how & NO_QUEUE))
        vkGetDeviceQueue(d->device, 0, 0, &d->queue);
    if ((!d->queue && !(how & NO_QUEUE)) || vkCreateSemaphore(d->device, &sci, NULL, &d->gate) != VK_SUCCESS ||
        vkCreateSemaphore(d->device, &sci, NULL, &d->timeline) != VK_SUCCESS ||
        vkCreateFence(d->device, &fci, NULL, &d->fence) != VK_SUCCESS ||
        vkCreateQueryPool(d->device, &qpci, NULL, &d->queries) != VK_SUCCESS ||
        vkCreateEvent(d->device, &eci, NULL, &d->event) != VK_SUCCESS ||
        vkCreateCommandPool(d->device, &pci, NULL, &d->pool) != VK_SUCCESS)
        return false;
    vkResetQueryPool(d->device, d->queries, 0, 1); /* never written unless `writes_queries` */
    const VkCommandBufferAllocateInfo ai = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
                                            .commandPool = d->pool,
                                            .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
                                            .commandBufferCount = 1};
    if ((writes_queries || (how & COMMAND_BUFFER)) &&
        vkAllocateCommandBuffers(d->device, &ai, &d->cb) != VK_SUCCESS)
        return false;
    if (writes_queries) {
        const VkCommandBufferBeginInfo bi = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
        if (vkBeginCommandBuffer(d->cb, &bi) != VK_SUCCESS)
            return false;
        vkCmdResetQueryPool(d->cb, d->queries, 0, 1);
        vkCmdWriteTimestamp(d->cb, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, d->queries, 0);
        if (vkEndCommandBuffer(d->cb) != VK_SUCCESS)
            return false;
    }
    if (!gated)
        return true;
    /* Work that waits for the gate (value 1, never signalled), then
     * signals the fence and the timeline's 5. */
    const uint64_t wait_value = 1, signal_value = 5;
    const VkPipelineStageFlags stage = VK_PIPELINE_STAGE_ALL_COMMANDS_BIT;
    const VkTimelineSemaphoreSubmitInfo tsi = {
        .sType = VK_STRUCTURE_TYPE_TIMELINE_SEMAPHORE_SUBMIT_INFO,
        .waitSemaphoreValueCount = 1,
        .pWaitSemaphoreValues = &wait_value,
        .signalSemaphoreValueCount = 1,
        .pSignalSemaphoreValues = &signal_value};
    const VkSubmitInfo si = {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
                             .pNext = &tsi,
                             .waitSemaphoreCount = 1,
                             .pWaitSemaphores = &d->gate,
                             .pWaitDstStageMask = &stage,
                             .commandBufferCount = writes_queries ? 1 : 0,
                             .pCommandBuffers = &d->cb,
                             .signalSemaphoreCount = 1,
                             .pSignalSemaphores = &d->timeline};
    return vkQueueSubmit(d->queue, 1, &si, d->fence) == VK_SUCCESS;
}

static void destroy_device(struct dev *d)
{
    if (!d->device)
        return;
    vkDestroyEvent(d->device, d->event, NULL);
    vkDestroyQueryPool(d->device, d->queries, NULL);
    vkDestroyFence(d->device, d->fence, NULL);
    vkDestroySemaphore(d->device, d->timeline, NULL);
    vkDestroySemaphore(d->device, d->gate, NULL);
    if (d->cb)
        vkFreeCommandBuffers(d->device, d->pool, 1, &d->cb);
    vkDestroyCommandPool(d->device, d->pool, NULL);
    vkDestroyDevice(d->device, NULL);
    memset(d, 0, sizeof(*d));
}

static bool bring_up(struct app *a, bool writes_queries)
{
    memset(a, 0, sizeof(*a));
    return make_instance(&a->instance, &a->physical) &&
           make_device(a->physical, &a->d[0], GATED) &&
           make_device(a->physical, &a->d[1], GATED | (writes_queries ? WRITES_QUERIES : 0)) &&
           make_device(a->physical, &a->d[2], NO_QUEUE);
}

static void tear_down(struct app *a)
{
    for (int i = 0; i < DEVICES; i++)
        destroy_device(&a->d[i]);
    vkDestroyInstance(a->instance, NULL);
    a->instance = VK_NULL_HANDLE;
}

/* ---- the waiting threads ---- */

enum wait_kind {
    W_FENCE,          /* vkWaitForFences, no timeout */
    W_FENCE_TIMEOUT,  /* vkWaitForFences, 100 s */
    W_SEMAPHORE,      /* vkWaitSemaphores, no timeout */
    W_QUEUE_IDLE,     /* vkQueueWaitIdle (device 1) */
    W_DEVICE_IDLE,    /* vkDeviceWaitIdle (device 0) */
    W_QUERY_WAIT,     /* vkGetQueryPoolResults with WAIT (device 2: never written) */
    W_POLL_FENCE,     /* vkGetFenceStatus until it is not VK_NOT_READY */
    W_POLL_COUNTER,   /* vkGetSemaphoreCounterValue until an error or 5 */
    W_ROUND_TRIP,     /* vkGetQueryPoolResults without WAIT (device 1: written behind the gate) */
    W_KINDS
};

static const char *const wait_names[W_KINDS] = {
    "vkWaitForFences (UINT64_MAX)", "vkWaitForFences (100 s)", "vkWaitSemaphores",
    "vkQueueWaitIdle", "vkDeviceWaitIdle", "vkGetQueryPoolResults with WAIT",
    "vkGetFenceStatus polled", "vkGetSemaphoreCounterValue polled",
    "vkGetQueryPoolResults polled (a round trip the host may hold)"};

struct waiter {
    pthread_t thread;
    enum wait_kind kind;
    struct app *app;
    VkResult result;
    atomic_bool done;
};

static void *wait_main(void *arg)
{
    struct waiter *w = arg;
    struct dev *d0 = &w->app->d[0], *d1 = &w->app->d[1], *d2 = &w->app->d[2];
    const uint64_t five = 5;
    const VkSemaphoreWaitInfo swi = {.sType = VK_STRUCTURE_TYPE_SEMAPHORE_WAIT_INFO,
                                     .semaphoreCount = 1,
                                     .pSemaphores = &d0->timeline,
                                     .pValues = &five};
    uint64_t data[2] = {0};
    VkResult r = VK_SUCCESS;
    switch (w->kind) {
    case W_FENCE:
        r = vkWaitForFences(d0->device, 1, &d0->fence, VK_TRUE, UINT64_MAX);
        break;
    case W_FENCE_TIMEOUT:
        r = vkWaitForFences(d0->device, 1, &d0->fence, VK_TRUE, 100000000000ull);
        break;
    case W_SEMAPHORE:
        r = vkWaitSemaphores(d0->device, &swi, UINT64_MAX);
        break;
    case W_QUEUE_IDLE:
        r = vkQueueWaitIdle(d1->queue);
        break;
    case W_DEVICE_IDLE:
        r = vkDeviceWaitIdle(d0->device);
        break;
    case W_QUERY_WAIT:
        r = vkGetQueryPoolResults(d2->device, d2->queries, 0, 1, sizeof(data), data, 8,
                                  VK_QUERY_RESULT_64_BIT | VK_QUERY_RESULT_WAIT_BIT);
        break;
    case W_POLL_FENCE:
        while ((r = vkGetFenceStatus(d0->device, d0->fence)) == VK_NOT_READY)
            sleep_ms(1);
        break;
    case W_POLL_COUNTER:
        for (uint64_t v = 0; (r = vkGetSemaphoreCounterValue(d0->device, d0->timeline, &v)) ==
                                 VK_SUCCESS && v < 5;)
            sleep_ms(1);
        break;
    case W_ROUND_TRIP:
        while ((r = vkGetQueryPoolResults(d1->device, d1->queries, 0, 1, sizeof(data), data, 8,
                                          VK_QUERY_RESULT_64_BIT)) == VK_NOT_READY)
            sleep_ms(1);
        break;
    case W_KINDS:
        break;
    }
    w->result = r;
    atomic_store(&w->done, true);
    return NULL;
}

/* ---- checks ---- */

/* A loss just happened to `a` (its threads in `w`, `n` of them): every
 * thread returns VK_ERROR_DEVICE_LOST, every later call says the same or
 * does nothing, the queries still answer, and everything is destroyed. */
static void after_loss(const char *how, struct app *a, struct waiter *w, int n)
{
    for (int i = 0; i < n; i++) {
        pthread_join(w[i].thread, NULL);
        is_int(w[i].result, VK_ERROR_DEVICE_LOST, "%s: a thread in %s returns VK_ERROR_DEVICE_LOST",
               how, wait_names[w[i].kind]);
    }
    struct dev *d0 = &a->d[0], *d2 = &a->d[2];
    uint64_t value = 0;
    is_int(vkGetFenceStatus(d0->device, d0->fence), VK_ERROR_DEVICE_LOST,
           "%s: then vkGetFenceStatus: lost", how);
    is_int(vkWaitForFences(d0->device, 1, &d0->fence, VK_TRUE, 0), VK_ERROR_DEVICE_LOST,
           "%s: then vkWaitForFences (timeout 0): lost", how);
    is_int(vkGetSemaphoreCounterValue(d0->device, d0->timeline, &value), VK_ERROR_DEVICE_LOST,
           "%s: then vkGetSemaphoreCounterValue: lost", how);
    is_int(vkGetEventStatus(d0->device, d0->event), VK_ERROR_DEVICE_LOST,
           "%s: then vkGetEventStatus: lost", how);
    is_int(vkQueueSubmit(d0->queue, 0, NULL, VK_NULL_HANDLE), VK_ERROR_DEVICE_LOST,
           "%s: then vkQueueSubmit: lost", how);
    is_int(vkDeviceWaitIdle(d0->device), VK_ERROR_DEVICE_LOST, "%s: then vkDeviceWaitIdle: lost",
           how);
    const VkBufferCreateInfo bci = {.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
                                    .size = 256,
                                    .usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT};
    VkBuffer buffer = VK_NULL_HANDLE;
    is_int(vkCreateBuffer(d0->device, &bci, NULL, &buffer), VK_ERROR_DEVICE_LOST,
           "%s: then vkCreateBuffer: lost", how);
    /* Vulkan: a failed allocation leaves every element NULL. */
    VkCommandBuffer cbs[2] = {VK_NULL_HANDLE, VK_NULL_HANDLE};
    const VkCommandBufferAllocateInfo ai = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
                                            .commandPool = d0->pool,
                                            .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
                                            .commandBufferCount = 2};
    VkResult r = vkAllocateCommandBuffers(d0->device, &ai, cbs);
    ok(r == VK_ERROR_DEVICE_LOST && !cbs[0] && !cbs[1],
       "%s: then vkAllocateCommandBuffers: lost, no command buffer handed out (%d, %p %p)", how,
       r, (void *)cbs[0], (void *)cbs[1]);
    /* A queue never asked for before: Vulkan gives vkGetDeviceQueue no
     * error, so the application gets one, and it says lost. */
    VkQueue queue = VK_NULL_HANDLE;
    vkGetDeviceQueue(d2->device, 0, 0, &queue);
    ok(queue != VK_NULL_HANDLE && vkQueueWaitIdle(queue) == VK_ERROR_DEVICE_LOST,
       "%s: then vkGetDeviceQueue gives a queue, and vkQueueWaitIdle on it: lost", how);
    /* void commands: nothing to do */
    vkDestroyBuffer(d0->device, buffer, NULL);
    vkResetQueryPool(d2->device, d2->queries, 0, 1);
    ok(vkGetDeviceProcAddr(d0->device, "vkDestroyDevice") != NULL &&
           vkGetDeviceProcAddr(d0->device, "vkCreatePrivateDataSlot") != NULL &&
           vkGetInstanceProcAddr(a->instance, "vkCreateDevice") != NULL,
       "%s: vkGetDeviceProcAddr and vkGetInstanceProcAddr still answer", how);
    tear_down(a);
    ok(1, "%s: every object, device and the instance destroyed", how);
}

/* A new instance on a fresh connection: work submitted and waited for. */
static void fresh_instance(const char *how)
{
    VkInstance instance = VK_NULL_HANDLE;
    VkPhysicalDevice physical = VK_NULL_HANDLE;
    struct dev d = {0};
    bool made = make_instance(&instance, &physical) && make_device(physical, &d, 0);
    ok(made && vkQueueSubmit(d.queue, 0, NULL, d.fence) == VK_SUCCESS &&
           vkWaitForFences(d.device, 1, &d.fence, VK_TRUE, UINT64_MAX) == VK_SUCCESS &&
           vkQueueWaitIdle(d.queue) == VK_SUCCESS,
       "%s: a new instance works (submit, wait)", how);
    destroy_device(&d);
    vkDestroyInstance(instance, NULL);
}

static void start_waiters(struct app *a, struct waiter *w, int n)
{
    for (int i = 0; i < n; i++) {
        w[i].app = a;
        atomic_init(&w[i].done, false);
        pthread_create(&w[i].thread, NULL, wait_main, &w[i]);
    }
    sleep_ms(300); /* let each one get to its wait */
    int returned = 0;
    for (int i = 0; i < n; i++)
        if (atomic_load(&w[i].done)) {
            diag("%s returned %d before the loss", wait_names[w[i].kind], w[i].result);
            returned++;
        }
    ok(returned == 0, "%d threads are waiting", n);
}

/* The host ends the context: the application names a buffer that does not
 * exist (BAD_HANDLE), and a round trip brings the error back. */
static void lost_by_protocol_error(void)
{
    const char *how = "protocol error";
    struct app a;
    if (!ok(bring_up(&a, false), "%s: instance, 3 devices, work behind a gate", how))
        return;
    struct dev *d0 = &a.d[0];
    /* A wait that should time out does, before anything is lost. */
    is_int(vkWaitForFences(d0->device, 1, &d0->fence, VK_TRUE, 20000000ull), VK_TIMEOUT,
           "%s: before: a 20 ms wait times out", how);
    uint64_t value = 1;
    ok(vkGetSemaphoreCounterValue(d0->device, d0->timeline, &value) == VK_SUCCESS && value == 0,
       "%s: before: the timeline reads 0", how);
    struct waiter w[] = {{.kind = W_FENCE},        {.kind = W_FENCE_TIMEOUT},
                         {.kind = W_SEMAPHORE},    {.kind = W_QUEUE_IDLE},
                         {.kind = W_DEVICE_IDLE},  {.kind = W_QUERY_WAIT},
                         {.kind = W_POLL_FENCE},   {.kind = W_POLL_COUNTER}};
    const int n = (int)(sizeof(w) / sizeof(w[0]));
    start_waiters(&a, w, n);
    vkDestroyBuffer(d0->device, (VkBuffer)(uintptr_t)0xdead0001ull, NULL);
    is_int(vkGetEventStatus(d0->device, d0->event), VK_ERROR_DEVICE_LOST,
           "%s: the round trip after it: lost", how);
    after_loss(how, &a, w, n);
    fresh_instance(how);
}

/* The client's worker dies: nothing more comes from the host, and nothing
 * on the sync page moves. */
static void lost_by_worker_death(void)
{
    const char *how = "worker killed";
    struct app a;
    if (!ok(bring_up(&a, true), "%s: instance, 3 devices, work behind a gate", how))
        return;
    const pid_t worker = last_worker();
    if (!ok(worker > 0, "%s: the server names the client's worker (%d)", how, (int)worker))
        return;
    struct waiter w[] = {{.kind = W_FENCE},       {.kind = W_FENCE_TIMEOUT},
                         {.kind = W_SEMAPHORE},   {.kind = W_QUEUE_IDLE},
                         {.kind = W_DEVICE_IDLE}, {.kind = W_QUERY_WAIT},
                         {.kind = W_POLL_FENCE},  {.kind = W_POLL_COUNTER},
                         {.kind = W_ROUND_TRIP}};
    const int n = (int)(sizeof(w) / sizeof(w[0]));
    start_waiters(&a, w, n);
    ok(kill(worker, SIGKILL) == 0, "%s: SIGKILL sent to worker %d", how, (int)worker);
    after_loss(how, &a, w, n);
    fresh_instance(how);
}

/* Two instances at once (on the process's one connection): no handle value
 * is shared, and one's command pool going does not take the other's
 * command buffers with it. */
static void two_instances(void)
{
    VkInstance inst[2] = {0};
    VkPhysicalDevice physical[2] = {0};
    struct dev d[2] = {{0}};
    bool made = true;
    for (int i = 0; i < 2; i++) {
        made = made && make_instance(&inst[i], &physical[i]) &&
               make_device(physical[i], &d[i], COMMAND_BUFFER);
    }
    if (!ok(made, "two instances, each with a device and a command buffer"))
        return;
    ok(d[0].pool != d[1].pool && d[0].fence != d[1].fence && d[0].queries != d[1].queries,
       "their objects have distinct handle values (pools %#llx and %#llx)",
       (unsigned long long)(uintptr_t)d[0].pool, (unsigned long long)(uintptr_t)d[1].pool);
    VkCommandBuffer second = d[1].cb;
    vkFreeCommandBuffers(d[1].device, d[1].pool, 1, &second);
    d[1].cb = VK_NULL_HANDLE;
    vkDestroyCommandPool(d[1].device, d[1].pool, NULL);
    d[1].pool = VK_NULL_HANDLE;
    const VkCommandBufferBeginInfo bi = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
    ok(vkBeginCommandBuffer(d[0].cb, &bi) == VK_SUCCESS &&
           vkEndCommandBuffer(d[0].cb) == VK_SUCCESS,
       "the first one's command buffer still records after the second's pool went");
    for (int i = 1; i >= 0; i--) {
        destroy_device(&d[i]);
        vkDestroyInstance(inst[i], NULL);
    }
}

static int connections_in_log(void)
{
    char *log = slurp(log_path);
    int n = 0;
    for (const char *p = log; p && (p = strstr(p, " connected; worker pid ")) != NULL; p++)
        n++;
    free(log);
    return n;
}

/* Instances made while another exists share its connection: three at once
 * (the last made after the first went), each with a device, on one new
 * connection (the instances above are gone, so theirs closed). */
static void one_connection(void)
{
    const int before = connections_in_log();
    VkInstance inst[3] = {0};
    VkPhysicalDevice physical[3] = {0};
    struct dev d[3] = {{0}};
    bool made = make_instance(&inst[0], &physical[0]) && make_instance(&inst[1], &physical[1]) &&
                make_device(physical[1], &d[1], 0) && make_device(physical[0], &d[0], 0);
    destroy_device(&d[0]);
    vkDestroyInstance(inst[0], NULL);
    made = made && make_instance(&inst[2], &physical[2]) && make_device(physical[2], &d[2], 0);
    ok(made && vkQueueSubmit(d[2].queue, 0, NULL, d[2].fence) == VK_SUCCESS &&
           vkWaitForFences(d[2].device, 1, &d[2].fence, VK_TRUE, UINT64_MAX) == VK_SUCCESS &&
           vkQueueSubmit(d[1].queue, 0, NULL, d[1].fence) == VK_SUCCESS &&
           vkWaitForFences(d[1].device, 1, &d[1].fence, VK_TRUE, UINT64_MAX) == VK_SUCCESS,
       "one connection: three instances, two at a time, each with a device that works");
    for (int i = 1; i < 3; i++) {
        destroy_device(&d[i]);
        vkDestroyInstance(inst[i], NULL);
    }
    sleep_ms(200); /* (a connection's line comes as the server accepts it) */
    is_int(connections_in_log() - before, 1, "one connection: they shared one connection");
}

int main(void)
{
    alarm(HANG_GUARD_S);
    const char *top = getenv("top_builddir");
    const char *lvp = tg_use_lavapipe();
    if (!top || !lvp) {
        printf("1..0 # SKIP needs top_builddir (make check) and lavapipe\n");
        return 0;
    }
    snprintf(lavapipe, sizeof(lavapipe), "%s", lvp);
    if (TG_ASAN && !manifest_library(lavapipe, driver_lib, sizeof(driver_lib)))
        driver_lib[0] = '\0';
    snprintf(server_bin, sizeof(server_bin), "%s/vkwire-server", top);
    snprintf(tmp_dir, sizeof(tmp_dir), "%s/vkwire-lost.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(tmp_dir)) {
        printf("Bail out! mkdtemp: %s\n", strerror(errno));
        return 1;
    }
    snprintf(socket_path, sizeof(socket_path), "%s/s/socket", tmp_dir);
    snprintf(log_path, sizeof(log_path), "%s/server.log", tmp_dir);
    char icd[1200], address[512];
    snprintf(icd, sizeof(icd), "%s/vkwire_icd.json", top);
    snprintf(address, sizeof(address), "unix:%s", socket_path);
    /* This process sees the vkwire ICD alone; the server, lavapipe. */
    setenv("VK_DRIVER_FILES", icd, 1);
    setenv("VK_ICD_FILENAMES", icd, 1);
    setenv("VKWIRE_SERVER", address, 1);
    unsetenv("VK_INSTANCE_LAYERS");
    if (!start_server()) {
        printf("Bail out! vkwire-server did not start (log: %s)\n", log_path);
        return 1;
    }
    lost_by_protocol_error();
    lost_by_worker_death();
    two_instances();
    one_connection();

    kill(server_pid, SIGTERM);
    int status = 0;
    waitpid(server_pid, &status, 0);
    char *log = slurp(log_path);
    ok(log && !strstr(log, "ERROR: AddressSanitizer") && !strstr(log, "runtime error:"),
       "the server's log has no sanitizer report");
    if (tap_.failed && log)
        diag("server log:\n%s", log);
    free(log);
    unlink(log_path);
    char sdir[420]; /* the server removed its socket */
    snprintf(sdir, sizeof(sdir), "%s/s", tmp_dir);
    rmdir(sdir);
    rmdir(tmp_dir);
    return done_testing();
}
