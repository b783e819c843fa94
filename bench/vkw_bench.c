/* vkw_bench — figures for comparing vkwire with native, public API only, so
 * the same binary runs both ways (bench/run-bench.sh alternates them).
 *
 *   vkw_bench [all | small | memory [MIB] | dispatch]
 *
 * Prints one line per figure: "NAME VALUE UNIT".  Without an argument: all;
 * "small" stops after the submit figure.
 *   startup   main() to vkCreateDevice returning (instance, enumeration,
 *             device: for vkwire that includes connecting), ms
 *   roundtrip vkGetImageSubresourceLayout on a linear image: a call that
 *             must reach the host and come back, ns/call
 *   query     vkGetPhysicalDeviceFormatProperties: answerable from what the
 *             guest cached, ns/call
 *   memreq    vkGetBufferMemoryRequirements of one buffer: answerable
 *             from what the guest cached (after the first), ns/call
 *   churn     vkCreateBuffer + vkDestroyBuffer pairs per second, 20000 pairs
 *             and one round trip (the host has done them all), best of 5
 *   submit    an empty vkQueueSubmit + vkWaitForFences + vkResetFences, us
 *   upload    an application streams data to the device the usual way:
 *             it writes a persistently mapped HOST_COHERENT staging buffer
 *             (usage TRANSFER_SRC, as staging buffers are made) with
 *             memcpy, submits a copy into a buffer it never maps, and waits
 *             on the fence.  Bytes over the whole time: the write, making
 *             the bytes visible to the device, the device's copy, the wait
 *   readback  the device writes a persistently mapped HOST_COHERENT buffer
 *             (usage TRANSFER_DST; vkCmdFillBuffer with a value new to each
 *             repetition), the application waits on the fence and memcpys
 *             the buffer out.  Bytes over the whole time: the device's
 *             write, the wait, making the bytes visible to the
 *             application, its read
 *   firstuse  a new 64 MiB HOST_COHERENT allocation made, mapped, written
 *             once (memset), unmapped and freed, ms: what first use of
 *             memory costs wherever it is paid (vkwire commits shared
 *             pages at vkAllocateMemory; lavapipe at the first write)
 *   dispatch  100000 vkCmdDispatch(1, 1, 1) of a one-invocation counting
 *             shader recorded into one command buffer, submitted and waited
 *             for: dispatches per second end to end (recording included);
 *             the counter proves that every dispatch ran once; the
 *             best repetition's phases follow (dispatch-record: recording,
 *             dispatch-end: vkEndCommandBuffer, dispatch-run: submit and
 *             wait), for reading by hand
 * Each figure is the best of 5 repetitions (this run's noise floor); every
 * repetition writes all the bytes anew, so tracking what changed cannot
 * skip any.  Each figure keeps only its own buffer mapped: through vkwire
 * in copied mode every other coherent mapping would add the cost of
 * comparing it at each submission and wait, which is a property of that
 * application, not of the transfer measured.  Through vkwire the same
 * binary runs unchanged: the time includes everything vkwire does to move
 * the bytes. */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <vulkan/vulkan.h>

#include "bench/vkw_bench_spirv.h" /* count.comp */

#define CHECK(call)                                                                  \
    do {                                                                             \
        VkResult r_ = (call);                                                        \
        if (r_ != VK_SUCCESS) {                                                      \
            fprintf(stderr, "vkw_bench: %s failed: %d\n", #call, (int)r_);           \
            exit(2);                                                                 \
        }                                                                            \
    } while (0)

static VkDevice device;
static VkQueue queue;
static VkCommandPool pool;
static VkPhysicalDeviceMemoryProperties mem_props;

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static VkPhysicalDevice physical_device;
static double process_start, startup_ms;

/* Best of `reps` timings of `iters` calls of fn: seconds per call. */
static double per_call(void (*fn)(int), int iters, int reps)
{
    double best = 1e30;
    for (int r = 0; r < reps; r++) {
        double t0 = now();
        for (int i = 0; i < iters; i++)
            fn(i);
        double t = (now() - t0) / iters;
        if (t < best)
            best = t;
    }
    return best;
}

static void setup(void)
{
    VkApplicationInfo app = {.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
                             .pApplicationName = "vkw_bench",
                             .apiVersion = VK_API_VERSION_1_3};
    VkInstanceCreateInfo ici = {.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
                                .pApplicationInfo = &app};
    VkInstance instance;
    CHECK(vkCreateInstance(&ici, NULL, &instance));
    uint32_t count = 1;
    VkPhysicalDevice physical;
    VkResult r = vkEnumeratePhysicalDevices(instance, &count, &physical);
    if ((r != VK_SUCCESS && r != VK_INCOMPLETE) || count == 0) {
        fprintf(stderr, "vkw_bench: no physical device\n");
        exit(2);
    }
    vkGetPhysicalDeviceMemoryProperties(physical, &mem_props);
    physical_device = physical;
    float priority = 1.0f;
    VkDeviceQueueCreateInfo qci = {.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
                                   .queueCount = 1,
                                   .pQueuePriorities = &priority};
    VkDeviceCreateInfo dci = {.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
                              .queueCreateInfoCount = 1,
                              .pQueueCreateInfos = &qci};
    CHECK(vkCreateDevice(physical, &dci, NULL, &device));
    startup_ms = (now() - process_start) * 1e3;
    vkGetDeviceQueue(device, 0, 0, &queue);
    VkCommandPoolCreateInfo pci = {.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
                                   .flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT};
    CHECK(vkCreateCommandPool(device, &pci, NULL, &pool));
}

static void make_buffer(VkDeviceSize size, VkBufferUsageFlags usage, VkBuffer *buffer,
                        VkDeviceMemory *memory)
{
    VkBufferCreateInfo bci = {.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
                              .size = size,
                              .usage = usage,
                              .sharingMode = VK_SHARING_MODE_EXCLUSIVE};
    CHECK(vkCreateBuffer(device, &bci, NULL, buffer));
    VkMemoryRequirements req;
    vkGetBufferMemoryRequirements(device, *buffer, &req);
    const VkMemoryPropertyFlags want =
        VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
    uint32_t type = 0;
    while (type < mem_props.memoryTypeCount &&
           !((req.memoryTypeBits & (1u << type)) &&
             (mem_props.memoryTypes[type].propertyFlags & want) == want))
        type++;
    VkMemoryAllocateInfo mai = {.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
                                .allocationSize = req.size,
                                .memoryTypeIndex = type};
    CHECK(vkAllocateMemory(device, &mai, NULL, memory));
    CHECK(vkBindBufferMemory(device, *buffer, *memory, 0));
}

/* One submission of a copy or a fill, waited for. */
static void submit_and_wait(VkCommandBuffer cmd, VkFence fence)
{
    VkSubmitInfo submit = {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
                           .commandBufferCount = 1,
                           .pCommandBuffers = &cmd};
    CHECK(vkQueueSubmit(queue, 1, &submit, fence));
    CHECK(vkWaitForFences(device, 1, &fence, VK_TRUE, UINT64_MAX));
    CHECK(vkResetFences(device, 1, &fence));
}

/* A copy of `size` bytes from `a` to `b`, or (b == VK_NULL_HANDLE) a fill
 * of `a` with `value`, then a barrier that makes the writes visible to
 * the host. */
static VkCommandBuffer record(VkBuffer a, VkBuffer b, VkDeviceSize size, uint32_t value)
{
    VkCommandBufferAllocateInfo cai = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
                                       .commandPool = pool,
                                       .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
                                       .commandBufferCount = 1};
    VkCommandBuffer cmd;
    CHECK(vkAllocateCommandBuffers(device, &cai, &cmd));
    VkCommandBufferBeginInfo begin = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
    CHECK(vkBeginCommandBuffer(cmd, &begin));
    if (b == VK_NULL_HANDLE) {
        vkCmdFillBuffer(cmd, a, 0, size, value);
    } else {
        VkBufferCopy region = {0, 0, size};
        vkCmdCopyBuffer(cmd, a, b, 1, &region);
    }
    VkMemoryBarrier to_host = {.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
                               .srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT,
                               .dstAccessMask = VK_ACCESS_HOST_READ_BIT};
    vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_HOST_BIT, 0, 1,
                         &to_host, 0, NULL, 0, NULL);
    CHECK(vkEndCommandBuffer(cmd));
    return cmd;
}

#define REPS 5

static int bench_memory(size_t mib)
{
    const VkDeviceSize size = (VkDeviceSize)mib << 20;
    VkBuffer staging, target, readback;
    VkDeviceMemory staging_mem, target_mem, readback_mem;
    make_buffer(size, VK_BUFFER_USAGE_TRANSFER_SRC_BIT, &staging, &staging_mem);
    make_buffer(size, VK_BUFFER_USAGE_TRANSFER_DST_BIT, &target, &target_mem);
    make_buffer(size, VK_BUFFER_USAGE_TRANSFER_DST_BIT, &readback, &readback_mem);
    unsigned char *mapped, *app = malloc((size_t)size);
    if (!app)
        return 2;
    VkFenceCreateInfo fci = {.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    VkFence fence;
    CHECK(vkCreateFence(device, &fci, NULL, &fence));
    VkCommandBuffer copy = record(staging, target, size, 0), fill[REPS];
    for (int rep = 0; rep < REPS; rep++) /* a new value each time: every byte changes */
        fill[rep] = record(readback, VK_NULL_HANDLE, size, 0x01020304u * (uint32_t)(rep + 1));

    double best_up = 1e30, best_down = 1e30;
    CHECK(vkMapMemory(device, staging_mem, 0, VK_WHOLE_SIZE, 0, (void **)&mapped));
    for (int rep = 0; rep < REPS; rep++) {
        memset(app, 0x5a + rep, (size_t)size); /* every byte new: no tracking can skip it */
        const double t0 = now();
        memcpy(mapped, app, (size_t)size);
        submit_and_wait(copy, fence);
        const double t = now() - t0;
        if (t < best_up)
            best_up = t;
    }
    vkUnmapMemory(device, staging_mem);
    CHECK(vkMapMemory(device, readback_mem, 0, VK_WHOLE_SIZE, 0, (void **)&mapped));
    for (int rep = 0; rep < REPS; rep++) {
        const double t0 = now();
        submit_and_wait(fill[rep], fence);
        memcpy(app, mapped, (size_t)size);
        const double t = now() - t0;
        if (t < best_down)
            best_down = t;
        const uint32_t v = 0x01020304u * (uint32_t)(rep + 1);
        uint32_t first, last;
        memcpy(&first, app, 4);
        memcpy(&last, app + size - 4, 4);
        if (first != v || last != v) {
            fprintf(stderr, "vkw_bench: readback saw the wrong bytes\n");
            return 1;
        }
    }
    vkUnmapMemory(device, readback_mem);
    printf("upload %.3f GB/s\n", (double)size / best_up / 1e9);
    printf("readback %.3f GB/s\n", (double)size / best_down / 1e9);
    free(app);
    double best_first = 1e30;
    for (int rep = 0; rep < REPS; rep++) {
        const double t0 = now();
        VkBuffer buffer;
        VkDeviceMemory memory;
        make_buffer(size, VK_BUFFER_USAGE_TRANSFER_DST_BIT, &buffer, &memory);
        CHECK(vkMapMemory(device, memory, 0, VK_WHOLE_SIZE, 0, (void **)&mapped));
        memset(mapped, 0x33, (size_t)size);
        vkUnmapMemory(device, memory);
        vkDestroyBuffer(device, buffer, NULL);
        vkFreeMemory(device, memory, NULL);
        const double t = now() - t0;
        if (t < best_first)
            best_first = t;
    }
    printf("firstuse %.3f ms\n", best_first * 1e3);
    return 0;
}

/* ---- the small figures ---- */

static VkImage linear_image;

static void do_roundtrip(int i)
{
    (void)i;
    VkImageSubresource sub = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0};
    VkSubresourceLayout layout;
    vkGetImageSubresourceLayout(device, linear_image, &sub, &layout);
}

static void do_query(int i)
{
    VkFormatProperties props;
    vkGetPhysicalDeviceFormatProperties(physical_device, (VkFormat)(1 + i % 100), &props);
}

static VkBuffer requirements_buffer;

static void do_requirements(int i)
{
    (void)i;
    VkMemoryRequirements req;
    vkGetBufferMemoryRequirements(device, requirements_buffer, &req);
}

/* Creation and destruction may be asynchronous: the guest's loop alone
 * would time only how fast it hands commands over.  A reply-bearing
 * command after the pairs (the host runs commands in order) makes the
 * figure include the host's (and its driver's) work for every pair. */
#define CHURN_PAIRS 20000

static void do_churn(int i)
{
    VkBufferCreateInfo bci = {.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
                              .size = 4096,
                              .usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT,
                              .sharingMode = VK_SHARING_MODE_EXCLUSIVE};
    VkBuffer b;
    CHECK(vkCreateBuffer(device, &bci, NULL, &b));
    vkDestroyBuffer(device, b, NULL);
    if (i == CHURN_PAIRS - 1)
        do_roundtrip(i);
}

static VkFence submit_fence;

static void do_submit(int i)
{
    (void)i;
    CHECK(vkQueueSubmit(queue, 0, NULL, submit_fence));
    CHECK(vkWaitForFences(device, 1, &submit_fence, VK_TRUE, UINT64_MAX));
    CHECK(vkResetFences(device, 1, &submit_fence));
}

static int bench_small(void)
{
    VkImageCreateInfo ici = {.sType = VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO,
                             .imageType = VK_IMAGE_TYPE_2D,
                             .format = VK_FORMAT_R8G8B8A8_UNORM,
                             .extent = {64, 64, 1},
                             .mipLevels = 1,
                             .arrayLayers = 1,
                             .samples = VK_SAMPLE_COUNT_1_BIT,
                             .tiling = VK_IMAGE_TILING_LINEAR,
                             .usage = VK_IMAGE_USAGE_TRANSFER_SRC_BIT,
                             .sharingMode = VK_SHARING_MODE_EXCLUSIVE,
                             .initialLayout = VK_IMAGE_LAYOUT_UNDEFINED};
    CHECK(vkCreateImage(device, &ici, NULL, &linear_image));
    VkFenceCreateInfo fci = {.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    CHECK(vkCreateFence(device, &fci, NULL, &submit_fence));
    printf("roundtrip %.0f ns/call\n", per_call(do_roundtrip, 2000, 5) * 1e9);
    printf("query %.0f ns/call\n", per_call(do_query, 20000, 5) * 1e9);
    VkBufferCreateInfo rbci = {.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
                               .size = 65536,
                               .usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT,
                               .sharingMode = VK_SHARING_MODE_EXCLUSIVE};
    CHECK(vkCreateBuffer(device, &rbci, NULL, &requirements_buffer));
    printf("memreq %.0f ns/call\n", per_call(do_requirements, 20000, 5) * 1e9);
    vkDestroyBuffer(device, requirements_buffer, NULL);
    printf("churn %.0f pairs/s\n", 1.0 / per_call(do_churn, CHURN_PAIRS, 5));
    printf("submit %.1f us\n", per_call(do_submit, 500, 5) * 1e6);
    vkDestroyFence(device, submit_fence, NULL);
    vkDestroyImage(device, linear_image, NULL);
    return 0;
}

/* ---- command throughput ---- */

#define DISPATCHES 100000u

static int bench_dispatch(void)
{
    VkBuffer counter;
    VkDeviceMemory counter_memory;
    make_buffer(4096, VK_BUFFER_USAGE_STORAGE_BUFFER_BIT, &counter, &counter_memory);
    uint32_t *count;
    CHECK(vkMapMemory(device, counter_memory, 0, VK_WHOLE_SIZE, 0, (void **)&count));
    VkShaderModuleCreateInfo smci = {.sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO,
                                     .codeSize = sizeof count_comp_spv,
                                     .pCode = count_comp_spv};
    VkShaderModule module;
    CHECK(vkCreateShaderModule(device, &smci, NULL, &module));
    VkDescriptorSetLayoutBinding binding = {0, VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 1,
                                            VK_SHADER_STAGE_COMPUTE_BIT, NULL};
    VkDescriptorSetLayoutCreateInfo dslci = {
        .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO,
        .bindingCount = 1,
        .pBindings = &binding};
    VkDescriptorSetLayout set_layout;
    CHECK(vkCreateDescriptorSetLayout(device, &dslci, NULL, &set_layout));
    VkPipelineLayoutCreateInfo plci = {.sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO,
                                       .setLayoutCount = 1,
                                       .pSetLayouts = &set_layout};
    VkPipelineLayout layout;
    CHECK(vkCreatePipelineLayout(device, &plci, NULL, &layout));
    VkComputePipelineCreateInfo cpci = {
        .sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO,
        .stage = {.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
                  .stage = VK_SHADER_STAGE_COMPUTE_BIT,
                  .module = module,
                  .pName = "main"},
        .layout = layout,
        .basePipelineIndex = -1};
    VkPipeline pipeline;
    CHECK(vkCreateComputePipelines(device, VK_NULL_HANDLE, 1, &cpci, NULL, &pipeline));
    VkDescriptorPoolSize size = {VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 1};
    VkDescriptorPoolCreateInfo dpci = {.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO,
                                       .maxSets = 1,
                                       .poolSizeCount = 1,
                                       .pPoolSizes = &size};
    VkDescriptorPool dpool;
    CHECK(vkCreateDescriptorPool(device, &dpci, NULL, &dpool));
    VkDescriptorSetAllocateInfo dsai = {.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO,
                                        .descriptorPool = dpool,
                                        .descriptorSetCount = 1,
                                        .pSetLayouts = &set_layout};
    VkDescriptorSet set;
    CHECK(vkAllocateDescriptorSets(device, &dsai, &set));
    VkDescriptorBufferInfo bi = {counter, 0, 4};
    VkWriteDescriptorSet write = {.sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
                                  .dstSet = set,
                                  .descriptorCount = 1,
                                  .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
                                  .pBufferInfo = &bi};
    vkUpdateDescriptorSets(device, 1, &write, 0, NULL);
    VkCommandBufferAllocateInfo cai = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
                                       .commandPool = pool,
                                       .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
                                       .commandBufferCount = 1};
    VkCommandBuffer cmd;
    CHECK(vkAllocateCommandBuffers(device, &cai, &cmd));
    VkFenceCreateInfo fci = {.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    VkFence fence;
    CHECK(vkCreateFence(device, &fci, NULL, &fence));
    VkMemoryBarrier to_host = {.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
                               .srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT,
                               .dstAccessMask = VK_ACCESS_HOST_READ_BIT};

    double best = 1e30, phases[3] = {0}; /* the best repetition's record, end, run */
    for (int rep = 0; rep < 3; rep++) {
        *count = 0;
        double t0 = now();
        VkCommandBufferBeginInfo begin = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
                                          .flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT};
        CHECK(vkBeginCommandBuffer(cmd, &begin));
        vkCmdBindPipeline(cmd, VK_PIPELINE_BIND_POINT_COMPUTE, pipeline);
        vkCmdBindDescriptorSets(cmd, VK_PIPELINE_BIND_POINT_COMPUTE, layout, 0, 1, &set, 0, NULL);
        for (uint32_t i = 0; i < DISPATCHES; i++)
            vkCmdDispatch(cmd, 1, 1, 1);
        vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_PIPELINE_STAGE_HOST_BIT,
                             0, 1, &to_host, 0, NULL, 0, NULL);
        const double t1 = now();
        CHECK(vkEndCommandBuffer(cmd));
        const double t2 = now();
        submit_and_wait(cmd, fence);
        double t = now() - t0;
        if (*count != DISPATCHES) {
            fprintf(stderr, "vkw_bench: %u dispatches ran, not %u\n", *count, DISPATCHES);
            return 1;
        }
        if (t < best) {
            best = t;
            phases[0] = t1 - t0;
            phases[1] = t2 - t1;
            phases[2] = t0 + t - t2;
        }
    }
    printf("dispatch %.0f dispatches/s\n", DISPATCHES / best);
    /* Where that time went (not in the table: for reading by hand). */
    printf("dispatch-record %.3f ms\ndispatch-end %.3f ms\ndispatch-run %.3f ms\n",
           phases[0] * 1e3, phases[1] * 1e3, phases[2] * 1e3);
    vkDestroyFence(device, fence, NULL);
    vkFreeCommandBuffers(device, pool, 1, &cmd);
    vkDestroyDescriptorPool(device, dpool, NULL);
    vkDestroyPipeline(device, pipeline, NULL);
    vkDestroyPipelineLayout(device, layout, NULL);
    vkDestroyDescriptorSetLayout(device, set_layout, NULL);
    vkDestroyShaderModule(device, module, NULL);
    vkUnmapMemory(device, counter_memory);
    vkDestroyBuffer(device, counter, NULL);
    vkFreeMemory(device, counter_memory, NULL);
    return 0;
}

int main(int argc, char **argv)
{
    process_start = now();
    const char *what = argc > 1 ? argv[1] : "all";
    if (strcmp(what, "all") != 0 && strcmp(what, "memory") != 0 && strcmp(what, "dispatch") != 0 &&
        strcmp(what, "small") != 0) {
        fprintf(stderr, "usage: vkw_bench [all | small | memory [MIB] | dispatch]\n");
        return 2;
    }
    setup();
    if (strcmp(what, "memory") == 0)
        return bench_memory(argc > 2 ? (size_t)atoi(argv[2]) : 64);
    if (strcmp(what, "dispatch") == 0)
        return bench_dispatch();
    printf("startup %.2f ms\n", startup_ms);
    int status = bench_small();
    if (strcmp(what, "small") == 0)
        return status;
    status = status ? status : bench_dispatch();
    return status ? status : bench_memory(64);
}
