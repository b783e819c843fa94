/* vkwire-demo — two small Vulkan programs in one: a compute demo (SAXPY over
 * millions of elements, verified on the CPU, timed) and an offscreen render
 * demo (a Lambert-shaded torus with a depth test, read back and written as a
 * binary PPM).  Public Vulkan API only: it runs the same natively and through
 * vkwire, which is what it is for.
 *
 *   vkwire-demo                                   both, with the defaults
 *   vkwire-demo compute [N]                       N floats (default 16M)
 *   vkwire-demo render [OUT.ppm] [WIDTH HEIGHT]   default vkwire-demo.ppm, 256x256
 *   vkwire-demo frames [N]                        the render N times (default 100): frames/s
 *
 * Output: "device: NAME" first, then a few lines per demo.  Only the
 * timings depend on the run; the rendered pixels (and so their FNV-1a
 * checksum) are the same on every run of the same driver.  Both demos check
 * their result on the CPU: SAXPY every element, the render every pixel
 * against a CPU rendering of the same torus.  Exit status: 0 when every
 * demo run verified, 1 when one failed, 2 on a usage error.
 *
 * The SPIR-V comes from demo/{saxpy.comp,mesh.vert,mesh.frag}, compiled by
 * glslc at build time and embedded as uint32_t arrays (demo/vkwire_demo_spirv.h). */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <vulkan/vulkan.h>

#include "demo/vkwire_demo_spirv.h"

#define DEFAULT_ELEMENTS (16u << 20)
#define MAX_ELEMENTS (1u << 28) /* 1 GiB per buffer; the device's limit is checked too */
#define SAXPY_GROUP 256u        /* local_size_x in saxpy.comp */
#define DEFAULT_PPM "vkwire-demo.ppm"
#define DEFAULT_SIZE 256u
#define MAX_SIZE 16384u

static const char *result_name(VkResult r)
{
    switch (r) {
#define NAME(x) \
    case x:     \
        return #x
        NAME(VK_SUCCESS);
        NAME(VK_NOT_READY);
        NAME(VK_TIMEOUT);
        NAME(VK_INCOMPLETE);
        NAME(VK_ERROR_OUT_OF_HOST_MEMORY);
        NAME(VK_ERROR_OUT_OF_DEVICE_MEMORY);
        NAME(VK_ERROR_INITIALIZATION_FAILED);
        NAME(VK_ERROR_DEVICE_LOST);
        NAME(VK_ERROR_MEMORY_MAP_FAILED);
        NAME(VK_ERROR_LAYER_NOT_PRESENT);
        NAME(VK_ERROR_EXTENSION_NOT_PRESENT);
        NAME(VK_ERROR_FEATURE_NOT_PRESENT);
        NAME(VK_ERROR_INCOMPATIBLE_DRIVER);
        NAME(VK_ERROR_TOO_MANY_OBJECTS);
        NAME(VK_ERROR_FORMAT_NOT_SUPPORTED);
        NAME(VK_ERROR_FRAGMENTED_POOL);
        NAME(VK_ERROR_UNKNOWN);
        NAME(VK_ERROR_OUT_OF_POOL_MEMORY);
#undef NAME
    default:
        return "VkResult";
    }
}

/* Every VkResult is checked; a failure names the call and jumps to the
 * function's cleanup, which destroys whatever was made (destroying
 * VK_NULL_HANDLE is a no-op, so the cleanup needs no bookkeeping). */
#define CHECK(call)                                                                       \
    do {                                                                                  \
        VkResult check_r_ = (call);                                                       \
        if (check_r_ != VK_SUCCESS) {                                                     \
            fprintf(stderr, "vkwire-demo: %s failed: %s (%d)\n", #call,                   \
                    result_name(check_r_), (int)check_r_);                                \
            goto out;                                                                     \
        }                                                                                 \
    } while (0)

#define FAIL(...)                                          \
    do {                                                   \
        fprintf(stderr, "vkwire-demo: " __VA_ARGS__);      \
        fputc('\n', stderr);                               \
        goto out;                                          \
    } while (0)

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* ---- the device both demos share ---------------------------------------- */

struct gpu {
    VkInstance instance;
    VkPhysicalDevice physical;
    VkPhysicalDeviceProperties props;
    VkPhysicalDeviceMemoryProperties memory;
    uint32_t family;         /* one queue family that does graphics and compute */
    uint32_t timestamp_bits; /* 0: the queue cannot time itself */
    VkDevice device;
    VkQueue queue;
    VkCommandPool pool;
};

static void gpu_destroy(struct gpu *g)
{
    if (g->device) {
        vkDestroyCommandPool(g->device, g->pool, NULL);
        vkDestroyDevice(g->device, NULL);
    }
    if (g->instance)
        vkDestroyInstance(g->instance, NULL);
    memset(g, 0, sizeof *g);
}

/* The first physical device with a queue family doing both graphics and
 * compute (every GPU and lavapipe has one).  Returns false on failure. */
static bool gpu_create(struct gpu *g)
{
    VkPhysicalDevice *physicals = NULL;
    VkQueueFamilyProperties *families = NULL;
    memset(g, 0, sizeof *g);

    VkApplicationInfo app = {.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
                             .pApplicationName = "vkwire-demo",
                             .applicationVersion = 1,
                             .apiVersion = VK_API_VERSION_1_1};
    VkInstanceCreateInfo ici = {.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
                                .pApplicationInfo = &app};
    CHECK(vkCreateInstance(&ici, NULL, &g->instance));

    uint32_t count = 0;
    CHECK(vkEnumeratePhysicalDevices(g->instance, &count, NULL));
    if (count == 0)
        FAIL("no Vulkan device");
    physicals = calloc(count, sizeof *physicals);
    if (!physicals)
        FAIL("out of memory");
    VkResult r = vkEnumeratePhysicalDevices(g->instance, &count, physicals);
    if (r != VK_SUCCESS && r != VK_INCOMPLETE)
        CHECK(r);

    for (uint32_t i = 0; i < count && !g->physical; i++) {
        uint32_t nf = 0;
        vkGetPhysicalDeviceQueueFamilyProperties(physicals[i], &nf, NULL);
        free(families);
        families = calloc(nf ? nf : 1, sizeof *families);
        if (!families)
            FAIL("out of memory");
        vkGetPhysicalDeviceQueueFamilyProperties(physicals[i], &nf, families);
        const VkQueueFlags want = VK_QUEUE_GRAPHICS_BIT | VK_QUEUE_COMPUTE_BIT;
        for (uint32_t f = 0; f < nf; f++) {
            if ((families[f].queueFlags & want) == want && families[f].queueCount > 0) {
                g->physical = physicals[i];
                g->family = f;
                g->timestamp_bits = families[f].timestampValidBits;
                break;
            }
        }
    }
    if (!g->physical)
        FAIL("no device has a queue family doing graphics and compute");
    vkGetPhysicalDeviceProperties(g->physical, &g->props);
    vkGetPhysicalDeviceMemoryProperties(g->physical, &g->memory);
    if (g->props.limits.timestampPeriod <= 0.0f)
        g->timestamp_bits = 0;
    printf("device: %s\n", g->props.deviceName);
    fflush(stdout);

    float priority = 1.0f;
    VkDeviceQueueCreateInfo qci = {.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
                                   .queueFamilyIndex = g->family,
                                   .queueCount = 1,
                                   .pQueuePriorities = &priority};
    VkDeviceCreateInfo dci = {.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
                              .queueCreateInfoCount = 1,
                              .pQueueCreateInfos = &qci};
    CHECK(vkCreateDevice(g->physical, &dci, NULL, &g->device));
    vkGetDeviceQueue(g->device, g->family, 0, &g->queue);

    VkCommandPoolCreateInfo pci = {.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
                                   .queueFamilyIndex = g->family};
    CHECK(vkCreateCommandPool(g->device, &pci, NULL, &g->pool));

    free(families);
    free(physicals);
    return true;
out:
    free(families);
    free(physicals);
    gpu_destroy(g);
    return false;
}

/* A memory type allowed by `bits` with all of `need`; with `prefer` too if
 * there is one.  UINT32_MAX when none. */
static uint32_t memory_type(const struct gpu *g, uint32_t bits, VkMemoryPropertyFlags need,
                            VkMemoryPropertyFlags prefer)
{
    uint32_t found = UINT32_MAX;
    for (uint32_t i = 0; i < g->memory.memoryTypeCount; i++) {
        VkMemoryPropertyFlags flags = g->memory.memoryTypes[i].propertyFlags;
        if (!(bits & (1u << i)) || (flags & need) != need)
            continue;
        if ((flags & prefer) == prefer)
            return i;
        if (found == UINT32_MAX)
            found = i;
    }
    return found;
}

/* A buffer in its own memory; mapped when host-visible memory was asked for. */
struct buffer {
    VkBuffer buffer;
    VkDeviceMemory memory;
    void *map;
};

static void buffer_destroy(const struct gpu *g, struct buffer *b)
{
    if (b->map)
        vkUnmapMemory(g->device, b->memory);
    vkDestroyBuffer(g->device, b->buffer, NULL);
    vkFreeMemory(g->device, b->memory, NULL);
    memset(b, 0, sizeof *b);
}

static VkResult buffer_create(const struct gpu *g, VkDeviceSize size, VkBufferUsageFlags usage,
                              struct buffer *b)
{
    memset(b, 0, sizeof *b);
    VkBufferCreateInfo bci = {.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
                              .size = size,
                              .usage = usage,
                              .sharingMode = VK_SHARING_MODE_EXCLUSIVE};
    VkResult r = vkCreateBuffer(g->device, &bci, NULL, &b->buffer);
    if (r != VK_SUCCESS)
        return r;
    VkMemoryRequirements req;
    vkGetBufferMemoryRequirements(g->device, b->buffer, &req);
    /* Coherent, so that neither flushes nor invalidations are needed: the
     * device may be slower at it than in its own memory, but the demo
     * measures the forwarding of mapped memory as applications use it. */
    VkMemoryPropertyFlags need =
        VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
    uint32_t type = memory_type(g, req.memoryTypeBits, need, 0);
    if (type == UINT32_MAX) {
        buffer_destroy(g, b);
        return VK_ERROR_FEATURE_NOT_PRESENT;
    }
    VkMemoryAllocateInfo mai = {.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
                                .allocationSize = req.size,
                                .memoryTypeIndex = type};
    r = vkAllocateMemory(g->device, &mai, NULL, &b->memory);
    if (r == VK_SUCCESS)
        r = vkBindBufferMemory(g->device, b->buffer, b->memory, 0);
    if (r == VK_SUCCESS)
        r = vkMapMemory(g->device, b->memory, 0, VK_WHOLE_SIZE, 0, &b->map);
    if (r != VK_SUCCESS)
        buffer_destroy(g, b);
    return r;
}

static VkResult shader_module(const struct gpu *g, const uint32_t *code, size_t size,
                              VkShaderModule *module)
{
    VkShaderModuleCreateInfo info = {.sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO,
                                     .codeSize = size,
                                     .pCode = code};
    return vkCreateShaderModule(g->device, &info, NULL, module);
}

/* Submits one command buffer and waits for it (no timeout: lavapipe on a
 * busy CPU may take long, and a lost device returns an error anyway). */
static VkResult submit_and_wait(const struct gpu *g, VkCommandBuffer cmd)
{
    VkFence fence = VK_NULL_HANDLE;
    VkFenceCreateInfo fci = {.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    VkResult r = vkCreateFence(g->device, &fci, NULL, &fence);
    if (r != VK_SUCCESS)
        return r;
    VkSubmitInfo si = {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
                       .commandBufferCount = 1,
                       .pCommandBuffers = &cmd};
    r = vkQueueSubmit(g->queue, 1, &si, fence);
    if (r == VK_SUCCESS)
        r = vkWaitForFences(g->device, 1, &fence, VK_TRUE, UINT64_MAX);
    vkDestroyFence(g->device, fence, NULL);
    return r;
}

/* Milliseconds between the two timestamps of `pool`, or a negative number
 * when the queue has no timestamps. */
static VkResult device_ms(const struct gpu *g, VkQueryPool pool, double *ms)
{
    *ms = -1.0;
    if (!pool)
        return VK_SUCCESS;
    uint64_t stamps[2];
    VkResult r = vkGetQueryPoolResults(g->device, pool, 0, 2, sizeof stamps, stamps,
                                       sizeof stamps[0],
                                       VK_QUERY_RESULT_64_BIT | VK_QUERY_RESULT_WAIT_BIT);
    if (r != VK_SUCCESS)
        return r;
    /* Only the low timestampValidBits count; the counter may wrap once. */
    uint64_t mask = g->timestamp_bits >= 64 ? UINT64_MAX : (UINT64_C(1) << g->timestamp_bits) - 1;
    uint64_t ticks = (stamps[1] - stamps[0]) & mask;
    *ms = (double)ticks * g->props.limits.timestampPeriod / 1e6;
    return VK_SUCCESS;
}

static VkResult timestamp_pool(const struct gpu *g, VkQueryPool *pool)
{
    *pool = VK_NULL_HANDLE;
    if (!g->timestamp_bits)
        return VK_SUCCESS;
    VkQueryPoolCreateInfo info = {.sType = VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO,
                                  .queryType = VK_QUERY_TYPE_TIMESTAMP,
                                  .queryCount = 2};
    return vkCreateQueryPool(g->device, &info, NULL, pool);
}

static void print_device_ms(double ms)
{
    if (ms < 0)
        printf("n/a on the device (no timestamps)");
    else
        printf("%.1f ms on the device", ms);
}

/* ---- compute: SAXPY ----------------------------------------------------- */

static int run_compute(const struct gpu *g, uint32_t n)
{
    int status = 1;
    struct buffer x = {0}, y = {0};
    VkDescriptorSetLayout set_layout = VK_NULL_HANDLE;
    VkPipelineLayout layout = VK_NULL_HANDLE;
    VkShaderModule module = VK_NULL_HANDLE;
    VkPipeline pipeline = VK_NULL_HANDLE;
    VkDescriptorPool descriptor_pool = VK_NULL_HANDLE;
    VkQueryPool queries = VK_NULL_HANDLE;
    VkCommandBuffer cmd = VK_NULL_HANDLE;
    const VkDeviceSize size = (VkDeviceSize)n * sizeof(float);
    const float a = 3.0f;

    if (size > g->props.limits.maxStorageBufferRange)
        FAIL("compute: %" PRIu32 " floats are more than this device binds at once"
             " (maxStorageBufferRange %" PRIu32 " bytes)",
             n, g->props.limits.maxStorageBufferRange);
    /* A 2-D grid: more groups than one dimension holds are folded into rows. */
    uint32_t groups = (n + SAXPY_GROUP - 1) / SAXPY_GROUP;
    uint32_t gx = groups < g->props.limits.maxComputeWorkGroupCount[0]
                      ? groups
                      : g->props.limits.maxComputeWorkGroupCount[0];
    uint32_t gy = (groups + gx - 1) / gx;
    if (gy > g->props.limits.maxComputeWorkGroupCount[1])
        FAIL("compute: %" PRIu32 " elements need more work groups than the device has", n);

    CHECK(buffer_create(g, size, VK_BUFFER_USAGE_STORAGE_BUFFER_BIT, &x));
    CHECK(buffer_create(g, size, VK_BUFFER_USAGE_STORAGE_BUFFER_BIT, &y));

    VkDescriptorSetLayoutBinding bindings[2] = {
        {.binding = 0,
         .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
         .descriptorCount = 1,
         .stageFlags = VK_SHADER_STAGE_COMPUTE_BIT},
        {.binding = 1,
         .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
         .descriptorCount = 1,
         .stageFlags = VK_SHADER_STAGE_COMPUTE_BIT},
    };
    VkDescriptorSetLayoutCreateInfo dslci = {
        .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO,
        .bindingCount = 2,
        .pBindings = bindings};
    CHECK(vkCreateDescriptorSetLayout(g->device, &dslci, NULL, &set_layout));
    struct {
        float a;
        uint32_t n;
    } params = {a, n};
    VkPushConstantRange range = {.stageFlags = VK_SHADER_STAGE_COMPUTE_BIT,
                                 .size = sizeof params};
    VkPipelineLayoutCreateInfo plci = {.sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO,
                                       .setLayoutCount = 1,
                                       .pSetLayouts = &set_layout,
                                       .pushConstantRangeCount = 1,
                                       .pPushConstantRanges = &range};
    CHECK(vkCreatePipelineLayout(g->device, &plci, NULL, &layout));
    CHECK(shader_module(g, saxpy_comp_spv, sizeof saxpy_comp_spv, &module));
    VkComputePipelineCreateInfo cpci = {
        .sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO,
        .stage = {.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
                  .stage = VK_SHADER_STAGE_COMPUTE_BIT,
                  .module = module,
                  .pName = "main"},
        .layout = layout};
    CHECK(vkCreateComputePipelines(g->device, VK_NULL_HANDLE, 1, &cpci, NULL, &pipeline));

    VkDescriptorPoolSize pool_size = {.type = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
                                      .descriptorCount = 2};
    VkDescriptorPoolCreateInfo dpci = {.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO,
                                       .maxSets = 1,
                                       .poolSizeCount = 1,
                                       .pPoolSizes = &pool_size};
    CHECK(vkCreateDescriptorPool(g->device, &dpci, NULL, &descriptor_pool));
    VkDescriptorSetAllocateInfo dsai = {.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO,
                                        .descriptorPool = descriptor_pool,
                                        .descriptorSetCount = 1,
                                        .pSetLayouts = &set_layout};
    VkDescriptorSet set;
    CHECK(vkAllocateDescriptorSets(g->device, &dsai, &set));
    VkDescriptorBufferInfo infos[2] = {{x.buffer, 0, VK_WHOLE_SIZE}, {y.buffer, 0, VK_WHOLE_SIZE}};
    VkWriteDescriptorSet writes[2];
    for (int i = 0; i < 2; i++)
        writes[i] = (VkWriteDescriptorSet){.sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
                                           .dstSet = set,
                                           .dstBinding = (uint32_t)i,
                                           .descriptorCount = 1,
                                           .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
                                           .pBufferInfo = &infos[i]};
    vkUpdateDescriptorSets(g->device, 2, writes, 0, NULL);
    CHECK(timestamp_pool(g, &queries));

    VkCommandBufferAllocateInfo cbai = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
                                        .commandPool = g->pool,
                                        .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
                                        .commandBufferCount = 1};
    CHECK(vkAllocateCommandBuffers(g->device, &cbai, &cmd));
    VkCommandBufferBeginInfo begin = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
                                      .flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT};
    CHECK(vkBeginCommandBuffer(cmd, &begin));
    if (queries) {
        vkCmdResetQueryPool(cmd, queries, 0, 2);
        vkCmdWriteTimestamp(cmd, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, queries, 0);
    }
    vkCmdBindPipeline(cmd, VK_PIPELINE_BIND_POINT_COMPUTE, pipeline);
    vkCmdBindDescriptorSets(cmd, VK_PIPELINE_BIND_POINT_COMPUTE, layout, 0, 1, &set, 0, NULL);
    vkCmdPushConstants(cmd, layout, VK_SHADER_STAGE_COMPUTE_BIT, 0, sizeof params, &params);
    vkCmdDispatch(cmd, gx, gy, 1);
    if (queries)
        vkCmdWriteTimestamp(cmd, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, queries, 1);
    /* The shader's writes must be visible to the host's reads after the
     * fence (the submission itself makes the host's writes visible). */
    VkMemoryBarrier to_host = {.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
                               .srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT,
                               .dstAccessMask = VK_ACCESS_HOST_READ_BIT};
    vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_PIPELINE_STAGE_HOST_BIT, 0,
                         1, &to_host, 0, NULL, 0, NULL);
    CHECK(vkEndCommandBuffer(cmd));

    /* Small integers, so that a * x + y is exact in float whether or not the
     * device fuses the multiply and add: the check can ask for equality. */
    double start = now_ms();
    float *xs = x.map, *ys = y.map;
    for (uint32_t i = 0; i < n; i++) {
        xs[i] = (float)(i % 1024);
        ys[i] = (float)(i % 7) - 3.0f;
    }
    CHECK(submit_and_wait(g, cmd));
    double end_to_end = now_ms() - start;
    double on_device;
    CHECK(device_ms(g, queries, &on_device));

    uint32_t wrong = 0, first_wrong = 0;
    for (uint32_t i = 0; i < n; i++) {
        float want = a * (float)(i % 1024) + ((float)(i % 7) - 3.0f);
        if (ys[i] != want && wrong++ == 0)
            first_wrong = i;
    }
    if (wrong) {
        fprintf(stderr,
                "vkwire-demo: saxpy: %" PRIu32 " of %" PRIu32 " elements wrong, the first at %" PRIu32
                ": %g, not %g\n",
                wrong, n, first_wrong, (double)ys[first_wrong],
                (double)(a * (float)(first_wrong % 1024) + ((float)(first_wrong % 7) - 3.0f)));
        goto out;
    }
    printf("saxpy: %" PRIu32 " elements, ", n);
    print_device_ms(on_device);
    printf(", %.1f ms end to end (fill, submit, wait), verified\n", end_to_end);
    status = 0;
out:
    fflush(stdout);
    if (cmd)
        vkFreeCommandBuffers(g->device, g->pool, 1, &cmd);
    vkDestroyQueryPool(g->device, queries, NULL);
    vkDestroyDescriptorPool(g->device, descriptor_pool, NULL);
    vkDestroyPipeline(g->device, pipeline, NULL);
    vkDestroyShaderModule(g->device, module, NULL);
    vkDestroyPipelineLayout(g->device, layout, NULL);
    vkDestroyDescriptorSetLayout(g->device, set_layout, NULL);
    buffer_destroy(g, &y);
    buffer_destroy(g, &x);
    return status;
}

/* ---- render: a shaded torus --------------------------------------------- */

#define TORUS_U 64 /* segments around the ring */
#define TORUS_V 32 /* segments around the tube */
#define PI_F 3.14159265358979f

struct vertex {
    float position[3];
    float normal[3];
};

/* A torus around the y axis (ring radius 1, tube radius 0.4), with analytic
 * normals.  Triangles wind counter-clockwise seen from outside. */
static void torus(struct vertex *v, uint32_t *index)
{
    for (uint32_t u = 0; u < TORUS_U; u++) {
        for (uint32_t w = 0; w < TORUS_V; w++) {
            float theta = 2.0f * PI_F * (float)u / TORUS_U;
            float phi = 2.0f * PI_F * (float)w / TORUS_V;
            float ring = 1.0f + 0.4f * cosf(phi);
            struct vertex *p = &v[u * TORUS_V + w];
            p->position[0] = ring * cosf(theta);
            p->position[1] = 0.4f * sinf(phi);
            p->position[2] = ring * sinf(theta);
            p->normal[0] = cosf(phi) * cosf(theta);
            p->normal[1] = sinf(phi);
            p->normal[2] = cosf(phi) * sinf(theta);
        }
    }
    for (uint32_t u = 0; u < TORUS_U; u++) {
        for (uint32_t w = 0; w < TORUS_V; w++) {
            uint32_t a = u * TORUS_V + w;
            uint32_t b = (u + 1) % TORUS_U * TORUS_V + w;
            uint32_t c = (u + 1) % TORUS_U * TORUS_V + (w + 1) % TORUS_V;
            uint32_t d = u * TORUS_V + (w + 1) % TORUS_V;
            const uint32_t quad[6] = {a, c, b, a, d, c};
            memcpy(index, quad, sizeof quad);
            index += 6;
        }
    }
}

/* 4x4 matrices, column-major as GLSL reads them: m[column * 4 + row]. */
static void mat_mul(float *out, const float *l, const float *r)
{
    float t[16];
    for (int c = 0; c < 4; c++)
        for (int row = 0; row < 4; row++) {
            float s = 0.0f;
            for (int k = 0; k < 4; k++)
                s += l[k * 4 + row] * r[c * 4 + k];
            t[c * 4 + row] = s;
        }
    memcpy(out, t, sizeof t);
}

/* Rotation about x by `ax`, then about y by `ay`. */
static void mat_rotation(float *m, float ax, float ay)
{
    const float rx[16] = {1, 0, 0, 0, 0, cosf(ax), sinf(ax), 0, 0, -sinf(ax), cosf(ax), 0, 0, 0, 0, 1};
    const float ry[16] = {cosf(ay), 0, -sinf(ay), 0, 0, 1, 0, 0, sinf(ay), 0, cosf(ay), 0, 0, 0, 0, 1};
    mat_mul(m, ry, rx);
}

/* Camera at (0, 0, distance) looking down -z; Vulkan clip space: y down
 * (hence -f), depth 0 (near) to 1 (far). */
static void mat_camera(float *m, float aspect, float distance)
{
    const float f = 1.0f / tanf(0.5f * 45.0f * PI_F / 180.0f), near = 0.1f, far = 10.0f;
    const float proj[16] = {f / aspect, 0, 0, 0, 0, -f, 0, 0, 0, 0, far / (near - far), -1,
                            0, 0, near * far / (near - far), 0};
    const float view[16] = {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, -distance, 1};
    mat_mul(m, proj, view);
}

/* 64-bit FNV-1a. */
static uint64_t fnv1a(const unsigned char *p, size_t n, uint64_t h)
{
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * UINT64_C(0x100000001b3);
    return h;
}

/* ---- render check: the same torus drawn on the CPU ----------------------- */

/* mesh.frag's lighting, to 8-bit UNORM as the colour attachment stores it. */
static void shade(const float n_in[3], unsigned char out[4])
{
    static const float albedo[3] = {0.90f, 0.55f, 0.20f}, key[3] = {0.48f, 0.64f, 0.60f},
                       fill[3] = {-0.60f, 0.00f, 0.80f};
    const float len = sqrtf(n_in[0] * n_in[0] + n_in[1] * n_in[1] + n_in[2] * n_in[2]);
    float n[3] = {n_in[0] / len, n_in[1] / len, n_in[2] / len};
    const float k = n[0] * key[0] + n[1] * key[1] + n[2] * key[2];
    const float f = n[0] * fill[0] + n[1] * fill[1] + n[2] * fill[2];
    const float light = 0.15f + 0.75f * (k > 0 ? k : 0) + 0.25f * (f > 0 ? f : 0);
    for (int c = 0; c < 3; c++) {
        const float v = albedo[c] * light;
        out[c] = (unsigned char)lrintf((v < 1.0f ? v : 1.0f) * 255.0f);
    }
    out[3] = 255;
}

/* Render what run_render draws on the CPU: the same vertices, matrices and
 * lighting, sampled at pixel centres with a depth test (the torus is
 * closed, so the depth test alone hides its back faces), normals
 * interpolated with perspective as the GPU does.  Returns how many pixels
 * of `rgba` differ from it by more than `tolerance` in a channel, or
 * SIZE_MAX when out of memory.  Only pixels whose centre lies on a
 * triangle's edge may legitimately differ (rasterisation rules), so a
 * correct image differs in a handful of pixels; a wrong one in thousands. */
static size_t reference_mismatches(const struct vertex *v, uint32_t vertex_count,
                                   const uint32_t *index, uint32_t index_count,
                                   const float *mvp, const float *model, const float clear[4],
                                   const unsigned char *rgba, uint32_t width, uint32_t height,
                                   int tolerance)
{
    const size_t pixels = (size_t)width * height;
    float *depth = malloc(pixels * sizeof(float));
    unsigned char *ref = malloc(pixels * 4);
    float(*screen)[4] = malloc(vertex_count * sizeof(*screen)); /* x, y, z, 1/w */
    float(*normal)[3] = malloc(vertex_count * sizeof(*normal));
    size_t differ = SIZE_MAX;
    if (!depth || !ref || !screen || !normal)
        goto out;
    unsigned char background[4];
    for (int c = 0; c < 4; c++)
        background[c] = (unsigned char)lrintf(clear[c] * 255.0f);
    for (size_t p = 0; p < pixels; p++) {
        depth[p] = 1.0f;
        memcpy(ref + p * 4, background, 4);
    }
    for (uint32_t i = 0; i < vertex_count; i++) {
        float clip[4];
        for (int row = 0; row < 4; row++)
            clip[row] = mvp[0 * 4 + row] * v[i].position[0] + mvp[1 * 4 + row] * v[i].position[1] +
                        mvp[2 * 4 + row] * v[i].position[2] + mvp[3 * 4 + row];
        screen[i][0] = (clip[0] / clip[3] + 1.0f) * 0.5f * (float)width;
        screen[i][1] = (clip[1] / clip[3] + 1.0f) * 0.5f * (float)height;
        screen[i][2] = clip[2] / clip[3];
        screen[i][3] = 1.0f / clip[3];
        for (int row = 0; row < 3; row++)
            normal[i][row] = model[0 * 4 + row] * v[i].normal[0] +
                             model[1 * 4 + row] * v[i].normal[1] +
                             model[2 * 4 + row] * v[i].normal[2];
    }
    for (uint32_t t = 0; t + 2 < index_count; t += 3) {
        const float *a = screen[index[t]], *b = screen[index[t + 1]], *c = screen[index[t + 2]];
        const float area = (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]);
        if (area == 0.0f)
            continue;
        float lo_x = fminf(a[0], fminf(b[0], c[0])), hi_x = fmaxf(a[0], fmaxf(b[0], c[0]));
        float lo_y = fminf(a[1], fminf(b[1], c[1])), hi_y = fmaxf(a[1], fmaxf(b[1], c[1]));
        int x0 = lo_x < 0 ? 0 : (int)lo_x, y0 = lo_y < 0 ? 0 : (int)lo_y;
        int x1 = hi_x >= (float)width ? (int)width - 1 : (int)hi_x;
        int y1 = hi_y >= (float)height ? (int)height - 1 : (int)hi_y;
        for (int y = y0; y <= y1; y++)
            for (int x = x0; x <= x1; x++) {
                const float px = (float)x + 0.5f, py = (float)y + 0.5f;
                /* barycentric weights of a, b, c (all >= 0 inside, either winding) */
                float wa = ((b[0] - px) * (c[1] - py) - (b[1] - py) * (c[0] - px)) / area;
                float wb = ((c[0] - px) * (a[1] - py) - (c[1] - py) * (a[0] - px)) / area;
                float wc = 1.0f - wa - wb;
                if (wa < 0 || wb < 0 || wc < 0)
                    continue;
                const float z = wa * a[2] + wb * b[2] + wc * c[2];
                const size_t p = (size_t)y * width + (size_t)x;
                if (!(z < depth[p]))
                    continue;
                depth[p] = z;
                const float pa = wa * a[3], pb = wb * b[3], pc = wc * c[3], sum = pa + pb + pc;
                float n[3];
                for (int k = 0; k < 3; k++)
                    n[k] = (pa * normal[index[t]][k] + pb * normal[index[t + 1]][k] +
                            pc * normal[index[t + 2]][k]) / sum;
                shade(n, ref + p * 4);
            }
    }
    differ = 0;
    for (size_t p = 0; p < pixels; p++)
        for (int c = 0; c < 4; c++)
            if (abs((int)ref[p * 4 + c] - (int)rgba[p * 4 + c]) > tolerance) {
                differ++;
                break;
            }
out:
    free(normal);
    free(screen);
    free(ref);
    free(depth);
    return differ;
}

static bool depth_attachment_format(const struct gpu *g, VkFormat *format)
{
    const VkFormat candidates[] = {VK_FORMAT_D32_SFLOAT, VK_FORMAT_X8_D24_UNORM_PACK32};
    for (size_t i = 0; i < sizeof candidates / sizeof candidates[0]; i++) {
        VkFormatProperties fp;
        vkGetPhysicalDeviceFormatProperties(g->physical, candidates[i], &fp);
        if (fp.optimalTilingFeatures & VK_FORMAT_FEATURE_DEPTH_STENCIL_ATTACHMENT_BIT) {
            *format = candidates[i];
            return true;
        }
    }
    return false;
}

/* An image in device memory (device-local when there is such a type). */
static VkResult image_create(const struct gpu *g, VkFormat format, uint32_t width,
                             uint32_t height, VkImageUsageFlags usage, VkImage *image,
                             VkDeviceMemory *memory)
{
    VkImageCreateInfo ici = {.sType = VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO,
                             .imageType = VK_IMAGE_TYPE_2D,
                             .format = format,
                             .extent = {width, height, 1},
                             .mipLevels = 1,
                             .arrayLayers = 1,
                             .samples = VK_SAMPLE_COUNT_1_BIT,
                             .tiling = VK_IMAGE_TILING_OPTIMAL,
                             .usage = usage,
                             .sharingMode = VK_SHARING_MODE_EXCLUSIVE,
                             .initialLayout = VK_IMAGE_LAYOUT_UNDEFINED};
    VkResult r = vkCreateImage(g->device, &ici, NULL, image);
    if (r != VK_SUCCESS)
        return r;
    VkMemoryRequirements req;
    vkGetImageMemoryRequirements(g->device, *image, &req);
    uint32_t type = memory_type(g, req.memoryTypeBits, 0, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT);
    if (type == UINT32_MAX)
        return VK_ERROR_FEATURE_NOT_PRESENT;
    VkMemoryAllocateInfo mai = {.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
                                .allocationSize = req.size,
                                .memoryTypeIndex = type};
    r = vkAllocateMemory(g->device, &mai, NULL, memory);
    if (r != VK_SUCCESS)
        return r;
    return vkBindImageMemory(g->device, *image, *memory, 0);
}

static VkResult image_view(const struct gpu *g, VkImage image, VkFormat format,
                           VkImageAspectFlags aspect, VkImageView *view)
{
    VkImageViewCreateInfo info = {.sType = VK_STRUCTURE_TYPE_IMAGE_VIEW_CREATE_INFO,
                                  .image = image,
                                  .viewType = VK_IMAGE_VIEW_TYPE_2D,
                                  .format = format,
                                  .subresourceRange = {aspect, 0, 1, 0, 1}};
    return vkCreateImageView(g->device, &info, NULL, view);
}

static VkResult render_pass(const struct gpu *g, VkFormat depth_format, VkRenderPass *pass)
{
    VkAttachmentDescription attachments[2] = {
        {.format = VK_FORMAT_R8G8B8A8_UNORM,
         .samples = VK_SAMPLE_COUNT_1_BIT,
         .loadOp = VK_ATTACHMENT_LOAD_OP_CLEAR,
         .storeOp = VK_ATTACHMENT_STORE_OP_STORE,
         .stencilLoadOp = VK_ATTACHMENT_LOAD_OP_DONT_CARE,
         .stencilStoreOp = VK_ATTACHMENT_STORE_OP_DONT_CARE,
         .initialLayout = VK_IMAGE_LAYOUT_UNDEFINED,
         /* ready for the copy into the read-back buffer */
         .finalLayout = VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL},
        {.format = depth_format,
         .samples = VK_SAMPLE_COUNT_1_BIT,
         .loadOp = VK_ATTACHMENT_LOAD_OP_CLEAR,
         .storeOp = VK_ATTACHMENT_STORE_OP_DONT_CARE,
         .stencilLoadOp = VK_ATTACHMENT_LOAD_OP_DONT_CARE,
         .stencilStoreOp = VK_ATTACHMENT_STORE_OP_DONT_CARE,
         .initialLayout = VK_IMAGE_LAYOUT_UNDEFINED,
         .finalLayout = VK_IMAGE_LAYOUT_DEPTH_STENCIL_ATTACHMENT_OPTIMAL},
    };
    VkAttachmentReference color_ref = {0, VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL};
    VkAttachmentReference depth_ref = {1, VK_IMAGE_LAYOUT_DEPTH_STENCIL_ATTACHMENT_OPTIMAL};
    VkSubpassDescription subpass = {.pipelineBindPoint = VK_PIPELINE_BIND_POINT_GRAPHICS,
                                    .colorAttachmentCount = 1,
                                    .pColorAttachments = &color_ref,
                                    .pDepthStencilAttachment = &depth_ref};
    /* In: the clears and layout transitions happen before the attachments
     * are written.  Out: the colour writes (and the transition to
     * TRANSFER_SRC) finish before the copy reads the image. */
    VkSubpassDependency dependencies[2] = {
        {.srcSubpass = VK_SUBPASS_EXTERNAL,
         .dstSubpass = 0,
         .srcStageMask = VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT |
                         VK_PIPELINE_STAGE_EARLY_FRAGMENT_TESTS_BIT |
                         VK_PIPELINE_STAGE_LATE_FRAGMENT_TESTS_BIT,
         .dstStageMask = VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT |
                         VK_PIPELINE_STAGE_EARLY_FRAGMENT_TESTS_BIT |
                         VK_PIPELINE_STAGE_LATE_FRAGMENT_TESTS_BIT,
         .srcAccessMask = 0,
         .dstAccessMask = VK_ACCESS_COLOR_ATTACHMENT_WRITE_BIT |
                          VK_ACCESS_DEPTH_STENCIL_ATTACHMENT_READ_BIT |
                          VK_ACCESS_DEPTH_STENCIL_ATTACHMENT_WRITE_BIT},
        {.srcSubpass = 0,
         .dstSubpass = VK_SUBPASS_EXTERNAL,
         .srcStageMask = VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT,
         .dstStageMask = VK_PIPELINE_STAGE_TRANSFER_BIT,
         .srcAccessMask = VK_ACCESS_COLOR_ATTACHMENT_WRITE_BIT,
         .dstAccessMask = VK_ACCESS_TRANSFER_READ_BIT},
    };
    VkRenderPassCreateInfo info = {.sType = VK_STRUCTURE_TYPE_RENDER_PASS_CREATE_INFO,
                                   .attachmentCount = 2,
                                   .pAttachments = attachments,
                                   .subpassCount = 1,
                                   .pSubpasses = &subpass,
                                   .dependencyCount = 2,
                                   .pDependencies = dependencies};
    return vkCreateRenderPass(g->device, &info, NULL, pass);
}

static VkResult mesh_pipeline(const struct gpu *g, VkRenderPass pass, VkPipelineLayout layout,
                              uint32_t width, uint32_t height, VkPipeline *pipeline)
{
    VkShaderModule vert = VK_NULL_HANDLE, frag = VK_NULL_HANDLE;
    VkResult r = shader_module(g, mesh_vert_spv, sizeof mesh_vert_spv, &vert);
    if (r == VK_SUCCESS)
        r = shader_module(g, mesh_frag_spv, sizeof mesh_frag_spv, &frag);
    if (r != VK_SUCCESS)
        goto done;
    VkPipelineShaderStageCreateInfo stages[2] = {
        {.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
         .stage = VK_SHADER_STAGE_VERTEX_BIT,
         .module = vert,
         .pName = "main"},
        {.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
         .stage = VK_SHADER_STAGE_FRAGMENT_BIT,
         .module = frag,
         .pName = "main"},
    };
    VkVertexInputBindingDescription binding = {0, sizeof(struct vertex),
                                               VK_VERTEX_INPUT_RATE_VERTEX};
    VkVertexInputAttributeDescription attributes[2] = {
        {0, 0, VK_FORMAT_R32G32B32_SFLOAT, offsetof(struct vertex, position)},
        {1, 0, VK_FORMAT_R32G32B32_SFLOAT, offsetof(struct vertex, normal)},
    };
    VkPipelineVertexInputStateCreateInfo input = {
        .sType = VK_STRUCTURE_TYPE_PIPELINE_VERTEX_INPUT_STATE_CREATE_INFO,
        .vertexBindingDescriptionCount = 1,
        .pVertexBindingDescriptions = &binding,
        .vertexAttributeDescriptionCount = 2,
        .pVertexAttributeDescriptions = attributes};
    VkPipelineInputAssemblyStateCreateInfo assembly = {
        .sType = VK_STRUCTURE_TYPE_PIPELINE_INPUT_ASSEMBLY_STATE_CREATE_INFO,
        .topology = VK_PRIMITIVE_TOPOLOGY_TRIANGLE_LIST};
    VkViewport viewport = {0.0f, 0.0f, (float)width, (float)height, 0.0f, 1.0f};
    VkRect2D scissor = {{0, 0}, {width, height}};
    VkPipelineViewportStateCreateInfo viewports = {
        .sType = VK_STRUCTURE_TYPE_PIPELINE_VIEWPORT_STATE_CREATE_INFO,
        .viewportCount = 1,
        .pViewports = &viewport,
        .scissorCount = 1,
        .pScissors = &scissor};
    /* The projection flips y, which keeps counter-clockwise triangles
     * counter-clockwise in framebuffer coordinates. */
    VkPipelineRasterizationStateCreateInfo raster = {
        .sType = VK_STRUCTURE_TYPE_PIPELINE_RASTERIZATION_STATE_CREATE_INFO,
        .polygonMode = VK_POLYGON_MODE_FILL,
        .cullMode = VK_CULL_MODE_BACK_BIT,
        .frontFace = VK_FRONT_FACE_COUNTER_CLOCKWISE,
        .lineWidth = 1.0f};
    VkPipelineMultisampleStateCreateInfo multisample = {
        .sType = VK_STRUCTURE_TYPE_PIPELINE_MULTISAMPLE_STATE_CREATE_INFO,
        .rasterizationSamples = VK_SAMPLE_COUNT_1_BIT};
    VkPipelineDepthStencilStateCreateInfo depth = {
        .sType = VK_STRUCTURE_TYPE_PIPELINE_DEPTH_STENCIL_STATE_CREATE_INFO,
        .depthTestEnable = VK_TRUE,
        .depthWriteEnable = VK_TRUE,
        .depthCompareOp = VK_COMPARE_OP_LESS};
    VkPipelineColorBlendAttachmentState blend_attachment = {
        .colorWriteMask = VK_COLOR_COMPONENT_R_BIT | VK_COLOR_COMPONENT_G_BIT |
                          VK_COLOR_COMPONENT_B_BIT | VK_COLOR_COMPONENT_A_BIT};
    VkPipelineColorBlendStateCreateInfo blend = {
        .sType = VK_STRUCTURE_TYPE_PIPELINE_COLOR_BLEND_STATE_CREATE_INFO,
        .attachmentCount = 1,
        .pAttachments = &blend_attachment};
    VkGraphicsPipelineCreateInfo info = {.sType = VK_STRUCTURE_TYPE_GRAPHICS_PIPELINE_CREATE_INFO,
                                         .stageCount = 2,
                                         .pStages = stages,
                                         .pVertexInputState = &input,
                                         .pInputAssemblyState = &assembly,
                                         .pViewportState = &viewports,
                                         .pRasterizationState = &raster,
                                         .pMultisampleState = &multisample,
                                         .pDepthStencilState = &depth,
                                         .pColorBlendState = &blend,
                                         .layout = layout,
                                         .renderPass = pass,
                                         .subpass = 0};
    r = vkCreateGraphicsPipelines(g->device, VK_NULL_HANDLE, 1, &info, NULL, pipeline);
done:
    vkDestroyShaderModule(g->device, frag, NULL);
    vkDestroyShaderModule(g->device, vert, NULL);
    return r;
}

/* Binary PPM (P6) of the tightly packed RGBA rows; alpha is dropped.
 * Returns the FNV-1a of the file's bytes through *checksum. */
static bool write_ppm(const char *path, const unsigned char *rgba, uint32_t width,
                      uint32_t height, uint64_t *checksum)
{
    unsigned char *row = malloc((size_t)width * 3);
    FILE *f = fopen(path, "wb");
    bool ok = row && f;
    if (ok) {
        char header[64];
        int len = snprintf(header, sizeof header, "P6\n%" PRIu32 " %" PRIu32 "\n255\n", width,
                           height);
        uint64_t h = fnv1a((const unsigned char *)header, (size_t)len,
                           UINT64_C(0xcbf29ce484222325));
        ok = fwrite(header, 1, (size_t)len, f) == (size_t)len;
        for (uint32_t y = 0; ok && y < height; y++) {
            const unsigned char *src = rgba + (size_t)y * width * 4;
            for (uint32_t x = 0; x < width; x++)
                memcpy(row + (size_t)x * 3, src + (size_t)x * 4, 3);
            ok = fwrite(row, 3, width, f) == width;
            h = fnv1a(row, (size_t)width * 3, h);
        }
        *checksum = h;
    }
    int saved = errno;
    if (f && fclose(f) != 0)
        ok = false;
    else
        errno = saved;
    if (!ok)
        fprintf(stderr, "vkwire-demo: cannot write %s: %s\n", path, strerror(errno));
    free(row);
    return ok;
}

/* Render `frames` times (each one submitted, waited for and read back: the
 * readback's checksum must be the same every time), then write `path` and
 * check the image against the CPU rendering. */
static int run_render(const struct gpu *g, const char *path, uint32_t width, uint32_t height,
                      uint32_t frames)
{
    int status = 1;
    struct buffer vertices = {0}, indices = {0}, readback = {0};
    VkImage color = VK_NULL_HANDLE, depth = VK_NULL_HANDLE;
    VkDeviceMemory color_memory = VK_NULL_HANDLE, depth_memory = VK_NULL_HANDLE;
    VkImageView color_view = VK_NULL_HANDLE, depth_view = VK_NULL_HANDLE;
    VkRenderPass pass = VK_NULL_HANDLE;
    VkFramebuffer framebuffer = VK_NULL_HANDLE;
    VkPipelineLayout layout = VK_NULL_HANDLE;
    VkPipeline pipeline = VK_NULL_HANDLE;
    VkQueryPool queries = VK_NULL_HANDLE;
    VkCommandBuffer cmd = VK_NULL_HANDLE;
    const uint32_t vertex_count = TORUS_U * TORUS_V, index_count = TORUS_U * TORUS_V * 6;
    VkFormat depth_format;

    const VkPhysicalDeviceLimits *limits = &g->props.limits;
    if (width > limits->maxFramebufferWidth || height > limits->maxFramebufferHeight ||
        width > limits->maxImageDimension2D || height > limits->maxImageDimension2D)
        FAIL("render: %" PRIu32 "x%" PRIu32 " is larger than the device renders", width, height);
    if (!depth_attachment_format(g, &depth_format))
        FAIL("render: the device has no depth attachment format (D32_SFLOAT or X8_D24)");

    CHECK(buffer_create(g, sizeof(struct vertex) * vertex_count, VK_BUFFER_USAGE_VERTEX_BUFFER_BIT,
                        &vertices));
    CHECK(buffer_create(g, sizeof(uint32_t) * index_count, VK_BUFFER_USAGE_INDEX_BUFFER_BIT,
                        &indices));
    CHECK(buffer_create(g, (VkDeviceSize)width * height * 4, VK_BUFFER_USAGE_TRANSFER_DST_BIT,
                        &readback));
    torus(vertices.map, indices.map);

    CHECK(image_create(g, VK_FORMAT_R8G8B8A8_UNORM, width, height,
                       VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT | VK_IMAGE_USAGE_TRANSFER_SRC_BIT,
                       &color, &color_memory));
    CHECK(image_create(g, depth_format, width, height,
                       VK_IMAGE_USAGE_DEPTH_STENCIL_ATTACHMENT_BIT, &depth, &depth_memory));
    CHECK(image_view(g, color, VK_FORMAT_R8G8B8A8_UNORM, VK_IMAGE_ASPECT_COLOR_BIT, &color_view));
    CHECK(image_view(g, depth, depth_format, VK_IMAGE_ASPECT_DEPTH_BIT, &depth_view));
    CHECK(render_pass(g, depth_format, &pass));
    VkImageView views[2] = {color_view, depth_view};
    VkFramebufferCreateInfo fci = {.sType = VK_STRUCTURE_TYPE_FRAMEBUFFER_CREATE_INFO,
                                   .renderPass = pass,
                                   .attachmentCount = 2,
                                   .pAttachments = views,
                                   .width = width,
                                   .height = height,
                                   .layers = 1};
    CHECK(vkCreateFramebuffer(g->device, &fci, NULL, &framebuffer));

    struct {
        float mvp[16];
        float model[16];
    } transform;
    VkPushConstantRange range = {.stageFlags = VK_SHADER_STAGE_VERTEX_BIT,
                                 .size = sizeof transform};
    VkPipelineLayoutCreateInfo plci = {.sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO,
                                       .pushConstantRangeCount = 1,
                                       .pPushConstantRanges = &range};
    CHECK(vkCreatePipelineLayout(g->device, &plci, NULL, &layout));
    CHECK(mesh_pipeline(g, pass, layout, width, height, &pipeline));
    CHECK(timestamp_pool(g, &queries));

    /* Tilted towards the camera and turned a little, so that the hole, the
     * inside of the ring and both lights show. */
    mat_rotation(transform.model, 0.9f, 0.35f);
    mat_camera(transform.mvp, (float)width / (float)height, 4.4f);
    mat_mul(transform.mvp, transform.mvp, transform.model);

    VkCommandBufferAllocateInfo cbai = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
                                        .commandPool = g->pool,
                                        .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
                                        .commandBufferCount = 1};
    CHECK(vkAllocateCommandBuffers(g->device, &cbai, &cmd));
    VkCommandBufferBeginInfo begin = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
                                      .flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT};
    CHECK(vkBeginCommandBuffer(cmd, &begin));
    if (queries) {
        vkCmdResetQueryPool(cmd, queries, 0, 2);
        vkCmdWriteTimestamp(cmd, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, queries, 0);
    }
    VkClearValue clears[2] = {{.color = {.float32 = {0.08f, 0.09f, 0.12f, 1.0f}}},
                              {.depthStencil = {1.0f, 0}}};
    VkRenderPassBeginInfo rpbi = {.sType = VK_STRUCTURE_TYPE_RENDER_PASS_BEGIN_INFO,
                                  .renderPass = pass,
                                  .framebuffer = framebuffer,
                                  .renderArea = {{0, 0}, {width, height}},
                                  .clearValueCount = 2,
                                  .pClearValues = clears};
    vkCmdBeginRenderPass(cmd, &rpbi, VK_SUBPASS_CONTENTS_INLINE);
    vkCmdBindPipeline(cmd, VK_PIPELINE_BIND_POINT_GRAPHICS, pipeline);
    VkDeviceSize zero = 0;
    vkCmdBindVertexBuffers(cmd, 0, 1, &vertices.buffer, &zero);
    vkCmdBindIndexBuffer(cmd, indices.buffer, 0, VK_INDEX_TYPE_UINT32);
    vkCmdPushConstants(cmd, layout, VK_SHADER_STAGE_VERTEX_BIT, 0, sizeof transform, &transform);
    vkCmdDrawIndexed(cmd, index_count, 1, 0, 0, 0);
    vkCmdEndRenderPass(cmd);
    VkBufferImageCopy region = {.imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1},
                                .imageExtent = {width, height, 1}};
    vkCmdCopyImageToBuffer(cmd, color, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, readback.buffer, 1,
                           &region);
    if (queries)
        vkCmdWriteTimestamp(cmd, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, queries, 1);
    VkMemoryBarrier to_host = {.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
                               .srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT,
                               .dstAccessMask = VK_ACCESS_HOST_READ_BIT};
    vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_HOST_BIT, 0, 1,
                         &to_host, 0, NULL, 0, NULL);
    CHECK(vkEndCommandBuffer(cmd));

    double start = now_ms();
    CHECK(submit_and_wait(g, cmd));
    double end_to_end = now_ms() - start;
    double on_device;
    CHECK(device_ms(g, queries, &on_device));
    if (frames > 1) {
        const size_t bytes = (size_t)width * height * 4;
        const uint64_t first = fnv1a(readback.map, bytes, UINT64_C(0xcbf29ce484222325));
        double frames_start = now_ms();
        for (uint32_t f = 1; f < frames; f++) {
            CHECK(submit_and_wait(g, cmd));
            if (fnv1a(readback.map, bytes, UINT64_C(0xcbf29ce484222325)) != first)
                FAIL("render: frame %" PRIu32 " differs from the first", f);
        }
        const double per_frame = (now_ms() - frames_start) / (frames - 1);
        printf("render: %" PRIu32 " frames, %.1f frames/s (submit, wait, read back), all alike\n",
               frames, 1000.0 / per_frame);
    }

    uint64_t checksum;
    if (!write_ppm(path, readback.map, width, height, &checksum))
        goto out;
    printf("render: %" PRIu32 "x%" PRIu32 ", %" PRIu32 " triangles, ", width, height,
           index_count / 3);
    print_device_ms(on_device);
    printf(", %.1f ms end to end (submit, wait)\n", end_to_end);
    printf("render: wrote %s, fnv1a64 %016" PRIx64 "\n", path, checksum);
    /* Pixels that differ only by rounding are not counted; a pixel on a
     * triangle edge may be covered by either side. */
    const size_t pixels = (size_t)width * height, allowed = pixels / 200;
    const size_t differ = reference_mismatches(vertices.map, vertex_count, indices.map, index_count,
                                               transform.mvp, transform.model,
                                               clears[0].color.float32, readback.map, width,
                                               height, 2);
    if (differ == SIZE_MAX)
        FAIL("render: no memory for the CPU reference image");
    printf("render: %s: %zu of %zu pixels differ from a CPU rendering of the same torus "
           "(at most %zu may, on edges)\n",
           differ <= allowed ? "verified" : "WRONG", differ, pixels, allowed);
    if (differ > allowed)
        goto out;
    status = 0;
out:
    fflush(stdout);
    if (cmd)
        vkFreeCommandBuffers(g->device, g->pool, 1, &cmd);
    vkDestroyQueryPool(g->device, queries, NULL);
    vkDestroyPipeline(g->device, pipeline, NULL);
    vkDestroyPipelineLayout(g->device, layout, NULL);
    vkDestroyFramebuffer(g->device, framebuffer, NULL);
    vkDestroyRenderPass(g->device, pass, NULL);
    vkDestroyImageView(g->device, depth_view, NULL);
    vkDestroyImageView(g->device, color_view, NULL);
    vkDestroyImage(g->device, depth, NULL);
    vkFreeMemory(g->device, depth_memory, NULL);
    vkDestroyImage(g->device, color, NULL);
    vkFreeMemory(g->device, color_memory, NULL);
    buffer_destroy(g, &readback);
    buffer_destroy(g, &indices);
    buffer_destroy(g, &vertices);
    return status;
}

/* ---- command line --------------------------------------------------------- */

static int usage(FILE *f, int status)
{
    fputs("usage: vkwire-demo                                   compute and render, defaults\n"
          "       vkwire-demo compute [N]                       SAXPY over N floats (default 16777216)\n"
          "       vkwire-demo render [OUT.ppm] [WIDTH HEIGHT]   a shaded torus (default " DEFAULT_PPM
          ", 256x256)\n"
          "       vkwire-demo frames [N]                        render it N times (default 100), frames/s\n",
          f);
    return status;
}

/* A decimal number in [1, max]; false for anything else. */
static bool parse_count(const char *s, uint32_t max, uint32_t *out)
{
    char *end;
    if (*s < '0' || *s > '9')
        return false;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v == 0 || v > max)
        return false;
    *out = (uint32_t)v;
    return true;
}

int main(int argc, char **argv)
{
    bool compute = true, render = true;
    uint32_t n = DEFAULT_ELEMENTS, width = DEFAULT_SIZE, height = DEFAULT_SIZE, frames = 1;
    const char *path = DEFAULT_PPM;

    if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")))
        return usage(stdout, 0);
    if (argc >= 2 && !strcmp(argv[1], "compute")) {
        render = false;
        if (argc > 3 || (argc == 3 && !parse_count(argv[2], MAX_ELEMENTS, &n))) {
            fprintf(stderr, "vkwire-demo: compute takes one count, 1 to %u\n", MAX_ELEMENTS);
            return usage(stderr, 2);
        }
    } else if (argc >= 2 && !strcmp(argv[1], "render")) {
        compute = false;
        /* render [OUT] [W H]: an odd count of arguments after "render" holds OUT. */
        int size_at = 2;
        if (argc == 3 || argc == 5)
            path = argv[size_at++];
        if (argc > 5 || (argc - size_at == 2 && (!parse_count(argv[size_at], MAX_SIZE, &width) ||
                                                 !parse_count(argv[size_at + 1], MAX_SIZE, &height)))) {
            fprintf(stderr, "vkwire-demo: render takes [OUT.ppm] [WIDTH HEIGHT], sizes 1 to %u\n",
                    MAX_SIZE);
            return usage(stderr, 2);
        }
    } else if (argc >= 2 && !strcmp(argv[1], "frames")) {
        compute = false;
        frames = 100;
        if (argc > 3 || (argc == 3 && !parse_count(argv[2], 1000000, &frames))) {
            fprintf(stderr, "vkwire-demo: frames takes one count, 1 to 1000000\n");
            return usage(stderr, 2);
        }
    } else if (argc != 1) {
        return usage(stderr, 2);
    }

    struct gpu g;
    if (!gpu_create(&g))
        return 1;
    int status = 0;
    if (compute && run_compute(&g, n) != 0)
        status = 1;
    if (render && run_render(&g, path, width, height, frames) != 0)
        status = 1;
    gpu_destroy(&g);
    return status;
}
