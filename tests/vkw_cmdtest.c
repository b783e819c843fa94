/* vkw_cmdtest — command buffers, queues and synchronisation, seen from an
 * application.  Public Vulkan API only, so the same binary runs natively and
 * through vkwire; tests/check_cmd.sh runs it both ways and compares.
 *
 *   vkw_cmdtest                 every scenario, one after the other
 *   vkw_cmdtest NAME...         the named scenarios (one per run isolates a crash)
 *   vkw_cmdtest --list          the scenario names, one a line, with what each checks
 *
 * Every scenario gets a device of its own, verifies what it can by itself
 * (known answers computed on the CPU: compute results, pixels at chosen
 * points, query counts) and prints one line:
 *
 *   ok NAME DIGEST              DIGEST: FNV-1a 64 of every byte it read back
 *   not ok NAME: why            the first thing that went wrong
 *
 * The digest covers only what is deterministic (no timestamps, no values the
 * spec leaves open), so that a run through vkwire must give native's digest.
 * A debug-utils messenger counts the validation layer's messages (enable the
 * layer with VK_INSTANCE_LAYERS=VK_LAYER_KHRONOS_validation): any message
 * fails the scenario it came in.  The loader's own notes are not counted.
 * The hidden scenario "mistake" makes one deliberate error, so that a test
 * can see the messenger really reports.
 *
 * Exit status: 0 when every scenario run passed, 1 when one failed, 2 on a
 * usage error or when no instance could be made.
 *
 * The shaders are GLSL in tests/shaders/, compiled by glslc at build time
 * and embedded (tests/vkw_cmdtest_spirv.h). */
#define _GNU_SOURCE /* nanosleep, pthread barriers; MAP_ANONYMOUS (cmdtest/external.h) */

#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdnoreturn.h>
#include <string.h>
#include <time.h>
#include <vulkan/vulkan.h>

#include "tests/vkw_cmdtest_spirv.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
/* Long enough for lavapipe under a sanitizer on a busy machine; a wait that
 * runs out is a failure, never a hang of the whole test. */
#define WAIT_NS (30ull * 1000 * 1000 * 1000)

static const char *result_name(VkResult r)
{
    switch (r) {
#define NAME(x) \
    case x:     \
        return #x
        NAME(VK_SUCCESS);
        NAME(VK_NOT_READY);
        NAME(VK_TIMEOUT);
        NAME(VK_EVENT_SET);
        NAME(VK_EVENT_RESET);
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

/* ---- the state of a run and of the scenario in it ------------------------ */

/* One object a scenario made: destroyed in reverse order when it ends, pass
 * or fail, so that every scenario leaves its device empty (the validation
 * layer reports what is left at vkDestroyDevice). */
struct tracked {
    VkObjectType type;
    uint64_t handle;
};

struct ctx {
    /* The whole run. */
    VkInstance instance;
    VkDebugUtilsMessengerEXT messenger;
    VkPhysicalDevice physical;
    VkPhysicalDeviceProperties props;
    VkPhysicalDeviceMemoryProperties memory;
    uint32_t family;

    /* One scenario.  The queue is shared by threads: Vulkan wants its use
     * externally synchronised, hence queue_lock around every use. */
    VkDevice device;
    VkQueue queue;
    pthread_mutex_t queue_lock;
    VkCommandPool pool; /* RESET_COMMAND_BUFFER: for helpers and simple cases */

    pthread_mutex_t lock; /* objects, failed and why (threads fail too) */
    struct tracked *objects;
    size_t object_count, object_cap;
    bool failed;
    char why[600];
    uint64_t digest; /* main thread only */
};

/* What a scenario asks of its device beyond the 1.3 features every
 * scenario gets (device_create): extensions, and feature structs chained
 * into VkDeviceCreateInfo.  A scenario whose device lacks something sets
 * `skip` with the reason: natively and through vkwire alike it then reports
 * a skip, never a pass. */
struct device_needs {
    const char *extensions[16];
    uint32_t extension_count;
    void *features; /* a pNext chain of feature structs to enable, or NULL */
    /* Vulkan 1.2 features to switch on beside device_create's own (that
     * struct is in the chain already, so it cannot be in `features`). */
    VkPhysicalDeviceVulkan12Features v12;
    /* One queue of another family too (a video decode queue): the scenario
     * gets it with vkGetDeviceQueue(device, extra_family, 0). */
    bool extra_queue;
    uint32_t extra_family;
    bool skip;
    char skip_why[200];
};

/* Messages from the validation layer while the current scenario runs. */
static atomic_uint validation_messages;
static char first_message[300];
static atomic_flag first_message_taken = ATOMIC_FLAG_INIT;

/* Where a failure jumps to: the scenario's runner, or a worker thread's
 * start.  Thread-local, so that a failing thread never jumps into another
 * thread's stack. */
static _Thread_local jmp_buf *on_failure;

/* Records the first failure of the scenario and leaves it (or the thread). */
static noreturn void fail(struct ctx *c, const char *fmt, ...)
{
    char why[sizeof c->why];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    pthread_mutex_lock(&c->lock);
    if (!c->failed) {
        c->failed = true;
        memcpy(c->why, why, sizeof why);
    }
    pthread_mutex_unlock(&c->lock);
    longjmp(*on_failure, 1);
}

#define VK(call)                                                                  \
    do {                                                                          \
        VkResult vk_r_ = (call);                                                  \
        if (vk_r_ != VK_SUCCESS)                                                  \
            fail(c, "line %d: %s returned %s (%d)", __LINE__, #call,              \
                 result_name(vk_r_), (int)vk_r_);                                 \
    } while (0)

/* A result other than VK_SUCCESS that the spec promises. */
#define VK_EXPECT(want, call)                                                     \
    do {                                                                          \
        VkResult vk_r_ = (call);                                                  \
        if (vk_r_ != (want))                                                      \
            fail(c, "line %d: %s returned %s, not %s", __LINE__, #call,           \
                 result_name(vk_r_), #want);                                      \
        digest_u32(c, (uint32_t)vk_r_);                                           \
    } while (0)

#define EXPECT(cond, ...)                                                         \
    do {                                                                          \
        if (!(cond))                                                              \
            fail(c, __VA_ARGS__);                                                 \
    } while (0)

/* ---- the digest: FNV-1a 64 over every byte read back --------------------- */

static void digest(struct ctx *c, const void *data, size_t size)
{
    const unsigned char *p = data;
    uint64_t h = c->digest;
    for (size_t i = 0; i < size; i++) {
        h ^= p[i];
        h *= UINT64_C(0x100000001b3);
    }
    c->digest = h;
}

static void digest_u32(struct ctx *c, uint32_t v)
{
    digest(c, &v, sizeof v);
}

/* ---- objects ------------------------------------------------------------- */

static void track(struct ctx *c, VkObjectType type, uint64_t handle)
{
    pthread_mutex_lock(&c->lock);
    if (c->object_count == c->object_cap) {
        size_t cap = c->object_cap ? c->object_cap * 2 : 64;
        struct tracked *grown = realloc(c->objects, cap * sizeof *grown);
        if (!grown) {
            pthread_mutex_unlock(&c->lock);
            fail(c, "out of memory");
        }
        c->objects = grown;
        c->object_cap = cap;
    }
    c->objects[c->object_count++] = (struct tracked){type, handle};
    pthread_mutex_unlock(&c->lock);
}

#define TRACK(type, handle) track(c, VK_OBJECT_TYPE_##type, (uint64_t)(uintptr_t)(handle))

static void destroy_tracked(struct ctx *c, const struct tracked *t)
{
    VkDevice d = c->device;
#define H(type) ((type)(uintptr_t)t->handle)
    switch (t->type) {
    case VK_OBJECT_TYPE_BUFFER: vkDestroyBuffer(d, H(VkBuffer), NULL); break;
    case VK_OBJECT_TYPE_IMAGE: vkDestroyImage(d, H(VkImage), NULL); break;
    case VK_OBJECT_TYPE_IMAGE_VIEW: vkDestroyImageView(d, H(VkImageView), NULL); break;
    case VK_OBJECT_TYPE_DEVICE_MEMORY: vkFreeMemory(d, H(VkDeviceMemory), NULL); break;
    case VK_OBJECT_TYPE_SHADER_MODULE: vkDestroyShaderModule(d, H(VkShaderModule), NULL); break;
    case VK_OBJECT_TYPE_PIPELINE: vkDestroyPipeline(d, H(VkPipeline), NULL); break;
    case VK_OBJECT_TYPE_PIPELINE_LAYOUT:
        vkDestroyPipelineLayout(d, H(VkPipelineLayout), NULL);
        break;
    case VK_OBJECT_TYPE_DESCRIPTOR_SET_LAYOUT:
        vkDestroyDescriptorSetLayout(d, H(VkDescriptorSetLayout), NULL);
        break;
    case VK_OBJECT_TYPE_DESCRIPTOR_POOL:
        vkDestroyDescriptorPool(d, H(VkDescriptorPool), NULL);
        break;
    case VK_OBJECT_TYPE_DESCRIPTOR_UPDATE_TEMPLATE:
        vkDestroyDescriptorUpdateTemplate(d, H(VkDescriptorUpdateTemplate), NULL);
        break;
    case VK_OBJECT_TYPE_RENDER_PASS: vkDestroyRenderPass(d, H(VkRenderPass), NULL); break;
    case VK_OBJECT_TYPE_FRAMEBUFFER: vkDestroyFramebuffer(d, H(VkFramebuffer), NULL); break;
    case VK_OBJECT_TYPE_COMMAND_POOL: vkDestroyCommandPool(d, H(VkCommandPool), NULL); break;
    case VK_OBJECT_TYPE_FENCE: vkDestroyFence(d, H(VkFence), NULL); break;
    case VK_OBJECT_TYPE_SEMAPHORE: vkDestroySemaphore(d, H(VkSemaphore), NULL); break;
    case VK_OBJECT_TYPE_EVENT: vkDestroyEvent(d, H(VkEvent), NULL); break;
    case VK_OBJECT_TYPE_QUERY_POOL: vkDestroyQueryPool(d, H(VkQueryPool), NULL); break;
    case VK_OBJECT_TYPE_SAMPLER: vkDestroySampler(d, H(VkSampler), NULL); break;
    case VK_OBJECT_TYPE_BUFFER_VIEW: vkDestroyBufferView(d, H(VkBufferView), NULL); break;
    /* extension objects: their destroyers come from the device */
#define EXT(type, fn)                                                              \
    case VK_OBJECT_TYPE_##type: {                                                  \
        PFN_##fn destroy = (PFN_##fn)vkGetDeviceProcAddr(d, #fn);                  \
        if (destroy)                                                               \
            destroy(d, (void *)(uintptr_t)t->handle, NULL);                        \
        break;                                                                     \
    }
        EXT(SHADER_EXT, vkDestroyShaderEXT)
        EXT(INDIRECT_COMMANDS_LAYOUT_EXT, vkDestroyIndirectCommandsLayoutEXT)
        EXT(INDIRECT_EXECUTION_SET_EXT, vkDestroyIndirectExecutionSetEXT)
        EXT(PIPELINE_BINARY_KHR, vkDestroyPipelineBinaryKHR)
        EXT(ACCELERATION_STRUCTURE_KHR, vkDestroyAccelerationStructureKHR)
#undef EXT
    case VK_OBJECT_TYPE_DEVICE: /* a second device a scenario made */
        vkDeviceWaitIdle(H(VkDevice));
        vkDestroyDevice(H(VkDevice), NULL);
        break;
    default:
        fprintf(stderr, "vkw_cmdtest: cannot destroy an object of type %d\n", (int)t->type);
        break;
    }
#undef H
}

/* A device command that libvulkan may not export (Vulkan 1.4, extensions):
 * the scenario fails if the device lacks it. */
static PFN_vkVoidFunction device_proc(struct ctx *c, const char *name)
{
    PFN_vkVoidFunction f = vkGetDeviceProcAddr(c->device, name);
    if (!f)
        fail(c, "vkGetDeviceProcAddr(%s) is NULL", name);
    return f;
}
#define DEVICE_PROC(name) ((PFN_##name)device_proc(c, #name))

static uint32_t memory_type(struct ctx *c, uint32_t bits, VkMemoryPropertyFlags need,
                            VkMemoryPropertyFlags prefer)
{
    uint32_t found = UINT32_MAX;
    for (uint32_t i = 0; i < c->memory.memoryTypeCount; i++) {
        VkMemoryPropertyFlags flags = c->memory.memoryTypes[i].propertyFlags;
        if (!(bits & (1u << i)) || (flags & need) != need)
            continue;
        if ((flags & prefer) == prefer)
            return i;
        if (found == UINT32_MAX)
            found = i;
    }
    if (found == UINT32_MAX)
        fail(c, "no memory type with flags 0x%x among 0x%x", (unsigned)need, (unsigned)bits);
    return found;
}

/* A buffer in host-visible, coherent memory of its own, mapped for the
 * scenario's life and zeroed (by the host: the device sees the zeroes at the
 * first submission, as coherent memory promises). */
struct buffer {
    VkBuffer buffer;
    VkDeviceMemory memory;
    VkDeviceSize size;
    void *map;
};

static struct buffer buffer_new(struct ctx *c, VkDeviceSize size, VkBufferUsageFlags usage)
{
    struct buffer b = {.size = size};
    VkBufferCreateInfo info = {.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
                               .size = size,
                               .usage = usage | VK_BUFFER_USAGE_TRANSFER_SRC_BIT |
                                        VK_BUFFER_USAGE_TRANSFER_DST_BIT,
                               .sharingMode = VK_SHARING_MODE_EXCLUSIVE};
    VK(vkCreateBuffer(c->device, &info, NULL, &b.buffer));
    VkMemoryRequirements req;
    vkGetBufferMemoryRequirements(c->device, b.buffer, &req);
    VkMemoryAllocateInfo mai = {
        .sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
        .allocationSize = req.size,
        .memoryTypeIndex = memory_type(c, req.memoryTypeBits,
                                       VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT |
                                           VK_MEMORY_PROPERTY_HOST_COHERENT_BIT,
                                       0)};
    VkResult r = vkAllocateMemory(c->device, &mai, NULL, &b.memory);
    if (r != VK_SUCCESS) {
        vkDestroyBuffer(c->device, b.buffer, NULL);
        VK(r);
    }
    TRACK(DEVICE_MEMORY, b.memory); /* freed after the buffer: tracked first */
    TRACK(BUFFER, b.buffer);
    VK(vkBindBufferMemory(c->device, b.buffer, b.memory, 0));
    VK(vkMapMemory(c->device, b.memory, 0, VK_WHOLE_SIZE, 0, &b.map));
    memset(b.map, 0, (size_t)size);
    return b;
}

/* An image in memory of its own (device-local where there is such), with a
 * view of every mip level and layer if its usage allows views. */
struct image {
    VkImage image;
    VkDeviceMemory memory;
    VkImageView view;
    VkFormat format;
    VkImageAspectFlags aspect;
    uint32_t width, height, mips, layers;
};

static struct image image_new(struct ctx *c, VkFormat format, uint32_t width, uint32_t height,
                              uint32_t mips, uint32_t layers, VkSampleCountFlagBits samples,
                              VkImageUsageFlags usage)
{
    const bool depth = format == VK_FORMAT_D16_UNORM || format == VK_FORMAT_D32_SFLOAT;
    struct image im = {.format = format,
                       .aspect = depth ? VK_IMAGE_ASPECT_DEPTH_BIT : VK_IMAGE_ASPECT_COLOR_BIT,
                       .width = width,
                       .height = height,
                       .mips = mips,
                       .layers = layers};
    VkImageCreateInfo info = {.sType = VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO,
                              .imageType = VK_IMAGE_TYPE_2D,
                              .format = format,
                              .extent = {width, height, 1},
                              .mipLevels = mips,
                              .arrayLayers = layers,
                              .samples = samples,
                              .tiling = VK_IMAGE_TILING_OPTIMAL,
                              .usage = usage,
                              .sharingMode = VK_SHARING_MODE_EXCLUSIVE,
                              .initialLayout = VK_IMAGE_LAYOUT_UNDEFINED};
    VK(vkCreateImage(c->device, &info, NULL, &im.image));
    VkMemoryRequirements req;
    vkGetImageMemoryRequirements(c->device, im.image, &req);
    VkMemoryAllocateInfo mai = {
        .sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
        .allocationSize = req.size,
        .memoryTypeIndex =
            memory_type(c, req.memoryTypeBits, 0, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT)};
    VkResult r = vkAllocateMemory(c->device, &mai, NULL, &im.memory);
    if (r != VK_SUCCESS) {
        vkDestroyImage(c->device, im.image, NULL);
        VK(r);
    }
    TRACK(DEVICE_MEMORY, im.memory);
    TRACK(IMAGE, im.image);
    VK(vkBindImageMemory(c->device, im.image, im.memory, 0));
    /* Only images a view may be made of (transfer-only ones have none). */
    const VkImageUsageFlags viewable =
        VK_IMAGE_USAGE_SAMPLED_BIT | VK_IMAGE_USAGE_STORAGE_BIT |
        VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT | VK_IMAGE_USAGE_DEPTH_STENCIL_ATTACHMENT_BIT |
        VK_IMAGE_USAGE_INPUT_ATTACHMENT_BIT;
    if (!(usage & viewable))
        return im;
    VkImageViewCreateInfo vci = {
        .sType = VK_STRUCTURE_TYPE_IMAGE_VIEW_CREATE_INFO,
        .image = im.image,
        .viewType = layers > 1 ? VK_IMAGE_VIEW_TYPE_2D_ARRAY : VK_IMAGE_VIEW_TYPE_2D,
        .format = format,
        .subresourceRange = {im.aspect, 0, mips, 0, layers}};
    VK(vkCreateImageView(c->device, &vci, NULL, &im.view));
    TRACK(IMAGE_VIEW, im.view);
    return im;
}

static VkShaderModule shader_new(struct ctx *c, const uint32_t *code, size_t size)
{
    VkShaderModuleCreateInfo info = {.sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO,
                                     .codeSize = size,
                                     .pCode = code};
    VkShaderModule m;
    VK(vkCreateShaderModule(c->device, &info, NULL, &m));
    TRACK(SHADER_MODULE, m);
    return m;
}
#define SHADER(name) shader_new(c, name, sizeof name)

static VkDescriptorSetLayout set_layout_new(struct ctx *c, uint32_t count,
                                            const VkDescriptorSetLayoutBinding *bindings)
{
    VkDescriptorSetLayoutCreateInfo info = {
        .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO,
        .bindingCount = count,
        .pBindings = bindings};
    VkDescriptorSetLayout l;
    VK(vkCreateDescriptorSetLayout(c->device, &info, NULL, &l));
    TRACK(DESCRIPTOR_SET_LAYOUT, l);
    return l;
}

/* The common case: bindings 0..count-1 of one type each, compute stage. */
static VkDescriptorSetLayout storage_layout_new(struct ctx *c, uint32_t count)
{
    VkDescriptorSetLayoutBinding b[4];
    for (uint32_t i = 0; i < count && i < ARRAY_SIZE(b); i++)
        b[i] = (VkDescriptorSetLayoutBinding){.binding = i,
                                              .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
                                              .descriptorCount = 1,
                                              .stageFlags = VK_SHADER_STAGE_COMPUTE_BIT};
    return set_layout_new(c, count, b);
}

static VkPipelineLayout pipeline_layout_new(struct ctx *c, uint32_t set_count,
                                            const VkDescriptorSetLayout *sets,
                                            uint32_t range_count,
                                            const VkPushConstantRange *ranges)
{
    VkPipelineLayoutCreateInfo info = {.sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO,
                                       .setLayoutCount = set_count,
                                       .pSetLayouts = sets,
                                       .pushConstantRangeCount = range_count,
                                       .pPushConstantRanges = ranges};
    VkPipelineLayout l;
    VK(vkCreatePipelineLayout(c->device, &info, NULL, &l));
    TRACK(PIPELINE_LAYOUT, l);
    return l;
}

static VkPipeline compute_pipeline_new(struct ctx *c, VkShaderModule module,
                                       VkPipelineLayout layout,
                                       const VkSpecializationInfo *spec,
                                       VkPipelineCreateFlags flags)
{
    VkComputePipelineCreateInfo info = {
        .sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO,
        .flags = flags,
        .stage = {.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
                  .stage = VK_SHADER_STAGE_COMPUTE_BIT,
                  .module = module,
                  .pName = "main",
                  .pSpecializationInfo = spec},
        .layout = layout};
    VkPipeline p;
    VK(vkCreateComputePipelines(c->device, VK_NULL_HANDLE, 1, &info, NULL, &p));
    TRACK(PIPELINE, p);
    return p;
}

/* Room for every kind of descriptor the scenarios use. */
static VkDescriptorPool descriptor_pool_new(struct ctx *c, uint32_t max_sets,
                                            VkDescriptorPoolCreateFlags flags)
{
    VkDescriptorPoolSize sizes[] = {
        {VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 4 * max_sets},
        {VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER, max_sets},
        {VK_DESCRIPTOR_TYPE_INPUT_ATTACHMENT, max_sets},
    };
    VkDescriptorPoolCreateInfo info = {.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO,
                                       .flags = flags,
                                       .maxSets = max_sets,
                                       .poolSizeCount = ARRAY_SIZE(sizes),
                                       .pPoolSizes = sizes};
    VkDescriptorPool p;
    VK(vkCreateDescriptorPool(c->device, &info, NULL, &p));
    TRACK(DESCRIPTOR_POOL, p);
    return p;
}

static VkDescriptorSet descriptor_set_new(struct ctx *c, VkDescriptorPool pool,
                                          VkDescriptorSetLayout layout)
{
    VkDescriptorSetAllocateInfo info = {.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO,
                                        .descriptorPool = pool,
                                        .descriptorSetCount = 1,
                                        .pSetLayouts = &layout};
    VkDescriptorSet s;
    VK(vkAllocateDescriptorSets(c->device, &info, &s));
    return s;
}

static void write_buffer_descriptor(struct ctx *c, VkDescriptorSet set, uint32_t binding,
                                    VkDescriptorType type, VkBuffer buffer,
                                    VkDeviceSize offset, VkDeviceSize range)
{
    VkDescriptorBufferInfo info = {buffer, offset, range};
    VkWriteDescriptorSet w = {.sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
                              .dstSet = set,
                              .dstBinding = binding,
                              .descriptorCount = 1,
                              .descriptorType = type,
                              .pBufferInfo = &info};
    vkUpdateDescriptorSets(c->device, 1, &w, 0, NULL);
}

/* A set of one storage buffer per binding, written. */
static VkDescriptorSet storage_set_new(struct ctx *c, VkDescriptorPool pool,
                                       VkDescriptorSetLayout layout, uint32_t count,
                                       const VkBuffer *buffers)
{
    VkDescriptorSet s = descriptor_set_new(c, pool, layout);
    for (uint32_t i = 0; i < count; i++)
        write_buffer_descriptor(c, s, i, VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, buffers[i], 0,
                                VK_WHOLE_SIZE);
    return s;
}

static VkCommandPool command_pool_new(struct ctx *c, VkCommandPoolCreateFlags flags)
{
    VkCommandPoolCreateInfo info = {.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
                                    .flags = flags,
                                    .queueFamilyIndex = c->family};
    VkCommandPool p;
    VK(vkCreateCommandPool(c->device, &info, NULL, &p));
    TRACK(COMMAND_POOL, p);
    return p;
}

/* Command buffers go with their pool: never tracked on their own. */
static VkCommandBuffer command_buffer_new(struct ctx *c, VkCommandPool pool,
                                          VkCommandBufferLevel level)
{
    VkCommandBufferAllocateInfo info = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
                                        .commandPool = pool,
                                        .level = level,
                                        .commandBufferCount = 1};
    VkCommandBuffer cb;
    VK(vkAllocateCommandBuffers(c->device, &info, &cb));
    return cb;
}

static VkCommandBuffer primary_new(struct ctx *c)
{
    return command_buffer_new(c, c->pool, VK_COMMAND_BUFFER_LEVEL_PRIMARY);
}

static void begin(struct ctx *c, VkCommandBuffer cb, VkCommandBufferUsageFlags flags)
{
    VkCommandBufferBeginInfo info = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
                                     .flags = flags};
    VK(vkBeginCommandBuffer(cb, &info));
}

static void end(struct ctx *c, VkCommandBuffer cb)
{
    VK(vkEndCommandBuffer(cb));
}

static VkFence fence_new(struct ctx *c, bool signalled)
{
    VkFenceCreateInfo info = {.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO,
                              .flags = signalled ? VK_FENCE_CREATE_SIGNALED_BIT : 0};
    VkFence f;
    VK(vkCreateFence(c->device, &info, NULL, &f));
    TRACK(FENCE, f);
    return f;
}

static VkSemaphore semaphore_new(struct ctx *c, bool timeline, uint64_t initial)
{
    VkSemaphoreTypeCreateInfo type = {.sType = VK_STRUCTURE_TYPE_SEMAPHORE_TYPE_CREATE_INFO,
                                      .semaphoreType = VK_SEMAPHORE_TYPE_TIMELINE,
                                      .initialValue = initial};
    VkSemaphoreCreateInfo info = {.sType = VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO,
                                  .pNext = timeline ? &type : NULL};
    VkSemaphore s;
    VK(vkCreateSemaphore(c->device, &info, NULL, &s));
    TRACK(SEMAPHORE, s);
    return s;
}

static VkEvent event_new(struct ctx *c)
{
    VkEventCreateInfo info = {.sType = VK_STRUCTURE_TYPE_EVENT_CREATE_INFO};
    VkEvent e;
    VK(vkCreateEvent(c->device, &info, NULL, &e));
    TRACK(EVENT, e);
    return e;
}

static VkQueryPool query_pool_new(struct ctx *c, VkQueryType type, uint32_t count,
                                  VkQueryPipelineStatisticFlags statistics)
{
    VkQueryPoolCreateInfo info = {.sType = VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO,
                                  .queryType = type,
                                  .queryCount = count,
                                  .pipelineStatistics = statistics};
    VkQueryPool q;
    VK(vkCreateQueryPool(c->device, &info, NULL, &q));
    TRACK(QUERY_POOL, q);
    return q;
}

/* ---- submission ---------------------------------------------------------- */

/* The queue lock is never held across a failure: the result is checked after
 * unlocking, so a failing thread cannot leave the others blocked. */
static void submit(struct ctx *c, uint32_t count, const VkSubmitInfo *infos, VkFence fence)
{
    pthread_mutex_lock(&c->queue_lock);
    VkResult r = vkQueueSubmit(c->queue, count, infos, fence);
    pthread_mutex_unlock(&c->queue_lock);
    VK(r);
}

static void submit2(struct ctx *c, uint32_t count, const VkSubmitInfo2 *infos, VkFence fence)
{
    pthread_mutex_lock(&c->queue_lock);
    VkResult r = vkQueueSubmit2(c->queue, count, infos, fence);
    pthread_mutex_unlock(&c->queue_lock);
    VK(r);
}

static void queue_wait_idle(struct ctx *c)
{
    pthread_mutex_lock(&c->queue_lock);
    VkResult r = vkQueueWaitIdle(c->queue);
    pthread_mutex_unlock(&c->queue_lock);
    VK(r);
}

static void wait_fence(struct ctx *c, VkFence fence)
{
    VK(vkWaitForFences(c->device, 1, &fence, VK_TRUE, WAIT_NS));
}

/* One command buffer, submitted alone and waited for. */
static void submit_and_wait(struct ctx *c, VkCommandBuffer cb)
{
    VkFence fence = fence_new(c, false);
    VkSubmitInfo info = {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
                         .commandBufferCount = 1,
                         .pCommandBuffers = &cb};
    submit(c, 1, &info, fence);
    wait_fence(c, fence);
}

/* ---- barriers ------------------------------------------------------------ */

static void barrier(VkCommandBuffer cb, VkPipelineStageFlags src_stage, VkAccessFlags src_access,
                    VkPipelineStageFlags dst_stage, VkAccessFlags dst_access)
{
    VkMemoryBarrier b = {.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
                         .srcAccessMask = src_access,
                         .dstAccessMask = dst_access};
    vkCmdPipelineBarrier(cb, src_stage, dst_stage, 0, 1, &b, 0, NULL, 0, NULL);
}

/* What the device wrote, made visible to the host's reads after the wait. */
static void to_host(VkCommandBuffer cb, VkPipelineStageFlags src_stage, VkAccessFlags src_access)
{
    barrier(cb, src_stage, src_access, VK_PIPELINE_STAGE_HOST_BIT, VK_ACCESS_HOST_READ_BIT);
}

static void image_barrier(VkCommandBuffer cb, const struct image *im, uint32_t mip,
                          uint32_t mip_count, VkImageLayout from, VkImageLayout to,
                          VkPipelineStageFlags src_stage, VkAccessFlags src_access,
                          VkPipelineStageFlags dst_stage, VkAccessFlags dst_access)
{
    VkImageMemoryBarrier b = {.sType = VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER,
                              .srcAccessMask = src_access,
                              .dstAccessMask = dst_access,
                              .oldLayout = from,
                              .newLayout = to,
                              .srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
                              .dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
                              .image = im->image,
                              .subresourceRange = {im->aspect, mip, mip_count, 0, im->layers}};
    vkCmdPipelineBarrier(cb, src_stage, dst_stage, 0, 0, NULL, 0, NULL, 1, &b);
}

/* The synchronization2 form, as dynamic rendering code usually writes it. */
static void image_barrier2(VkCommandBuffer cb, const struct image *im, VkImageLayout from,
                           VkImageLayout to, VkPipelineStageFlags2 src_stage,
                           VkAccessFlags2 src_access, VkPipelineStageFlags2 dst_stage,
                           VkAccessFlags2 dst_access)
{
    VkImageMemoryBarrier2 b = {.sType = VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER_2,
                               .srcStageMask = src_stage,
                               .srcAccessMask = src_access,
                               .dstStageMask = dst_stage,
                               .dstAccessMask = dst_access,
                               .oldLayout = from,
                               .newLayout = to,
                               .srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
                               .dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
                               .image = im->image,
                               .subresourceRange = {im->aspect, 0, im->mips, 0, im->layers}};
    VkDependencyInfo dep = {.sType = VK_STRUCTURE_TYPE_DEPENDENCY_INFO,
                            .imageMemoryBarrierCount = 1,
                            .pImageMemoryBarriers = &b};
    vkCmdPipelineBarrier2(cb, &dep);
}

/* Copies mip 0, layer 0 of an image in TRANSFER_SRC_OPTIMAL to a buffer,
 * tightly packed. */
static void copy_image_to_buffer(VkCommandBuffer cb, const struct image *im, VkBuffer buffer)
{
    VkBufferImageCopy region = {.imageSubresource = {im->aspect, 0, 0, 1},
                                .imageExtent = {im->width, im->height, 1}};
    vkCmdCopyImageToBuffer(cb, im->image, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, buffer, 1,
                           &region);
}

static bool near(int have, int want, int tolerance)
{
    return abs(have - want) <= tolerance;
}

/* ---- compute ------------------------------------------------------------- */

/* cmd_scale.comp: dst[i] = src[i] * multiplier + bias, both specialised. */
struct scale_params {
    uint32_t bias, count;
};

static VkPipeline scale_pipeline_new(struct ctx *c, VkShaderModule module,
                                     VkPipelineLayout layout, uint32_t multiplier,
                                     uint32_t group_size, VkPipelineCreateFlags flags)
{
    const uint32_t values[2] = {multiplier, group_size};
    const VkSpecializationMapEntry entries[2] = {{0, 0, sizeof(uint32_t)},
                                                 {1, sizeof(uint32_t), sizeof(uint32_t)}};
    const VkSpecializationInfo spec = {2, entries, sizeof values, values};
    return compute_pipeline_new(c, module, layout, &spec, flags);
}

/* The layout cmd_scale.comp wants: set 0 the input, set 1 the output, and
 * 8 bytes of push constants.  *one_buffer gets the per-set layout. */
static VkPipelineLayout scale_layout_new(struct ctx *c, VkDescriptorSetLayout *one_buffer)
{
    *one_buffer = storage_layout_new(c, 1);
    VkDescriptorSetLayout sets[2] = {*one_buffer, *one_buffer};
    VkPushConstantRange range = {VK_SHADER_STAGE_COMPUTE_BIT, 0, sizeof(struct scale_params)};
    return pipeline_layout_new(c, 2, sets, 1, &range);
}

static uint32_t groups_for(uint32_t count, uint32_t group_size)
{
    return (count + group_size - 1) / group_size;
}

/* Several pipelines (two specialisations of one module and another module),
 * descriptor sets bound whole and one at a time, push constants. */
static void scenario_compute_pipelines(struct ctx *c)
{
    enum { N = 1000 }; /* a multiple of neither group size: the bounds check runs */
    struct buffer src = buffer_new(c, N * 4, VK_BUFFER_USAGE_STORAGE_BUFFER_BIT);
    struct buffer mid = buffer_new(c, N * 4, VK_BUFFER_USAGE_STORAGE_BUFFER_BIT);
    struct buffer out = buffer_new(c, N * 4, VK_BUFFER_USAGE_STORAGE_BUFFER_BIT);
    struct buffer floats = buffer_new(c, N * 4, VK_BUFFER_USAGE_STORAGE_BUFFER_BIT);
    uint32_t *s = src.map;
    for (uint32_t i = 0; i < N; i++)
        s[i] = i * 2654435761u; /* wraps: the device must wrap the same way */

    VkDescriptorSetLayout one;
    VkPipelineLayout scale_layout = scale_layout_new(c, &one);
    VkShaderModule scale = SHADER(cmd_scale_comp_spv);
    VkPipeline times3 = scale_pipeline_new(c, scale, scale_layout, 3, 64, 0);
    VkPipeline times7 = scale_pipeline_new(c, scale, scale_layout, 7, 32, 0);
    VkPushConstantRange float_range = {VK_SHADER_STAGE_COMPUTE_BIT, 0, 8};
    VkPipelineLayout float_layout = pipeline_layout_new(c, 1, &one, 1, &float_range);
    VkPipeline float_pipeline =
        compute_pipeline_new(c, SHADER(cmd_float_comp_spv), float_layout, NULL, 0);

    VkDescriptorPool pool = descriptor_pool_new(c, 8, 0);
    VkDescriptorSet src_set = storage_set_new(c, pool, one, 1, &src.buffer);
    VkDescriptorSet mid_set = storage_set_new(c, pool, one, 1, &mid.buffer);
    VkDescriptorSet out_set = storage_set_new(c, pool, one, 1, &out.buffer);
    VkDescriptorSet float_set = storage_set_new(c, pool, one, 1, &floats.buffer);

    VkCommandBuffer cb = primary_new(c);
    begin(c, cb, VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT);
    /* mid = src * 3 + 11, both sets bound at once */
    vkCmdBindPipeline(cb, VK_PIPELINE_BIND_POINT_COMPUTE, times3);
    VkDescriptorSet first[2] = {src_set, mid_set};
    vkCmdBindDescriptorSets(cb, VK_PIPELINE_BIND_POINT_COMPUTE, scale_layout, 0, 2, first, 0,
                            NULL);
    struct scale_params p = {11, N};
    vkCmdPushConstants(cb, scale_layout, VK_SHADER_STAGE_COMPUTE_BIT, 0, sizeof p, &p);
    vkCmdDispatch(cb, groups_for(N, 64), 1, 1);
    barrier(cb, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_ACCESS_SHADER_WRITE_BIT,
            VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_ACCESS_SHADER_READ_BIT);
    /* out = mid * 7 + 5: another pipeline, each set bound by its own call */
    vkCmdBindPipeline(cb, VK_PIPELINE_BIND_POINT_COMPUTE, times7);
    vkCmdBindDescriptorSets(cb, VK_PIPELINE_BIND_POINT_COMPUTE, scale_layout, 1, 1, &out_set, 0,
                            NULL);
    vkCmdBindDescriptorSets(cb, VK_PIPELINE_BIND_POINT_COMPUTE, scale_layout, 0, 1, &mid_set, 0,
                            NULL);
    p.bias = 5;
    vkCmdPushConstants(cb, scale_layout, VK_SHADER_STAGE_COMPUTE_BIT, 0, sizeof p, &p);
    vkCmdDispatch(cb, groups_for(N, 32), 1, 1);
    /* floats: a third pipeline with a layout of its own */
    vkCmdBindPipeline(cb, VK_PIPELINE_BIND_POINT_COMPUTE, float_pipeline);
    vkCmdBindDescriptorSets(cb, VK_PIPELINE_BIND_POINT_COMPUTE, float_layout, 0, 1, &float_set,
                            0, NULL);
    struct {
        float scale;
        uint32_t count;
    } fp = {1.5f, N};
    vkCmdPushConstants(cb, float_layout, VK_SHADER_STAGE_COMPUTE_BIT, 0, sizeof fp, &fp);
    vkCmdDispatch(cb, groups_for(N, 64), 1, 1);
    to_host(cb, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_ACCESS_SHADER_WRITE_BIT);
    end(c, cb);
    submit_and_wait(c, cb);

    const uint32_t *m = mid.map, *o = out.map;
    const float *f = floats.map;
    for (uint32_t i = 0; i < N; i++) {
        uint32_t want_mid = s[i] * 3u + 11u, want_out = want_mid * 7u + 5u;
        EXPECT(m[i] == want_mid, "times3[%u] = %u, not %u", i, m[i], want_mid);
        EXPECT(o[i] == want_out, "times7[%u] = %u, not %u", i, o[i], want_out);
        float x = (float)i;
        double want = sqrt(x) * 1.5 + sin(x * 0.01) / (1.0 + x);
        EXPECT(fabs(f[i] - want) <= 1e-3 + 1e-5 * fabs(want), "float[%u] = %.9g, not about %.9g",
               i, (double)f[i], want);
    }
    digest(c, m, N * 4);
    digest(c, o, N * 4);
    digest(c, f, N * 4); /* the bits: equal to native's, whatever the rounding */
}

/* vkCmdDispatchIndirect with arguments written by vkCmdUpdateBuffer and by a
 * shader; vkCmdDispatchBase. */
static void scenario_compute_indirect(struct ctx *c)
{
    enum { GROUP = 64, MAX_GROUPS = 16, FIRST_GROUPS = 5, SECOND_ELEMENTS = 600 };
    const uint32_t second_groups = groups_for(SECOND_ELEMENTS, GROUP);
    struct buffer src = buffer_new(c, MAX_GROUPS * GROUP * 4, VK_BUFFER_USAGE_STORAGE_BUFFER_BIT);
    struct buffer totals1 = buffer_new(c, (2 + MAX_GROUPS) * 4, VK_BUFFER_USAGE_STORAGE_BUFFER_BIT);
    struct buffer totals2 = buffer_new(c, (2 + MAX_GROUPS) * 4, VK_BUFFER_USAGE_STORAGE_BUFFER_BIT);
    struct buffer args1 = buffer_new(c, 16, VK_BUFFER_USAGE_INDIRECT_BUFFER_BIT);
    struct buffer args2 = buffer_new(c, 16, VK_BUFFER_USAGE_INDIRECT_BUFFER_BIT |
                                                VK_BUFFER_USAGE_STORAGE_BUFFER_BIT);
    struct buffer based = buffer_new(c, MAX_GROUPS * GROUP * 4, VK_BUFFER_USAGE_STORAGE_BUFFER_BIT);
    uint32_t *s = src.map;
    for (uint32_t i = 0; i < MAX_GROUPS * GROUP; i++)
        s[i] = i % 1000 + 1;

    VkDescriptorSetLayout two = storage_layout_new(c, 2), one;
    VkPipelineLayout sum_layout = pipeline_layout_new(c, 1, &two, 0, NULL);
    VkPipeline sum = compute_pipeline_new(c, SHADER(cmd_sum_comp_spv), sum_layout, NULL, 0);
    VkPushConstantRange args_range = {VK_SHADER_STAGE_COMPUTE_BIT, 0, 8};
    VkPipelineLayout scale_layout = scale_layout_new(c, &one);
    VkPipelineLayout args_layout = pipeline_layout_new(c, 1, &one, 1, &args_range);
    VkPipeline make_args =
        compute_pipeline_new(c, SHADER(cmd_args_comp_spv), args_layout, NULL, 0);
    VkPipeline based_pipeline = scale_pipeline_new(c, SHADER(cmd_scale_comp_spv), scale_layout, 3,
                                                   GROUP, VK_PIPELINE_CREATE_DISPATCH_BASE_BIT);

    VkDescriptorPool pool = descriptor_pool_new(c, 8, 0);
    VkBuffer set1_buffers[2] = {src.buffer, totals1.buffer};
    VkBuffer set2_buffers[2] = {src.buffer, totals2.buffer};
    VkDescriptorSet sum_set1 = storage_set_new(c, pool, two, 2, set1_buffers);
    VkDescriptorSet sum_set2 = storage_set_new(c, pool, two, 2, set2_buffers);
    VkDescriptorSet args_set = storage_set_new(c, pool, one, 1, &args2.buffer);
    VkDescriptorSet src_set = storage_set_new(c, pool, one, 1, &src.buffer);
    VkDescriptorSet based_set = storage_set_new(c, pool, one, 1, &based.buffer);

    VkCommandBuffer cb = primary_new(c);
    begin(c, cb, VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT);
    vkCmdFillBuffer(cb, totals1.buffer, 0, VK_WHOLE_SIZE, 0);
    vkCmdFillBuffer(cb, totals2.buffer, 0, VK_WHOLE_SIZE, 0);
    vkCmdFillBuffer(cb, based.buffer, 0, VK_WHOLE_SIZE, 0xDEADBEEFu);
    const uint32_t first_args[3] = {FIRST_GROUPS, 1, 1};
    vkCmdUpdateBuffer(cb, args1.buffer, 0, sizeof first_args, first_args);
    barrier(cb, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_WRITE_BIT,
            VK_PIPELINE_STAGE_DRAW_INDIRECT_BIT | VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
            VK_ACCESS_INDIRECT_COMMAND_READ_BIT | VK_ACCESS_SHADER_READ_BIT |
                VK_ACCESS_SHADER_WRITE_BIT);
    /* 1. arguments from vkCmdUpdateBuffer */
    vkCmdBindPipeline(cb, VK_PIPELINE_BIND_POINT_COMPUTE, sum);
    vkCmdBindDescriptorSets(cb, VK_PIPELINE_BIND_POINT_COMPUTE, sum_layout, 0, 1, &sum_set1, 0,
                            NULL);
    vkCmdDispatchIndirect(cb, args1.buffer, 0);
    /* 2. arguments computed by a shader */
    vkCmdBindPipeline(cb, VK_PIPELINE_BIND_POINT_COMPUTE, make_args);
    vkCmdBindDescriptorSets(cb, VK_PIPELINE_BIND_POINT_COMPUTE, args_layout, 0, 1, &args_set, 0,
                            NULL);
    const uint32_t args_params[2] = {SECOND_ELEMENTS, GROUP};
    vkCmdPushConstants(cb, args_layout, VK_SHADER_STAGE_COMPUTE_BIT, 0, sizeof args_params,
                       args_params);
    vkCmdDispatch(cb, 1, 1, 1);
    barrier(cb, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_ACCESS_SHADER_WRITE_BIT,
            VK_PIPELINE_STAGE_DRAW_INDIRECT_BIT, VK_ACCESS_INDIRECT_COMMAND_READ_BIT);
    vkCmdBindPipeline(cb, VK_PIPELINE_BIND_POINT_COMPUTE, sum);
    vkCmdBindDescriptorSets(cb, VK_PIPELINE_BIND_POINT_COMPUTE, sum_layout, 0, 1, &sum_set2, 0,
                            NULL);
    vkCmdDispatchIndirect(cb, args2.buffer, 0);
    /* 3. groups 2, 3 and 4 only, by a base work group */
    vkCmdBindPipeline(cb, VK_PIPELINE_BIND_POINT_COMPUTE, based_pipeline);
    VkDescriptorSet based_sets[2] = {src_set, based_set};
    vkCmdBindDescriptorSets(cb, VK_PIPELINE_BIND_POINT_COMPUTE, scale_layout, 0, 2, based_sets, 0,
                            NULL);
    struct scale_params p = {100, MAX_GROUPS * GROUP};
    vkCmdPushConstants(cb, scale_layout, VK_SHADER_STAGE_COMPUTE_BIT, 0, sizeof p, &p);
    vkCmdDispatchBase(cb, 2, 0, 0, 3, 1, 1);
    to_host(cb, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_ACCESS_SHADER_WRITE_BIT);
    end(c, cb);
    submit_and_wait(c, cb);

    const uint32_t *t1 = totals1.map, *t2 = totals2.map, *a2 = args2.map, *b = based.map;
    EXPECT(a2[0] == second_groups && a2[1] == 1 && a2[2] == 1,
           "the shader wrote the arguments %u %u %u, not %u 1 1", a2[0], a2[1], a2[2],
           second_groups);
    const struct {
        const uint32_t *totals;
        uint32_t groups;
    } runs[2] = {{t1, FIRST_GROUPS}, {t2, second_groups}};
    for (int r = 0; r < 2; r++) {
        uint32_t total = 0;
        for (uint32_t g = 0; g < runs[r].groups; g++) {
            uint32_t group_sum = 0;
            for (uint32_t i = g * GROUP; i < (g + 1) * GROUP; i++)
                group_sum += s[i];
            total += group_sum;
            EXPECT(runs[r].totals[2 + g] == group_sum,
                   "indirect dispatch %d: group %u sums %u, not %u", r + 1, g,
                   runs[r].totals[2 + g], group_sum);
        }
        EXPECT(runs[r].totals[0] == total && runs[r].totals[1] == runs[r].groups * GROUP,
               "indirect dispatch %d: total %u over %u invocations, not %u over %u", r + 1,
               runs[r].totals[0], runs[r].totals[1], total, runs[r].groups * GROUP);
        EXPECT(runs[r].totals[2 + runs[r].groups] == 0,
               "indirect dispatch %d ran more than %u groups", r + 1, runs[r].groups);
    }
    for (uint32_t i = 0; i < MAX_GROUPS * GROUP; i++) {
        uint32_t want = i >= 2 * GROUP && i < 5 * GROUP ? s[i] * 3 + 100 : 0xDEADBEEFu;
        EXPECT(b[i] == want, "vkCmdDispatchBase: element %u is 0x%x, not 0x%x", i, b[i], want);
    }
    digest(c, t1, totals1.size);
    digest(c, t2, totals2.size);
    digest(c, a2, 12);
    digest(c, b, based.size);
}

/* Push constants: the whole block, then parts of it between dispatches; what
 * is not pushed again stays, also across a pipeline change. */
static void scenario_push_constants(struct ctx *c)
{
    enum { WORDS = 32, SLOTS = 6 };
    struct buffer out = buffer_new(c, SLOTS * WORDS * 4, VK_BUFFER_USAGE_STORAGE_BUFFER_BIT);
    VkDescriptorSetLayout one = storage_layout_new(c, 1);
    VkPushConstantRange range = {VK_SHADER_STAGE_COMPUTE_BIT, 0, WORDS * 4};
    VkPipelineLayout layout = pipeline_layout_new(c, 1, &one, 1, &range);
    VkShaderModule module = SHADER(cmd_push_comp_spv);
    VkPipeline first = compute_pipeline_new(c, module, layout, NULL, 0);
    VkPipeline second = compute_pipeline_new(c, module, layout, NULL, 0);
    VkDescriptorPool pool = descriptor_pool_new(c, 1, 0);
    VkDescriptorSet set = storage_set_new(c, pool, one, 1, &out.buffer);

    /* The CPU's model of the block, and what each slot should show. */
    uint32_t block[WORDS], want[SLOTS][WORDS];
    VkCommandBuffer cb = primary_new(c);
    begin(c, cb, 0);
    vkCmdBindPipeline(cb, VK_PIPELINE_BIND_POINT_COMPUTE, first);
    vkCmdBindDescriptorSets(cb, VK_PIPELINE_BIND_POINT_COMPUTE, layout, 0, 1, &set, 0, NULL);
#define PUSH(offset_words, count_words)                                                    \
    vkCmdPushConstants(cb, layout, VK_SHADER_STAGE_COMPUTE_BIT, (offset_words) * 4,        \
                       (count_words) * 4, &block[offset_words])
#define DISPATCH(slot)                                                                     \
    do {                                                                                   \
        block[0] = (slot);                                                                 \
        PUSH(0, 1);                                                                        \
        memcpy(want[slot], block, sizeof block);                                           \
        vkCmdDispatch(cb, 1, 1, 1);                                                        \
    } while (0)
    for (uint32_t j = 0; j < WORDS; j++)
        block[j] = 1000 + j;
    PUSH(0, WORDS);
    DISPATCH(0);
    DISPATCH(1); /* only the slot changed */
    for (uint32_t j = 2; j < 6; j++)
        block[j] = 2000 + j;
    PUSH(2, 4); /* words 2..5, an unaligned middle part */
    DISPATCH(2);
    block[WORDS - 1] = 0xFFFFFFFFu;
    PUSH(WORDS - 1, 1); /* the last word */
    DISPATCH(3);
    vkCmdBindPipeline(cb, VK_PIPELINE_BIND_POINT_COMPUTE, second); /* the block stays */
    DISPATCH(4);
    for (uint32_t j = 7; j < 23; j++)
        block[j] = j * 0x01010101u;
    PUSH(7, 16);
    DISPATCH(5);
#undef DISPATCH
#undef PUSH
    to_host(cb, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_ACCESS_SHADER_WRITE_BIT);
    end(c, cb);
    submit_and_wait(c, cb);

    const uint32_t *o = out.map;
    for (uint32_t slot = 0; slot < SLOTS; slot++)
        for (uint32_t j = 0; j < WORDS; j++)
            EXPECT(o[slot * WORDS + j] == want[slot][j],
                   "dispatch %u saw push-constant word %u = 0x%x, not 0x%x", slot, j,
                   o[slot * WORDS + j], want[slot][j]);
    digest(c, o, out.size);
}

/* Descriptor writes (an array in one write), copies, update templates with a
 * stride, vkCmdUpdateBuffer and vkCmdFillBuffer feeding the shader, a set
 * updated again and its command buffer re-recorded, a set freed. */
static void scenario_descriptor_updates(struct ctx *c)
{
    enum { N = 200, CAPACITY = 256, GROUP = 64 };
    const VkDeviceSize align = c->props.limits.minUniformBufferOffsetAlignment > 16
                                   ? c->props.limits.minUniformBufferOffsetAlignment
                                   : 16;
    struct buffer ubo = buffer_new(c, 2 * align, VK_BUFFER_USAGE_UNIFORM_BUFFER_BIT);
    struct buffer a0 = buffer_new(c, CAPACITY * 4, VK_BUFFER_USAGE_STORAGE_BUFFER_BIT);
    struct buffer a1 = buffer_new(c, CAPACITY * 4, VK_BUFFER_USAGE_STORAGE_BUFFER_BIT);
    struct buffer b0 = buffer_new(c, CAPACITY * 4, VK_BUFFER_USAGE_STORAGE_BUFFER_BIT);
    struct buffer outs[4];
    for (int i = 0; i < 4; i++)
        outs[i] = buffer_new(c, CAPACITY * 4, VK_BUFFER_USAGE_STORAGE_BUFFER_BIT);
    uint32_t *x0 = a0.map, *y0 = b0.map, a1_data[N];
    for (uint32_t i = 0; i < N; i++) {
        x0[i] = i;
        a1_data[i] = 1000 + 3 * i; /* reaches the device by vkCmdUpdateBuffer */
        y0[i] = 7 * i + 1;
    }
    const uint32_t k1[4] = {2, 3, 100, N}, k2[4] = {5, 1, 7, N};

    VkDescriptorSetLayoutBinding bindings[3] = {
        {0, VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER, 1, VK_SHADER_STAGE_COMPUTE_BIT, NULL},
        {1, VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 2, VK_SHADER_STAGE_COMPUTE_BIT, NULL},
        {2, VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 1, VK_SHADER_STAGE_COMPUTE_BIT, NULL},
    };
    VkDescriptorSetLayout set_layout = set_layout_new(c, 3, bindings);
    VkPipelineLayout layout = pipeline_layout_new(c, 1, &set_layout, 0, NULL);
    VkPipeline pipeline =
        compute_pipeline_new(c, SHADER(cmd_descriptors_comp_spv), layout, NULL, 0);
    VkDescriptorPool pool =
        descriptor_pool_new(c, 3, VK_DESCRIPTOR_POOL_CREATE_FREE_DESCRIPTOR_SET_BIT);
    VkDescriptorSet s1 = descriptor_set_new(c, pool, set_layout);
    VkDescriptorSet s2 = descriptor_set_new(c, pool, set_layout);
    VkDescriptorSet s3 = descriptor_set_new(c, pool, set_layout);

    /* s1: plain writes, the array of two in one write */
    VkDescriptorBufferInfo k1_info = {ubo.buffer, 0, 16};
    VkDescriptorBufferInfo arrays[2] = {{a0.buffer, 0, VK_WHOLE_SIZE},
                                        {a1.buffer, 0, VK_WHOLE_SIZE}};
    VkDescriptorBufferInfo out1 = {outs[0].buffer, 0, VK_WHOLE_SIZE};
    VkWriteDescriptorSet writes[3] = {
        {.sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET, .dstSet = s1, .dstBinding = 0,
         .descriptorCount = 1, .descriptorType = VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER,
         .pBufferInfo = &k1_info},
        {.sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET, .dstSet = s1, .dstBinding = 1,
         .descriptorCount = 2, .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
         .pBufferInfo = arrays},
        {.sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET, .dstSet = s1, .dstBinding = 2,
         .descriptorCount = 1, .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
         .pBufferInfo = &out1},
    };
    vkUpdateDescriptorSets(c->device, 3, writes, 0, NULL);

    /* s2: binding 0 and array element 0 copied from s1; element 1 and
     * binding 2 written, in the same call (disjoint, so order is moot) */
    VkDescriptorBufferInfo b0_info = {b0.buffer, 0, VK_WHOLE_SIZE};
    VkDescriptorBufferInfo out2 = {outs[1].buffer, 0, VK_WHOLE_SIZE};
    VkWriteDescriptorSet s2_writes[2] = {
        {.sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET, .dstSet = s2, .dstBinding = 1,
         .dstArrayElement = 1, .descriptorCount = 1,
         .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, .pBufferInfo = &b0_info},
        {.sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET, .dstSet = s2, .dstBinding = 2,
         .descriptorCount = 1, .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
         .pBufferInfo = &out2},
    };
    VkCopyDescriptorSet copies[2] = {
        {.sType = VK_STRUCTURE_TYPE_COPY_DESCRIPTOR_SET, .srcSet = s1, .srcBinding = 0,
         .dstSet = s2, .dstBinding = 0, .descriptorCount = 1},
        {.sType = VK_STRUCTURE_TYPE_COPY_DESCRIPTOR_SET, .srcSet = s1, .srcBinding = 1,
         .srcArrayElement = 0, .dstSet = s2, .dstBinding = 1, .dstArrayElement = 0,
         .descriptorCount = 1},
    };
    vkUpdateDescriptorSets(c->device, 2, s2_writes, 2, copies);

    /* s3: an update template over an application struct with gaps; the array
     * elements are every other VkDescriptorBufferInfo (a stride of two), and
     * the ones in between hold garbage that must never be read. */
    struct template_data {
        uint32_t junk[3];
        VkDescriptorBufferInfo ubo;
        VkDescriptorBufferInfo arrays[2][2];
        VkDescriptorBufferInfo out;
    } data;
    memset(&data, 0xA5, sizeof data);
    data.ubo = (VkDescriptorBufferInfo){ubo.buffer, align, 16};
    data.arrays[0][0] = b0_info;
    data.arrays[1][0] = arrays[0];
    data.out = (VkDescriptorBufferInfo){outs[2].buffer, 0, VK_WHOLE_SIZE};
    VkDescriptorUpdateTemplateEntry entries[3] = {
        {0, 0, 1, VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER, offsetof(struct template_data, ubo),
         sizeof(VkDescriptorBufferInfo)},
        {1, 0, 2, VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, offsetof(struct template_data, arrays),
         2 * sizeof(VkDescriptorBufferInfo)},
        {2, 0, 1, VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, offsetof(struct template_data, out), 0},
    };
    VkDescriptorUpdateTemplateCreateInfo tci = {
        .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_UPDATE_TEMPLATE_CREATE_INFO,
        .descriptorUpdateEntryCount = 3,
        .pDescriptorUpdateEntries = entries,
        .templateType = VK_DESCRIPTOR_UPDATE_TEMPLATE_TYPE_DESCRIPTOR_SET,
        .descriptorSetLayout = set_layout};
    VkDescriptorUpdateTemplate whole, constants_only;
    VK(vkCreateDescriptorUpdateTemplate(c->device, &tci, NULL, &whole));
    TRACK(DESCRIPTOR_UPDATE_TEMPLATE, whole);
    vkUpdateDescriptorSetWithTemplate(c->device, s3, whole, &data);
    /* a second template: binding 0 alone, at offset 0 of its data */
    tci.descriptorUpdateEntryCount = 1;
    VkDescriptorUpdateTemplateEntry ubo_entry = {0, 0, 1, VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER, 0,
                                                 sizeof(VkDescriptorBufferInfo)};
    tci.pDescriptorUpdateEntries = &ubo_entry;
    VK(vkCreateDescriptorUpdateTemplate(c->device, &tci, NULL, &constants_only));
    TRACK(DESCRIPTOR_UPDATE_TEMPLATE, constants_only);

    VkCommandBuffer cb = primary_new(c);
    begin(c, cb, VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT);
    vkCmdUpdateBuffer(cb, ubo.buffer, 0, sizeof k1, k1);
    vkCmdUpdateBuffer(cb, ubo.buffer, align, sizeof k2, k2);
    vkCmdUpdateBuffer(cb, a1.buffer, 0, sizeof a1_data, a1_data);
    for (int i = 0; i < 4; i++)
        vkCmdFillBuffer(cb, outs[i].buffer, 0, VK_WHOLE_SIZE, 0xFFFFFFFFu);
    barrier(cb, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_WRITE_BIT,
            VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
            VK_ACCESS_UNIFORM_READ_BIT | VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT);
    vkCmdBindPipeline(cb, VK_PIPELINE_BIND_POINT_COMPUTE, pipeline);
    const VkDescriptorSet sets[3] = {s1, s2, s3};
    for (int i = 0; i < 3; i++) {
        vkCmdBindDescriptorSets(cb, VK_PIPELINE_BIND_POINT_COMPUTE, layout, 0, 1, &sets[i], 0,
                                NULL);
        vkCmdDispatch(cb, groups_for(N, GROUP), 1, 1);
    }
    to_host(cb, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_ACCESS_SHADER_WRITE_BIT);
    end(c, cb);
    submit_and_wait(c, cb);

    /* Now that nothing uses them: s1 gets the second constants by the second
     * template and a new output, s2 is freed, the command buffer re-recorded. */
    VkDescriptorBufferInfo k2_info = {ubo.buffer, align, 16};
    vkUpdateDescriptorSetWithTemplate(c->device, s1, constants_only, &k2_info);
    write_buffer_descriptor(c, s1, 2, VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, outs[3].buffer, 0,
                            VK_WHOLE_SIZE);
    VK(vkFreeDescriptorSets(c->device, pool, 1, &s2));
    VK(vkResetCommandBuffer(cb, 0));
    begin(c, cb, VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT);
    vkCmdBindPipeline(cb, VK_PIPELINE_BIND_POINT_COMPUTE, pipeline);
    vkCmdBindDescriptorSets(cb, VK_PIPELINE_BIND_POINT_COMPUTE, layout, 0, 1, &s1, 0, NULL);
    vkCmdDispatch(cb, groups_for(N, GROUP), 1, 1);
    to_host(cb, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_ACCESS_SHADER_WRITE_BIT);
    end(c, cb);
    submit_and_wait(c, cb);

    const uint32_t *o[4] = {outs[0].map, outs[1].map, outs[2].map, outs[3].map};
    for (uint32_t i = 0; i < CAPACITY; i++) {
        const bool in = i < N;
        const uint32_t x = i, y = 1000 + 3 * i, z = 7 * i + 1;
        const uint32_t want[4] = {in ? 2 * x + 3 * y + 100 : 0xFFFFFFFFu,
                                  in ? 2 * x + 3 * z + 100 : 0xFFFFFFFFu,
                                  in ? 5 * z + 1 * x + 7 : 0xFFFFFFFFu,
                                  in ? 5 * x + 1 * y + 7 : 0xFFFFFFFFu};
        static const char *const how[4] = {"written set", "copied set", "template set",
                                           "set updated again"};
        for (int s = 0; s < 4; s++)
            EXPECT(o[s][i] == want[s], "%s: element %u is %u, not %u", how[s], i, o[s][i],
                   want[s]);
    }
    for (int s = 0; s < 4; s++)
        digest(c, o[s], CAPACITY * 4);
}

/* ---- rendering: the test scene ------------------------------------------- */

/* A 64x64 scene: quad A (red, depth 0.5) behind quad B (green, 0.25); A
 * again, moved and tinted by push constants, losing the depth test where it
 * meets itself; a rectangle cleared yellow by vkCmdClearAttachments; a blue
 * triangle far behind.  Flat colours that are exact in 8 bits, so that the
 * pixels at chosen points are known. */
#define SIZE 64u
#define COLOUR_FORMAT VK_FORMAT_R8G8B8A8_UNORM
#define DEPTH_FORMAT VK_FORMAT_D16_UNORM /* every device can render to it */

struct vertex {
    float position[3];
    float colour[4];
};

#define QUAD(x0, y0, x1, y1, z, r, g, b)                                                   \
    {{x0, y0, z}, {r, g, b, 1}}, {{x1, y0, z}, {r, g, b, 1}}, {{x1, y1, z}, {r, g, b, 1}}, \
        {{x0, y0, z}, {r, g, b, 1}}, {{x1, y1, z}, {r, g, b, 1}}, {{x0, y1, z}, {r, g, b, 1}}
static const struct vertex scene_vertices[] = {
    QUAD(-0.75f, -0.75f, 0.25f, 0.25f, 0.5f, 1, 0, 0),  /* A */
    QUAD(-0.25f, -0.25f, 0.75f, 0.75f, 0.25f, 0, 1, 0), /* B */
    {{-1.0f, 1.0f, 0.9f}, {0, 0, 1, 1}},                /* the blue triangle */
    {{-1.0f, 0.3f, 0.9f}, {0, 0, 1, 1}},
    {{-0.3f, 1.0f, 0.9f}, {0, 0, 1, 1}},
    {{-0.9f, -0.9f, 0.5f}, {1, 0, 1, 1}}, /* the multisampled triangle: slanted edges */
    {{0.9f, -0.6f, 0.5f}, {1, 0, 1, 1}},
    {{-0.2f, 0.9f, 0.5f}, {1, 0, 1, 1}},
};
#undef QUAD
enum { QUAD_A = 0, QUAD_B = 6, BLUE_TRIANGLE = 12, MSAA_TRIANGLE = 15 };

static const float CLEAR_COLOUR[4] = {0.2f, 0.4f, 0.6f, 1.0f}; /* 51 102 153 255 */
static const VkClearColorValue YELLOW = {.float32 = {1, 1, 0, 1}};

static const struct scene_point {
    uint32_t x, y;
    uint8_t rgba[4];
    float depth;
} scene_points[] = {
    {4, 4, {51, 102, 153, 255}, 1.0f},   /* nothing: the clear colour */
    {12, 12, {255, 0, 0, 255}, 0.5f},    /* A alone */
    {30, 30, {0, 255, 0, 255}, 0.25f},   /* A and B: B is nearer */
    {50, 50, {0, 255, 0, 255}, 0.25f},   /* B alone */
    {44, 4, {153, 0, 0, 255}, 0.5f},     /* moved A, tinted 0.6 */
    {30, 12, {255, 0, 0, 255}, 0.5f},    /* A and moved A: equal depth, the first stays */
    {60, 4, {255, 255, 0, 255}, 1.0f},   /* vkCmdClearAttachments (colour only) */
    {4, 60, {0, 0, 255, 255}, 0.9f},     /* the blue triangle */
    {20, 44, {51, 102, 153, 255}, 1.0f}, /* beside the triangle's long edge */
};

/* Push constants: the vertex stage's offset (bytes 0..7 of its 0..15 range)
 * and the fragment stage's tint (bytes 16..31). */
struct scene {
    VkPipelineLayout layout;
    VkPipeline pipeline;
    VkBuffer vertices;
};

static VkPipelineLayout scene_layout_new(struct ctx *c)
{
    VkPushConstantRange ranges[2] = {{VK_SHADER_STAGE_VERTEX_BIT, 0, 16},
                                     {VK_SHADER_STAGE_FRAGMENT_BIT, 16, 16}};
    return pipeline_layout_new(c, 0, NULL, 2, ranges);
}

static struct buffer scene_vertex_buffer_new(struct ctx *c)
{
    struct buffer b = buffer_new(c, sizeof scene_vertices, VK_BUFFER_USAGE_VERTEX_BUFFER_BIT);
    memcpy(b.map, scene_vertices, sizeof scene_vertices);
    return b;
}

struct graphics_desc {
    VkPipelineLayout layout;
    VkRenderPass pass; /* or VK_NULL_HANDLE and rendering */
    uint32_t subpass;
    const VkPipelineRenderingCreateInfo *rendering;
    VkShaderModule vert, frag;
    bool vertex_input, depth;
    VkSampleCountFlagBits samples;
};

/* Viewport and scissor are dynamic: every command buffer (secondaries
 * included, which inherit no state) sets them. */
static VkPipeline graphics_pipeline_new(struct ctx *c, const struct graphics_desc *d)
{
    VkPipelineShaderStageCreateInfo stages[2] = {
        {.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
         .stage = VK_SHADER_STAGE_VERTEX_BIT, .module = d->vert, .pName = "main"},
        {.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
         .stage = VK_SHADER_STAGE_FRAGMENT_BIT, .module = d->frag, .pName = "main"},
    };
    VkVertexInputBindingDescription binding = {0, sizeof(struct vertex),
                                               VK_VERTEX_INPUT_RATE_VERTEX};
    VkVertexInputAttributeDescription attributes[2] = {
        {0, 0, VK_FORMAT_R32G32B32_SFLOAT, offsetof(struct vertex, position)},
        {1, 0, VK_FORMAT_R32G32B32A32_SFLOAT, offsetof(struct vertex, colour)},
    };
    VkPipelineVertexInputStateCreateInfo input = {
        .sType = VK_STRUCTURE_TYPE_PIPELINE_VERTEX_INPUT_STATE_CREATE_INFO};
    if (d->vertex_input) {
        input.vertexBindingDescriptionCount = 1;
        input.pVertexBindingDescriptions = &binding;
        input.vertexAttributeDescriptionCount = 2;
        input.pVertexAttributeDescriptions = attributes;
    }
    VkPipelineInputAssemblyStateCreateInfo assembly = {
        .sType = VK_STRUCTURE_TYPE_PIPELINE_INPUT_ASSEMBLY_STATE_CREATE_INFO,
        .topology = VK_PRIMITIVE_TOPOLOGY_TRIANGLE_LIST};
    VkPipelineViewportStateCreateInfo viewport = {
        .sType = VK_STRUCTURE_TYPE_PIPELINE_VIEWPORT_STATE_CREATE_INFO,
        .viewportCount = 1,
        .scissorCount = 1};
    VkPipelineRasterizationStateCreateInfo raster = {
        .sType = VK_STRUCTURE_TYPE_PIPELINE_RASTERIZATION_STATE_CREATE_INFO,
        .polygonMode = VK_POLYGON_MODE_FILL,
        .cullMode = VK_CULL_MODE_NONE,
        .frontFace = VK_FRONT_FACE_COUNTER_CLOCKWISE,
        .lineWidth = 1.0f};
    VkPipelineMultisampleStateCreateInfo multisample = {
        .sType = VK_STRUCTURE_TYPE_PIPELINE_MULTISAMPLE_STATE_CREATE_INFO,
        .rasterizationSamples = d->samples ? d->samples : VK_SAMPLE_COUNT_1_BIT};
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
    VkDynamicState dynamic_states[2] = {VK_DYNAMIC_STATE_VIEWPORT, VK_DYNAMIC_STATE_SCISSOR};
    VkPipelineDynamicStateCreateInfo dynamic = {
        .sType = VK_STRUCTURE_TYPE_PIPELINE_DYNAMIC_STATE_CREATE_INFO,
        .dynamicStateCount = 2,
        .pDynamicStates = dynamic_states};
    VkGraphicsPipelineCreateInfo info = {.sType = VK_STRUCTURE_TYPE_GRAPHICS_PIPELINE_CREATE_INFO,
                                         .pNext = d->rendering,
                                         .stageCount = 2,
                                         .pStages = stages,
                                         .pVertexInputState = &input,
                                         .pInputAssemblyState = &assembly,
                                         .pViewportState = &viewport,
                                         .pRasterizationState = &raster,
                                         .pMultisampleState = &multisample,
                                         .pDepthStencilState = d->depth ? &depth : NULL,
                                         .pColorBlendState = &blend,
                                         .pDynamicState = &dynamic,
                                         .layout = d->layout,
                                         .renderPass = d->pass,
                                         .subpass = d->subpass};
    VkPipeline p;
    VK(vkCreateGraphicsPipelines(c->device, VK_NULL_HANDLE, 1, &info, NULL, &p));
    TRACK(PIPELINE, p);
    return p;
}

static void set_viewport(VkCommandBuffer cb)
{
    VkViewport viewport = {0, 0, (float)SIZE, (float)SIZE, 0, 1};
    VkRect2D scissor = {{0, 0}, {SIZE, SIZE}};
    vkCmdSetViewport(cb, 0, 1, &viewport);
    vkCmdSetScissor(cb, 0, 1, &scissor);
}

static void push_move(VkCommandBuffer cb, VkPipelineLayout layout, float dx, float dy,
                      const float tint[4])
{
    const float offset[2] = {dx, dy};
    vkCmdPushConstants(cb, layout, VK_SHADER_STAGE_VERTEX_BIT, 0, sizeof offset, offset);
    vkCmdPushConstants(cb, layout, VK_SHADER_STAGE_FRAGMENT_BIT, 16, 4 * sizeof(float), tint);
}

enum { SCENE_FIRST = 1, SCENE_SECOND = 2, SCENE_ALL = 3 };

/* The scene's draws, in two parts (for two secondary command buffers);
 * each part binds all it needs (but shader objects: no pipeline). */
static void record_scene(VkCommandBuffer cb, const struct scene *s, int parts)
{
    static const float white[4] = {1, 1, 1, 1}, dim[4] = {0.6f, 1, 1, 1};
    const VkDeviceSize zero = 0;
    if (s->pipeline)
        vkCmdBindPipeline(cb, VK_PIPELINE_BIND_POINT_GRAPHICS, s->pipeline);
    set_viewport(cb);
    vkCmdBindVertexBuffers(cb, 0, 1, &s->vertices, &zero);
    if (parts & SCENE_FIRST) {
        push_move(cb, s->layout, 0, 0, white);
        vkCmdDraw(cb, 6, 1, QUAD_A, 0);
        vkCmdDraw(cb, 6, 1, QUAD_B, 0);
    }
    if (parts & SCENE_SECOND) {
        push_move(cb, s->layout, 0.5f, -0.75f, dim);
        vkCmdDraw(cb, 6, 1, QUAD_A, 0);
        VkClearAttachment clear = {VK_IMAGE_ASPECT_COLOR_BIT, 0, {.color = YELLOW}};
        VkClearRect rect = {{{56, 0}, {8, 8}}, 0, 1};
        vkCmdClearAttachments(cb, 1, &clear, 1, &rect);
        push_move(cb, s->layout, 0, 0, white);
        vkCmdDraw(cb, 3, 1, BLUE_TRIANGLE, 0);
    }
}

/* The known pixels of the scene; depth (D16) and the complement image of
 * the render pass's second subpass where given. */
static void check_scene(struct ctx *c, const char *what, const uint8_t *rgba,
                        const uint16_t *depth, const uint8_t *inverted)
{
    for (size_t i = 0; i < ARRAY_SIZE(scene_points); i++) {
        const struct scene_point *p = &scene_points[i];
        const uint8_t *px = rgba + (p->y * SIZE + p->x) * 4;
        for (int k = 0; k < 4; k++)
            EXPECT(near(px[k], p->rgba[k], 1),
                   "%s: pixel (%u,%u) is %u %u %u %u, not %u %u %u %u", what, p->x, p->y, px[0],
                   px[1], px[2], px[3], p->rgba[0], p->rgba[1], p->rgba[2], p->rgba[3]);
        if (depth) {
            int d = depth[p->y * SIZE + p->x], want = (int)lrintf(p->depth * 65535.0f);
            EXPECT(near(d, want, 1), "%s: depth at (%u,%u) is %d, not %d", what, p->x, p->y, d,
                   want);
        }
        if (inverted) {
            const uint8_t *inv = inverted + (p->y * SIZE + p->x) * 4;
            for (int k = 0; k < 3; k++)
                EXPECT(near(inv[k], 255 - p->rgba[k], 1),
                       "%s: complement at (%u,%u) is %u %u %u, not %u %u %u", what, p->x, p->y,
                       inv[0], inv[1], inv[2], 255 - p->rgba[0], 255 - p->rgba[1],
                       255 - p->rgba[2]);
            EXPECT(inv[3] == 255, "%s: complement alpha at (%u,%u) is %u", what, p->x, p->y,
                   inv[3]);
        }
    }
}

/* ---- rendering with a render pass ----------------------------------------- */

/* Subpass 0 draws the scene into colour and depth; subpass 1 (when
 * `complement`) reads the colour as an input attachment and writes its
 * complement to a third attachment.  Everything ends in TRANSFER_SRC. */
static VkRenderPass scene_render_pass_new(struct ctx *c, bool complement)
{
    VkAttachmentDescription attachments[3] = {
        {0, COLOUR_FORMAT, VK_SAMPLE_COUNT_1_BIT, VK_ATTACHMENT_LOAD_OP_CLEAR,
         VK_ATTACHMENT_STORE_OP_STORE, VK_ATTACHMENT_LOAD_OP_DONT_CARE,
         VK_ATTACHMENT_STORE_OP_DONT_CARE, VK_IMAGE_LAYOUT_UNDEFINED,
         VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL},
        {0, DEPTH_FORMAT, VK_SAMPLE_COUNT_1_BIT, VK_ATTACHMENT_LOAD_OP_CLEAR,
         VK_ATTACHMENT_STORE_OP_STORE, VK_ATTACHMENT_LOAD_OP_DONT_CARE,
         VK_ATTACHMENT_STORE_OP_DONT_CARE, VK_IMAGE_LAYOUT_UNDEFINED,
         VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL},
        {0, COLOUR_FORMAT, VK_SAMPLE_COUNT_1_BIT, VK_ATTACHMENT_LOAD_OP_DONT_CARE,
         VK_ATTACHMENT_STORE_OP_STORE, VK_ATTACHMENT_LOAD_OP_DONT_CARE,
         VK_ATTACHMENT_STORE_OP_DONT_CARE, VK_IMAGE_LAYOUT_UNDEFINED,
         VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL},
    };
    VkAttachmentReference colour = {0, VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL};
    VkAttachmentReference depth = {1, VK_IMAGE_LAYOUT_DEPTH_STENCIL_ATTACHMENT_OPTIMAL};
    VkAttachmentReference input = {0, VK_IMAGE_LAYOUT_SHADER_READ_ONLY_OPTIMAL};
    VkAttachmentReference output = {2, VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL};
    VkSubpassDescription subpasses[2] = {
        {.pipelineBindPoint = VK_PIPELINE_BIND_POINT_GRAPHICS,
         .colorAttachmentCount = 1,
         .pColorAttachments = &colour,
         .pDepthStencilAttachment = &depth},
        {.pipelineBindPoint = VK_PIPELINE_BIND_POINT_GRAPHICS,
         .inputAttachmentCount = 1,
         .pInputAttachments = &input,
         .colorAttachmentCount = 1,
         .pColorAttachments = &output},
    };
    const uint32_t last = complement ? 1 : 0;
    VkSubpassDependency dependencies[3] = {
        {0, 1, VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT,
         VK_PIPELINE_STAGE_FRAGMENT_SHADER_BIT, VK_ACCESS_COLOR_ATTACHMENT_WRITE_BIT,
         VK_ACCESS_INPUT_ATTACHMENT_READ_BIT, VK_DEPENDENCY_BY_REGION_BIT},
        /* the copies after the pass read what every subpass wrote */
        {0, VK_SUBPASS_EXTERNAL,
         VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT | VK_PIPELINE_STAGE_LATE_FRAGMENT_TESTS_BIT,
         VK_PIPELINE_STAGE_TRANSFER_BIT,
         VK_ACCESS_COLOR_ATTACHMENT_WRITE_BIT | VK_ACCESS_DEPTH_STENCIL_ATTACHMENT_WRITE_BIT,
         VK_ACCESS_TRANSFER_READ_BIT, 0},
        {last, VK_SUBPASS_EXTERNAL, VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT,
         VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_COLOR_ATTACHMENT_WRITE_BIT,
         VK_ACCESS_TRANSFER_READ_BIT, 0},
    };
    VkRenderPassCreateInfo info = {.sType = VK_STRUCTURE_TYPE_RENDER_PASS_CREATE_INFO,
                                   .attachmentCount = complement ? 3 : 2,
                                   .pAttachments = attachments,
                                   .subpassCount = complement ? 2 : 1,
                                   .pSubpasses = subpasses,
                                   .dependencyCount = complement ? 3 : 1,
                                   .pDependencies = complement ? dependencies : &dependencies[1]};
    VkRenderPass pass;
    VK(vkCreateRenderPass(c->device, &info, NULL, &pass));
    TRACK(RENDER_PASS, pass);
    return pass;
}

static VkFramebuffer framebuffer_new(struct ctx *c, VkRenderPass pass, uint32_t count,
                                     const VkImageView *views)
{
    VkFramebufferCreateInfo info = {.sType = VK_STRUCTURE_TYPE_FRAMEBUFFER_CREATE_INFO,
                                    .renderPass = pass,
                                    .attachmentCount = count,
                                    .pAttachments = views,
                                    .width = SIZE,
                                    .height = SIZE,
                                    .layers = 1};
    VkFramebuffer fb;
    VK(vkCreateFramebuffer(c->device, &info, NULL, &fb));
    TRACK(FRAMEBUFFER, fb);
    return fb;
}

/* One rendering of the scene through the two-subpass render pass, with its
 * own images and read-back buffers. */
struct pass_target {
    struct image colour, depth, complement;
    VkFramebuffer framebuffer;
    VkDescriptorSet input_set;
    struct buffer colour_out, depth_out, complement_out;
};

struct pass_scene {
    struct scene scene;
    struct buffer vertices;
    VkRenderPass pass;
    VkPipelineLayout complement_layout;
    VkPipeline complement;
    VkDescriptorSetLayout input_layout;
    VkDescriptorPool descriptor_pool;
};

static void pass_scene_new(struct ctx *c, struct pass_scene *p)
{
    p->vertices = scene_vertex_buffer_new(c);
    p->pass = scene_render_pass_new(c, true);
    p->scene.vertices = p->vertices.buffer;
    p->scene.layout = scene_layout_new(c);
    struct graphics_desc d = {.layout = p->scene.layout,
                              .pass = p->pass,
                              .subpass = 0,
                              .vert = SHADER(cmd_scene_vert_spv),
                              .frag = SHADER(cmd_scene_frag_spv),
                              .vertex_input = true,
                              .depth = true};
    p->scene.pipeline = graphics_pipeline_new(c, &d);
    VkDescriptorSetLayoutBinding input = {0, VK_DESCRIPTOR_TYPE_INPUT_ATTACHMENT, 1,
                                          VK_SHADER_STAGE_FRAGMENT_BIT, NULL};
    p->input_layout = set_layout_new(c, 1, &input);
    p->complement_layout = pipeline_layout_new(c, 1, &p->input_layout, 0, NULL);
    d = (struct graphics_desc){.layout = p->complement_layout,
                               .pass = p->pass,
                               .subpass = 1,
                               .vert = SHADER(cmd_fullscreen_vert_spv),
                               .frag = SHADER(cmd_invert_frag_spv)};
    p->complement = graphics_pipeline_new(c, &d);
    p->descriptor_pool = descriptor_pool_new(c, 4, 0);
}

static void pass_target_new(struct ctx *c, const struct pass_scene *p, struct pass_target *t)
{
    const VkImageUsageFlags colour_usage = VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT |
                                           VK_IMAGE_USAGE_TRANSFER_SRC_BIT;
    t->colour = image_new(c, COLOUR_FORMAT, SIZE, SIZE, 1, 1, VK_SAMPLE_COUNT_1_BIT,
                          colour_usage | VK_IMAGE_USAGE_INPUT_ATTACHMENT_BIT);
    t->depth = image_new(c, DEPTH_FORMAT, SIZE, SIZE, 1, 1, VK_SAMPLE_COUNT_1_BIT,
                         VK_IMAGE_USAGE_DEPTH_STENCIL_ATTACHMENT_BIT |
                             VK_IMAGE_USAGE_TRANSFER_SRC_BIT);
    t->complement = image_new(c, COLOUR_FORMAT, SIZE, SIZE, 1, 1, VK_SAMPLE_COUNT_1_BIT,
                              colour_usage);
    VkImageView views[3] = {t->colour.view, t->depth.view, t->complement.view};
    t->framebuffer = framebuffer_new(c, p->pass, 3, views);
    t->input_set = descriptor_set_new(c, p->descriptor_pool, p->input_layout);
    VkDescriptorImageInfo image = {VK_NULL_HANDLE, t->colour.view,
                                   VK_IMAGE_LAYOUT_SHADER_READ_ONLY_OPTIMAL};
    VkWriteDescriptorSet w = {.sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
                              .dstSet = t->input_set,
                              .dstBinding = 0,
                              .descriptorCount = 1,
                              .descriptorType = VK_DESCRIPTOR_TYPE_INPUT_ATTACHMENT,
                              .pImageInfo = &image};
    vkUpdateDescriptorSets(c->device, 1, &w, 0, NULL);
    t->colour_out = buffer_new(c, SIZE * SIZE * 4, 0);
    t->depth_out = buffer_new(c, SIZE * SIZE * 2, 0);
    t->complement_out = buffer_new(c, SIZE * SIZE * 4, 0);
}

static void record_complement(VkCommandBuffer cb, const struct pass_scene *p,
                              const struct pass_target *t)
{
    vkCmdBindPipeline(cb, VK_PIPELINE_BIND_POINT_GRAPHICS, p->complement);
    set_viewport(cb);
    vkCmdBindDescriptorSets(cb, VK_PIPELINE_BIND_POINT_GRAPHICS, p->complement_layout, 0, 1,
                            &t->input_set, 0, NULL);
    vkCmdDraw(cb, 3, 1, 0, 0);
}

static void record_readback(VkCommandBuffer cb, const struct pass_target *t)
{
    copy_image_to_buffer(cb, &t->colour, t->colour_out.buffer);
    copy_image_to_buffer(cb, &t->depth, t->depth_out.buffer);
    copy_image_to_buffer(cb, &t->complement, t->complement_out.buffer);
    to_host(cb, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_WRITE_BIT);
}

static VkCommandBuffer secondary_begin(struct ctx *c, const VkCommandBufferInheritanceInfo *inh,
                                       VkCommandBufferUsageFlags flags)
{
    VkCommandBuffer cb = command_buffer_new(c, c->pool, VK_COMMAND_BUFFER_LEVEL_SECONDARY);
    VkCommandBufferBeginInfo info = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
                                     .flags = flags,
                                     .pInheritanceInfo = inh};
    VK(vkBeginCommandBuffer(cb, &info));
    return cb;
}

/* Renders the scene into `t`, inline or from secondary command buffers:
 * two for subpass 0 (one knowing the framebuffer, one not), one for
 * subpass 1, and one outside the render pass for the read-back copies. */
static void render_pass_scene(struct ctx *c, const struct pass_scene *p,
                              const struct pass_target *t, bool secondaries)
{
    VkClearValue clears[3] = {{.color = {.float32 = {CLEAR_COLOUR[0], CLEAR_COLOUR[1],
                                                     CLEAR_COLOUR[2], CLEAR_COLOUR[3]}}},
                              {.depthStencil = {1.0f, 0}},
                              {.color = {.float32 = {0, 0, 0, 0}}}};
    VkRenderPassBeginInfo rp = {.sType = VK_STRUCTURE_TYPE_RENDER_PASS_BEGIN_INFO,
                                .renderPass = p->pass,
                                .framebuffer = t->framebuffer,
                                .renderArea = {{0, 0}, {SIZE, SIZE}},
                                .clearValueCount = 3,
                                .pClearValues = clears};
    VkCommandBuffer cb = primary_new(c);
    begin(c, cb, VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT);
    if (!secondaries) {
        vkCmdBeginRenderPass(cb, &rp, VK_SUBPASS_CONTENTS_INLINE);
        record_scene(cb, &p->scene, SCENE_ALL);
        vkCmdNextSubpass(cb, VK_SUBPASS_CONTENTS_INLINE);
        record_complement(cb, p, t);
        vkCmdEndRenderPass(cb);
        record_readback(cb, t);
    } else {
        VkCommandBufferInheritanceInfo inh = {
            .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_INHERITANCE_INFO,
            .renderPass = p->pass,
            .subpass = 0,
            .framebuffer = t->framebuffer};
        const VkCommandBufferUsageFlags in_pass =
            VK_COMMAND_BUFFER_USAGE_RENDER_PASS_CONTINUE_BIT |
            VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
        VkCommandBuffer first = secondary_begin(c, &inh, in_pass);
        record_scene(first, &p->scene, SCENE_FIRST);
        end(c, first);
        inh.framebuffer = VK_NULL_HANDLE; /* optional: the primary knows it */
        VkCommandBuffer second = secondary_begin(c, &inh, in_pass);
        record_scene(second, &p->scene, SCENE_SECOND);
        end(c, second);
        inh.subpass = 1;
        VkCommandBuffer third = secondary_begin(c, &inh, in_pass);
        record_complement(third, p, t);
        end(c, third);
        VkCommandBufferInheritanceInfo outside = {
            .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_INHERITANCE_INFO};
        VkCommandBuffer copies =
            secondary_begin(c, &outside, VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT);
        record_readback(copies, t);
        end(c, copies);

        vkCmdBeginRenderPass(cb, &rp, VK_SUBPASS_CONTENTS_SECONDARY_COMMAND_BUFFERS);
        VkCommandBuffer both[2] = {first, second};
        vkCmdExecuteCommands(cb, 2, both);
        vkCmdNextSubpass(cb, VK_SUBPASS_CONTENTS_SECONDARY_COMMAND_BUFFERS);
        vkCmdExecuteCommands(cb, 1, &third);
        vkCmdEndRenderPass(cb);
        vkCmdExecuteCommands(cb, 1, &copies);
    }
    end(c, cb);
    submit_and_wait(c, cb);
}

static void digest_pass_target(struct ctx *c, const struct pass_target *t)
{
    digest(c, t->colour_out.map, t->colour_out.size);
    digest(c, t->depth_out.map, t->depth_out.size);
    digest(c, t->complement_out.map, t->complement_out.size);
}

static void scenario_render_pass(struct ctx *c)
{
    struct pass_scene p;
    struct pass_target t;
    pass_scene_new(c, &p);
    pass_target_new(c, &p, &t);
    render_pass_scene(c, &p, &t, false);
    check_scene(c, "render pass", t.colour_out.map, t.depth_out.map, t.complement_out.map);
    digest_pass_target(c, &t);
}

static void expect_same(struct ctx *c, const char *what, const struct buffer *a,
                        const struct buffer *b)
{
    const uint8_t *x = a->map, *y = b->map;
    for (VkDeviceSize i = 0; i < a->size; i++)
        EXPECT(x[i] == y[i], "%s: byte %llu is %u, inline it is %u", what, (unsigned long long)i,
               y[i], x[i]);
}

static void scenario_secondary_render_pass(struct ctx *c)
{
    struct pass_scene p;
    struct pass_target inline_target, secondary_target;
    pass_scene_new(c, &p);
    pass_target_new(c, &p, &inline_target);
    pass_target_new(c, &p, &secondary_target);
    render_pass_scene(c, &p, &inline_target, false);
    render_pass_scene(c, &p, &secondary_target, true);
    check_scene(c, "secondaries", secondary_target.colour_out.map, secondary_target.depth_out.map,
                secondary_target.complement_out.map);
    expect_same(c, "secondaries: colour", &inline_target.colour_out, &secondary_target.colour_out);
    expect_same(c, "secondaries: depth", &inline_target.depth_out, &secondary_target.depth_out);
    expect_same(c, "secondaries: complement", &inline_target.complement_out,
                &secondary_target.complement_out);
    digest_pass_target(c, &secondary_target);
}

/* ---- dynamic rendering (Vulkan 1.3) -------------------------------------- */

struct dynamic_target {
    struct image colour, depth;
    struct buffer colour_out, depth_out;
};

static void dynamic_target_new(struct ctx *c, struct dynamic_target *t)
{
    t->colour = image_new(c, COLOUR_FORMAT, SIZE, SIZE, 1, 1, VK_SAMPLE_COUNT_1_BIT,
                          VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT | VK_IMAGE_USAGE_TRANSFER_SRC_BIT);
    t->depth = image_new(c, DEPTH_FORMAT, SIZE, SIZE, 1, 1, VK_SAMPLE_COUNT_1_BIT,
                         VK_IMAGE_USAGE_DEPTH_STENCIL_ATTACHMENT_BIT |
                             VK_IMAGE_USAGE_TRANSFER_SRC_BIT);
    t->colour_out = buffer_new(c, SIZE * SIZE * 4, 0);
    t->depth_out = buffer_new(c, SIZE * SIZE * 2, 0);
}

static const VkFormat colour_format = COLOUR_FORMAT;
static const VkPipelineRenderingCreateInfo scene_rendering = {
    .sType = VK_STRUCTURE_TYPE_PIPELINE_RENDERING_CREATE_INFO,
    .colorAttachmentCount = 1,
    .pColorAttachmentFormats = &colour_format,
    .depthAttachmentFormat = DEPTH_FORMAT};

static void dynamic_scene_new(struct ctx *c, struct scene *s, struct buffer *vertices)
{
    *vertices = scene_vertex_buffer_new(c);
    s->vertices = vertices->buffer;
    s->layout = scene_layout_new(c);
    struct graphics_desc d = {.layout = s->layout,
                              .rendering = &scene_rendering,
                              .vert = SHADER(cmd_scene_vert_spv),
                              .frag = SHADER(cmd_scene_frag_spv),
                              .vertex_input = true,
                              .depth = true};
    s->pipeline = graphics_pipeline_new(c, &d);
}

/* Renders the scene into `t` with vkCmdBeginRendering: inline as two
 * render pass instances, the first suspended and the second resuming it,
 * or from two secondary command buffers that inherit the attachments'
 * formats (VkCommandBufferInheritanceRenderingInfo). */
static void render_dynamic_scene(struct ctx *c, const struct scene *s,
                                 const struct dynamic_target *t, bool secondaries)
{
    VkRenderingAttachmentInfo colour = {
        .sType = VK_STRUCTURE_TYPE_RENDERING_ATTACHMENT_INFO,
        .imageView = t->colour.view,
        .imageLayout = VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL,
        .loadOp = VK_ATTACHMENT_LOAD_OP_CLEAR,
        .storeOp = VK_ATTACHMENT_STORE_OP_STORE,
        .clearValue = {.color = {.float32 = {CLEAR_COLOUR[0], CLEAR_COLOUR[1], CLEAR_COLOUR[2],
                                             CLEAR_COLOUR[3]}}}};
    VkRenderingAttachmentInfo depth = {.sType = VK_STRUCTURE_TYPE_RENDERING_ATTACHMENT_INFO,
                                       .imageView = t->depth.view,
                                       .imageLayout = VK_IMAGE_LAYOUT_DEPTH_ATTACHMENT_OPTIMAL,
                                       .loadOp = VK_ATTACHMENT_LOAD_OP_CLEAR,
                                       .storeOp = VK_ATTACHMENT_STORE_OP_STORE,
                                       .clearValue = {.depthStencil = {1.0f, 0}}};
    VkRenderingInfo rendering = {.sType = VK_STRUCTURE_TYPE_RENDERING_INFO,
                                 .renderArea = {{0, 0}, {SIZE, SIZE}},
                                 .layerCount = 1,
                                 .colorAttachmentCount = 1,
                                 .pColorAttachments = &colour,
                                 .pDepthAttachment = &depth};

    VkCommandBuffer first = VK_NULL_HANDLE, second = VK_NULL_HANDLE;
    if (secondaries) {
        VkCommandBufferInheritanceRenderingInfo formats = {
            .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_INHERITANCE_RENDERING_INFO,
            .colorAttachmentCount = 1,
            .pColorAttachmentFormats = &colour_format,
            .depthAttachmentFormat = DEPTH_FORMAT,
            .rasterizationSamples = VK_SAMPLE_COUNT_1_BIT};
        VkCommandBufferInheritanceInfo inh = {
            .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_INHERITANCE_INFO,
            .pNext = &formats};
        const VkCommandBufferUsageFlags flags = VK_COMMAND_BUFFER_USAGE_RENDER_PASS_CONTINUE_BIT |
                                                VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
        first = secondary_begin(c, &inh, flags);
        record_scene(first, s, SCENE_FIRST);
        end(c, first);
        second = secondary_begin(c, &inh, flags);
        record_scene(second, s, SCENE_SECOND);
        end(c, second);
    }

    VkCommandBuffer cb = primary_new(c);
    begin(c, cb, VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT);
    image_barrier2(cb, &t->colour, VK_IMAGE_LAYOUT_UNDEFINED,
                   VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL, VK_PIPELINE_STAGE_2_NONE, 0,
                   VK_PIPELINE_STAGE_2_COLOR_ATTACHMENT_OUTPUT_BIT,
                   VK_ACCESS_2_COLOR_ATTACHMENT_WRITE_BIT);
    image_barrier2(cb, &t->depth, VK_IMAGE_LAYOUT_UNDEFINED,
                   VK_IMAGE_LAYOUT_DEPTH_ATTACHMENT_OPTIMAL, VK_PIPELINE_STAGE_2_NONE, 0,
                   VK_PIPELINE_STAGE_2_EARLY_FRAGMENT_TESTS_BIT |
                       VK_PIPELINE_STAGE_2_LATE_FRAGMENT_TESTS_BIT,
                   VK_ACCESS_2_DEPTH_STENCIL_ATTACHMENT_READ_BIT |
                       VK_ACCESS_2_DEPTH_STENCIL_ATTACHMENT_WRITE_BIT);
    if (secondaries) {
        rendering.flags = VK_RENDERING_CONTENTS_SECONDARY_COMMAND_BUFFERS_BIT;
        vkCmdBeginRendering(cb, &rendering);
        VkCommandBuffer both[2] = {first, second};
        vkCmdExecuteCommands(cb, 2, both);
        vkCmdEndRendering(cb);
    } else {
        rendering.flags = VK_RENDERING_SUSPENDING_BIT;
        vkCmdBeginRendering(cb, &rendering);
        record_scene(cb, s, SCENE_FIRST);
        vkCmdEndRendering(cb);
        rendering.flags = VK_RENDERING_RESUMING_BIT;
        vkCmdBeginRendering(cb, &rendering);
        record_scene(cb, s, SCENE_SECOND);
        vkCmdEndRendering(cb);
    }
    image_barrier2(cb, &t->colour, VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL,
                   VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL,
                   VK_PIPELINE_STAGE_2_COLOR_ATTACHMENT_OUTPUT_BIT,
                   VK_ACCESS_2_COLOR_ATTACHMENT_WRITE_BIT, VK_PIPELINE_STAGE_2_COPY_BIT,
                   VK_ACCESS_2_TRANSFER_READ_BIT);
    image_barrier2(cb, &t->depth, VK_IMAGE_LAYOUT_DEPTH_ATTACHMENT_OPTIMAL,
                   VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL,
                   VK_PIPELINE_STAGE_2_LATE_FRAGMENT_TESTS_BIT,
                   VK_ACCESS_2_DEPTH_STENCIL_ATTACHMENT_WRITE_BIT, VK_PIPELINE_STAGE_2_COPY_BIT,
                   VK_ACCESS_2_TRANSFER_READ_BIT);
    copy_image_to_buffer(cb, &t->colour, t->colour_out.buffer);
    copy_image_to_buffer(cb, &t->depth, t->depth_out.buffer);
    to_host(cb, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_WRITE_BIT);
    end(c, cb);
    submit_and_wait(c, cb);
}

static void scenario_dynamic_rendering(struct ctx *c)
{
    struct scene s;
    struct buffer vertices;
    struct dynamic_target t;
    dynamic_scene_new(c, &s, &vertices);
    dynamic_target_new(c, &t);
    render_dynamic_scene(c, &s, &t, false);
    check_scene(c, "dynamic rendering", t.colour_out.map, t.depth_out.map, NULL);
    digest(c, t.colour_out.map, t.colour_out.size);
    digest(c, t.depth_out.map, t.depth_out.size);
}

static void scenario_secondary_dynamic_rendering(struct ctx *c)
{
    struct scene s;
    struct buffer vertices;
    struct dynamic_target inline_target, secondary_target;
    dynamic_scene_new(c, &s, &vertices);
    dynamic_target_new(c, &inline_target);
    dynamic_target_new(c, &secondary_target);
    render_dynamic_scene(c, &s, &inline_target, false);
    render_dynamic_scene(c, &s, &secondary_target, true);
    check_scene(c, "secondaries", secondary_target.colour_out.map, secondary_target.depth_out.map,
                NULL);
    expect_same(c, "secondaries: colour", &inline_target.colour_out, &secondary_target.colour_out);
    expect_same(c, "secondaries: depth", &inline_target.depth_out, &secondary_target.depth_out);
    digest(c, secondary_target.colour_out.map, secondary_target.colour_out.size);
    digest(c, secondary_target.depth_out.map, secondary_target.depth_out.size);
}

/* ---- multisampling ------------------------------------------------------- */

/* A magenta triangle with slanted edges at 4 samples a pixel, resolved four
 * ways: by the render pass (pResolveAttachments), by vkCmdResolveImage and
 * vkCmdResolveImage2 from the stored samples, and by dynamic rendering
 * (resolveMode AVERAGE).  Inside and outside pixels are exact; the edges
 * must hold blends, or the samples were never four. */
static void check_resolved(struct ctx *c, const char *what, const uint8_t *px)
{
    const uint8_t clear[4] = {51, 102, 153, 255}, magenta[4] = {255, 0, 255, 255};
    const struct {
        uint32_t x, y;
        const uint8_t *rgba;
    } points[] = {{30, 25, magenta}, {16, 10, magenta}, {60, 60, clear}, {2, 60, clear},
                  {60, 2, clear}};
    for (size_t i = 0; i < ARRAY_SIZE(points); i++) {
        const uint8_t *p = px + (points[i].y * SIZE + points[i].x) * 4;
        for (int k = 0; k < 4; k++)
            EXPECT(p[k] == points[i].rgba[k], "%s: pixel (%u,%u) is %u %u %u %u, not %u %u %u %u",
                   what, points[i].x, points[i].y, p[0], p[1], p[2], p[3], points[i].rgba[0],
                   points[i].rgba[1], points[i].rgba[2], points[i].rgba[3]);
    }
    uint32_t blended = 0;
    for (uint32_t i = 0; i < SIZE * SIZE; i++) {
        const uint8_t *p = px + i * 4;
        if (memcmp(p, clear, 4) != 0 && memcmp(p, magenta, 4) != 0)
            blended++;
    }
    EXPECT(blended >= 20, "%s: only %u edge pixels are blends of the two colours", what, blended);
}

static void scenario_msaa_resolve(struct ctx *c)
{
    const VkSampleCountFlagBits four = VK_SAMPLE_COUNT_4_BIT;
    const VkImageUsageFlags resolved_usage = VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT |
                                             VK_IMAGE_USAGE_TRANSFER_SRC_BIT |
                                             VK_IMAGE_USAGE_TRANSFER_DST_BIT;
    EXPECT(c->props.limits.framebufferColorSampleCounts & four,
           "the device cannot render 4 samples a pixel");
    struct image samples = image_new(c, COLOUR_FORMAT, SIZE, SIZE, 1, 1, four,
                                     VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT |
                                         VK_IMAGE_USAGE_TRANSFER_SRC_BIT);
    struct image samples2 = image_new(c, COLOUR_FORMAT, SIZE, SIZE, 1, 1, four,
                                      VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT);
    struct image by_pass = image_new(c, COLOUR_FORMAT, SIZE, SIZE, 1, 1, VK_SAMPLE_COUNT_1_BIT,
                                     resolved_usage);
    struct image by_command = image_new(c, COLOUR_FORMAT, SIZE, SIZE, 1, 1,
                                        VK_SAMPLE_COUNT_1_BIT, resolved_usage);
    struct image by_command2 = image_new(c, COLOUR_FORMAT, SIZE, SIZE, 1, 1,
                                         VK_SAMPLE_COUNT_1_BIT, resolved_usage);
    struct image by_rendering = image_new(c, COLOUR_FORMAT, SIZE, SIZE, 1, 1,
                                          VK_SAMPLE_COUNT_1_BIT, resolved_usage);
    struct buffer out[4];
    for (int i = 0; i < 4; i++)
        out[i] = buffer_new(c, SIZE * SIZE * 4, 0);
    struct buffer vertices = scene_vertex_buffer_new(c);

    VkAttachmentDescription attachments[2] = {
        {0, COLOUR_FORMAT, four, VK_ATTACHMENT_LOAD_OP_CLEAR, VK_ATTACHMENT_STORE_OP_STORE,
         VK_ATTACHMENT_LOAD_OP_DONT_CARE, VK_ATTACHMENT_STORE_OP_DONT_CARE,
         VK_IMAGE_LAYOUT_UNDEFINED, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL},
        {0, COLOUR_FORMAT, VK_SAMPLE_COUNT_1_BIT, VK_ATTACHMENT_LOAD_OP_DONT_CARE,
         VK_ATTACHMENT_STORE_OP_STORE, VK_ATTACHMENT_LOAD_OP_DONT_CARE,
         VK_ATTACHMENT_STORE_OP_DONT_CARE, VK_IMAGE_LAYOUT_UNDEFINED,
         VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL},
    };
    VkAttachmentReference colour = {0, VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL};
    VkAttachmentReference resolve = {1, VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL};
    VkSubpassDescription subpass = {.pipelineBindPoint = VK_PIPELINE_BIND_POINT_GRAPHICS,
                                    .colorAttachmentCount = 1,
                                    .pColorAttachments = &colour,
                                    .pResolveAttachments = &resolve};
    VkSubpassDependency after = {0, VK_SUBPASS_EXTERNAL,
                                 VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT,
                                 VK_PIPELINE_STAGE_TRANSFER_BIT,
                                 VK_ACCESS_COLOR_ATTACHMENT_WRITE_BIT,
                                 VK_ACCESS_TRANSFER_READ_BIT, 0};
    VkRenderPassCreateInfo rpci = {.sType = VK_STRUCTURE_TYPE_RENDER_PASS_CREATE_INFO,
                                   .attachmentCount = 2,
                                   .pAttachments = attachments,
                                   .subpassCount = 1,
                                   .pSubpasses = &subpass,
                                   .dependencyCount = 1,
                                   .pDependencies = &after};
    VkRenderPass pass;
    VK(vkCreateRenderPass(c->device, &rpci, NULL, &pass));
    TRACK(RENDER_PASS, pass);
    VkImageView views[2] = {samples.view, by_pass.view};
    VkFramebuffer fb = framebuffer_new(c, pass, 2, views);

    struct scene s = {.layout = scene_layout_new(c), .vertices = vertices.buffer};
    VkShaderModule vert = SHADER(cmd_scene_vert_spv), frag = SHADER(cmd_scene_frag_spv);
    struct graphics_desc d = {.layout = s.layout, .pass = pass, .vert = vert, .frag = frag,
                              .vertex_input = true, .samples = four};
    VkPipeline in_pass = graphics_pipeline_new(c, &d);
    VkPipelineRenderingCreateInfo rendering_formats = {
        .sType = VK_STRUCTURE_TYPE_PIPELINE_RENDERING_CREATE_INFO,
        .colorAttachmentCount = 1,
        .pColorAttachmentFormats = &colour_format};
    d.pass = VK_NULL_HANDLE;
    d.rendering = &rendering_formats;
    VkPipeline in_rendering = graphics_pipeline_new(c, &d);

    static const float white[4] = {1, 1, 1, 1};
    const VkDeviceSize zero = 0;
    VkClearValue clear = {.color = {.float32 = {CLEAR_COLOUR[0], CLEAR_COLOUR[1], CLEAR_COLOUR[2],
                                                CLEAR_COLOUR[3]}}};
    VkCommandBuffer cb = primary_new(c);
    begin(c, cb, VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT);
    /* 1. the render pass resolves into by_pass and stores the samples */
    VkRenderPassBeginInfo rp = {.sType = VK_STRUCTURE_TYPE_RENDER_PASS_BEGIN_INFO,
                                .renderPass = pass,
                                .framebuffer = fb,
                                .renderArea = {{0, 0}, {SIZE, SIZE}},
                                .clearValueCount = 1,
                                .pClearValues = &clear};
    vkCmdBeginRenderPass(cb, &rp, VK_SUBPASS_CONTENTS_INLINE);
    vkCmdBindPipeline(cb, VK_PIPELINE_BIND_POINT_GRAPHICS, in_pass);
    set_viewport(cb);
    vkCmdBindVertexBuffers(cb, 0, 1, &s.vertices, &zero);
    push_move(cb, s.layout, 0, 0, white);
    vkCmdDraw(cb, 3, 1, MSAA_TRIANGLE, 0);
    vkCmdEndRenderPass(cb);
    /* 2. the stored samples resolved by commands: whole, and in two halves */
    image_barrier(cb, &by_command, 0, 1, VK_IMAGE_LAYOUT_UNDEFINED,
                  VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, 0,
                  VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_WRITE_BIT);
    image_barrier(cb, &by_command2, 0, 1, VK_IMAGE_LAYOUT_UNDEFINED,
                  VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, 0,
                  VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_WRITE_BIT);
    VkImageResolve whole = {.srcSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1},
                            .dstSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1},
                            .extent = {SIZE, SIZE, 1}};
    vkCmdResolveImage(cb, samples.image, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, by_command.image,
                      VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, 1, &whole);
    VkImageResolve2 halves[2] = {
        {.sType = VK_STRUCTURE_TYPE_IMAGE_RESOLVE_2,
         .srcSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1},
         .dstSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1},
         .extent = {SIZE, SIZE / 2, 1}},
        {.sType = VK_STRUCTURE_TYPE_IMAGE_RESOLVE_2,
         .srcSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1},
         .srcOffset = {0, SIZE / 2, 0},
         .dstSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1},
         .dstOffset = {0, SIZE / 2, 0},
         .extent = {SIZE, SIZE / 2, 1}},
    };
    VkResolveImageInfo2 resolve2 = {.sType = VK_STRUCTURE_TYPE_RESOLVE_IMAGE_INFO_2,
                                    .srcImage = samples.image,
                                    .srcImageLayout = VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL,
                                    .dstImage = by_command2.image,
                                    .dstImageLayout = VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL,
                                    .regionCount = 2,
                                    .pRegions = halves};
    vkCmdResolveImage2(cb, &resolve2);
    /* 3. dynamic rendering resolves on its own */
    image_barrier2(cb, &samples2, VK_IMAGE_LAYOUT_UNDEFINED,
                   VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL, VK_PIPELINE_STAGE_2_NONE, 0,
                   VK_PIPELINE_STAGE_2_COLOR_ATTACHMENT_OUTPUT_BIT,
                   VK_ACCESS_2_COLOR_ATTACHMENT_WRITE_BIT);
    image_barrier2(cb, &by_rendering, VK_IMAGE_LAYOUT_UNDEFINED,
                   VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL, VK_PIPELINE_STAGE_2_NONE, 0,
                   VK_PIPELINE_STAGE_2_COLOR_ATTACHMENT_OUTPUT_BIT,
                   VK_ACCESS_2_COLOR_ATTACHMENT_WRITE_BIT);
    VkRenderingAttachmentInfo attachment = {
        .sType = VK_STRUCTURE_TYPE_RENDERING_ATTACHMENT_INFO,
        .imageView = samples2.view,
        .imageLayout = VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL,
        .resolveMode = VK_RESOLVE_MODE_AVERAGE_BIT,
        .resolveImageView = by_rendering.view,
        .resolveImageLayout = VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL,
        .loadOp = VK_ATTACHMENT_LOAD_OP_CLEAR,
        .storeOp = VK_ATTACHMENT_STORE_OP_DONT_CARE,
        .clearValue = clear};
    VkRenderingInfo rendering = {.sType = VK_STRUCTURE_TYPE_RENDERING_INFO,
                                 .renderArea = {{0, 0}, {SIZE, SIZE}},
                                 .layerCount = 1,
                                 .colorAttachmentCount = 1,
                                 .pColorAttachments = &attachment};
    vkCmdBeginRendering(cb, &rendering);
    vkCmdBindPipeline(cb, VK_PIPELINE_BIND_POINT_GRAPHICS, in_rendering);
    set_viewport(cb);
    vkCmdBindVertexBuffers(cb, 0, 1, &s.vertices, &zero);
    push_move(cb, s.layout, 0, 0, white);
    vkCmdDraw(cb, 3, 1, MSAA_TRIANGLE, 0);
    vkCmdEndRendering(cb);
    image_barrier2(cb, &by_rendering, VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL,
                   VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL,
                   VK_PIPELINE_STAGE_2_COLOR_ATTACHMENT_OUTPUT_BIT,
                   VK_ACCESS_2_COLOR_ATTACHMENT_WRITE_BIT, VK_PIPELINE_STAGE_2_COPY_BIT,
                   VK_ACCESS_2_TRANSFER_READ_BIT);
    const struct image *resolved[4] = {&by_pass, &by_command, &by_command2, &by_rendering};
    for (int i = 1; i < 3; i++)
        image_barrier(cb, resolved[i], 0, 1, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL,
                      VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, VK_PIPELINE_STAGE_TRANSFER_BIT,
                      VK_ACCESS_TRANSFER_WRITE_BIT, VK_PIPELINE_STAGE_TRANSFER_BIT,
                      VK_ACCESS_TRANSFER_READ_BIT);
    for (int i = 0; i < 4; i++)
        copy_image_to_buffer(cb, resolved[i], out[i].buffer);
    to_host(cb, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_WRITE_BIT);
    end(c, cb);
    submit_and_wait(c, cb);

    static const char *const how[4] = {"render pass resolve", "vkCmdResolveImage",
                                       "vkCmdResolveImage2", "dynamic rendering resolve"};
    for (int i = 0; i < 4; i++) {
        check_resolved(c, how[i], out[i].map);
        /* Any two resolves of the same samples agree within rounding. */
        const uint8_t *a = out[0].map, *b = out[i].map;
        for (uint32_t k = 0; k < SIZE * SIZE * 4; k++)
            EXPECT(near(a[k], b[k], 1), "%s: byte %u is %u, the render pass resolved %u", how[i],
                   k, b[k], a[k]);
        digest(c, out[i].map, out[i].size);
    }
}

/* ---- transfers ------------------------------------------------------------ */

/* The source image's texels: 16x16, two layers, every channel a multiple of
 * four so that the 2x2 averages of a linear blit are (nearly) exact. */
static uint8_t texel(uint32_t x, uint32_t y, uint32_t layer, int channel)
{
    switch (channel) {
    case 0: return (uint8_t)(x * 16);
    case 1: return (uint8_t)(y * 16);
    case 2: return layer ? 200 : 40;
    default: return (uint8_t)((x + y) * 4);
    }
}

/* Mip 1 made by a linear blit of mip 0: the average of a 2x2 block. */
static int mip1_texel(uint32_t x, uint32_t y, uint32_t layer, int channel)
{
    int sum = texel(2 * x, 2 * y, layer, channel) + texel(2 * x + 1, 2 * y, layer, channel) +
              texel(2 * x, 2 * y + 1, layer, channel) + texel(2 * x + 1, 2 * y + 1, layer, channel);
    return (sum + 2) / 4;
}

/* A small patch copied from a buffer by vkCmdCopyBufferToImage2. */
static uint8_t patch_texel(uint32_t x, uint32_t y, int channel)
{
    const uint8_t v[4] = {(uint8_t)(10 + x), (uint8_t)(20 + y), 30, 255};
    return v[channel];
}

/* Buffer to image (rows padded, two layers at once), a mip level made by a
 * linear blit, image to image, blits that scale and mirror (NEAREST), a
 * clear, image to buffer (padded rows), buffer to buffer; in the original
 * and the copy_commands2 forms. */
static void scenario_transfer(struct ctx *c)
{
    enum { SRC = 16, DST = 32, ROW = 20, ROWS = 18, UPLOAD_AT = 256, OUT2_ROW = 10,
           OUT2_ROWS = 9, OUT2_AT = 16 };
    const VkDeviceSize layer_bytes = ROW * ROWS * 4;
    const VkImageUsageFlags usage = VK_IMAGE_USAGE_TRANSFER_SRC_BIT |
                                    VK_IMAGE_USAGE_TRANSFER_DST_BIT;
    struct image src = image_new(c, COLOUR_FORMAT, SRC, SRC, 2, 2, VK_SAMPLE_COUNT_1_BIT, usage);
    struct image dst = image_new(c, COLOUR_FORMAT, DST, DST, 1, 1, VK_SAMPLE_COUNT_1_BIT, usage);
    struct buffer staging = buffer_new(c, UPLOAD_AT + 2 * layer_bytes, 0);
    struct buffer staging2 = buffer_new(c, 3 * 2 * 4, 0);
    struct buffer out1 = buffer_new(c, DST * DST * 4, 0);
    struct buffer out2 = buffer_new(c, OUT2_AT + 2 * OUT2_ROW * OUT2_ROWS * 4, 0);
    struct buffer out3 = buffer_new(c, 256, 0);
    uint8_t *up = staging.map, *up2 = staging2.map;
    memset(up, 0x77, (size_t)staging.size); /* the padding: never copied */
    for (uint32_t l = 0; l < 2; l++)
        for (uint32_t y = 0; y < SRC; y++)
            for (uint32_t x = 0; x < SRC; x++)
                for (int k = 0; k < 4; k++)
                    up[UPLOAD_AT + ((l * ROWS + y) * ROW + x) * 4 + k] = texel(x, y, l, k);
    for (uint32_t y = 0; y < 2; y++)
        for (uint32_t x = 0; x < 3; x++)
            for (int k = 0; k < 4; k++)
                up2[(y * 3 + x) * 4 + k] = patch_texel(x, y, k);

    VkCommandBuffer cb = primary_new(c);
    begin(c, cb, VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT);
    image_barrier(cb, &dst, 0, 1, VK_IMAGE_LAYOUT_UNDEFINED, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL,
                  VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, 0, VK_PIPELINE_STAGE_TRANSFER_BIT,
                  VK_ACCESS_TRANSFER_WRITE_BIT);
    image_barrier(cb, &src, 0, 2, VK_IMAGE_LAYOUT_UNDEFINED, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL,
                  VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, 0, VK_PIPELINE_STAGE_TRANSFER_BIT,
                  VK_ACCESS_TRANSFER_WRITE_BIT);
    VkClearColorValue clear = {.float32 = {CLEAR_COLOUR[0], CLEAR_COLOUR[1], CLEAR_COLOUR[2],
                                           CLEAR_COLOUR[3]}};
    VkImageSubresourceRange whole = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1};
    vkCmdClearColorImage(cb, dst.image, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, &clear, 1, &whole);
    VkBufferImageCopy upload = {.bufferOffset = UPLOAD_AT,
                                .bufferRowLength = ROW,
                                .bufferImageHeight = ROWS,
                                .imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 2},
                                .imageExtent = {SRC, SRC, 1}};
    vkCmdCopyBufferToImage(cb, staging.buffer, src.image, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, 1,
                           &upload);
    image_barrier(cb, &src, 0, 1, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL,
                  VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, VK_PIPELINE_STAGE_TRANSFER_BIT,
                  VK_ACCESS_TRANSFER_WRITE_BIT, VK_PIPELINE_STAGE_TRANSFER_BIT,
                  VK_ACCESS_TRANSFER_READ_BIT);
    /* mip 1 of both layers from mip 0, filtered */
    VkImageBlit down = {.srcSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 2},
                        .srcOffsets = {{0, 0, 0}, {SRC, SRC, 1}},
                        .dstSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 1, 0, 2},
                        .dstOffsets = {{0, 0, 0}, {SRC / 2, SRC / 2, 1}}};
    vkCmdBlitImage(cb, src.image, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, src.image,
                   VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, 1, &down, VK_FILTER_LINEAR);
    image_barrier(cb, &src, 1, 1, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL,
                  VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, VK_PIPELINE_STAGE_TRANSFER_BIT,
                  VK_ACCESS_TRANSFER_WRITE_BIT, VK_PIPELINE_STAGE_TRANSFER_BIT,
                  VK_ACCESS_TRANSFER_READ_BIT);
    /* the clear of dst comes before the writes into it */
    barrier(cb, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_WRITE_BIT,
            VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_WRITE_BIT);
    VkImageCopy part = {.srcSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 1},
                        .srcOffset = {2, 3, 0},
                        .dstSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1},
                        .dstOffset = {26, 1, 0},
                        .extent = {4, 5, 1}};
    vkCmdCopyImage(cb, src.image, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, dst.image,
                   VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, 1, &part);
    VkImageBlit2 up_blit = {.sType = VK_STRUCTURE_TYPE_IMAGE_BLIT_2,
                            .srcSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 1, 0, 1},
                            .srcOffsets = {{0, 0, 0}, {SRC / 2, SRC / 2, 1}},
                            .dstSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1},
                            .dstOffsets = {{0, 0, 0}, {SRC, SRC, 1}}};
    VkBlitImageInfo2 blit2 = {.sType = VK_STRUCTURE_TYPE_BLIT_IMAGE_INFO_2,
                              .srcImage = src.image,
                              .srcImageLayout = VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL,
                              .dstImage = dst.image,
                              .dstImageLayout = VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL,
                              .regionCount = 1,
                              .pRegions = &up_blit,
                              .filter = VK_FILTER_NEAREST};
    vkCmdBlitImage2(cb, &blit2);
    VkImageBlit mirror = {.srcSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1},
                          .srcOffsets = {{0, 0, 0}, {8, 8, 1}},
                          .dstSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1},
                          .dstOffsets = {{31, 16, 0}, {23, 24, 1}}};
    vkCmdBlitImage(cb, src.image, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, dst.image,
                   VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, 1, &mirror, VK_FILTER_NEAREST);
    VkBufferImageCopy2 patch = {.sType = VK_STRUCTURE_TYPE_BUFFER_IMAGE_COPY_2,
                                .imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1},
                                .imageOffset = {1, 26, 0},
                                .imageExtent = {3, 2, 1}};
    VkCopyBufferToImageInfo2 patch_info = {.sType = VK_STRUCTURE_TYPE_COPY_BUFFER_TO_IMAGE_INFO_2,
                                           .srcBuffer = staging2.buffer,
                                           .dstImage = dst.image,
                                           .dstImageLayout = VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL,
                                           .regionCount = 1,
                                           .pRegions = &patch};
    vkCmdCopyBufferToImage2(cb, &patch_info);
    image_barrier(cb, &dst, 0, 1, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL,
                  VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, VK_PIPELINE_STAGE_TRANSFER_BIT,
                  VK_ACCESS_TRANSFER_WRITE_BIT, VK_PIPELINE_STAGE_TRANSFER_BIT,
                  VK_ACCESS_TRANSFER_READ_BIT);
    copy_image_to_buffer(cb, &dst, out1.buffer);
    vkCmdFillBuffer(cb, out2.buffer, 0, VK_WHOLE_SIZE, 0xA5A5A5A5u);
    barrier(cb, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_WRITE_BIT,
            VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_WRITE_BIT);
    VkBufferImageCopy2 mips = {.sType = VK_STRUCTURE_TYPE_BUFFER_IMAGE_COPY_2,
                               .bufferOffset = OUT2_AT,
                               .bufferRowLength = OUT2_ROW,
                               .bufferImageHeight = OUT2_ROWS,
                               .imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 1, 0, 2},
                               .imageExtent = {SRC / 2, SRC / 2, 1}};
    VkCopyImageToBufferInfo2 mips_info = {.sType = VK_STRUCTURE_TYPE_COPY_IMAGE_TO_BUFFER_INFO_2,
                                          .srcImage = src.image,
                                          .srcImageLayout = VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL,
                                          .dstBuffer = out2.buffer,
                                          .regionCount = 1,
                                          .pRegions = &mips};
    vkCmdCopyImageToBuffer2(cb, &mips_info);
    VkBufferCopy rows[2] = {{UPLOAD_AT, 0, 64}, {UPLOAD_AT + layer_bytes, 64, 64}};
    vkCmdCopyBuffer(cb, staging.buffer, out3.buffer, 2, rows);
    VkBufferCopy2 tail = {.sType = VK_STRUCTURE_TYPE_BUFFER_COPY_2,
                          .srcOffset = 0,
                          .dstOffset = 128,
                          .size = staging2.size};
    VkCopyBufferInfo2 tail_info = {.sType = VK_STRUCTURE_TYPE_COPY_BUFFER_INFO_2,
                                   .srcBuffer = staging2.buffer,
                                   .dstBuffer = out3.buffer,
                                   .regionCount = 1,
                                   .pRegions = &tail};
    vkCmdCopyBuffer2(cb, &tail_info);
    to_host(cb, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_WRITE_BIT);
    end(c, cb);
    submit_and_wait(c, cb);

    /* dst, texel by texel */
    const uint8_t *o1 = out1.map;
    for (uint32_t y = 0; y < DST; y++)
        for (uint32_t x = 0; x < DST; x++)
            for (int k = 0; k < 4; k++) {
                int want = (int)lrintf(CLEAR_COLOUR[k] * 255.0f), tolerance = 0;
                const char *what = "the clear";
                if (x < 16 && y < 16) {
                    want = mip1_texel(x / 2, y / 2, 0, k), tolerance = 1;
                    what = "the scaling blit (NEAREST) of the linear mip";
                } else if (x >= 26 && x < 30 && y >= 1 && y < 6) {
                    want = texel(2 + x - 26, 3 + y - 1, 1, k);
                    what = "vkCmdCopyImage";
                } else if (x >= 23 && x < 31 && y >= 16 && y < 24) {
                    want = texel(30 - x, y - 16, 0, k);
                    what = "the mirroring blit";
                } else if (x >= 1 && x < 4 && y >= 26 && y < 28) {
                    want = patch_texel(x - 1, y - 26, k);
                    what = "vkCmdCopyBufferToImage2";
                }
                int have = o1[(y * DST + x) * 4 + k];
                EXPECT(near(have, want, tolerance),
                       "destination texel (%u,%u) channel %d is %d, not %d (%s)", x, y, k, have,
                       want, what);
            }
    /* mip 1 of both layers, with padded rows around it */
    const uint8_t *o2 = out2.map;
    for (uint32_t i = 0; i < out2.size; i++) {
        uint32_t at = i < OUT2_AT ? UINT32_MAX : (i - OUT2_AT) / 4;
        uint32_t x = at % OUT2_ROW, y = at / OUT2_ROW % OUT2_ROWS, l = at / (OUT2_ROW * OUT2_ROWS);
        if (at != UINT32_MAX && x < SRC / 2 && y < SRC / 2 && l < 2) {
            int want = mip1_texel(x, y, l, (int)((i - OUT2_AT) % 4));
            EXPECT(near(o2[i], want, 1), "mip 1, layer %u, texel (%u,%u) is %u, not about %d", l,
                   x, y, o2[i], want);
        } else {
            EXPECT(o2[i] == 0xA5, "vkCmdCopyImageToBuffer2 wrote byte %u of the padding", i);
        }
    }
    const uint8_t *o3 = out3.map;
    EXPECT(memcmp(o3, up + UPLOAD_AT, 64) == 0 &&
               memcmp(o3 + 64, up + UPLOAD_AT + layer_bytes, 64) == 0,
           "vkCmdCopyBuffer with two regions copied the wrong bytes");
    EXPECT(memcmp(o3 + 128, up2, (size_t)staging2.size) == 0,
           "vkCmdCopyBuffer2 copied the wrong bytes");
    for (uint32_t i = 128 + (uint32_t)staging2.size; i < out3.size; i++)
        EXPECT(o3[i] == 0, "buffer copies wrote byte %u, outside every region", i);
    digest(c, o1, out1.size);
    digest(c, o2, out2.size);
    digest(c, o3, out3.size);
}

/* ---- command buffer lifecycle --------------------------------------------- */

/* Each of `count` command buffers fills its own 256-byte slice of `b` with
 * value + its index. */
static void record_fills(struct ctx *c, const VkCommandBuffer *cbs, uint32_t count,
                         const struct buffer *b, uint32_t value)
{
    for (uint32_t i = 0; i < count; i++) {
        begin(c, cbs[i], VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT);
        vkCmdFillBuffer(cbs[i], b->buffer, i * 256, 256, value + i);
        to_host(cbs[i], VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_WRITE_BIT);
        end(c, cbs[i]);
    }
}

static void submit_many_and_wait(struct ctx *c, const VkCommandBuffer *cbs, uint32_t count)
{
    VkFence fence = fence_new(c, false);
    VkSubmitInfo info = {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
                         .commandBufferCount = count,
                         .pCommandBuffers = cbs};
    submit(c, 1, &info, fence);
    wait_fence(c, fence);
}

static void expect_fills(struct ctx *c, const char *when, const struct buffer *b, uint32_t count,
                         const uint32_t *values)
{
    const uint32_t *w = b->map;
    for (uint32_t i = 0; i < count; i++)
        for (uint32_t k = 0; k < 64; k++)
            EXPECT(w[i * 64 + k] == values[i], "%s: slice %u holds 0x%x, not 0x%x", when, i,
                   w[i * 64 + k], values[i]);
    digest(c, w, count * 256);
}

/* vkResetCommandPool (keeping and releasing resources), vkTrimCommandPool,
 * vkFreeCommandBuffers and allocating again, in a transient pool; a
 * secondary from the same pool executed by a primary. */
static void scenario_pool_lifecycle(struct ctx *c)
{
    struct buffer b = buffer_new(c, 4 * 256, 0);
    VkCommandPool pool = command_pool_new(c, VK_COMMAND_POOL_CREATE_TRANSIENT_BIT);
    VkCommandBuffer cbs[3];
    VkCommandBufferAllocateInfo info = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
                                        .commandPool = pool,
                                        .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
                                        .commandBufferCount = 3};
    VK(vkAllocateCommandBuffers(c->device, &info, cbs));

    record_fills(c, cbs, 3, &b, 0x100);
    submit_many_and_wait(c, cbs, 3);
    expect_fills(c, "first recording", &b, 3, (const uint32_t[]){0x100, 0x101, 0x102});

    VK(vkResetCommandPool(c->device, pool, 0));
    record_fills(c, cbs, 3, &b, 0x200);
    submit_many_and_wait(c, cbs, 3);
    expect_fills(c, "after vkResetCommandPool", &b, 3, (const uint32_t[]){0x200, 0x201, 0x202});

    VK(vkResetCommandPool(c->device, pool, VK_COMMAND_POOL_RESET_RELEASE_RESOURCES_BIT));
    vkTrimCommandPool(c->device, pool, 0);
    record_fills(c, cbs, 3, &b, 0x300);
    submit_many_and_wait(c, cbs, 3);
    expect_fills(c, "after releasing and trimming", &b, 3,
                 (const uint32_t[]){0x300, 0x301, 0x302});

    /* two freed, two primaries and a secondary allocated in their place;
     * the one kept is reset with the pool (this pool cannot reset one alone) */
    vkFreeCommandBuffers(c->device, pool, 2, &cbs[1]);
    vkTrimCommandPool(c->device, pool, 0);
    info.commandBufferCount = 2;
    VK(vkAllocateCommandBuffers(c->device, &info, &cbs[1]));
    VkCommandBuffer secondary = command_buffer_new(c, pool, VK_COMMAND_BUFFER_LEVEL_SECONDARY);
    VK(vkResetCommandPool(c->device, pool, 0));
    VkCommandBufferInheritanceInfo inh = {
        .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_INHERITANCE_INFO};
    VkCommandBufferBeginInfo secondary_begin_info = {
        .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
        .flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT,
        .pInheritanceInfo = &inh};
    VK(vkBeginCommandBuffer(secondary, &secondary_begin_info));
    vkCmdFillBuffer(secondary, b.buffer, 3 * 256, 256, 0x4FF);
    end(c, secondary);
    record_fills(c, cbs, 2, &b, 0x400); /* slices 0 and 1 */
    begin(c, cbs[2], VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT);
    vkCmdFillBuffer(cbs[2], b.buffer, 2 * 256, 256, 0x402);
    vkCmdExecuteCommands(cbs[2], 1, &secondary);
    to_host(cbs[2], VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_WRITE_BIT);
    end(c, cbs[2]);
    submit_many_and_wait(c, cbs, 3);
    expect_fills(c, "after freeing and allocating again", &b, 4,
                 (const uint32_t[]){0x400, 0x401, 0x402, 0x4FF});
    vkFreeCommandBuffers(c->device, pool, 3, cbs);
    vkFreeCommandBuffers(c->device, pool, 1, &secondary);
    vkTrimCommandPool(c->device, pool, 0);
}

/* One command buffer through its states: one-time submit, explicit reset
 * (with and without releasing resources), the implicit reset of
 * vkBeginCommandBuffer, a recording thrown away before any submission,
 * and a command buffer submitted twice without re-recording. */
static void scenario_command_buffer_reset(struct ctx *c)
{
    struct buffer x = buffer_new(c, 256, 0), y = buffer_new(c, 256, 0);
    uint32_t *xs = x.map, *ys = y.map;
    VkCommandBuffer cb = primary_new(c);

#define FILL_X(value)                                                                      \
    do {                                                                                   \
        vkCmdFillBuffer(cb, x.buffer, 0, VK_WHOLE_SIZE, value);                            \
        to_host(cb, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_WRITE_BIT);         \
    } while (0)
#define EXPECT_WORDS(buf, value, when)                                                     \
    do {                                                                                   \
        for (int i_ = 0; i_ < 64; i_++)                                                    \
            EXPECT((buf)[i_] == (value), "%s: word %d is 0x%x, not 0x%x", when, i_,        \
                   (buf)[i_], (uint32_t)(value));                                          \
        digest(c, buf, 256);                                                               \
    } while (0)

    begin(c, cb, VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT);
    FILL_X(1);
    end(c, cb);
    submit_and_wait(c, cb);
    EXPECT_WORDS(xs, 1, "one-time submit");

    VK(vkResetCommandBuffer(cb, 0));
    begin(c, cb, 0);
    vkCmdFillBuffer(cb, x.buffer, 0, VK_WHOLE_SIZE, 2);
    barrier(cb, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_WRITE_BIT,
            VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_READ_BIT);
    VkBufferCopy all = {0, 0, 256};
    vkCmdCopyBuffer(cb, x.buffer, y.buffer, 1, &all);
    to_host(cb, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_WRITE_BIT);
    end(c, cb);
    submit_and_wait(c, cb);
    EXPECT_WORDS(ys, 2, "after vkResetCommandBuffer");
    memset(ys, 0, 256); /* the host clears it: only a second execution refills it */
    submit_and_wait(c, cb);
    EXPECT_WORDS(ys, 2, "the same recording submitted again");

    begin(c, cb, 0); /* resets implicitly: the pool allows it */
    FILL_X(3);
    end(c, cb);
    submit_and_wait(c, cb);
    EXPECT_WORDS(xs, 3, "re-recorded by vkBeginCommandBuffer alone");

    VK(vkResetCommandBuffer(cb, VK_COMMAND_BUFFER_RESET_RELEASE_RESOURCES_BIT));
    uint32_t words[64];
    for (int i = 0; i < 64; i++)
        words[i] = 0x5000u + (uint32_t)i;
    begin(c, cb, VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT);
    vkCmdUpdateBuffer(cb, x.buffer, 0, sizeof words, words);
    to_host(cb, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_WRITE_BIT);
    end(c, cb);
    submit_and_wait(c, cb);
    EXPECT(memcmp(xs, words, sizeof words) == 0, "after a reset releasing resources: x[0] is 0x%x",
           xs[0]);
    digest(c, xs, 256);

    /* recorded, never submitted, thrown away: only the second recording runs */
    VK(vkResetCommandBuffer(cb, 0));
    begin(c, cb, 0);
    FILL_X(0xBAD);
    end(c, cb);
    VK(vkResetCommandBuffer(cb, 0));
    begin(c, cb, 0);
    FILL_X(0x600D);
    end(c, cb);
    submit_and_wait(c, cb);
    EXPECT_WORDS(xs, 0x600D, "a recording reset before submission");
#undef FILL_X
#undef EXPECT_WORDS
}

/* SIMULTANEOUS_USE: a primary submitted twice while its first submission is
 * pending (by vkQueueSubmit and vkQueueSubmit2), listed twice in one
 * submission, submitted twice behind a semaphore that holds both pending
 * until the host signals it, and a secondary executed twice by one primary.  The shader
 * counts with atomics, so every execution shows in the totals. */
static void scenario_simultaneous_use(struct ctx *c)
{
    enum { GROUPS = 4, INVOCATIONS = GROUPS * 64, VALUE = 3 };
    struct buffer counter = buffer_new(c, 8, VK_BUFFER_USAGE_STORAGE_BUFFER_BIT);
    VkDescriptorSetLayout one = storage_layout_new(c, 1);
    VkPushConstantRange range = {VK_SHADER_STAGE_COMPUTE_BIT, 0, 4};
    VkPipelineLayout layout = pipeline_layout_new(c, 1, &one, 1, &range);
    VkPipeline count = compute_pipeline_new(c, SHADER(cmd_count_comp_spv), layout, NULL, 0);
    VkDescriptorPool pool = descriptor_pool_new(c, 1, 0);
    VkDescriptorSet set = storage_set_new(c, pool, one, 1, &counter.buffer);
    const uint32_t value = VALUE;

    VkCommandBuffer cb = primary_new(c);
    begin(c, cb, VK_COMMAND_BUFFER_USAGE_SIMULTANEOUS_USE_BIT);
    vkCmdBindPipeline(cb, VK_PIPELINE_BIND_POINT_COMPUTE, count);
    vkCmdBindDescriptorSets(cb, VK_PIPELINE_BIND_POINT_COMPUTE, layout, 0, 1, &set, 0, NULL);
    vkCmdPushConstants(cb, layout, VK_SHADER_STAGE_COMPUTE_BIT, 0, 4, &value);
    vkCmdDispatch(cb, GROUPS, 1, 1);
    to_host(cb, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_ACCESS_SHADER_WRITE_BIT);
    end(c, cb);

    const uint32_t *totals = counter.map;
    VkFence fence = fence_new(c, false);
    VkSubmitInfo info = {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
                         .commandBufferCount = 1,
                         .pCommandBuffers = &cb};
    submit(c, 1, &info, VK_NULL_HANDLE);
    VkCommandBufferSubmitInfo cb_info = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_SUBMIT_INFO,
                                         .commandBuffer = cb};
    VkSubmitInfo2 info2 = {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO_2,
                           .commandBufferInfoCount = 1,
                           .pCommandBufferInfos = &cb_info};
    submit2(c, 1, &info2, fence); /* the first may well be pending still */
    wait_fence(c, fence);
    EXPECT(totals[0] == 2 * INVOCATIONS && totals[1] == 2 * INVOCATIONS * VALUE,
           "two submissions counted %u invocations adding %u, not %u adding %u", totals[0],
           totals[1], 2 * INVOCATIONS, 2 * INVOCATIONS * VALUE);
    digest(c, totals, 8);

    VK(vkResetFences(c->device, 1, &fence));
    VkCommandBuffer twice[2] = {cb, cb};
    info.commandBufferCount = 2;
    info.pCommandBuffers = twice;
    submit(c, 1, &info, fence);
    wait_fence(c, fence);
    EXPECT(totals[0] == 4 * INVOCATIONS && totals[1] == 4 * INVOCATIONS * VALUE,
           "listed twice in one submission: %u invocations adding %u, not %u adding %u",
           totals[0], totals[1], 4 * INVOCATIONS, 4 * INVOCATIONS * VALUE);
    digest(c, totals, 8);

    /* Held for certain: both submissions wait on a timeline value that only
     * the host's signal below provides, so both are pending at once. */
    VkSemaphore gate = semaphore_new(c, true, 0);
    const uint64_t open_at = 1;
    VkTimelineSemaphoreSubmitInfo gate_value = {
        .sType = VK_STRUCTURE_TYPE_TIMELINE_SEMAPHORE_SUBMIT_INFO,
        .waitSemaphoreValueCount = 1,
        .pWaitSemaphoreValues = &open_at};
    const VkPipelineStageFlags compute_stage = VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT;
    VkSubmitInfo gated = {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
                          .pNext = &gate_value,
                          .waitSemaphoreCount = 1,
                          .pWaitSemaphores = &gate,
                          .pWaitDstStageMask = &compute_stage,
                          .commandBufferCount = 1,
                          .pCommandBuffers = &cb};
    VK(vkResetFences(c->device, 1, &fence));
    submit(c, 1, &gated, VK_NULL_HANDLE);
    submit(c, 1, &gated, fence);
    VK_EXPECT(VK_NOT_READY, vkGetFenceStatus(c->device, fence));
    EXPECT(totals[0] == 4 * INVOCATIONS, "a submission ran before its semaphore was signalled");
    VkSemaphoreSignalInfo open = {.sType = VK_STRUCTURE_TYPE_SEMAPHORE_SIGNAL_INFO,
                                  .semaphore = gate,
                                  .value = open_at};
    VK(vkSignalSemaphore(c->device, &open));
    wait_fence(c, fence);
    EXPECT(totals[0] == 6 * INVOCATIONS && totals[1] == 6 * INVOCATIONS * VALUE,
           "two submissions held pending together: %u invocations adding %u, not %u adding %u",
           totals[0], totals[1], 6 * INVOCATIONS, 6 * INVOCATIONS * VALUE);
    digest(c, totals, 8);

    VkCommandBufferInheritanceInfo inh = {
        .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_INHERITANCE_INFO};
    VkCommandBuffer secondary =
        secondary_begin(c, &inh, VK_COMMAND_BUFFER_USAGE_SIMULTANEOUS_USE_BIT);
    vkCmdBindPipeline(secondary, VK_PIPELINE_BIND_POINT_COMPUTE, count);
    vkCmdBindDescriptorSets(secondary, VK_PIPELINE_BIND_POINT_COMPUTE, layout, 0, 1, &set, 0,
                            NULL);
    vkCmdPushConstants(secondary, layout, VK_SHADER_STAGE_COMPUTE_BIT, 0, 4, &value);
    vkCmdDispatch(secondary, GROUPS, 1, 1);
    end(c, secondary);
    VkCommandBuffer primary = primary_new(c);
    begin(c, primary, VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT);
    VkCommandBuffer secondaries[2] = {secondary, secondary};
    vkCmdExecuteCommands(primary, 2, secondaries);
    to_host(primary, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_ACCESS_SHADER_WRITE_BIT);
    end(c, primary);
    submit_and_wait(c, primary);
    EXPECT(totals[0] == 8 * INVOCATIONS && totals[1] == 8 * INVOCATIONS * VALUE,
           "a secondary executed twice: %u invocations adding %u, not %u adding %u", totals[0],
           totals[1], 8 * INVOCATIONS, 8 * INVOCATIONS * VALUE);
    digest(c, totals, 8);
}

/* ---- queues and synchronisation -------------------------------------------- */

/* A command buffer that fills `b` with `value` and makes it visible to the
 * host. */
static VkCommandBuffer fill_command(struct ctx *c, const struct buffer *b, uint32_t value)
{
    VkCommandBuffer cb = primary_new(c);
    begin(c, cb, 0);
    vkCmdFillBuffer(cb, b->buffer, 0, VK_WHOLE_SIZE, value);
    to_host(cb, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_WRITE_BIT);
    end(c, cb);
    return cb;
}

static void expect_all(struct ctx *c, const char *when, const struct buffer *b, uint32_t value)
{
    const uint32_t *w = b->map;
    for (VkDeviceSize i = 0; i < b->size / 4; i++)
        EXPECT(w[i] == value, "%s: word %llu is 0x%x, not 0x%x", when, (unsigned long long)i, w[i],
               value);
    digest(c, w, (size_t)b->size);
}

/* Fences: created signalled, reset, reused, polled, waited for one or all;
 * a submission of no work that only signals; vkQueueSubmit2 with a fence;
 * vkQueueWaitIdle and vkDeviceWaitIdle in place of a fence. */
static void scenario_fences(struct ctx *c)
{
    struct buffer b = buffer_new(c, 256, 0), other = buffer_new(c, 256, 0);
    VkFence f = fence_new(c, true);
    VK_EXPECT(VK_SUCCESS, vkGetFenceStatus(c->device, f));
    VK_EXPECT(VK_SUCCESS, vkWaitForFences(c->device, 1, &f, VK_TRUE, 0));
    VK(vkResetFences(c->device, 1, &f));
    VK_EXPECT(VK_NOT_READY, vkGetFenceStatus(c->device, f));
    VK_EXPECT(VK_TIMEOUT, vkWaitForFences(c->device, 1, &f, VK_TRUE, 0));

    for (uint32_t round = 0; round < 3; round++) {
        VkCommandBuffer cb = fill_command(c, &b, 0x1000 + round);
        VkSubmitInfo info = {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
                             .commandBufferCount = 1,
                             .pCommandBuffers = &cb};
        submit(c, 1, &info, f);
        wait_fence(c, f);
        VK_EXPECT(VK_SUCCESS, vkGetFenceStatus(c->device, f));
        expect_all(c, "a fence reused after vkResetFences", &b, 0x1000 + round);
        VK(vkResetFences(c->device, 1, &f));
    }

    /* no work at all: the fence alone */
    submit(c, 0, NULL, f);
    wait_fence(c, f);
    VK_EXPECT(VK_SUCCESS, vkGetFenceStatus(c->device, f));

    /* two fences, waited for as any and as all */
    VkFence g = fence_new(c, false);
    VK(vkResetFences(c->device, 1, &f));
    VkCommandBuffer first = fill_command(c, &b, 0x2000), second = fill_command(c, &other, 0x2001);
    VkSubmitInfo info = {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
                         .commandBufferCount = 1,
                         .pCommandBuffers = &first};
    submit(c, 1, &info, f);
    info.pCommandBuffers = &second;
    submit(c, 1, &info, g);
    VkFence both[2] = {f, g};
    VK(vkWaitForFences(c->device, 2, both, VK_FALSE, WAIT_NS));
    VK(vkWaitForFences(c->device, 2, both, VK_TRUE, WAIT_NS));
    VK_EXPECT(VK_SUCCESS, vkGetFenceStatus(c->device, f));
    VK_EXPECT(VK_SUCCESS, vkGetFenceStatus(c->device, g));
    expect_all(c, "the first of two fenced submissions", &b, 0x2000);
    expect_all(c, "the second of two fenced submissions", &other, 0x2001);
    VK(vkResetFences(c->device, 2, both));
    VK_EXPECT(VK_NOT_READY, vkGetFenceStatus(c->device, g));

    /* vkQueueSubmit2 */
    VkCommandBuffer third = fill_command(c, &b, 0x3000);
    VkCommandBufferSubmitInfo cb_info = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_SUBMIT_INFO,
                                         .commandBuffer = third};
    VkSubmitInfo2 info2 = {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO_2,
                           .commandBufferInfoCount = 1,
                           .pCommandBufferInfos = &cb_info};
    submit2(c, 1, &info2, g);
    wait_fence(c, g);
    expect_all(c, "vkQueueSubmit2 with a fence", &b, 0x3000);

    /* no fence: the queue, then the device, waited idle */
    VkCommandBuffer fourth = fill_command(c, &b, 0x4000);
    info.pCommandBuffers = &fourth;
    submit(c, 1, &info, VK_NULL_HANDLE);
    queue_wait_idle(c);
    expect_all(c, "vkQueueWaitIdle", &b, 0x4000);
    VkCommandBuffer fifth = fill_command(c, &other, 0x5000);
    info2.pCommandBufferInfos = &(VkCommandBufferSubmitInfo){
        .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_SUBMIT_INFO, .commandBuffer = fifth};
    submit2(c, 1, &info2, VK_NULL_HANDLE);
    pthread_mutex_lock(&c->queue_lock); /* vkDeviceWaitIdle uses every queue */
    VkResult r = vkDeviceWaitIdle(c->device);
    pthread_mutex_unlock(&c->queue_lock);
    VK(r);
    expect_all(c, "vkDeviceWaitIdle", &other, 0x5000);
}

/* Binary semaphores between submissions: a chain of four through
 * vkQueueSubmit and vkQueueSubmit2, two waits in one submission, a
 * semaphore signalled again after its wait, and two batches of one call
 * ordered by a semaphore between them. */
static void scenario_binary_semaphores(struct ctx *c)
{
    struct buffer x = buffer_new(c, 256, 0), y = buffer_new(c, 256, 0),
                  z = buffer_new(c, 256, 0), w = buffer_new(c, 256, 0);
    VkSemaphore s1 = semaphore_new(c, false, 0), s2 = semaphore_new(c, false, 0),
                s3 = semaphore_new(c, false, 0);
    const VkBufferCopy all = {0, 0, 256};
    const VkPipelineStageFlags transfer = VK_PIPELINE_STAGE_TRANSFER_BIT;

    VkCommandBuffer a = primary_new(c), b = primary_new(c), cc = primary_new(c),
                    d = primary_new(c);
    begin(c, a, 0);
    vkCmdFillBuffer(a, x.buffer, 0, VK_WHOLE_SIZE, 0x11111111u);
    end(c, a);
    begin(c, b, 0);
    vkCmdCopyBuffer(b, x.buffer, y.buffer, 1, &all);
    end(c, b);
    uint32_t tail[16];
    for (int i = 0; i < 16; i++)
        tail[i] = 0xC0DE0000u + (uint32_t)i;
    begin(c, cc, 0);
    vkCmdCopyBuffer(cc, y.buffer, z.buffer, 1, &all);
    barrier(cc, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_WRITE_BIT,
            VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_WRITE_BIT);
    vkCmdUpdateBuffer(cc, z.buffer, 192, sizeof tail, tail);
    end(c, cc);
    begin(c, d, 0);
    vkCmdCopyBuffer(d, z.buffer, w.buffer, 1, &all);
    to_host(d, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_WRITE_BIT);
    end(c, d);

    /* a: fill x, signal s1 */
    VkSubmitInfo sa = {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
                       .commandBufferCount = 1,
                       .pCommandBuffers = &a,
                       .signalSemaphoreCount = 1,
                       .pSignalSemaphores = &s1};
    submit(c, 1, &sa, VK_NULL_HANDLE);
    /* b: wait s1, copy x to y, signal s2 and s3 */
    VkSemaphore b_signals[2] = {s2, s3};
    VkSubmitInfo sb = {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
                       .waitSemaphoreCount = 1,
                       .pWaitSemaphores = &s1,
                       .pWaitDstStageMask = &transfer,
                       .commandBufferCount = 1,
                       .pCommandBuffers = &b,
                       .signalSemaphoreCount = 2,
                       .pSignalSemaphores = b_signals};
    submit(c, 1, &sb, VK_NULL_HANDLE);
    /* c (vkQueueSubmit2): wait s2 and s3, copy y to z and patch it, signal
     * s1 again (its wait above unsignalled it) */
    VkSemaphoreSubmitInfo c_waits[2] = {
        {.sType = VK_STRUCTURE_TYPE_SEMAPHORE_SUBMIT_INFO, .semaphore = s2,
         .stageMask = VK_PIPELINE_STAGE_2_COPY_BIT},
        {.sType = VK_STRUCTURE_TYPE_SEMAPHORE_SUBMIT_INFO, .semaphore = s3,
         .stageMask = VK_PIPELINE_STAGE_2_ALL_TRANSFER_BIT},
    };
    VkSemaphoreSubmitInfo c_signal = {.sType = VK_STRUCTURE_TYPE_SEMAPHORE_SUBMIT_INFO,
                                      .semaphore = s1,
                                      .stageMask = VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT};
    VkCommandBufferSubmitInfo c_cb = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_SUBMIT_INFO,
                                      .commandBuffer = cc};
    VkSubmitInfo2 sc = {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO_2,
                        .waitSemaphoreInfoCount = 2,
                        .pWaitSemaphoreInfos = c_waits,
                        .commandBufferInfoCount = 1,
                        .pCommandBufferInfos = &c_cb,
                        .signalSemaphoreInfoCount = 1,
                        .pSignalSemaphoreInfos = &c_signal};
    submit2(c, 1, &sc, VK_NULL_HANDLE);
    /* d (vkQueueSubmit2): wait s1, copy z to w, with a fence */
    VkSemaphoreSubmitInfo d_wait = {.sType = VK_STRUCTURE_TYPE_SEMAPHORE_SUBMIT_INFO,
                                    .semaphore = s1,
                                    .stageMask = VK_PIPELINE_STAGE_2_COPY_BIT};
    VkCommandBufferSubmitInfo d_cb = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_SUBMIT_INFO,
                                      .commandBuffer = d};
    VkSubmitInfo2 sd = {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO_2,
                        .waitSemaphoreInfoCount = 1,
                        .pWaitSemaphoreInfos = &d_wait,
                        .commandBufferInfoCount = 1,
                        .pCommandBufferInfos = &d_cb};
    VkFence fence = fence_new(c, false);
    submit2(c, 1, &sd, fence);
    wait_fence(c, fence);
    const uint32_t *ws = w.map;
    for (int i = 0; i < 64; i++) {
        uint32_t want = i < 48 ? 0x11111111u : tail[i - 48];
        EXPECT(ws[i] == want, "after the chain of four submissions word %d is 0x%x, not 0x%x", i,
               ws[i], want);
    }
    digest(c, ws, 256);

    /* two batches in one vkQueueSubmit: the first signals, the second waits */
    VkCommandBuffer refill = fill_command(c, &x, 0x22222222u);
    VkCommandBuffer recopy = primary_new(c);
    begin(c, recopy, 0);
    vkCmdCopyBuffer(recopy, x.buffer, y.buffer, 1, &all);
    to_host(recopy, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_WRITE_BIT);
    end(c, recopy);
    VkSubmitInfo batches[2] = {
        {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO, .commandBufferCount = 1,
         .pCommandBuffers = &refill, .signalSemaphoreCount = 1, .pSignalSemaphores = &s2},
        {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO, .waitSemaphoreCount = 1,
         .pWaitSemaphores = &s2, .pWaitDstStageMask = &transfer, .commandBufferCount = 1,
         .pCommandBuffers = &recopy},
    };
    VK(vkResetFences(c->device, 1, &fence));
    submit(c, 2, batches, fence);
    wait_fence(c, fence);
    expect_all(c, "two batches ordered by a semaphore", &y, 0x22222222u);
}

/* Signals `timeline` to `value` from another thread `delay_ms` after it
 * starts, as an application's producer thread would (late enough that the
 * caller is inside its wait or read by then). */
struct host_signaller {
    struct ctx *c;
    VkSemaphore timeline;
    uint64_t value;
    unsigned delay_ms;
    VkResult result;
    pthread_t thread;
};

static void *signal_later(void *arg)
{
    struct host_signaller *s = arg;
    nanosleep(&(struct timespec){s->delay_ms / 1000, (long)(s->delay_ms % 1000) * 1000000L}, NULL);
    const VkSemaphoreSignalInfo info = {.sType = VK_STRUCTURE_TYPE_SEMAPHORE_SIGNAL_INFO,
                                        .semaphore = s->timeline,
                                        .value = s->value};
    s->result = vkSignalSemaphore(s->c->device, &info);
    return NULL;
}

static void host_signaller_start(struct ctx *c, struct host_signaller *s, VkSemaphore timeline,
                                 uint64_t value, unsigned delay_ms)
{
    *s = (struct host_signaller){.c = c, .timeline = timeline, .value = value, .delay_ms = delay_ms};
    if (pthread_create(&s->thread, NULL, signal_later, s) != 0)
        fail(c, "cannot start a thread");
}

/* Waits for the signalling thread; its vkSignalSemaphore must have worked. */
static void host_signaller_join(struct ctx *c, struct host_signaller *s)
{
    pthread_join(s->thread, NULL);
    VK(s->result);
}

/* Timeline semaphores: a submission waits on a value the host signals from
 * another thread, the next on a value the first signals; vkWaitSemaphores
 * for any and for all, with and without a timeout; the counter read back;
 * the host signalling a value a later submission waits on. */
static void scenario_timeline_semaphores(struct ctx *c)
{
    struct buffer x = buffer_new(c, 256, 0), y = buffer_new(c, 256, 0), z = buffer_new(c, 256, 0);
    VkSemaphore t = semaphore_new(c, true, 5), u = semaphore_new(c, true, 0);
    uint64_t value = 0;
    VK(vkGetSemaphoreCounterValue(c->device, t, &value));
    EXPECT(value == 5, "a timeline created at 5 reads %llu", (unsigned long long)value);
    digest(c, &value, sizeof value);

    /* 1: waits for T >= 10 (the host's), fills x, signals T = 20 */
    VkCommandBuffer first = primary_new(c);
    begin(c, first, 0);
    vkCmdFillBuffer(first, x.buffer, 0, VK_WHOLE_SIZE, 0xAAAAAAAAu);
    end(c, first);
    const uint64_t wait1 = 10, signal1 = 20;
    VkTimelineSemaphoreSubmitInfo values1 = {
        .sType = VK_STRUCTURE_TYPE_TIMELINE_SEMAPHORE_SUBMIT_INFO,
        .waitSemaphoreValueCount = 1,
        .pWaitSemaphoreValues = &wait1,
        .signalSemaphoreValueCount = 1,
        .pSignalSemaphoreValues = &signal1};
    const VkPipelineStageFlags transfer = VK_PIPELINE_STAGE_TRANSFER_BIT;
    VkSubmitInfo s1 = {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
                       .pNext = &values1,
                       .waitSemaphoreCount = 1,
                       .pWaitSemaphores = &t,
                       .pWaitDstStageMask = &transfer,
                       .commandBufferCount = 1,
                       .pCommandBuffers = &first,
                       .signalSemaphoreCount = 1,
                       .pSignalSemaphores = &t};
    submit(c, 1, &s1, VK_NULL_HANDLE);

    /* 2 (vkQueueSubmit2): waits for T >= 20, copies x to y, signals T = 30
     * and U = 1 */
    VkCommandBuffer second = primary_new(c);
    begin(c, second, 0);
    vkCmdCopyBuffer(second, x.buffer, y.buffer, 1, &(VkBufferCopy){0, 0, 256});
    to_host(second, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_WRITE_BIT);
    end(c, second);
    VkSemaphoreSubmitInfo wait2 = {.sType = VK_STRUCTURE_TYPE_SEMAPHORE_SUBMIT_INFO,
                                   .semaphore = t,
                                   .value = 20,
                                   .stageMask = VK_PIPELINE_STAGE_2_COPY_BIT};
    VkSemaphoreSubmitInfo signals2[2] = {
        {.sType = VK_STRUCTURE_TYPE_SEMAPHORE_SUBMIT_INFO, .semaphore = t, .value = 30,
         .stageMask = VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT},
        {.sType = VK_STRUCTURE_TYPE_SEMAPHORE_SUBMIT_INFO, .semaphore = u, .value = 1,
         .stageMask = VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT},
    };
    VkCommandBufferSubmitInfo second_info = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_SUBMIT_INFO,
                                             .commandBuffer = second};
    VkSubmitInfo2 s2 = {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO_2,
                        .waitSemaphoreInfoCount = 1,
                        .pWaitSemaphoreInfos = &wait2,
                        .commandBufferInfoCount = 1,
                        .pCommandBufferInfos = &second_info,
                        .signalSemaphoreInfoCount = 2,
                        .pSignalSemaphoreInfos = signals2};
    submit2(c, 1, &s2, VK_NULL_HANDLE);

    /* Nothing can have run: the host has not signalled yet. */
    VK(vkGetSemaphoreCounterValue(c->device, t, &value));
    EXPECT(value == 5, "before the host's signal the timeline reads %llu, not 5",
           (unsigned long long)value);
    VkSemaphore both[2] = {t, u};
    uint64_t done[2] = {30, 1}, never[2] = {30, 100};
    VkSemaphoreWaitInfo wait_all = {.sType = VK_STRUCTURE_TYPE_SEMAPHORE_WAIT_INFO,
                                    .semaphoreCount = 2,
                                    .pSemaphores = both,
                                    .pValues = done};
    VK_EXPECT(VK_TIMEOUT, vkWaitSemaphores(c->device, &wait_all, 0));

    struct host_signaller signaller;
    host_signaller_start(c, &signaller, t, 10, 20);
    /* any: T reaches 30 while U >= 100 never comes */
    VkSemaphoreWaitInfo wait_any = {.sType = VK_STRUCTURE_TYPE_SEMAPHORE_WAIT_INFO,
                                    .flags = VK_SEMAPHORE_WAIT_ANY_BIT,
                                    .semaphoreCount = 2,
                                    .pSemaphores = both,
                                    .pValues = never};
    VkResult any = vkWaitSemaphores(c->device, &wait_any, WAIT_NS);
    host_signaller_join(c, &signaller);
    EXPECT(any == VK_SUCCESS, "vkWaitSemaphores (any) returned %s", result_name(any));
    VK(vkWaitSemaphores(c->device, &wait_all, WAIT_NS));
    VkSemaphoreWaitInfo wait_never = wait_all;
    wait_never.pValues = never;
    VK_EXPECT(VK_TIMEOUT, vkWaitSemaphores(c->device, &wait_never, 1000 * 1000));
    uint64_t values[2];
    VK(vkGetSemaphoreCounterValue(c->device, t, &values[0]));
    VK(vkGetSemaphoreCounterValue(c->device, u, &values[1]));
    EXPECT(values[0] == 30 && values[1] == 1, "the timelines read %llu and %llu, not 30 and 1",
           (unsigned long long)values[0], (unsigned long long)values[1]);
    digest(c, values, sizeof values);
    expect_all(c, "a copy ordered by two timeline waits", &y, 0xAAAAAAAAu);

    /* the host signals 40 itself; submission 3 waits for it and signals 50,
     * with a fence too */
    VkSemaphoreSignalInfo signal = {.sType = VK_STRUCTURE_TYPE_SEMAPHORE_SIGNAL_INFO,
                                    .semaphore = t,
                                    .value = 40};
    VK(vkSignalSemaphore(c->device, &signal));
    VkSemaphoreWaitInfo wait40 = {.sType = VK_STRUCTURE_TYPE_SEMAPHORE_WAIT_INFO,
                                  .semaphoreCount = 1,
                                  .pSemaphores = &t,
                                  .pValues = &signal.value};
    VK_EXPECT(VK_SUCCESS, vkWaitSemaphores(c->device, &wait40, 0));
    VkCommandBuffer third = fill_command(c, &z, 0x33333333u);
    const uint64_t wait3 = 40, signal3 = 50;
    VkTimelineSemaphoreSubmitInfo values3 = {
        .sType = VK_STRUCTURE_TYPE_TIMELINE_SEMAPHORE_SUBMIT_INFO,
        .waitSemaphoreValueCount = 1,
        .pWaitSemaphoreValues = &wait3,
        .signalSemaphoreValueCount = 1,
        .pSignalSemaphoreValues = &signal3};
    VkSubmitInfo s3 = {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
                       .pNext = &values3,
                       .waitSemaphoreCount = 1,
                       .pWaitSemaphores = &t,
                       .pWaitDstStageMask = &transfer,
                       .commandBufferCount = 1,
                       .pCommandBuffers = &third,
                       .signalSemaphoreCount = 1,
                       .pSignalSemaphores = &t};
    VkFence fence = fence_new(c, false);
    submit(c, 1, &s3, fence);
    VkSemaphoreWaitInfo wait50 = {.sType = VK_STRUCTURE_TYPE_SEMAPHORE_WAIT_INFO,
                                  .semaphoreCount = 1,
                                  .pSemaphores = &t,
                                  .pValues = &signal3};
    VK(vkWaitSemaphores(c->device, &wait50, WAIT_NS));
    expect_all(c, "a submission waiting on the host's signal", &z, 0x33333333u);
    wait_fence(c, fence);
    VK(vkGetSemaphoreCounterValue(c->device, t, &value));
    EXPECT(value == 50, "the timeline ends at %llu, not 50", (unsigned long long)value);
    digest(c, &value, sizeof value);
}

/* Fence churn on other threads: each makes a fence, submits its own
 * command buffer with it, waits, checks and destroys the fence, while the
 * other threads do the same on the shared queue. */
#define SYNC_THREADS 3u
#define SYNC_ROUNDS 40u
struct fence_churner {
    struct ctx *c;
    VkCommandBuffer cb;
    const struct buffer *b;
    uint32_t value;
};

static void churn_fences(struct fence_churner *w)
{
    struct ctx *c = w->c;
    for (uint32_t round = 0; round < SYNC_ROUNDS; round++) {
        VkFenceCreateInfo info = {.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
        VkFence f;
        VK(vkCreateFence(c->device, &info, NULL, &f));
        VkSubmitInfo si = {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
                           .commandBufferCount = 1,
                           .pCommandBuffers = &w->cb};
        pthread_mutex_lock(&c->queue_lock);
        VkResult r = vkQueueSubmit(c->queue, 1, &si, f);
        pthread_mutex_unlock(&c->queue_lock);
        if (r == VK_SUCCESS)
            r = vkWaitForFences(c->device, 1, &f, VK_TRUE, WAIT_NS);
        if (r == VK_SUCCESS)
            r = vkGetFenceStatus(c->device, f);
        vkDestroyFence(c->device, f, NULL);
        VK(r);
        const uint32_t *words = w->b->map;
        EXPECT(words[0] == w->value && words[w->b->size / 4 - 1] == w->value,
               "thread 0x%x: after its fence the buffer holds 0x%x", w->value, words[0]);
    }
}

static void *churner_main(void *arg)
{
    jmp_buf here;
    on_failure = &here;
    if (setjmp(here) == 0)
        churn_fences(arg);
    return NULL;
}

/* Sync status as the guest may answer it from what the host publishes: a
 * fence held back by a timeline value the host signals later reads
 * unsignalled (status, zero and short timeouts) until then, and signalled
 * with the work's results visible after; a reset reads unsignalled at
 * once; waitAny and waitAll over many fences of which only some can
 * signal; timeline values from the host and from queue signals; fences
 * made, waited and destroyed on several threads at once. */
static void scenario_sync_status(struct ctx *c)
{
    struct buffer b = buffer_new(c, 4096, 0);
    VkSemaphore gate = semaphore_new(c, true, 0);
    VkFence f = fence_new(c, false);
    const VkPipelineStageFlags transfer = VK_PIPELINE_STAGE_TRANSFER_BIT;
    for (uint32_t round = 1; round <= 3; round++) {
        VkCommandBuffer cb = fill_command(c, &b, 0x5100 + round);
        const uint64_t wait = round * 10, signal = round * 10 + 5;
        VkTimelineSemaphoreSubmitInfo values = {
            .sType = VK_STRUCTURE_TYPE_TIMELINE_SEMAPHORE_SUBMIT_INFO,
            .waitSemaphoreValueCount = 1, .pWaitSemaphoreValues = &wait,
            .signalSemaphoreValueCount = 1, .pSignalSemaphoreValues = &signal};
        VkSubmitInfo si = {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO, .pNext = &values,
                           .waitSemaphoreCount = 1, .pWaitSemaphores = &gate,
                           .pWaitDstStageMask = &transfer, .commandBufferCount = 1,
                           .pCommandBuffers = &cb, .signalSemaphoreCount = 1,
                           .pSignalSemaphores = &gate};
        submit(c, 1, &si, f);
        /* Held back: nothing may say it is done. */
        VK_EXPECT(VK_NOT_READY, vkGetFenceStatus(c->device, f));
        VK_EXPECT(VK_TIMEOUT, vkWaitForFences(c->device, 1, &f, VK_TRUE, 0));
        VK_EXPECT(VK_TIMEOUT, vkWaitForFences(c->device, 1, &f, VK_TRUE, 2 * 1000 * 1000));
        uint64_t value = 0;
        VK(vkGetSemaphoreCounterValue(c->device, gate, &value));
        EXPECT(value == (round > 1 ? wait - 5 : 0), "round %u: the gate reads %llu before its signal",
               round, (unsigned long long)value);
        VkSemaphoreWaitInfo swi = {.sType = VK_STRUCTURE_TYPE_SEMAPHORE_WAIT_INFO,
                                   .semaphoreCount = 1, .pSemaphores = &gate,
                                   .pValues = &signal};
        VK_EXPECT(VK_TIMEOUT, vkWaitSemaphores(c->device, &swi, 1000 * 1000));
        VkSemaphoreSignalInfo open = {.sType = VK_STRUCTURE_TYPE_SEMAPHORE_SIGNAL_INFO,
                                      .semaphore = gate, .value = wait};
        VK(vkSignalSemaphore(c->device, &open));
        VK(vkWaitSemaphores(c->device, &swi, WAIT_NS)); /* the queue's signal */
        VK_EXPECT(VK_SUCCESS, vkGetFenceStatus(c->device, f)); /* same submission */
        VK(vkGetSemaphoreCounterValue(c->device, gate, &value));
        EXPECT(value == signal, "round %u: the gate reads %llu, not %llu", round,
               (unsigned long long)value, (unsigned long long)signal);
        wait_fence(c, f);
        expect_all(c, "work held back by a host signal", &b, 0x5100 + round);
        VK(vkResetFences(c->device, 1, &f));
        /* A reset fence is unsignalled at once, whatever was published. */
        VK_EXPECT(VK_NOT_READY, vkGetFenceStatus(c->device, f));
        VK_EXPECT(VK_TIMEOUT, vkWaitForFences(c->device, 1, &f, VK_TRUE, 0));
    }

    /* Many fences: the even ones signal now, the odd ones once the gate
     * opens.  Any is satisfied, all is not, until the gate opens. */
    enum { MANY = 24 };
    VkFence many[MANY];
    const uint64_t held = 100, passed = 101;
    VkTimelineSemaphoreSubmitInfo held_values = {
        .sType = VK_STRUCTURE_TYPE_TIMELINE_SEMAPHORE_SUBMIT_INFO,
        .waitSemaphoreValueCount = 1, .pWaitSemaphoreValues = &held};
    VkSubmitInfo gated = {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO, .pNext = &held_values,
                          .waitSemaphoreCount = 1, .pWaitSemaphores = &gate,
                          .pWaitDstStageMask = &transfer};
    for (int i = 0; i < MANY; i++)
        many[i] = fence_new(c, false);
    /* (the free ones first: a queue need not pass a submission held back) */
    for (int i = 0; i < MANY; i += 2)
        submit(c, 0, NULL, many[i]);
    for (int i = 1; i < MANY; i += 2)
        submit(c, 1, &gated, many[i]);
    for (int i = 0; i < MANY; i += 2)
        wait_fence(c, many[i]);
    VK_EXPECT(VK_SUCCESS, vkWaitForFences(c->device, MANY, many, VK_FALSE, WAIT_NS));
    VK_EXPECT(VK_TIMEOUT, vkWaitForFences(c->device, MANY, many, VK_TRUE, 1000 * 1000));
    VK_EXPECT(VK_TIMEOUT, vkWaitForFences(c->device, 1, &many[MANY - 1], VK_FALSE, 0));
    VK_EXPECT(VK_NOT_READY, vkGetFenceStatus(c->device, many[1]));
    VkSemaphoreSignalInfo open = {.sType = VK_STRUCTURE_TYPE_SEMAPHORE_SIGNAL_INFO,
                                  .semaphore = gate, .value = held};
    VK(vkSignalSemaphore(c->device, &open));
    VK_EXPECT(VK_SUCCESS, vkWaitForFences(c->device, MANY, many, VK_TRUE, WAIT_NS));
    for (int i = 0; i < MANY; i++)
        VK_EXPECT(VK_SUCCESS, vkGetFenceStatus(c->device, many[i]));
    uint64_t value = 0;
    VK(vkGetSemaphoreCounterValue(c->device, gate, &value));
    EXPECT(value == held, "the gate reads %llu, not %llu", (unsigned long long)value,
           (unsigned long long)held);
    VkSemaphoreWaitInfo never = {.sType = VK_STRUCTURE_TYPE_SEMAPHORE_WAIT_INFO,
                                 .semaphoreCount = 1, .pSemaphores = &gate, .pValues = &passed};
    VK_EXPECT(VK_TIMEOUT, vkWaitSemaphores(c->device, &never, 0));

    /* Fences made, waited for and destroyed on other threads at once. */
    struct buffer tb[SYNC_THREADS];
    struct fence_churner workers[SYNC_THREADS];
    pthread_t threads[SYNC_THREADS];
    for (uint32_t t = 0; t < SYNC_THREADS; t++) {
        tb[t] = buffer_new(c, 1024, 0);
        workers[t] = (struct fence_churner){c, fill_command(c, &tb[t], 0x6100 + t), &tb[t],
                                            0x6100 + t};
    }
    uint32_t started = 0;
    for (; started < SYNC_THREADS; started++)
        if (pthread_create(&threads[started], NULL, churner_main, &workers[started]) != 0)
            break;
    for (uint32_t t = 0; t < started; t++)
        pthread_join(threads[t], NULL);
    EXPECT(started == SYNC_THREADS, "cannot start a thread");
    EXPECT(!c->failed, "%s", c->why);
    for (uint32_t t = 0; t < SYNC_THREADS; t++)
        expect_all(c, "fences on other threads", &tb[t], 0x6100 + t);
}

/* Events: host set, reset and status; vkCmdSetEvent/vkCmdWaitEvents and the
 * synchronization2 forms ordering copies; a device wait on an event the host
 * set (before the submission, as the spec requires); the device setting and
 * resetting events the host reads afterwards. */
static void scenario_events(struct ctx *c)
{
    struct buffer x = buffer_new(c, 256, 0), y = buffer_new(c, 256, 0),
                  x2 = buffer_new(c, 256, 0), y2 = buffer_new(c, 256, 0),
                  h = buffer_new(c, 256, 0), y3 = buffer_new(c, 256, 0);
    VkEvent e1 = event_new(c), e2 = event_new(c), e3 = event_new(c), e4 = event_new(c),
            e5 = event_new(c), from_host = event_new(c);

    VK_EXPECT(VK_EVENT_RESET, vkGetEventStatus(c->device, from_host));
    VK(vkSetEvent(c->device, from_host));
    VK_EXPECT(VK_EVENT_SET, vkGetEventStatus(c->device, from_host));
    VK(vkResetEvent(c->device, from_host));
    VK_EXPECT(VK_EVENT_RESET, vkGetEventStatus(c->device, from_host));
    VK(vkSetEvent(c->device, e4)); /* the device resets it */

    const VkBufferCopy all = {0, 0, 256};
    VkCommandBuffer cb = primary_new(c);
    begin(c, cb, VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT);
    /* the original forms */
    vkCmdFillBuffer(cb, x.buffer, 0, VK_WHOLE_SIZE, 0x11111111u);
    vkCmdSetEvent(cb, e1, VK_PIPELINE_STAGE_TRANSFER_BIT);
    VkMemoryBarrier fill_to_copy = {.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
                                    .srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT,
                                    .dstAccessMask = VK_ACCESS_TRANSFER_READ_BIT};
    vkCmdWaitEvents(cb, 1, &e1, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_TRANSFER_BIT, 1,
                    &fill_to_copy, 0, NULL, 0, NULL);
    vkCmdCopyBuffer(cb, x.buffer, y.buffer, 1, &all);
    /* synchronization2: the dependency travels with the set and the wait */
    vkCmdFillBuffer(cb, x2.buffer, 0, VK_WHOLE_SIZE, 0x22222222u);
    VkBufferMemoryBarrier2 fill2 = {.sType = VK_STRUCTURE_TYPE_BUFFER_MEMORY_BARRIER_2,
                                    .srcStageMask = VK_PIPELINE_STAGE_2_CLEAR_BIT,
                                    .srcAccessMask = VK_ACCESS_2_TRANSFER_WRITE_BIT,
                                    .dstStageMask = VK_PIPELINE_STAGE_2_COPY_BIT,
                                    .dstAccessMask = VK_ACCESS_2_TRANSFER_READ_BIT,
                                    .srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
                                    .dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
                                    .buffer = x2.buffer,
                                    .size = VK_WHOLE_SIZE};
    VkDependencyInfo dep2 = {.sType = VK_STRUCTURE_TYPE_DEPENDENCY_INFO,
                             .bufferMemoryBarrierCount = 1,
                             .pBufferMemoryBarriers = &fill2};
    vkCmdSetEvent2(cb, e2, &dep2);
    vkCmdWaitEvents2(cb, 1, &e2, &dep2);
    vkCmdCopyBuffer(cb, x2.buffer, y2.buffer, 1, &all);
    vkCmdResetEvent2(cb, e2, VK_PIPELINE_STAGE_2_ALL_TRANSFER_BIT);
    /* the host's event and the host's writes */
    VkMemoryBarrier host_to_copy = {.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
                                    .srcAccessMask = VK_ACCESS_HOST_WRITE_BIT,
                                    .dstAccessMask = VK_ACCESS_TRANSFER_READ_BIT};
    vkCmdWaitEvents(cb, 1, &from_host, VK_PIPELINE_STAGE_HOST_BIT, VK_PIPELINE_STAGE_TRANSFER_BIT,
                    1, &host_to_copy, 0, NULL, 0, NULL);
    vkCmdCopyBuffer(cb, h.buffer, y3.buffer, 1, &all);
    /* events for the host to read */
    vkCmdSetEvent(cb, e3, VK_PIPELINE_STAGE_TRANSFER_BIT);
    vkCmdResetEvent(cb, e4, VK_PIPELINE_STAGE_TRANSFER_BIT);
    VkMemoryBarrier2 to_host2 = {.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER_2,
                                 .srcStageMask = VK_PIPELINE_STAGE_2_ALL_TRANSFER_BIT,
                                 .srcAccessMask = VK_ACCESS_2_TRANSFER_WRITE_BIT,
                                 .dstStageMask = VK_PIPELINE_STAGE_2_HOST_BIT,
                                 .dstAccessMask = VK_ACCESS_2_HOST_READ_BIT};
    VkDependencyInfo dep5 = {.sType = VK_STRUCTURE_TYPE_DEPENDENCY_INFO,
                             .memoryBarrierCount = 1,
                             .pMemoryBarriers = &to_host2};
    vkCmdSetEvent2(cb, e5, &dep5);
    to_host(cb, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_WRITE_BIT);
    end(c, cb);

    uint32_t *hs = h.map;
    for (int i = 0; i < 64; i++)
        hs[i] = 0x4000u + (uint32_t)i;
    VK(vkSetEvent(c->device, from_host)); /* before the submission */
    submit_and_wait(c, cb);

    expect_all(c, "vkCmdSetEvent/vkCmdWaitEvents", &y, 0x11111111u);
    expect_all(c, "vkCmdSetEvent2/vkCmdWaitEvents2", &y2, 0x22222222u);
    EXPECT(memcmp(y3.map, hs, 256) == 0, "after a wait on the host's event the copy holds 0x%x",
           ((uint32_t *)y3.map)[0]);
    digest(c, y3.map, 256);
    VK_EXPECT(VK_EVENT_SET, vkGetEventStatus(c->device, e1));
    VK_EXPECT(VK_EVENT_RESET, vkGetEventStatus(c->device, e2));
    VK_EXPECT(VK_EVENT_SET, vkGetEventStatus(c->device, e3));
    VK_EXPECT(VK_EVENT_RESET, vkGetEventStatus(c->device, e4));
    VK_EXPECT(VK_EVENT_SET, vkGetEventStatus(c->device, e5));
    VK_EXPECT(VK_EVENT_SET, vkGetEventStatus(c->device, from_host));
    VK(vkResetEvent(c->device, e3));
    VK_EXPECT(VK_EVENT_RESET, vkGetEventStatus(c->device, e3));
}

/* ---- queries -------------------------------------------------------------- */

enum { OCCLUSION_QUERIES = 8, USED_OCCLUSION = 3, STATISTICS = 7 };
static const VkQueryPipelineStatisticFlags statistics =
    VK_QUERY_PIPELINE_STATISTIC_INPUT_ASSEMBLY_VERTICES_BIT |
    VK_QUERY_PIPELINE_STATISTIC_INPUT_ASSEMBLY_PRIMITIVES_BIT |
    VK_QUERY_PIPELINE_STATISTIC_VERTEX_SHADER_INVOCATIONS_BIT |
    VK_QUERY_PIPELINE_STATISTIC_CLIPPING_INVOCATIONS_BIT |
    VK_QUERY_PIPELINE_STATISTIC_CLIPPING_PRIMITIVES_BIT |
    VK_QUERY_PIPELINE_STATISTIC_FRAGMENT_SHADER_INVOCATIONS_BIT |
    VK_QUERY_PIPELINE_STATISTIC_COMPUTE_SHADER_INVOCATIONS_BIT;

/* Quad A (1024 pixels) passes the cleared depth: 1024 samples; A again at
 * the same depth fails LESS everywhere: 0; B in front: a non-zero count
 * (exact only with PRECISE, which query 2 leaves out).  Query 2 also sits in
 * a pipeline-statistics query. */
static const uint64_t occlusion_want[USED_OCCLUSION] = {1024, 0, 1024};

static void record_occlusion_draws(VkCommandBuffer cb, const struct scene *s, VkRenderPass pass,
                                   VkFramebuffer fb, VkQueryPool occlusion,
                                   VkQueryPool stats)
{
    static const float white[4] = {1, 1, 1, 1};
    VkClearValue clears[2] = {{.color = {.float32 = {0, 0, 0, 1}}}, {.depthStencil = {1.0f, 0}}};
    VkRenderPassBeginInfo rp = {.sType = VK_STRUCTURE_TYPE_RENDER_PASS_BEGIN_INFO,
                                .renderPass = pass,
                                .framebuffer = fb,
                                .renderArea = {{0, 0}, {SIZE, SIZE}},
                                .clearValueCount = 2,
                                .pClearValues = clears};
    const VkDeviceSize zero = 0;
    vkCmdBeginRenderPass(cb, &rp, VK_SUBPASS_CONTENTS_INLINE);
    vkCmdBindPipeline(cb, VK_PIPELINE_BIND_POINT_GRAPHICS, s->pipeline);
    set_viewport(cb);
    vkCmdBindVertexBuffers(cb, 0, 1, &s->vertices, &zero);
    push_move(cb, s->layout, 0, 0, white);
    vkCmdBeginQuery(cb, occlusion, 0, VK_QUERY_CONTROL_PRECISE_BIT);
    vkCmdDraw(cb, 6, 1, QUAD_A, 0);
    vkCmdEndQuery(cb, occlusion, 0);
    vkCmdBeginQuery(cb, occlusion, 1, VK_QUERY_CONTROL_PRECISE_BIT);
    vkCmdDraw(cb, 6, 1, QUAD_A, 0);
    vkCmdEndQuery(cb, occlusion, 1);
    if (stats)
        vkCmdBeginQuery(cb, stats, 0, 0);
    vkCmdBeginQuery(cb, occlusion, 2, 0);
    vkCmdDraw(cb, 6, 1, QUAD_B, 0);
    vkCmdEndQuery(cb, occlusion, 2);
    if (stats)
        vkCmdEndQuery(cb, stats, 0);
    vkCmdEndRenderPass(cb);
}

/* Checks occlusion results as vkGetQueryPoolResults or
 * vkCmdCopyQueryPoolResults laid them out, then digests them with the
 * values that the spec leaves open blanked.  vkGetQueryPoolResults writes
 * no value for an unavailable query unless PARTIAL asks for one (and then
 * any value up to the final one); vkCmdCopyQueryPoolResults promises less
 * (lavapipe writes zeroes): `copied` says which.  Bytes that are no result
 * must still hold the 0xAB sentinel. */
static void check_occlusion_results(struct ctx *c, const char *how, uint8_t *data,
                                    uint32_t first, uint32_t count, size_t stride,
                                    VkQueryResultFlags flags, bool copied)
{
    const size_t size = flags & VK_QUERY_RESULT_64_BIT ? 8 : 4;
    const bool availability = flags & VK_QUERY_RESULT_WITH_AVAILABILITY_BIT;
    const bool open = copied || (flags & VK_QUERY_RESULT_PARTIAL_BIT);
    const size_t used = size * (availability ? 2 : 1);
    for (uint32_t i = 0; i < count; i++) {
        const uint32_t q = first + i;
        uint8_t *at = data + i * stride;
        uint64_t value = 0, available = 0;
        memcpy(&value, at, size);
        if (availability)
            memcpy(&available, at + size, size);
        if (q < USED_OCCLUSION) {
            bool right = q == 2 ? value > 0 : value == occlusion_want[q];
            EXPECT(right, "%s: query %u counted %llu samples, not %llu", how, q,
                   (unsigned long long)value, (unsigned long long)occlusion_want[q]);
            EXPECT(!availability || available == 1, "%s: query %u is available, yet says %llu",
                   how, q, (unsigned long long)available);
        } else {
            EXPECT(!availability || available == 0,
                   "%s: query %u was never begun, yet says it is available (%llu)", how, q,
                   (unsigned long long)available);
            if (open) {
                memset(at, 0, size);
            } else {
                for (size_t k = 0; k < size; k++)
                    EXPECT(at[k] == 0xAB,
                           "%s: query %u is unavailable, yet its value bytes were written "
                           "(byte %zu is 0x%02x)",
                           how, q, k, at[k]);
            }
        }
        for (size_t k = used; k < stride; k++)
            EXPECT(at[k] == 0xAB,
                   "%s: query %u: byte %zu of the stride, past the results, was written (0x%02x)",
                   how, q, k, at[k]);
    }
    digest(c, data, count * stride);
}

static void expect_statistics(struct ctx *c, const char *how, const uint64_t *v, bool graphics)
{
    /* The order is that of the flag bits: input-assembly vertices and
     * primitives, vertex invocations, clipping invocations and primitives,
     * fragment invocations, compute invocations. */
    if (graphics) {
        EXPECT(v[0] == 6 && v[1] == 2, "%s: input assembly counted %llu vertices, %llu triangles",
               how, (unsigned long long)v[0], (unsigned long long)v[1]);
        EXPECT(v[2] >= 4 && v[5] > 0 && v[6] == 0,
               "%s: %llu vertex, %llu fragment and %llu compute invocations for one quad", how,
               (unsigned long long)v[2], (unsigned long long)v[5], (unsigned long long)v[6]);
    } else {
        EXPECT(v[0] == 0 && v[2] == 0 && v[5] == 0 && v[6] == 3 * 64,
               "%s: a dispatch of 192 invocations counted %llu vertices, %llu vertex, %llu "
               "fragment and %llu compute invocations",
               how, (unsigned long long)v[0], (unsigned long long)v[2], (unsigned long long)v[5],
               (unsigned long long)v[6]);
    }
}

/* Occlusion, pipeline statistics and timestamps; vkGetQueryPoolResults under
 * every combination of 64-bit, WAIT, WITH_AVAILABILITY and PARTIAL, with
 * the natural stride and a larger one; vkCmdCopyQueryPoolResults; the host's
 * vkResetQueryPool and the queries run again. */
static void scenario_queries(struct ctx *c)
{
    struct buffer vertices = scene_vertex_buffer_new(c);
    struct scene s = {.layout = scene_layout_new(c), .vertices = vertices.buffer};
    VkRenderPass pass = scene_render_pass_new(c, false);
    struct graphics_desc d = {.layout = s.layout,
                              .pass = pass,
                              .vert = SHADER(cmd_scene_vert_spv),
                              .frag = SHADER(cmd_scene_frag_spv),
                              .vertex_input = true,
                              .depth = true};
    s.pipeline = graphics_pipeline_new(c, &d);
    struct image colour = image_new(c, COLOUR_FORMAT, SIZE, SIZE, 1, 1, VK_SAMPLE_COUNT_1_BIT,
                                    VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT |
                                        VK_IMAGE_USAGE_TRANSFER_SRC_BIT);
    struct image depth = image_new(c, DEPTH_FORMAT, SIZE, SIZE, 1, 1, VK_SAMPLE_COUNT_1_BIT,
                                   VK_IMAGE_USAGE_DEPTH_STENCIL_ATTACHMENT_BIT |
                                       VK_IMAGE_USAGE_TRANSFER_SRC_BIT);
    VkImageView views[2] = {colour.view, depth.view};
    VkFramebuffer fb = framebuffer_new(c, pass, 2, views);
    struct buffer counter = buffer_new(c, 8, VK_BUFFER_USAGE_STORAGE_BUFFER_BIT);
    VkDescriptorSetLayout one = storage_layout_new(c, 1);
    VkPushConstantRange range = {VK_SHADER_STAGE_COMPUTE_BIT, 0, 4};
    VkPipelineLayout count_layout = pipeline_layout_new(c, 1, &one, 1, &range);
    VkPipeline count = compute_pipeline_new(c, SHADER(cmd_count_comp_spv), count_layout, NULL, 0);
    VkDescriptorPool pool = descriptor_pool_new(c, 1, 0);
    VkDescriptorSet set = storage_set_new(c, pool, one, 1, &counter.buffer);

    VkQueryPool occlusion = query_pool_new(c, VK_QUERY_TYPE_OCCLUSION, OCCLUSION_QUERIES, 0);
    VkQueryPool stats = query_pool_new(c, VK_QUERY_TYPE_PIPELINE_STATISTICS, 2, statistics);
    VkQueryPool stamps = query_pool_new(c, VK_QUERY_TYPE_TIMESTAMP, 3, 0);
    struct buffer copied = buffer_new(c, 384, 0);

    VkCommandBuffer cb = primary_new(c);
    begin(c, cb, 0);
    vkCmdResetQueryPool(cb, occlusion, 0, OCCLUSION_QUERIES);
    vkCmdResetQueryPool(cb, stats, 0, 2);
    vkCmdResetQueryPool(cb, stamps, 0, 3);
    vkCmdFillBuffer(cb, copied.buffer, 0, VK_WHOLE_SIZE, 0xABABABABu);
    vkCmdWriteTimestamp(cb, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, stamps, 0);
    record_occlusion_draws(cb, &s, pass, fb, occlusion, stats);
    vkCmdWriteTimestamp2(cb, VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT, stamps, 1);
    vkCmdBeginQuery(cb, stats, 1, 0);
    vkCmdBindPipeline(cb, VK_PIPELINE_BIND_POINT_COMPUTE, count);
    vkCmdBindDescriptorSets(cb, VK_PIPELINE_BIND_POINT_COMPUTE, count_layout, 0, 1, &set, 0,
                            NULL);
    const uint32_t one_value = 1;
    vkCmdPushConstants(cb, count_layout, VK_SHADER_STAGE_COMPUTE_BIT, 0, 4, &one_value);
    vkCmdDispatch(cb, 3, 1, 1);
    vkCmdEndQuery(cb, stats, 1);
    vkCmdWriteTimestamp(cb, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, stamps, 2);
    barrier(cb, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_WRITE_BIT,
            VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_WRITE_BIT);
    vkCmdCopyQueryPoolResults(cb, occlusion, 0, USED_OCCLUSION, copied.buffer, 0, 16,
                              VK_QUERY_RESULT_64_BIT | VK_QUERY_RESULT_WAIT_BIT);
    vkCmdCopyQueryPoolResults(cb, occlusion, 0, USED_OCCLUSION, copied.buffer, 64, 8,
                              VK_QUERY_RESULT_WAIT_BIT | VK_QUERY_RESULT_WITH_AVAILABILITY_BIT);
    vkCmdCopyQueryPoolResults(cb, occlusion, USED_OCCLUSION, 2, copied.buffer, 128, 16,
                              VK_QUERY_RESULT_64_BIT | VK_QUERY_RESULT_WITH_AVAILABILITY_BIT);
    vkCmdCopyQueryPoolResults(cb, stats, 0, 2, copied.buffer, 192, 64,
                              VK_QUERY_RESULT_64_BIT | VK_QUERY_RESULT_WAIT_BIT |
                                  VK_QUERY_RESULT_WITH_AVAILABILITY_BIT);
    to_host(cb, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_WRITE_BIT);
    end(c, cb);
    submit_and_wait(c, cb);

    /* vkCmdCopyQueryPoolResults */
    uint8_t *cp = copied.map;
    check_occlusion_results(c, "copied, 64-bit, waited", cp, 0, USED_OCCLUSION, 16,
                            VK_QUERY_RESULT_64_BIT, true);
    check_occlusion_results(c, "copied, 32-bit with availability", cp + 64, 0, USED_OCCLUSION, 8,
                            VK_QUERY_RESULT_WITH_AVAILABILITY_BIT, true);
    check_occlusion_results(c, "copied, unavailable", cp + 128, USED_OCCLUSION, 2, 16,
                            VK_QUERY_RESULT_64_BIT | VK_QUERY_RESULT_WITH_AVAILABILITY_BIT, true);
    for (int q = 0; q < 2; q++) {
        const uint64_t *v = (const uint64_t *)(cp + 192 + q * 64);
        expect_statistics(c, "copied statistics", v, q == 0);
        EXPECT(v[STATISTICS] == 1, "copied statistics: query %d says %llu for its availability",
               q, (unsigned long long)v[STATISTICS]);
    }
    digest(c, cp + 192, 128);

    /* vkGetQueryPoolResults: all 16 flag combinations, two strides each.
     * With WAIT only the used queries are asked for (a wait for a query
     * never begun would not end); without, two unavailable ones too. */
    uint8_t data[5 * 32];
    for (unsigned combo = 0; combo < 16; combo++) {
        const VkQueryResultFlags flags =
            (combo & 1 ? VK_QUERY_RESULT_64_BIT : 0) | (combo & 2 ? VK_QUERY_RESULT_WAIT_BIT : 0) |
            (combo & 4 ? VK_QUERY_RESULT_WITH_AVAILABILITY_BIT : 0) |
            (combo & 8 ? VK_QUERY_RESULT_PARTIAL_BIT : 0);
        const bool wait = flags & VK_QUERY_RESULT_WAIT_BIT;
        const uint32_t queries = wait ? USED_OCCLUSION : USED_OCCLUSION + 2;
        const size_t size = combo & 1 ? 8 : 4, natural = size * (combo & 4 ? 2 : 1);
        for (size_t stride = natural; stride <= natural + 8; stride += 8) {
            char how[96];
            snprintf(how, sizeof how, "vkGetQueryPoolResults, flags 0x%x, stride %zu",
                     (unsigned)flags, stride);
            memset(data, 0xAB, sizeof data);
            VkResult r = vkGetQueryPoolResults(c->device, occlusion, 0, queries, queries * stride,
                                               data, stride, flags);
            /* VK_NOT_READY is promised only when neither WAIT nor PARTIAL
             * is set; with PARTIAL alone either answer is right. */
            VkResult want = wait ? VK_SUCCESS : VK_NOT_READY;
            EXPECT(r == want || (!wait && (flags & VK_QUERY_RESULT_PARTIAL_BIT) &&
                                 r == VK_SUCCESS),
                   "%s: returned %s, not %s", how, result_name(r), result_name(want));
            digest_u32(c, (uint32_t)r);
            check_occlusion_results(c, how, data, 0, queries, stride, flags, false);
        }
    }

    /* statistics and timestamps by the host */
    uint64_t v[2][STATISTICS + 1];
    VK(vkGetQueryPoolResults(c->device, stats, 0, 2, sizeof v, v, sizeof v[0],
                             VK_QUERY_RESULT_64_BIT | VK_QUERY_RESULT_WAIT_BIT |
                                 VK_QUERY_RESULT_WITH_AVAILABILITY_BIT));
    for (int q = 0; q < 2; q++) {
        expect_statistics(c, "vkGetQueryPoolResults statistics", v[q], q == 0);
        EXPECT(memcmp(v[q], cp + 192 + q * 64, sizeof v[q]) == 0,
               "statistics query %d: the host read other numbers than the copy", q);
    }
    uint32_t narrow[2][STATISTICS];
    VK(vkGetQueryPoolResults(c->device, stats, 0, 2, sizeof narrow, narrow, sizeof narrow[0], 0));
    /* The same numbers in 32 bits, but for the fragment invocations:
     * lavapipe (Mesa 22.3) reports another count there in 32 bits. */
    for (int q = 0; q < 2; q++)
        for (int k = 0; k < STATISTICS; k++)
            EXPECT(k == 5 || narrow[q][k] == (uint32_t)v[q][k],
                   "statistics query %d, value %d: 32 bits read %u, 64 bits %llu", q, k,
                   narrow[q][k], (unsigned long long)v[q][k]);
    digest(c, v, sizeof v);
    digest(c, narrow, sizeof narrow);
    uint64_t t[3];
    VK(vkGetQueryPoolResults(c->device, stamps, 0, 3, sizeof t, t, sizeof t[0],
                             VK_QUERY_RESULT_64_BIT | VK_QUERY_RESULT_WAIT_BIT));
    EXPECT(t[0] != 0 && t[0] <= t[1] && t[1] <= t[2],
           "timestamps %llu, %llu, %llu: zero or going backwards", (unsigned long long)t[0],
           (unsigned long long)t[1], (unsigned long long)t[2]);
    uint32_t stamp_words[3][2];
    VK(vkGetQueryPoolResults(c->device, stamps, 0, 3, sizeof stamp_words, stamp_words,
                             sizeof stamp_words[0], VK_QUERY_RESULT_WITH_AVAILABILITY_BIT));
    for (int q = 0; q < 3; q++) {
        EXPECT(stamp_words[q][1] == 1, "timestamp %d is not available", q);
        digest_u32(c, stamp_words[q][1]); /* the times themselves differ run to run */
    }

    /* The host resets the used queries: unavailable again, values untouched;
     * then they run again, in a command buffer that does not reset them. */
    vkResetQueryPool(c->device, occlusion, 0, USED_OCCLUSION);
    memset(data, 0xAB, sizeof data);
    VK_EXPECT(VK_NOT_READY, vkGetQueryPoolResults(c->device, occlusion, 0, USED_OCCLUSION,
                                                  USED_OCCLUSION * 16, data, 16,
                                                  VK_QUERY_RESULT_64_BIT |
                                                      VK_QUERY_RESULT_WITH_AVAILABILITY_BIT));
    for (uint32_t i = 0; i < USED_OCCLUSION * 16; i++)
        EXPECT(data[i] == (i % 16 < 8 ? 0xAB : 0),
               "after vkResetQueryPool: byte %u (of a value if below 8 in 16, else of an "
               "availability word) is 0x%02x",
               i, data[i]);
    digest(c, data, USED_OCCLUSION * 16);
    VkCommandBuffer again = primary_new(c);
    begin(c, again, VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT);
    record_occlusion_draws(again, &s, pass, fb, occlusion, VK_NULL_HANDLE);
    end(c, again);
    submit_and_wait(c, again);
    uint64_t results[USED_OCCLUSION];
    VK(vkGetQueryPoolResults(c->device, occlusion, 0, USED_OCCLUSION, sizeof results, results,
                             sizeof results[0], VK_QUERY_RESULT_64_BIT | VK_QUERY_RESULT_WAIT_BIT));
    for (int q = 0; q < 2; q++)
        EXPECT(results[q] == occlusion_want[q],
               "after a host reset query %d counted %llu, not %llu", q,
               (unsigned long long)results[q], (unsigned long long)occlusion_want[q]);
    EXPECT(results[2] > 0, "after a host reset query 2 counted nothing");
    digest(c, results, sizeof results);
}

/* ---- threads ---------------------------------------------------------------- */

enum { THREADS = 4, ROUNDS = 8, THREAD_ELEMENTS = 256 };

struct worker {
    pthread_t thread;
    struct ctx *c;
    uint32_t index;
    pthread_barrier_t *start;
    VkPipeline pipeline;
    VkPipelineLayout layout;
    VkDescriptorSet sets[2]; /* src, dst: allocated by the main thread */
    struct buffer src, dst, results;
};

static uint32_t thread_input(uint32_t t, uint32_t round)
{
    return t * 100 + round;
}

static uint32_t thread_bias(uint32_t t, uint32_t round)
{
    return t * 1000 + round;
}

/* One thread: its own command pool and fence; every round it resets the
 * pool, records, submits (holding the queue lock only for vkQueueSubmit),
 * waits and checks. */
static void work(struct worker *w)
{
    struct ctx *c = w->c;
    /* All four start together, before anything that can fail (a failing
     * thread must not leave the others waiting here). */
    pthread_barrier_wait(w->start);
    VkCommandPool pool = command_pool_new(c, VK_COMMAND_POOL_CREATE_TRANSIENT_BIT);
    VkFence fence = fence_new(c, false);
    VkCommandBuffer cb = command_buffer_new(c, pool, VK_COMMAND_BUFFER_LEVEL_PRIMARY);
    for (uint32_t round = 0; round < ROUNDS; round++) {
        VK(vkResetCommandPool(c->device, pool, 0));
        begin(c, cb, VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT);
        vkCmdFillBuffer(cb, w->src.buffer, 0, VK_WHOLE_SIZE, thread_input(w->index, round));
        barrier(cb, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_WRITE_BIT,
                VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_ACCESS_SHADER_READ_BIT);
        vkCmdBindPipeline(cb, VK_PIPELINE_BIND_POINT_COMPUTE, w->pipeline);
        vkCmdBindDescriptorSets(cb, VK_PIPELINE_BIND_POINT_COMPUTE, w->layout, 0, 2, w->sets, 0,
                                NULL);
        struct scale_params p = {thread_bias(w->index, round), THREAD_ELEMENTS};
        vkCmdPushConstants(cb, w->layout, VK_SHADER_STAGE_COMPUTE_BIT, 0, sizeof p, &p);
        vkCmdDispatch(cb, groups_for(THREAD_ELEMENTS, 64), 1, 1);
        barrier(cb, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_ACCESS_SHADER_WRITE_BIT,
                VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_READ_BIT);
        VkBufferCopy region = {0, round * THREAD_ELEMENTS * 4, THREAD_ELEMENTS * 4};
        vkCmdCopyBuffer(cb, w->dst.buffer, w->results.buffer, 1, &region);
        to_host(cb, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_WRITE_BIT);
        end(c, cb);
        VkSubmitInfo info = {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
                             .commandBufferCount = 1,
                             .pCommandBuffers = &cb};
        submit(c, 1, &info, fence);
        wait_fence(c, fence);
        VK(vkResetFences(c->device, 1, &fence));
        const uint32_t *r = (const uint32_t *)w->results.map + round * THREAD_ELEMENTS;
        const uint32_t want = thread_input(w->index, round) * 3 + thread_bias(w->index, round);
        for (uint32_t i = 0; i < THREAD_ELEMENTS; i++)
            EXPECT(r[i] == want, "thread %u, round %u: element %u is %u, not %u", w->index, round,
                   i, r[i], want);
    }
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    jmp_buf here;
    on_failure = &here;
    if (setjmp(here) == 0)
        work(w);
    return NULL;
}

/* 4 threads, each with its own command pool, recording and submitting at
 * once on the one queue. */
static void scenario_threads(struct ctx *c)
{
    VkDescriptorSetLayout one;
    VkPipelineLayout layout = scale_layout_new(c, &one);
    VkPipeline pipeline = scale_pipeline_new(c, SHADER(cmd_scale_comp_spv), layout, 3, 64, 0);
    VkDescriptorPool pool = descriptor_pool_new(c, 2 * THREADS, 0);
    struct worker workers[THREADS];
    for (uint32_t t = 0; t < THREADS; t++) {
        struct worker *w = &workers[t];
        *w = (struct worker){.c = c, .index = t, .pipeline = pipeline, .layout = layout};
        w->src = buffer_new(c, THREAD_ELEMENTS * 4, VK_BUFFER_USAGE_STORAGE_BUFFER_BIT);
        w->dst = buffer_new(c, THREAD_ELEMENTS * 4, VK_BUFFER_USAGE_STORAGE_BUFFER_BIT);
        w->results = buffer_new(c, ROUNDS * THREAD_ELEMENTS * 4, 0);
        w->sets[0] = storage_set_new(c, pool, one, 1, &w->src.buffer);
        w->sets[1] = storage_set_new(c, pool, one, 1, &w->dst.buffer);
    }
    /* From here to the joins nothing may fail: a failure would leave this
     * function while the threads still use its objects. */
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, THREADS);
    for (uint32_t t = 0; t < THREADS; t++) {
        workers[t].start = &start;
        if (pthread_create(&workers[t].thread, NULL, worker_main, &workers[t]) != 0) {
            /* the started ones wait at the barrier for ever: no way back */
            fprintf(stderr, "vkw_cmdtest: cannot start thread %u\n", t);
            abort();
        }
    }
    for (uint32_t t = 0; t < THREADS; t++)
        pthread_join(workers[t].thread, NULL);
    pthread_barrier_destroy(&start);
    if (c->failed)
        longjmp(*on_failure, 1);
    for (uint32_t t = 0; t < THREADS; t++)
        digest(c, workers[t].results.map, (size_t)workers[t].results.size);
}

/* ---- the deliberate mistake ------------------------------------------------- */

/* A buffer of size 0 (VUID-VkBufferCreateInfo-size-00912): the scenario must
 * come out "not ok" with one validation message, natively and through
 * vkwire, or the messenger is not watching. */
static void scenario_mistake(struct ctx *c)
{
    VkBufferCreateInfo info = {.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
                               .size = 0,
                               .usage = VK_BUFFER_USAGE_TRANSFER_DST_BIT,
                               .sharingMode = VK_SHARING_MODE_EXCLUSIVE};
    VkBuffer buffer = VK_NULL_HANDLE;
    if (vkCreateBuffer(c->device, &info, NULL, &buffer) == VK_SUCCESS)
        TRACK(BUFFER, buffer);
}

/* ---- the scenarios ------------------------------------------------------------ */

/* Whether the physical device offers extension `name` (families skip
 * scenarios on devices without what they need). */
static bool device_offers(struct ctx *c, const char *name)
{
    uint32_t n = 0;
    if (vkEnumerateDeviceExtensionProperties(c->physical, NULL, &n, NULL) != VK_SUCCESS)
        return false;
    VkExtensionProperties *list = calloc(n ? n : 1, sizeof *list);
    bool found = false;
    if (list && vkEnumerateDeviceExtensionProperties(c->physical, NULL, &n, list) == VK_SUCCESS)
        for (uint32_t i = 0; i < n && !found; i++)
            found = strcmp(list[i].extensionName, name) == 0;
    free(list);
    return found;
}

/* Scenarios of the Vulkan 1.4 core and extension families live one family
 * to a file in tests/cmdtest/, included here so that they share this
 * file's helpers (each defines CMDTEST_<FAMILY> entries for the table). */
#include "cmdtest/families.h"

struct scenario {
    const char *name;
    void (*run)(struct ctx *c);
    const char *what;
    bool hidden; /* not run unless named */
    /* Extensions and features beyond device_create's, or NULL. */
    void (*needs)(struct ctx *c, struct device_needs *n);
    /* Debian 12's validation layer (1.3.239) does not know what the
     * scenario uses: it crashes on entry points it cannot wrap and reports
     * false errors on structs it does not know, so check_cmd.sh runs such a
     * scenario without it (vkw_cmdtest --without-layer lists them). */
    bool without_layer;
};

static const struct scenario scenarios[] = {
    {"compute_pipelines", scenario_compute_pipelines,
     "pipelines from two specialisations and two modules, descriptor sets, push constants", false, NULL, false},
    {"compute_indirect", scenario_compute_indirect,
     "vkCmdDispatchIndirect (arguments by vkCmdUpdateBuffer and by a shader), vkCmdDispatchBase",
     false, NULL, false},
    {"push_constants", scenario_push_constants,
     "the whole block and parts of it between dispatches, kept across a pipeline change", false, NULL, false},
    {"descriptor_updates", scenario_descriptor_updates,
     "writes, copies, update templates, vkCmdUpdateBuffer/vkCmdFillBuffer, a set updated again",
     false, NULL, false},
    {"render_pass", scenario_render_pass,
     "two subpasses (input attachment), depth, vkCmdClearAttachments, push constants per stage",
     false, NULL, false},
    {"dynamic_rendering", scenario_dynamic_rendering,
     "vkCmdBeginRendering suspended and resumed, synchronization2 layout transitions", false, NULL, false},
    {"secondary_render_pass", scenario_secondary_render_pass,
     "secondaries with RENDER_PASS_CONTINUE in both subpasses and one outside: same as inline",
     false, NULL, false},
    {"secondary_dynamic_rendering", scenario_secondary_dynamic_rendering,
     "secondaries with VkCommandBufferInheritanceRenderingInfo: same as inline", false, NULL, false},
    {"msaa_resolve", scenario_msaa_resolve,
     "4 samples resolved by a render pass, vkCmdResolveImage(2) and dynamic rendering", false, NULL, false},
    {"transfer", scenario_transfer,
     "buffer/image copies with padding, layers, mips, linear and mirroring blits, clears", false, NULL, false},
    {"pool_lifecycle", scenario_pool_lifecycle,
     "vkResetCommandPool, vkTrimCommandPool, vkFreeCommandBuffers, allocating again", false, NULL, false},
    {"command_buffer_reset", scenario_command_buffer_reset,
     "one-time submit, explicit and implicit reset, re-recording, resubmission", false, NULL, false},
    {"simultaneous_use", scenario_simultaneous_use,
     "one command buffer pending twice, listed twice, a secondary executed twice", false, NULL, false},
    {"fences", scenario_fences,
     "signalled at creation, reset and reuse, status, any/all, vkQueueWaitIdle, vkDeviceWaitIdle",
     false, NULL, false},
    {"binary_semaphores", scenario_binary_semaphores,
     "a chain through vkQueueSubmit and vkQueueSubmit2, several waits and signals, batches", false, NULL, false},
    {"timeline_semaphores", scenario_timeline_semaphores,
     "waits on device and host (another thread) signals, vkWaitSemaphores any/all, counters",
     false, NULL, false},
    {"sync_status", scenario_sync_status,
     "held-back fences and timelines, resets, many fences any/all, timeouts, fences on threads",
     false, NULL, false},
    {"events", scenario_events,
     "set/wait on the device (both forms), host set/reset/status, a device wait on the host",
     false, NULL, false},
    {"queries", scenario_queries,
     "occlusion, statistics, timestamps; every result flag, strides, copies, host reset", false, NULL, false},
    {"threads", scenario_threads,
     "4 threads with their own pools recording and submitting at once on one queue", false, NULL, false},
    {"mistake", scenario_mistake, "a deliberate validation error (must fail)", true, NULL, false},
    CMDTEST_FAMILIES
};

/* ---- instance, device, runner ------------------------------------------------- */

static VKAPI_ATTR VkBool32 VKAPI_CALL on_message(VkDebugUtilsMessageSeverityFlagBitsEXT severity,
                                                 VkDebugUtilsMessageTypeFlagsEXT types,
                                                 const VkDebugUtilsMessengerCallbackDataEXT *data,
                                                 void *user)
{
    (void)types, (void)user;
    /* The loader's own notes (such as "env var VK_INSTANCE_LAYERS defined")
     * are about the run, not about the program. */
    const bool loader = data->pMessageIdName && strcmp(data->pMessageIdName, "Loader Message") == 0;
    fprintf(stderr, "%s: %s\n", loader ? "loader" : "validation", data->pMessage);
    if (loader || severity < VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT)
        return VK_FALSE;
    if (!atomic_flag_test_and_set(&first_message_taken))
        snprintf(first_message, sizeof first_message, "%s", data->pMessage);
    validation_messages++;
    return VK_FALSE;
}

static bool instance_create(struct ctx *c)
{
    VkDebugUtilsMessengerCreateInfoEXT messenger_info = {
        .sType = VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT,
        .messageSeverity = VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT |
                           VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT,
        .messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT |
                       VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT |
                       VK_DEBUG_UTILS_MESSAGE_TYPE_PERFORMANCE_BIT_EXT,
        .pfnUserCallback = on_message};
    const char *extensions[] = {VK_EXT_DEBUG_UTILS_EXTENSION_NAME};
    VkApplicationInfo app = {.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
                             .pApplicationName = "vkw_cmdtest",
                             .apiVersion = VK_API_VERSION_1_4};
    VkInstanceCreateInfo info = {.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
                                 .pNext = &messenger_info, /* creation and destruction too */
                                 .pApplicationInfo = &app,
                                 .enabledExtensionCount = 1,
                                 .ppEnabledExtensionNames = extensions};
    VkResult r = vkCreateInstance(&info, NULL, &c->instance);
    if (r != VK_SUCCESS) {
        printf("Bail out! vkCreateInstance: %s\n", result_name(r));
        return false;
    }
    PFN_vkCreateDebugUtilsMessengerEXT create_messenger =
        (PFN_vkCreateDebugUtilsMessengerEXT)vkGetInstanceProcAddr(c->instance,
                                                                  "vkCreateDebugUtilsMessengerEXT");
    if (!create_messenger ||
        create_messenger(c->instance, &messenger_info, NULL, &c->messenger) != VK_SUCCESS) {
        printf("Bail out! no debug-utils messenger\n");
        return false;
    }
    uint32_t count = 1;
    r = vkEnumeratePhysicalDevices(c->instance, &count, &c->physical);
    if ((r != VK_SUCCESS && r != VK_INCOMPLETE) || count == 0) {
        printf("Bail out! no physical device\n");
        return false;
    }
    vkGetPhysicalDeviceProperties(c->physical, &c->props);
    vkGetPhysicalDeviceMemoryProperties(c->physical, &c->memory);
    if (c->props.apiVersion < VK_API_VERSION_1_3) {
        printf("Bail out! %s speaks Vulkan %u.%u, not 1.3\n", c->props.deviceName,
               VK_API_VERSION_MAJOR(c->props.apiVersion),
               VK_API_VERSION_MINOR(c->props.apiVersion));
        return false;
    }
    uint32_t families = 0;
    vkGetPhysicalDeviceQueueFamilyProperties(c->physical, &families, NULL);
    VkQueueFamilyProperties props[16];
    families = families < 16 ? families : 16;
    vkGetPhysicalDeviceQueueFamilyProperties(c->physical, &families, props);
    const VkQueueFlags want = VK_QUEUE_GRAPHICS_BIT | VK_QUEUE_COMPUTE_BIT;
    for (c->family = 0; c->family < families; c->family++)
        if ((props[c->family].queueFlags & want) == want && props[c->family].timestampValidBits)
            break;
    if (c->family == families) {
        printf("Bail out! no queue family does graphics, compute and timestamps\n");
        return false;
    }
    printf("# device: %s\n", c->props.deviceName);
    return true;
}

static void instance_destroy(struct ctx *c)
{
    PFN_vkDestroyDebugUtilsMessengerEXT destroy_messenger =
        (PFN_vkDestroyDebugUtilsMessengerEXT)vkGetInstanceProcAddr(
            c->instance, "vkDestroyDebugUtilsMessengerEXT");
    if (destroy_messenger && c->messenger)
        destroy_messenger(c->instance, c->messenger, NULL);
    vkDestroyInstance(c->instance, NULL);
}

/* A device with the features the scenarios use, all core in 1.3, and what
 * the scenario's `needs` adds. */
static void device_create(struct ctx *c, const struct device_needs *needs)
{
    VkPhysicalDeviceVulkan13Features have13 = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_3_FEATURES};
    VkPhysicalDeviceVulkan12Features have12 = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES, .pNext = &have13};
    VkPhysicalDeviceFeatures2 have = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2,
                                      .pNext = &have12};
    vkGetPhysicalDeviceFeatures2(c->physical, &have);
    EXPECT(have.features.pipelineStatisticsQuery && have.features.occlusionQueryPrecise &&
               have12.timelineSemaphore && have12.hostQueryReset && have13.synchronization2 &&
               have13.dynamicRendering,
           "the device lacks a feature the scenarios need (pipelineStatisticsQuery %u, "
           "occlusionQueryPrecise %u, timelineSemaphore %u, hostQueryReset %u, synchronization2 "
           "%u, dynamicRendering %u)",
           have.features.pipelineStatisticsQuery, have.features.occlusionQueryPrecise,
           have12.timelineSemaphore, have12.hostQueryReset, have13.synchronization2,
           have13.dynamicRendering);
    VkPhysicalDeviceVulkan13Features on13 = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_3_FEATURES,
        .pNext = needs->features,
        .synchronization2 = VK_TRUE,
        .dynamicRendering = VK_TRUE,
        .privateData = VK_TRUE, /* required by 1.3 */
        .maintenance4 = VK_TRUE /* required by 1.3; SPIR-V 1.6 shaders use LocalSizeId */};
    VkPhysicalDeviceVulkan12Features on12 = needs->v12;
    on12.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES;
    on12.pNext = &on13;
    on12.timelineSemaphore = VK_TRUE;
    on12.hostQueryReset = VK_TRUE;
    VkPhysicalDeviceFeatures2 on = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2,
                                    .pNext = &on12,
                                    .features = {.pipelineStatisticsQuery = VK_TRUE,
                                                 .occlusionQueryPrecise = VK_TRUE}};
    float priority = 1.0f;
    const VkDeviceQueueCreateInfo queues[2] = {
        {.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
         .queueFamilyIndex = c->family,
         .queueCount = 1,
         .pQueuePriorities = &priority},
        {.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
         .queueFamilyIndex = needs->extra_family,
         .queueCount = 1,
         .pQueuePriorities = &priority}};
    VkDeviceCreateInfo info = {.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
                               .pNext = &on,
                               .queueCreateInfoCount = needs->extra_queue ? 2 : 1,
                               .pQueueCreateInfos = queues,
                               .enabledExtensionCount = needs->extension_count,
                               .ppEnabledExtensionNames = needs->extensions};
    VK(vkCreateDevice(c->physical, &info, NULL, &c->device));
    vkGetDeviceQueue(c->device, c->family, 0, &c->queue);
    c->pool = command_pool_new(c, VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT);
}

/* Runs one scenario on a device of its own, cleans up whatever happened,
 * prints its line.  Returns whether it passed. */
static bool run_scenario(struct ctx *c, const struct scenario *s)
{
    c->device = VK_NULL_HANDLE;
    c->queue = VK_NULL_HANDLE;
    c->pool = VK_NULL_HANDLE;
    c->failed = false;
    c->why[0] = '\0';
    c->digest = UINT64_C(0xcbf29ce484222325);
    c->object_count = 0;
    validation_messages = 0;
    atomic_flag_clear(&first_message_taken);
    first_message[0] = '\0';

    struct device_needs needs = {0};
    jmp_buf here;
    on_failure = &here;
    if (setjmp(here) == 0) {
        if (s->needs)
            s->needs(c, &needs);
        if (!needs.skip) {
            device_create(c, &needs);
            s->run(c);
        }
    }
    on_failure = NULL;
    if (c->device) {
        /* Let whatever is in flight end, then destroy in reverse order. */
        VkResult r = vkDeviceWaitIdle(c->device);
        if (r != VK_SUCCESS && !c->failed) {
            c->failed = true;
            snprintf(c->why, sizeof c->why, "vkDeviceWaitIdle at the end returned %s",
                     result_name(r));
        }
        while (c->object_count > 0)
            destroy_tracked(c, &c->objects[--c->object_count]);
        vkDestroyDevice(c->device, NULL);
        c->device = VK_NULL_HANDLE;
    } else {
        while (c->object_count > 0)
            destroy_tracked(c, &c->objects[--c->object_count]);
    }

    unsigned messages = validation_messages;
    if (needs.skip && !c->failed) {
        printf("ok %s skip: %s\n", s->name, needs.skip_why);
        fflush(stdout);
        return true;
    }
    if (c->failed)
        printf("not ok %s: %s\n", s->name, c->why);
    else if (messages)
        printf("not ok %s: %u validation message%s, the first: %s\n", s->name, messages,
               messages == 1 ? "" : "s", first_message);
    else
        printf("ok %s %016" PRIx64 "\n", s->name, c->digest);
    fflush(stdout);
    return !c->failed && !messages;
}

static int usage(FILE *f, int status)
{
    fputs("usage: vkw_cmdtest [NAME...]         run every scenario, or the named ones\n"
          "       vkw_cmdtest --list            the scenario names, with what each checks\n"
          "       vkw_cmdtest --without-layer   the scenarios the validation layer cannot follow\n",
          f);
    return status;
}

int main(int argc, char **argv)
{
    const size_t n = ARRAY_SIZE(scenarios);
    if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")))
        return usage(stdout, 0);
    if (argc == 2 && !strcmp(argv[1], "--list")) {
        for (size_t i = 0; i < n; i++)
            if (!scenarios[i].hidden)
                printf("%-28s %s\n", scenarios[i].name, scenarios[i].what);
        return 0;
    }
    if (argc == 2 && !strcmp(argv[1], "--without-layer")) {
        for (size_t i = 0; i < n; i++)
            if (!scenarios[i].hidden && scenarios[i].without_layer)
                printf("%s\n", scenarios[i].name);
        return 0;
    }
    bool *chosen = calloc(n, sizeof *chosen);
    if (!chosen)
        return 2;
    for (int a = 1; a < argc; a++) {
        size_t i = 0;
        while (i < n && strcmp(argv[a], scenarios[i].name) != 0)
            i++;
        if (i == n) {
            fprintf(stderr, "vkw_cmdtest: no scenario is called %s\n", argv[a]);
            free(chosen);
            return usage(stderr, 2);
        }
        chosen[i] = true;
    }
    for (size_t i = 0; argc == 1 && i < n; i++)
        chosen[i] = !scenarios[i].hidden;

    struct ctx c = {0};
    pthread_mutex_init(&c.lock, NULL);
    pthread_mutex_init(&c.queue_lock, NULL);
    int status = 0;
    if (!instance_create(&c)) {
        status = 2;
    } else {
        for (size_t i = 0; i < n; i++)
            if (chosen[i] && !run_scenario(&c, &scenarios[i]))
                status = 1;
    }
    if (c.instance)
        instance_destroy(&c);
    free(c.objects);
    free(chosen);
    pthread_mutex_destroy(&c.queue_lock);
    pthread_mutex_destroy(&c.lock);
    return status;
}
