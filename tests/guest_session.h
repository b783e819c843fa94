/* guest_session.h — one whole guest session as a list of messages, for the
 * tests that cut a guest off at every point (test_cleanup) and that run
 * many guests at random (test_soak).
 *
 * Header-only; include after host_test_guest.h.  gs_build() encodes, with
 * the generated guest encoders, the messages a real program would send
 * (each one transport message, as the ICD sends them): the HELLO; an
 * instance, device and queue; host-visible memory, mapped; guest pages
 * shared through ALLOCATE_SHARED (the message carries one fd: the runner
 * makes a sealed memfd, gs_memfd); WRITE_MEMORY and READ_MEMORY; a buffer
 * bound to memory; an image, its memory and a view; a command pool and
 * command buffers, one recorded; a fence, a semaphore, an event; a submit
 * waited for; a descriptor set layout, pool, set and its update; a shader
 * module, pipeline layout and compute pipeline (real SPIR-V); a query pool
 * and a sampler; some destroys; a second device with a buffer and a pool;
 * then the first device destroyed with all its children alive, and the
 * instance with the second device alive.  Every message is valid, so any
 * prefix is a guest that was simply cut off there.
 */
#ifndef GUEST_SESSION_H
#define GUEST_SESSION_H

/* (the including test defines _GNU_SOURCE first, for memfd_create) */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "host_test_guest.h"
#include "memory_messages_test.h"

#define GS_MAX_MESSAGES 32
#define GS_SHARED_BYTES 65536u

struct gs_message {
    uint8_t *data;
    size_t size;
    unsigned nfds; /* 0, or 1: a memfd of GS_SHARED_BYTES */
    const char *what;
};

struct gs_session {
    struct gs_message m[GS_MAX_MESSAGES];
    unsigned count;
};

/* #version 450; layout(local_size_x = 1) in;
 * layout(set = 0, binding = 0) buffer B { uint v[]; } b;
 * void main() { b.v[0] = 1u; }     (glslc --target-env=vulkan1.0 -O) */
static const uint32_t gs_spirv[] = {
    0x07230203, 0x00010000, 0x000d000b, 0x00000012, 0x00000000, 0x00020011, 0x00000001,
    0x0006000b, 0x00000001, 0x4c534c47, 0x6474732e, 0x3035342e, 0x00000000, 0x0003000e,
    0x00000000, 0x00000001, 0x0005000f, 0x00000005, 0x00000004, 0x6e69616d, 0x00000000,
    0x00060010, 0x00000004, 0x00000011, 0x00000001, 0x00000001, 0x00000001, 0x00040047,
    0x00000007, 0x00000006, 0x00000004, 0x00050048, 0x00000008, 0x00000000, 0x00000023,
    0x00000000, 0x00030047, 0x00000008, 0x00000003, 0x00040047, 0x0000000a, 0x00000022,
    0x00000000, 0x00040047, 0x0000000a, 0x00000021, 0x00000000, 0x00040047, 0x00000011,
    0x0000000b, 0x00000019, 0x00020013, 0x00000002, 0x00030021, 0x00000003, 0x00000002,
    0x00040015, 0x00000006, 0x00000020, 0x00000000, 0x0003001d, 0x00000007, 0x00000006,
    0x0003001e, 0x00000008, 0x00000007, 0x00040020, 0x00000009, 0x00000002, 0x00000008,
    0x0004003b, 0x00000009, 0x0000000a, 0x00000002, 0x00040015, 0x0000000b, 0x00000020,
    0x00000001, 0x0004002b, 0x0000000b, 0x0000000c, 0x00000000, 0x0004002b, 0x00000006,
    0x0000000d, 0x00000001, 0x00040020, 0x0000000e, 0x00000002, 0x00000006, 0x00040017,
    0x00000010, 0x00000006, 0x00000003, 0x0006002c, 0x00000010, 0x00000011, 0x0000000d,
    0x0000000d, 0x0000000d, 0x00050036, 0x00000002, 0x00000004, 0x00000000, 0x00000003,
    0x000200f8, 0x00000005, 0x00060041, 0x0000000e, 0x0000000f, 0x0000000a, 0x0000000c,
    0x0000000c, 0x0003003e, 0x0000000f, 0x0000000d, 0x000100fd, 0x00010038,
};

/* Take what g->w holds as the next message. */
static inline void gs_take(struct gs_session *s, struct tg_guest *g, unsigned nfds,
                           const char *what)
{
    if (s->count == GS_MAX_MESSAGES)
        tm_bail_out("guest_session: too many messages");
    struct gs_message *m = &s->m[s->count++];
    m->data = malloc(g->w.size);
    if (!m->data)
        tm_bail_out("guest_session: out of memory");
    memcpy(m->data, g->w.data, g->w.size);
    m->size = g->w.size;
    m->nfds = nfds;
    m->what = what;
    vkw_writer_reset(&g->w);
}

static inline void gs_free(struct gs_session *s)
{
    for (unsigned i = 0; i < s->count; i++)
        free(s->m[i].data);
    s->count = 0;
}

/* The sealed memfd an ALLOCATE_SHARED message stands for; -1 on failure. */
static inline int gs_memfd(void)
{
    int fd = memfd_create("vkw-session", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd >= 0 && (ftruncate(fd, GS_SHARED_BYTES) != 0 ||
                    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK) != 0)) {
        close(fd);
        fd = -1;
    }
    return fd;
}

static inline void gs_allocate(struct tg_guest *g, VkDevice device, uint64_t id,
                               VkDeviceSize size)
{
    VkMemoryAllocateInfo ai = {.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
                               .allocationSize = size,
                               .memoryTypeIndex = 0}; /* host-visible on lavapipe and the fake */
    VkDeviceMemory mem = VKW_U64_HANDLE(VkDeviceMemory, id);
    vkw_encode_vkAllocateMemory(&g->w, ++g->serial, device, &ai, NULL, &mem);
}

static inline void gs_build(struct gs_session *s)
{
    struct tg_guest g;
    tg_init(&g);
    memset(s, 0, sizeof(*s));
    VkDevice device = TG_DEVICE(&g);

    tg_hello(&g, VKW_PROTOCOL_MAJOR);
    gs_take(s, &g, 0, "HELLO");
    tg_bring_up(&g);
    gs_take(s, &g, 0, "instance, device, queue");

    gs_allocate(&g, device, 300, 65536);
    vkw_encode_vkMapMemory(&g.w, ++g.serial, device, VKW_U64_HANDLE(VkDeviceMemory, 300), 0,
                           VK_WHOLE_SIZE, 0, NULL);
    gs_take(s, &g, 0, "memory, mapped");
    tm_allocate_shared(&g.w, ++g.serial, TG_DEVICE_ID,
                       &(VkMemoryAllocateInfo){.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
                                               .allocationSize = GS_SHARED_BYTES,
                                               .memoryTypeIndex = 0},
                       301, 0);
    gs_take(s, &g, 1, "guest pages (ALLOCATE_SHARED)");
    tm_write_memory(&g.w, ++g.serial, VKW_COMMAND_FLAG_REPLY, 300, 64, "vkwire", 6);
    tm_read_memory(&g.w, ++g.serial, 301, 0, 256);
    gs_take(s, &g, 0, "WRITE_MEMORY and READ_MEMORY");

    VkBufferCreateInfo bci = {.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
                              .size = 4096,
                              .usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT |
                                       VK_BUFFER_USAGE_TRANSFER_DST_BIT};
    VkBuffer buffer = VKW_U64_HANDLE(VkBuffer, 100);
    vkw_encode_vkCreateBuffer(&g.w, ++g.serial, device, &bci, NULL, &buffer);
    vkw_encode_vkBindBufferMemory(&g.w, ++g.serial, device, buffer,
                                  VKW_U64_HANDLE(VkDeviceMemory, 300), 0);
    gs_take(s, &g, 0, "a buffer bound to memory");

    VkImageCreateInfo ici = {.sType = VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO,
                             .imageType = VK_IMAGE_TYPE_2D,
                             .format = VK_FORMAT_R8G8B8A8_UNORM,
                             .extent = {16, 16, 1},
                             .mipLevels = 1,
                             .arrayLayers = 1,
                             .samples = VK_SAMPLE_COUNT_1_BIT,
                             .tiling = VK_IMAGE_TILING_OPTIMAL,
                             .usage = VK_IMAGE_USAGE_SAMPLED_BIT};
    VkImage image = VKW_U64_HANDLE(VkImage, 110);
    vkw_encode_vkCreateImage(&g.w, ++g.serial, device, &ici, NULL, &image);
    gs_allocate(&g, device, 302, 65536);
    vkw_encode_vkBindImageMemory(&g.w, ++g.serial, device, image,
                                 VKW_U64_HANDLE(VkDeviceMemory, 302), 0);
    VkImageViewCreateInfo vci = {.sType = VK_STRUCTURE_TYPE_IMAGE_VIEW_CREATE_INFO,
                                 .image = image,
                                 .viewType = VK_IMAGE_VIEW_TYPE_2D,
                                 .format = VK_FORMAT_R8G8B8A8_UNORM,
                                 .subresourceRange = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1}};
    VkImageView view = VKW_U64_HANDLE(VkImageView, 111);
    vkw_encode_vkCreateImageView(&g.w, ++g.serial, device, &vci, NULL, &view);
    gs_take(s, &g, 0, "an image, its memory and a view");

    tg_command_buffers(&g);
    gs_take(s, &g, 0, "a command pool and 2 command buffers");
    VkCommandBuffer cb = (VkCommandBuffer)&g.cbs[0];
    VkCommandBufferBeginInfo begin = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
    vkw_encode_vkBeginCommandBuffer(&g.w, ++g.serial, cb, &begin);
    vkw_encode_vkCmdFillBuffer(&g.w, ++g.serial, cb, buffer, 0, 4096, 7);
    vkw_encode_vkEndCommandBuffer(&g.w, ++g.serial, cb);
    gs_take(s, &g, 0, "a command buffer recorded");

    VkFence fence = VKW_U64_HANDLE(VkFence, 400);
    vkw_encode_vkCreateFence(&g.w, ++g.serial, device,
                             &(VkFenceCreateInfo){.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO},
                             NULL, &fence);
    VkSemaphore sem = VKW_U64_HANDLE(VkSemaphore, 401);
    vkw_encode_vkCreateSemaphore(
        &g.w, ++g.serial, device,
        &(VkSemaphoreCreateInfo){.sType = VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO}, NULL, &sem);
    VkEvent event = VKW_U64_HANDLE(VkEvent, 402);
    vkw_encode_vkCreateEvent(&g.w, ++g.serial, device,
                             &(VkEventCreateInfo){.sType = VK_STRUCTURE_TYPE_EVENT_CREATE_INFO},
                             NULL, &event);
    gs_take(s, &g, 0, "a fence, a semaphore, an event");
    VkSubmitInfo si = {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
                       .commandBufferCount = 1,
                       .pCommandBuffers = &cb};
    vkw_encode_vkQueueSubmit(&g.w, ++g.serial, (VkQueue)&g.queue, 1, &si, fence);
    vkw_encode_vkWaitForFences(&g.w, ++g.serial, device, 1, &fence, VK_TRUE, 1000000000ull);
    gs_take(s, &g, 0, "a submit, waited for");

    VkDescriptorSetLayoutBinding binding = {.binding = 0,
                                            .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
                                            .descriptorCount = 1,
                                            .stageFlags = VK_SHADER_STAGE_COMPUTE_BIT};
    VkDescriptorSetLayout dsl = VKW_U64_HANDLE(VkDescriptorSetLayout, 500);
    vkw_encode_vkCreateDescriptorSetLayout(
        &g.w, ++g.serial, device,
        &(VkDescriptorSetLayoutCreateInfo){.sType =
                                               VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO,
                                           .bindingCount = 1,
                                           .pBindings = &binding},
        NULL, &dsl);
    VkDescriptorPoolSize ps = {VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 4};
    VkDescriptorPool dpool = VKW_U64_HANDLE(VkDescriptorPool, 501);
    vkw_encode_vkCreateDescriptorPool(
        &g.w, ++g.serial, device,
        &(VkDescriptorPoolCreateInfo){.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO,
                                      .maxSets = 4,
                                      .poolSizeCount = 1,
                                      .pPoolSizes = &ps},
        NULL, &dpool);
    VkDescriptorSet set = VKW_U64_HANDLE(VkDescriptorSet, 502);
    vkw_encode_vkAllocateDescriptorSets(
        &g.w, ++g.serial, device,
        &(VkDescriptorSetAllocateInfo){.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO,
                                       .descriptorPool = dpool,
                                       .descriptorSetCount = 1,
                                       .pSetLayouts = &dsl},
        &set);
    VkDescriptorBufferInfo dbi = {buffer, 0, VK_WHOLE_SIZE};
    VkWriteDescriptorSet write = {.sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
                                  .dstSet = set,
                                  .descriptorCount = 1,
                                  .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
                                  .pBufferInfo = &dbi};
    vkw_encode_vkUpdateDescriptorSets(&g.w, ++g.serial, device, 1, &write, 0, NULL);
    gs_take(s, &g, 0, "a descriptor set, written");

    VkShaderModule module = VKW_U64_HANDLE(VkShaderModule, 510);
    vkw_encode_vkCreateShaderModule(
        &g.w, ++g.serial, device,
        &(VkShaderModuleCreateInfo){.sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO,
                                    .codeSize = sizeof(gs_spirv),
                                    .pCode = gs_spirv},
        NULL, &module);
    VkPipelineLayout layout = VKW_U64_HANDLE(VkPipelineLayout, 511);
    vkw_encode_vkCreatePipelineLayout(
        &g.w, ++g.serial, device,
        &(VkPipelineLayoutCreateInfo){.sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO,
                                      .setLayoutCount = 1,
                                      .pSetLayouts = &dsl},
        NULL, &layout);
    VkComputePipelineCreateInfo pci = {
        .sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO,
        .stage = {.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
                  .stage = VK_SHADER_STAGE_COMPUTE_BIT,
                  .module = module,
                  .pName = "main"},
        .layout = layout};
    VkPipeline pipeline = VKW_U64_HANDLE(VkPipeline, 512);
    vkw_encode_vkCreateComputePipelines(&g.w, ++g.serial, device, VK_NULL_HANDLE, 1, &pci, NULL,
                                        &pipeline);
    gs_take(s, &g, 0, "a compute pipeline");

    VkQueryPool qp = VKW_U64_HANDLE(VkQueryPool, 520);
    vkw_encode_vkCreateQueryPool(
        &g.w, ++g.serial, device,
        &(VkQueryPoolCreateInfo){.sType = VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO,
                                 .queryType = VK_QUERY_TYPE_TIMESTAMP,
                                 .queryCount = 4},
        NULL, &qp);
    VkSampler sampler = VKW_U64_HANDLE(VkSampler, 521);
    vkw_encode_vkCreateSampler(
        &g.w, ++g.serial, device,
        &(VkSamplerCreateInfo){.sType = VK_STRUCTURE_TYPE_SAMPLER_CREATE_INFO}, NULL, &sampler);
    gs_take(s, &g, 0, "a query pool and a sampler");
    vkw_encode_vkDestroySampler(&g.w, ++g.serial, device, sampler, NULL);
    vkw_encode_vkDestroyEvent(&g.w, ++g.serial, device, event, NULL);
    vkw_encode_vkUnmapMemory(&g.w, ++g.serial, device, VKW_U64_HANDLE(VkDeviceMemory, 300));
    gs_take(s, &g, 0, "a few destroys");

    /* A second device of the same physical device. */
    struct vkw_dispatchable device2_obj = {0, 600};
    VkDevice device2 = (VkDevice)&device2_obj;
    float priority = 1.0f;
    VkDeviceQueueCreateInfo qci = {.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
                                   .queueCount = 1,
                                   .pQueuePriorities = &priority};
    vkw_encode_vkCreateDevice(
        &g.w, ++g.serial, TG_PHYSICAL(&g),
        &(VkDeviceCreateInfo){.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
                              .queueCreateInfoCount = 1,
                              .pQueueCreateInfos = &qci},
        NULL, &device2);
    VkBuffer buffer2 = VKW_U64_HANDLE(VkBuffer, 601);
    vkw_encode_vkCreateBuffer(&g.w, ++g.serial, device2, &bci, NULL, &buffer2);
    VkCommandPool pool2 = VKW_U64_HANDLE(VkCommandPool, 602);
    vkw_encode_vkCreateCommandPool(
        &g.w, ++g.serial, device2,
        &(VkCommandPoolCreateInfo){.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO}, NULL,
        &pool2);
    gs_take(s, &g, 0, "a second device, a buffer and a pool");

    vkw_encode_vkDestroyDevice(&g.w, ++g.serial, device, NULL);
    gs_take(s, &g, 0, "the first device destroyed with its children alive");
    vkw_encode_vkDestroyInstance(&g.w, ++g.serial, TG_INSTANCE(&g), NULL);
    gs_take(s, &g, 0, "the instance destroyed with the second device alive");
    tg_fini(&g);
}

#endif /* GUEST_SESSION_H */
