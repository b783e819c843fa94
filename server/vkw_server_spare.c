/* vkw_server_spare — a worker started before its client comes.
 *
 * Owns: the spare's life before it serves (start the driver while no one
 * waits, sleep until the parent hands over a client or asks it to stop),
 * the handoff message on both sides (vkw_server.h describes it), and the
 * private instance that keeps the driver loaded until the spare ends.
 *
 * Why: a worker's first Vulkan use costs far more than any later one (the
 * loader scans its manifests and loads the driver, which sets itself up
 * once: on lavapipe LLVM, the screen, its caches; about 100 ms for the
 * first instance and as much again for the first device).  A fresh worker
 * per client made every client pay that while it waited; a spare pays it
 * before anyone asks.  The private instance stays alive while the client
 * is served so that the loader does not unload the driver between the
 * two; the device is destroyed at once (it would hold queue threads and
 * memory for nothing).
 *
 * Warming is only an optimisation: whatever fails in it is dropped, and
 * the client then meets the driver exactly as a fresh worker's client
 * would (its own vkCreateInstance gets the driver's own answer).  Nor does
 * it make a client wait for what it would not need: a client handed over
 * while the spare warms (clients that come faster than spares warm) stops
 * the warming at the next step, and is served at once, as a fresh worker
 * would serve it.  A spare started to replace one just taken waits
 * (`warm_delay_ms`) before it warms: the client that took the other is
 * making its instance and device at that moment, and on a machine with few
 * cores a spare warming beside it made that start-up slower than with no
 * spare at all (measured on lavapipe with 2 busy cores: 730 ms against
 * 580 ms; with the wait, 250 ms).
 */
#define _GNU_SOURCE /* MSG_CMSG_CLOEXEC; before any include */

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "vkw_server.h"

/* The driver, started: what the spare keeps until it ends. */
struct warm {
    VkInstance instance;
    PFN_vkDestroyInstance destroy_instance;
};

static long long now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* A device on the first physical device's first queue family, made and
 * destroyed: the driver's one-time device set-up (on lavapipe, its shader
 * compiler's first use) is then done.  Returns the step that failed, or
 * NULL. */
static const char *warm_device(PFN_vkGetInstanceProcAddr gipa, VkInstance instance,
                               VkResult *result)
{
    PFN_vkEnumeratePhysicalDevices enumerate =
        (PFN_vkEnumeratePhysicalDevices)gipa(instance, "vkEnumeratePhysicalDevices");
    PFN_vkGetPhysicalDeviceQueueFamilyProperties families =
        (PFN_vkGetPhysicalDeviceQueueFamilyProperties)gipa(
            instance, "vkGetPhysicalDeviceQueueFamilyProperties");
    PFN_vkCreateDevice create = (PFN_vkCreateDevice)gipa(instance, "vkCreateDevice");
    PFN_vkDestroyDevice destroy = (PFN_vkDestroyDevice)gipa(instance, "vkDestroyDevice");
    if (!enumerate || !families || !create || !destroy)
        return "the loader's entry points";
    uint32_t count = 1;
    VkPhysicalDevice physical = VK_NULL_HANDLE;
    *result = enumerate(instance, &count, &physical);
    if ((*result != VK_SUCCESS && *result != VK_INCOMPLETE) || count == 0)
        return "vkEnumeratePhysicalDevices";
    uint32_t queue_families = 0;
    families(physical, &queue_families, NULL);
    if (queue_families == 0)
        return "vkGetPhysicalDeviceQueueFamilyProperties";
    const float priority = 1.0f;
    const VkDeviceQueueCreateInfo queue = {.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
                                           .queueFamilyIndex = 0,
                                           .queueCount = 1,
                                           .pQueuePriorities = &priority};
    const VkDeviceCreateInfo info = {.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
                                     .queueCreateInfoCount = 1,
                                     .pQueueCreateInfos = &queue};
    VkDevice device = VK_NULL_HANDLE;
    *result = create(physical, &info, NULL, &device);
    if (*result != VK_SUCCESS)
        return "vkCreateDevice";
    destroy(device, NULL);
    return NULL;
}

/* Whether the parent has handed over a client already. */
static bool client_waiting(int handoff)
{
    struct pollfd p = {.fd = handoff, .events = POLLIN};
    return poll(&p, 1, 0) > 0;
}

static void warm_up(struct warm *w, int handoff, const struct vkw_worker_config *config)
{
    const long long start = now_ms();
    const long pid = (long)getpid();
    if (client_waiting(handoff)) {
        vkw_log(VKW_LOG_VERBOSE, "spare worker %ld: a client came before the driver started",
                pid);
        return;
    }
    const struct vkw_renderer_options *o = config->renderer_options;
    /* The loader the renderer will use. */
    PFN_vkGetInstanceProcAddr gipa =
        o && o->get_instance_proc_addr ? o->get_instance_proc_addr : vkGetInstanceProcAddr;
    PFN_vkEnumerateInstanceVersion version =
        (PFN_vkEnumerateInstanceVersion)gipa(VK_NULL_HANDLE, "vkEnumerateInstanceVersion");
    PFN_vkCreateInstance create =
        (PFN_vkCreateInstance)gipa(VK_NULL_HANDLE, "vkCreateInstance");
    uint32_t api = VK_API_VERSION_1_0;
    if (version && version(&api) != VK_SUCCESS)
        api = VK_API_VERSION_1_0;
    const VkApplicationInfo app = {.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
                                   .pApplicationName = "vkwire-server spare worker",
                                   .apiVersion = api};
    const VkInstanceCreateInfo info = {.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
                                       .pApplicationInfo = &app};
    VkResult result = VK_ERROR_INITIALIZATION_FAILED;
    const char *failed = "the loader's vkCreateInstance";
    if (create) {
        result = create(&info, NULL, &w->instance);
        failed = result == VK_SUCCESS ? NULL : "vkCreateInstance";
        if (failed)
            w->instance = VK_NULL_HANDLE;
    }
    if (!failed) {
        w->destroy_instance = (PFN_vkDestroyInstance)gipa(w->instance, "vkDestroyInstance");
        if (!w->destroy_instance) {
            w->instance = VK_NULL_HANDLE; /* not a loader we know: keep nothing */
            return;
        }
        if (client_waiting(handoff)) {
            /* Its own first device does what warming would have. */
            vkw_log(VKW_LOG_VERBOSE,
                    "spare worker %ld: driver loaded in %lld ms; a client came before the "
                    "device",
                    pid, now_ms() - start);
            return;
        }
        failed = warm_device(gipa, w->instance, &result);
    }
    if (failed)
        vkw_log(VKW_LOG_VERBOSE,
                "spare worker %ld: the driver did not start (%s: VkResult %d); its client "
                "will get the driver's own answer",
                pid, failed, (int)result);
    else
        vkw_log(VKW_LOG_VERBOSE, "spare worker %ld: driver ready in %lld ms", pid,
                now_ms() - start);
}

static void cool_down(struct warm *w)
{
    if (w->instance)
        w->destroy_instance(w->instance, NULL);
    w->instance = VK_NULL_HANDLE;
}

int vkw_spare_hand(int handoff, unsigned long client, int fd)
{
    uint64_t number = client;
    struct iovec iov = {.iov_base = &number, .iov_len = sizeof(number)};
    union {
        struct cmsghdr align;
        char bytes[CMSG_SPACE(sizeof(int))];
    } control;
    memset(&control, 0, sizeof(control));
    struct msghdr msg = {.msg_iov = &iov,
                         .msg_iovlen = 1,
                         .msg_control = control.bytes,
                         .msg_controllen = sizeof(control.bytes)};
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof(int));
    ssize_t n;
    do
        n = sendmsg(handoff, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return -errno;
    return n == (ssize_t)sizeof(number) ? 0 : -EIO;
}

/* The parent's message: the client's number and socket.  1 with both, 0
 * when the parent closed its end, -1 for anything else (whatever came is
 * closed). */
static int receive_client(int handoff, unsigned long *client, int *fd)
{
    uint64_t number = 0;
    struct iovec iov = {.iov_base = &number, .iov_len = sizeof(number)};
    union {
        struct cmsghdr align;
        char bytes[CMSG_SPACE(sizeof(int) * 4)];
    } control;
    struct msghdr msg = {.msg_iov = &iov,
                         .msg_iovlen = 1,
                         .msg_control = control.bytes,
                         .msg_controllen = sizeof(control.bytes)};
    ssize_t n;
    do
        n = recvmsg(handoff, &msg, MSG_CMSG_CLOEXEC);
    while (n < 0 && errno == EINTR);
    if (n <= 0)
        return n == 0 ? 0 : -1;
    int got = -1;
    size_t fds = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
            continue;
        const size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < count; i++) {
            int one;
            memcpy(&one, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
            if (fds++ == 0)
                got = one;
            else
                close(one);
        }
    }
    if (n != (ssize_t)sizeof(number) || fds != 1 || (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
        if (got >= 0)
            close(got);
        return -1;
    }
    *client = (unsigned long)number;
    *fd = got;
    return 1;
}

/* Whether `ms` pass with no client handed over and no request to stop. */
static bool quiet_for(int handoff, int ms)
{
    const long long until = now_ms() + ms;
    for (;;) {
        const long long left = until - now_ms();
        if (left <= 0)
            return true;
        struct pollfd p[2] = {{.fd = vkw_worker_stop_fd(), .events = POLLIN},
                              {.fd = handoff, .events = POLLIN}};
        const int r = poll(p, 2, (int)left);
        if (r > 0 || (r < 0 && errno != EINTR))
            return false;
    }
}

/* Sleep until a client comes (1), the server asks us to stop or has gone
 * (0), or the handoff fails (-1). */
static int wait_for_client(int handoff, unsigned long *client, int *fd)
{
    for (;;) {
        struct pollfd p[2] = {{.fd = vkw_worker_stop_fd(), .events = POLLIN},
                              {.fd = handoff, .events = POLLIN}};
        int r = poll(p, 2, -1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        if (p[0].revents)
            return 0; /* stopping wins over a client that came at the same time */
        if (p[1].revents)
            return receive_client(handoff, client, fd);
    }
}

static void report_line(int fd, const char *text)
{
    if (fd >= 0 && write(fd, text, strlen(text)) < 0) {
        /* the parent is gone: nobody to tell */
    }
}

int vkw_spare_run(int handoff, const char *address, int warm_delay_ms,
                  const struct vkw_worker_config *config)
{
    if (!vkw_worker_start(config)) {
        close(handoff);
        return VKW_WORKER_START_FAILED;
    }
    struct warm w = {VK_NULL_HANDLE, NULL};
    if (quiet_for(handoff, warm_delay_ms))
        warm_up(&w, handoff, config);

    unsigned long client = 0;
    int fd = -1;
    const int got = wait_for_client(handoff, &client, &fd);
    struct vkw_conn *conn = NULL;
    char err[256] = "";
    close(handoff);
    /* Taken: said before the client's first byte is read, so that a spare
     * that ends before saying it leaves the client untouched. */
    if (got == 1 && vkw_conn_adopt(address, fd, &conn, err, sizeof(err)) == 0 &&
        write(config->report_fd, (const char[]){VKW_SPARE_TAKEN}, 1) == 1) {
        struct vkw_worker_config mine = *config;
        mine.client = client;
        const int code = vkw_worker_serve(conn, &mine);
        cool_down(&w);
        return code;
    }
    /* No client taken: the parent serves it (if one came) elsewhere. */
    vkw_conn_close(conn);
    cool_down(&w);
    char line[400];
    snprintf(line, sizeof(line), "spare worker: %s",
             got == 0   ? "server shutting down"
             : err[0]   ? err
             : got == 1 ? "cannot write to the report pipe"
                        : "the server's handoff failed");
    report_line(config->report_fd, line);
    return got == 0 ? VKW_WORKER_SHUTDOWN : VKW_WORKER_START_FAILED;
}
