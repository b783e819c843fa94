/* vkw_host_churn — what the host side costs per vkCreateBuffer +
 * vkDestroyBuffer pair, without any transport: the renderer library runs
 * one batch of PAIRS asynchronous pairs (as a guest that batches would send
 * them) on the default Vulkan driver, in this process, against the same
 * pairs called on that driver directly.  Alternates native and renderer
 * ROUNDS times (default 5) and prints the best of each, in pairs/s, and
 * their ratio:
 *
 *   host-churn native 16000000 pairs/s renderer 6000000 pairs/s speed 0.38
 *
 * Also the guest's encoding of the batch (the generated encoders), which a
 * real guest pays on its side.  The bench/vkw_bench churn figure is the
 * end-to-end one; this one says how much of it the host can carry. */
#define _GNU_SOURCE /* host_test_guest.h */

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "host_test_guest.h"
#include "vkwire/renderer.h"

#define PAIRS 100000

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static const VkBufferCreateInfo buffer_info = {.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
                                               .size = 4096,
                                               .usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT,
                                               .sharingMode = VK_SHARING_MODE_EXCLUSIVE};

static double native_round(VkDevice device)
{
    const double t0 = now();
    for (int i = 0; i < PAIRS; i++) {
        VkBuffer b;
        if (vkCreateBuffer(device, &buffer_info, NULL, &b) != VK_SUCCESS)
            exit(1);
        vkDestroyBuffer(device, b, NULL);
    }
    return PAIRS / (now() - t0);
}

static VkDevice native_device(void)
{
    VkApplicationInfo app = {.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
                             .apiVersion = VK_API_VERSION_1_1};
    VkInstanceCreateInfo ici = {.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
                                .pApplicationInfo = &app};
    VkInstance instance;
    uint32_t count = 1;
    VkPhysicalDevice pd;
    if (vkCreateInstance(&ici, NULL, &instance) != VK_SUCCESS ||
        vkEnumeratePhysicalDevices(instance, &count, &pd) < 0 || count == 0)
        return VK_NULL_HANDLE;
    float priority = 1.0f;
    VkDeviceQueueCreateInfo qci = {.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
                                   .queueCount = 1,
                                   .pQueuePriorities = &priority};
    VkDeviceCreateInfo dci = {.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
                              .queueCreateInfoCount = 1,
                              .pQueueCreateInfos = &qci};
    VkDevice device;
    return vkCreateDevice(pd, &dci, NULL, &device) == VK_SUCCESS ? device : VK_NULL_HANDLE;
}

/* One batch of PAIRS pairs under ids from `base`; its encoding time in
 * `*encode_s`.  A reply-bearing query at the end proves the batch ran. */
static double renderer_round(struct vkw_renderer_context *ctx, struct tg_guest *g, uint64_t base,
                             double *encode_s)
{
    const double t0 = now();
    for (uint64_t i = 0; i < PAIRS; i++) {
        VkBuffer b = VKW_U64_HANDLE(VkBuffer, base + i);
        vkw_encode_vkCreateBuffer(&g->w, ++g->serial, TG_DEVICE(g), &buffer_info, NULL, &b);
        vkw_encode_vkDestroyBuffer(&g->w, ++g->serial, TG_DEVICE(g), b, NULL);
    }
    VkPhysicalDeviceProperties props;
    tg_get_properties(g, &props);
    const double t1 = now();
    const void *reply;
    size_t reply_size;
    const enum vkw_renderer_status st =
        vkw_renderer_context_process(ctx, g->w.data, g->w.size, &reply, &reply_size);
    const double t2 = now();
    vkw_writer_reset(&g->w);
    if (st != VKW_RENDERER_OK || tg_count_ok(reply, reply_size, false, NULL) != 1) {
        fprintf(stderr, "vkw_host_churn: the batch failed: %s\n",
                vkw_renderer_context_error(ctx));
        exit(1);
    }
    *encode_s = t1 - t0;
    return PAIRS / (t2 - t1);
}

int main(int argc, char **argv)
{
    const int rounds = argc > 1 ? atoi(argv[1]) : 5;
    VkDevice device = native_device();
    struct vkw_renderer_options o = VKW_RENDERER_OPTIONS_INIT;
    struct vkw_renderer *r = NULL;
    if (!device || vkw_renderer_create(&o, &r) != 0) {
        fprintf(stderr, "vkw_host_churn: no Vulkan device\n");
        return 1;
    }
    struct vkw_renderer_context *ctx = vkw_renderer_context_create(r);
    struct tg_guest g;
    tg_init(&g);
    const void *reply;
    size_t reply_size;
    tg_hello(&g, VKW_PROTOCOL_MAJOR);
    vkw_renderer_context_process(ctx, g.w.data, g.w.size, &reply, &reply_size);
    vkw_writer_reset(&g.w);
    tg_bring_up(&g);
    if (vkw_renderer_context_process(ctx, g.w.data, g.w.size, &reply, &reply_size) !=
        VKW_RENDERER_OK) {
        fprintf(stderr, "vkw_host_churn: bring-up failed\n");
        return 1;
    }
    vkw_writer_reset(&g.w);
    double best_native = 0, best_host = 0, best_encode = 1e30;
    for (int i = 0; i < rounds; i++) {
        const double n = native_round(device);
        double encode;
        const double h = renderer_round(ctx, &g, 1000 + (uint64_t)i * PAIRS, &encode);
        best_native = n > best_native ? n : best_native;
        best_host = h > best_host ? h : best_host;
        best_encode = encode < best_encode ? encode : best_encode;
    }
    printf("host-churn native %.0f pairs/s renderer %.0f pairs/s speed %.2f "
           "(guest encoding %.0f ns/pair)\n",
           best_native, best_host, best_host / best_native, best_encode / PAIRS * 1e9);
    vkw_renderer_context_destroy(ctx);
    vkw_renderer_destroy(r);
    tg_fini(&g);
    vkDestroyDevice(device, NULL);
    return 0;
}
