/* vkw_probe — a small Vulkan program that uses only the public API, for the
 * tests to run natively and through vkwire with the Khronos validation
 * layer watching.  It creates an instance with a debug messenger, a device
 * and its queue, a buffer bound to memory, a command pool and command
 * buffer, records and submits it with a fence, waits, and destroys it all.
 *
 *   vkw_probe [--mistake | --bare | --threads N]
 *
 * Prints "vkw_probe: N validation messages" and the device name.  With
 * --mistake it also creates a buffer of size 0 (VUID-VkBufferCreateInfo-
 * size-00912), so a test can see that the layer really reports through
 * vkwire.  With --threads N, N threads also create, query and destroy
 * objects on the one device at once (each with its own command pool, as the
 * spec's external-synchronisation rules ask).  Every run also fills members
 * Vulkan says are ignored with garbage and stale handles (descriptor image
 * infos, graphics and compute pipelines, a secondary command buffer's
 * inheritance): a driver must not read them, and vkwire must not send them
 * (the host would refuse a stale id); run it with --bare, without the
 * layer, whose handle wrapping would hide stale handles.  Every run also
 * compares buffer memory requirements asked three ways; --bare also makes
 * a creation the driver fails and says where the failure was reported.
 * Exit status: 0 when all went
 * as expected (no message, or >0 with --mistake), 1 otherwise, 2 when Vulkan
 * itself failed. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime, nanosleep */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <vulkan/vulkan.h>

#include "demo/vkwire_demo_spirv.h" /* mesh.vert, for a pipeline */

static _Atomic unsigned messages;

static double seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* Waits 4 s on a fence nothing will signal, while the workers go on. */
struct waiter {
    pthread_t thread;
    VkDevice device;
    VkFence fence;
    VkResult result;
    double done_at;
};

static void *wait_forever(void *arg)
{
    struct waiter *w = arg;
    w->result = vkWaitForFences(w->device, 1, &w->fence, VK_TRUE, 4000000000ull);
    w->done_at = seconds();
    return NULL;
}

/* Waits with vkQueueWaitIdle on a queue whose work waits for a timeline
 * semaphore that the main thread signals only once the workers are done. */
struct idler {
    pthread_t thread;
    VkQueue queue;
    VkResult result;
    double done_at;
};

static void *wait_idle(void *arg)
{
    struct idler *w = arg;
    w->result = vkQueueWaitIdle(w->queue);
    w->done_at = seconds();
    return NULL;
}

struct worker {
    pthread_t thread;
    double done_at;
    int finished; /* atomic: the main thread polls it */
    VkDevice device;
    VkBufferCreateInfo info;
    int failures;
};

/* One thread's share: objects of its own, made and destroyed many times. */
static void *work(void *arg)
{
    struct worker *w = arg;
    VkCommandPoolCreateInfo pci = {.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
    VkCommandPool pool;
    if (vkCreateCommandPool(w->device, &pci, NULL, &pool) != VK_SUCCESS) {
        w->failures++;
        return NULL;
    }
    for (int i = 0; i < 50; i++) {
        VkBuffer buffer;
        if (vkCreateBuffer(w->device, &w->info, NULL, &buffer) != VK_SUCCESS) {
            w->failures++;
            continue;
        }
        VkMemoryRequirements req;
        vkGetBufferMemoryRequirements(w->device, buffer, &req);
        if (req.size < w->info.size)
            w->failures++;
        VkCommandBufferAllocateInfo cai = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
                                           .commandPool = pool,
                                           .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
                                           .commandBufferCount = 1};
        VkCommandBuffer cmd;
        if (vkAllocateCommandBuffers(w->device, &cai, &cmd) == VK_SUCCESS)
            vkFreeCommandBuffers(w->device, pool, 1, &cmd);
        else
            w->failures++;
        vkDestroyBuffer(w->device, buffer, NULL);
    }
    vkDestroyCommandPool(w->device, pool, NULL);
    w->done_at = seconds();
    __atomic_store_n(&w->finished, 1, __ATOMIC_RELEASE);
    return NULL;
}

#define CHECK(call)                                                                  \
    do {                                                                             \
        VkResult r_ = (call);                                                        \
        if (r_ != VK_SUCCESS) {                                                      \
            fprintf(stderr, "vkw_probe: %s failed: %d\n", #call, (int)r_);           \
            return 2;                                                                \
        }                                                                            \
    } while (0)

/* Not a pointer anything may read, nor a handle anything may use. */
#define GARBAGE_POINTER ((const void *)(uintptr_t)0x18)

/* Members Vulkan ignores, filled with garbage: pointers to nowhere and
 * handles of objects already destroyed.  Natively the driver ignores them;
 * through vkwire they must not even be encoded. */
static int ignored_members(VkDevice device, VkPhysicalDevice physical)
{
    /* stale handles: objects made and destroyed */
    VkSamplerCreateInfo sci = {.sType = VK_STRUCTURE_TYPE_SAMPLER_CREATE_INFO};
    VkSampler sampler, stale_sampler;
    CHECK(vkCreateSampler(device, &sci, NULL, &stale_sampler));
    vkDestroySampler(device, stale_sampler, NULL);
    CHECK(vkCreateSampler(device, &sci, NULL, &sampler));
    VkAttachmentDescription color = {.format = VK_FORMAT_R8G8B8A8_UNORM,
                                     .samples = VK_SAMPLE_COUNT_1_BIT,
                                     .loadOp = VK_ATTACHMENT_LOAD_OP_DONT_CARE,
                                     .storeOp = VK_ATTACHMENT_STORE_OP_DONT_CARE,
                                     .stencilLoadOp = VK_ATTACHMENT_LOAD_OP_DONT_CARE,
                                     .stencilStoreOp = VK_ATTACHMENT_STORE_OP_DONT_CARE,
                                     .finalLayout = VK_IMAGE_LAYOUT_GENERAL};
    VkAttachmentReference ref = {0, VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL};
    VkSubpassDescription subpass = {.colorAttachmentCount = 1, .pColorAttachments = &ref};
    VkRenderPassCreateInfo rpci = {.sType = VK_STRUCTURE_TYPE_RENDER_PASS_CREATE_INFO,
                                   .attachmentCount = 1,
                                   .pAttachments = &color,
                                   .subpassCount = 1,
                                   .pSubpasses = &subpass};
    VkRenderPass stale_pass;
    CHECK(vkCreateRenderPass(device, &rpci, NULL, &stale_pass));
    vkDestroyRenderPass(device, stale_pass, NULL);

    /* an image to sample */
    VkImageCreateInfo ici = {.sType = VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO,
                             .imageType = VK_IMAGE_TYPE_2D,
                             .format = VK_FORMAT_R8G8B8A8_UNORM,
                             .extent = {4, 4, 1},
                             .mipLevels = 1,
                             .arrayLayers = 1,
                             .samples = VK_SAMPLE_COUNT_1_BIT,
                             .tiling = VK_IMAGE_TILING_OPTIMAL,
                             .usage = VK_IMAGE_USAGE_SAMPLED_BIT};
    VkImage image;
    CHECK(vkCreateImage(device, &ici, NULL, &image));
    VkMemoryRequirements req;
    vkGetImageMemoryRequirements(device, image, &req);
    VkPhysicalDeviceMemoryProperties mem;
    vkGetPhysicalDeviceMemoryProperties(physical, &mem);
    uint32_t type = 0;
    while (type < mem.memoryTypeCount && !(req.memoryTypeBits & (1u << type)))
        type++;
    VkMemoryAllocateInfo mai = {.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
                                .allocationSize = req.size,
                                .memoryTypeIndex = type};
    VkDeviceMemory memory;
    CHECK(vkAllocateMemory(device, &mai, NULL, &memory));
    CHECK(vkBindImageMemory(device, image, memory, 0));
    VkImageViewCreateInfo vci = {.sType = VK_STRUCTURE_TYPE_IMAGE_VIEW_CREATE_INFO,
                                 .image = image,
                                 .viewType = VK_IMAGE_VIEW_TYPE_2D,
                                 .format = VK_FORMAT_R8G8B8A8_UNORM,
                                 .subresourceRange = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1}};
    VkImageView view, stale_view;
    CHECK(vkCreateImageView(device, &vci, NULL, &stale_view));
    vkDestroyImageView(device, stale_view, NULL);
    CHECK(vkCreateImageView(device, &vci, NULL, &view));

    /* descriptors: a sampled image's sampler, a sampler's view and layout */
    VkDescriptorSetLayoutBinding bindings[2] = {
        {0, VK_DESCRIPTOR_TYPE_SAMPLED_IMAGE, 1, VK_SHADER_STAGE_VERTEX_BIT, NULL},
        {1, VK_DESCRIPTOR_TYPE_SAMPLER, 1, VK_SHADER_STAGE_VERTEX_BIT, NULL}};
    VkDescriptorSetLayoutCreateInfo dslci = {
        .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO,
        .bindingCount = 2,
        .pBindings = bindings};
    VkDescriptorSetLayout set_layout;
    CHECK(vkCreateDescriptorSetLayout(device, &dslci, NULL, &set_layout));
    VkDescriptorPoolSize sizes[2] = {{VK_DESCRIPTOR_TYPE_SAMPLED_IMAGE, 1},
                                     {VK_DESCRIPTOR_TYPE_SAMPLER, 1}};
    VkDescriptorPoolCreateInfo dpci = {.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO,
                                       .maxSets = 1,
                                       .poolSizeCount = 2,
                                       .pPoolSizes = sizes};
    VkDescriptorPool dpool;
    CHECK(vkCreateDescriptorPool(device, &dpci, NULL, &dpool));
    VkDescriptorSetAllocateInfo dsai = {.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO,
                                        .descriptorPool = dpool,
                                        .descriptorSetCount = 1,
                                        .pSetLayouts = &set_layout};
    VkDescriptorSet set;
    CHECK(vkAllocateDescriptorSets(device, &dsai, &set));
    VkDescriptorImageInfo sampled = {stale_sampler, view, VK_IMAGE_LAYOUT_SHADER_READ_ONLY_OPTIMAL};
    VkDescriptorImageInfo just_sampler = {sampler, stale_view, (VkImageLayout)0x7ffffff0};
    VkWriteDescriptorSet writes[2] = {
        {.sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
         .dstSet = set,
         .dstBinding = 0,
         .descriptorCount = 1,
         .descriptorType = VK_DESCRIPTOR_TYPE_SAMPLED_IMAGE,
         .pImageInfo = &sampled,
         .pBufferInfo = GARBAGE_POINTER,
         .pTexelBufferView = GARBAGE_POINTER},
        {.sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
         .dstSet = set,
         .dstBinding = 1,
         .descriptorCount = 1,
         .descriptorType = VK_DESCRIPTOR_TYPE_SAMPLER,
         .pImageInfo = &just_sampler}};
    vkUpdateDescriptorSets(device, 2, writes, 0, NULL);

    /* a graphics pipeline that rasterizes nothing: no viewport, multisample,
     * depth or blend state is read, nor tessellation state, nor a base */
    VkShaderModuleCreateInfo smci = {.sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO,
                                     .codeSize = sizeof mesh_vert_spv,
                                     .pCode = mesh_vert_spv};
    VkShaderModule vert;
    CHECK(vkCreateShaderModule(device, &smci, NULL, &vert));
    VkPushConstantRange push = {VK_SHADER_STAGE_VERTEX_BIT, 0, 128};
    VkPipelineLayoutCreateInfo plci = {.sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO,
                                       .setLayoutCount = 1,
                                       .pSetLayouts = &set_layout,
                                       .pushConstantRangeCount = 1,
                                       .pPushConstantRanges = &push};
    VkPipelineLayout layout;
    CHECK(vkCreatePipelineLayout(device, &plci, NULL, &layout));
    VkPipelineShaderStageCreateInfo stage = {
        .sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
        .stage = VK_SHADER_STAGE_VERTEX_BIT,
        .module = vert,
        .pName = "main"};
    VkVertexInputBindingDescription vb = {0, 24, VK_VERTEX_INPUT_RATE_VERTEX};
    VkVertexInputAttributeDescription va[2] = {{0, 0, VK_FORMAT_R32G32B32_SFLOAT, 0},
                                               {1, 0, VK_FORMAT_R32G32B32_SFLOAT, 12}};
    VkPipelineVertexInputStateCreateInfo vertex_input = {
        .sType = VK_STRUCTURE_TYPE_PIPELINE_VERTEX_INPUT_STATE_CREATE_INFO,
        .vertexBindingDescriptionCount = 1,
        .pVertexBindingDescriptions = &vb,
        .vertexAttributeDescriptionCount = 2,
        .pVertexAttributeDescriptions = va};
    VkPipelineInputAssemblyStateCreateInfo assembly = {
        .sType = VK_STRUCTURE_TYPE_PIPELINE_INPUT_ASSEMBLY_STATE_CREATE_INFO,
        .topology = VK_PRIMITIVE_TOPOLOGY_TRIANGLE_LIST};
    VkPipelineRasterizationStateCreateInfo raster = {
        .sType = VK_STRUCTURE_TYPE_PIPELINE_RASTERIZATION_STATE_CREATE_INFO,
        .rasterizerDiscardEnable = VK_TRUE,
        .polygonMode = VK_POLYGON_MODE_FILL,
        .lineWidth = 1.0f};
    VkPipelineRenderingCreateInfo rendering = {
        .sType = VK_STRUCTURE_TYPE_PIPELINE_RENDERING_CREATE_INFO};
    VkGraphicsPipelineCreateInfo gpci = {.sType = VK_STRUCTURE_TYPE_GRAPHICS_PIPELINE_CREATE_INFO,
                                         .pNext = &rendering,
                                         .stageCount = 1,
                                         .pStages = &stage,
                                         .pVertexInputState = &vertex_input,
                                         .pInputAssemblyState = &assembly,
                                         .pRasterizationState = &raster,
                                         .layout = layout,
                                         .basePipelineIndex = -1};
    VkPipeline stale_pipeline, pipeline;
    CHECK(vkCreateGraphicsPipelines(device, VK_NULL_HANDLE, 1, &gpci, NULL, &stale_pipeline));
    vkDestroyPipeline(device, stale_pipeline, NULL);
    gpci.pTessellationState = GARBAGE_POINTER;
    gpci.pViewportState = GARBAGE_POINTER;
    gpci.pMultisampleState = GARBAGE_POINTER;
    gpci.pDepthStencilState = GARBAGE_POINTER;
    gpci.pColorBlendState = GARBAGE_POINTER;
    gpci.basePipelineHandle = stale_pipeline;
    CHECK(vkCreateGraphicsPipelines(device, VK_NULL_HANDLE, 1, &gpci, NULL, &pipeline));

    /* a secondary command buffer outside a render pass: its inheritance
     * info's render pass and framebuffer are ignored */
    VkCommandPoolCreateInfo pci = {.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
    VkCommandPool pool;
    CHECK(vkCreateCommandPool(device, &pci, NULL, &pool));
    VkCommandBufferAllocateInfo cai = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
                                       .commandPool = pool,
                                       .level = VK_COMMAND_BUFFER_LEVEL_SECONDARY,
                                       .commandBufferCount = 1};
    VkCommandBuffer secondary;
    CHECK(vkAllocateCommandBuffers(device, &cai, &secondary));
    VkCommandBufferInheritanceInfo inherit = {
        .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_INHERITANCE_INFO,
        .renderPass = stale_pass,
        .framebuffer = (VkFramebuffer)(uintptr_t)0xdead0000u};
    VkCommandBufferBeginInfo begin = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
                                      .pInheritanceInfo = &inherit};
    CHECK(vkBeginCommandBuffer(secondary, &begin));
    vkCmdBindDescriptorSets(secondary, VK_PIPELINE_BIND_POINT_GRAPHICS, layout, 0, 1, &set, 0,
                            NULL);
    CHECK(vkEndCommandBuffer(secondary));

    vkDestroyCommandPool(device, pool, NULL);
    vkDestroyPipeline(device, pipeline, NULL);
    vkDestroyPipelineLayout(device, layout, NULL);
    vkDestroyShaderModule(device, vert, NULL);
    vkDestroyDescriptorPool(device, dpool, NULL);
    vkDestroyDescriptorSetLayout(device, set_layout, NULL);
    vkDestroyImageView(device, view, NULL);
    vkDestroyImage(device, image, NULL);
    vkFreeMemory(device, memory, NULL);
    vkDestroySampler(device, sampler, NULL);
    printf("vkw_probe: ignored members with garbage: accepted\n");
    return 0;
}

/* Recordings longer than vkwire's 1 MiB stream chunk, and resets that must
 * drop what was recorded.  `buffer` (64 KiB, bound to host-visible
 * `memory`) ends up holding what the last recording wrote. */
static int long_recordings(VkDevice device, VkQueue queue, VkBuffer buffer,
                           VkDeviceMemory memory)
{
    enum { WORDS = 16384, FILLS = 50000 }; /* 50000 fills: about 1.8 MB of stream */
    VkCommandPoolCreateInfo pci = {.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
                                   .flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT};
    VkCommandPool pool;
    CHECK(vkCreateCommandPool(device, &pci, NULL, &pool));
    VkCommandBufferAllocateInfo cai = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
                                       .commandPool = pool,
                                       .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
                                       .commandBufferCount = 1};
    VkCommandBuffer cmd;
    CHECK(vkAllocateCommandBuffers(device, &cai, &cmd));
    VkCommandBufferBeginInfo begin = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
    VkMemoryBarrier to_host = {.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
                               .srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT,
                               .dstAccessMask = VK_ACCESS_HOST_READ_BIT};
    VkFenceCreateInfo fci = {.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    VkFence fence;
    CHECK(vkCreateFence(device, &fci, NULL, &fence));
    VkSubmitInfo submit = {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
                           .commandBufferCount = 1,
                           .pCommandBuffers = &cmd};
    uint32_t *words;
    CHECK(vkMapMemory(device, memory, 0, VK_WHOLE_SIZE, 0, (void **)&words));
    const VkMappedMemoryRange whole = {.sType = VK_STRUCTURE_TYPE_MAPPED_MEMORY_RANGE,
                                       .memory = memory,
                                       .size = VK_WHOLE_SIZE};
    int wrong = 0;

    /* 1. A long recording: fill i writes word i % WORDS with i. */
    CHECK(vkBeginCommandBuffer(cmd, &begin));
    for (uint32_t i = 0; i < FILLS; i++)
        vkCmdFillBuffer(cmd, buffer, (VkDeviceSize)(i % WORDS) * 4, 4, i);
    vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_HOST_BIT, 0, 1,
                         &to_host, 0, NULL, 0, NULL);
    CHECK(vkEndCommandBuffer(cmd));
    CHECK(vkQueueSubmit(queue, 1, &submit, fence));
    CHECK(vkWaitForFences(device, 1, &fence, VK_TRUE, UINT64_MAX));
    CHECK(vkResetFences(device, 1, &fence));
    CHECK(vkInvalidateMappedMemoryRanges(device, 1, &whole)); /* in case it is not coherent */
    for (uint32_t k = 0; k < WORDS; k++)
        wrong += words[k] != k + WORDS * ((FILLS - 1 - k) / WORDS);

    /* 2. Another long recording, reset half way (after vkwire has sent a
     *    chunk of it), then a short one by an implicit reset at Begin: only
     *    the short one may show. */
    CHECK(vkBeginCommandBuffer(cmd, &begin));
    for (uint32_t i = 0; i < FILLS; i++)
        vkCmdFillBuffer(cmd, buffer, (VkDeviceSize)(i % WORDS) * 4, 4, 0xdead0000u);
    CHECK(vkResetCommandBuffer(cmd, 0));
    CHECK(vkBeginCommandBuffer(cmd, &begin));
    for (uint32_t i = 0; i < FILLS; i++)
        vkCmdFillBuffer(cmd, buffer, (VkDeviceSize)(i % WORDS) * 4, 4, 0xbeef0000u);
    CHECK(vkEndCommandBuffer(cmd));
    CHECK(vkBeginCommandBuffer(cmd, &begin)); /* implicit reset of an executable one */
    vkCmdFillBuffer(cmd, buffer, 0, VK_WHOLE_SIZE, 0x5eed5eedu);
    vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_HOST_BIT, 0, 1,
                         &to_host, 0, NULL, 0, NULL);
    CHECK(vkEndCommandBuffer(cmd));
    CHECK(vkQueueSubmit(queue, 1, &submit, fence));
    CHECK(vkWaitForFences(device, 1, &fence, VK_TRUE, UINT64_MAX));
    CHECK(vkInvalidateMappedMemoryRanges(device, 1, &whole));
    for (uint32_t k = 0; k < WORDS; k++)
        wrong += words[k] != 0x5eed5eedu;

    vkUnmapMemory(device, memory);
    vkDestroyFence(device, fence, NULL);
    vkDestroyCommandPool(device, pool, NULL);
    printf("vkw_probe: long recordings and resets: %d wrong words\n", wrong);
    return wrong ? 1 : 0;
}

static VKAPI_ATTR VkBool32 VKAPI_CALL on_message(VkDebugUtilsMessageSeverityFlagBitsEXT severity,
                                                 VkDebugUtilsMessageTypeFlagsEXT types,
                                                 const VkDebugUtilsMessengerCallbackDataEXT *data,
                                                 void *user)
{
    (void)types, (void)user;
    if (severity >= VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT) {
        messages++;
        fprintf(stderr, "vkw_probe: validation: %s\n", data->pMessage);
    }
    return VK_FALSE;
}

/* Memory requirements, which vkwire answers from its cache after the first
 * buffer made alike: for each create info, two buffers asked through
 * vkGetBufferMemoryRequirements, ...2 with the dedicated-allocation struct
 * chained, and vkGetDeviceBufferMemoryRequirements must all agree, and the
 * line printed (the answers) must be the native one (check_icd.sh). */
static int requirements(VkDevice device)
{
    static const VkDeviceSize sizes[] = {1, 100, 4096, 65536, 1000000};
    static const VkBufferUsageFlags usages[] = {
        VK_BUFFER_USAGE_TRANSFER_DST_BIT,
        VK_BUFFER_USAGE_UNIFORM_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_SRC_BIT,
        VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_INDIRECT_BUFFER_BIT};
    char line[2048] = "";
    size_t used = 0;
    int disagree = 0;
    for (size_t u = 0; u < sizeof(usages) / sizeof(usages[0]); u++) {
        for (size_t z = 0; z < sizeof(sizes) / sizeof(sizes[0]); z++) {
            VkBufferCreateInfo bci = {.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
                                      .size = sizes[z],
                                      .usage = usages[u],
                                      .sharingMode = VK_SHARING_MODE_EXCLUSIVE};
            VkBuffer b[2];
            VkMemoryRequirements r1[2];
            VkMemoryDedicatedRequirements ded[2];
            VkMemoryRequirements2 r2[2];
            for (int i = 0; i < 2; i++) {
                CHECK(vkCreateBuffer(device, &bci, NULL, &b[i]));
                vkGetBufferMemoryRequirements(device, b[i], &r1[i]);
                ded[i] = (VkMemoryDedicatedRequirements){
                    .sType = VK_STRUCTURE_TYPE_MEMORY_DEDICATED_REQUIREMENTS};
                r2[i] = (VkMemoryRequirements2){.sType = VK_STRUCTURE_TYPE_MEMORY_REQUIREMENTS_2,
                                                .pNext = &ded[i]};
                VkBufferMemoryRequirementsInfo2 info = {
                    .sType = VK_STRUCTURE_TYPE_BUFFER_MEMORY_REQUIREMENTS_INFO_2, .buffer = b[i]};
                vkGetBufferMemoryRequirements2(device, &info, &r2[i]);
            }
            VkMemoryDedicatedRequirements dd = {
                .sType = VK_STRUCTURE_TYPE_MEMORY_DEDICATED_REQUIREMENTS};
            VkMemoryRequirements2 rd = {.sType = VK_STRUCTURE_TYPE_MEMORY_REQUIREMENTS_2,
                                        .pNext = &dd};
            VkDeviceBufferMemoryRequirements dinfo = {
                .sType = VK_STRUCTURE_TYPE_DEVICE_BUFFER_MEMORY_REQUIREMENTS, .pCreateInfo = &bci};
            vkGetDeviceBufferMemoryRequirements(device, &dinfo, &rd);
            const VkMemoryRequirements *all[5] = {&r1[0], &r1[1], &r2[0].memoryRequirements,
                                                  &r2[1].memoryRequirements, &rd.memoryRequirements};
            for (int i = 1; i < 5; i++)
                disagree |= memcmp(all[0], all[i], sizeof(*all[0])) != 0;
            disagree |= ded[0].prefersDedicatedAllocation != ded[1].prefersDedicatedAllocation ||
                        ded[0].prefersDedicatedAllocation != dd.prefersDedicatedAllocation ||
                        ded[0].requiresDedicatedAllocation != dd.requiresDedicatedAllocation ||
                        ded[1].requiresDedicatedAllocation != dd.requiresDedicatedAllocation;
            int n = snprintf(line + used, sizeof(line) - used, " %llu/%llu/%x/%u%u",
                             (unsigned long long)r1[0].size, (unsigned long long)r1[0].alignment,
                             r1[0].memoryTypeBits, dd.prefersDedicatedAllocation,
                             dd.requiresDedicatedAllocation);
            if (n > 0 && (size_t)n < sizeof(line) - used)
                used += (size_t)n;
            vkDestroyBuffer(device, b[0], NULL);
            vkDestroyBuffer(device, b[1], NULL);
        }
    }
    printf("vkw_probe: memory requirements%s:%s\n", disagree ? " DISAGREE" : "", line);
    return disagree;
}

/* A creation the driver fails (lavapipe refuses buffers over 4 GiB with
 * VK_ERROR_OUT_OF_DEVICE_MEMORY): natively vkCreateBuffer says so; through
 * vkwire, where creation is asynchronous, vkCreateBuffer succeeds and the
 * next wait returns the failure, once (doc/PROTOCOL.md section 16.4).
 * Either way the application learns it, can destroy the handle it got,
 * and the device goes on.  Without the layer only (--bare): the layer
 * would flag the size. */
static int failed_creation(VkDevice device, VkQueue queue)
{
    VkBufferCreateInfo huge = {.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
                               .size = (VkDeviceSize)1 << 34,
                               .usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT,
                               .sharingMode = VK_SHARING_MODE_EXCLUSIVE};
    VkBuffer b = VK_NULL_HANDLE;
    const VkResult created = vkCreateBuffer(device, &huge, NULL, &b);
    const VkResult waited = vkQueueWaitIdle(queue);
    const VkResult again = vkQueueWaitIdle(queue);
    if (created == VK_SUCCESS)
        vkDestroyBuffer(device, b, NULL);
    const char *where = created < 0 && waited == VK_SUCCESS ? "by vkCreateBuffer"
                        : created == VK_SUCCESS && waited < 0 ? "by the next wait"
                                                              : NULL;
    const VkResult failure = created < 0 ? created : waited;
    printf("vkw_probe: a failing creation: %s (%d), then the device goes on (%d)\n",
           where ? where : "NOT REPORTED", (int)failure, (int)again);
    return !where || again != VK_SUCCESS;
}

int main(int argc, char **argv)
{
    const int mistake = argc > 1 && strcmp(argv[1], "--mistake") == 0;
    /* --bare: no layer, so nothing between the program and the driver (the
     * validation layer's handle wrapping would hide stale handles). */
    const int bare = argc > 1 && strcmp(argv[1], "--bare") == 0;
    const int threads = argc > 2 && strcmp(argv[1], "--threads") == 0 ? atoi(argv[2]) : 0;
    VkDebugUtilsMessengerCreateInfoEXT messenger_info = {
        .sType = VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT,
        .messageSeverity = VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT |
                           VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT,
        .messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT |
                       VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT |
                       VK_DEBUG_UTILS_MESSAGE_TYPE_PERFORMANCE_BIT_EXT,
        .pfnUserCallback = on_message};
    const char *layers[] = {"VK_LAYER_KHRONOS_validation"};
    const char *extensions[] = {VK_EXT_DEBUG_UTILS_EXTENSION_NAME};
    VkApplicationInfo app = {.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
                             .pApplicationName = "vkw_probe",
                             .apiVersion = VK_API_VERSION_1_3};
    VkInstanceCreateInfo ici = {.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
                                .pNext = &messenger_info, /* covers create/destroy too */
                                .pApplicationInfo = &app,
                                .enabledLayerCount = 1,
                                .ppEnabledLayerNames = layers,
                                .enabledExtensionCount = 1,
                                .ppEnabledExtensionNames = extensions};
    if (bare) {
        ici.pNext = NULL;
        ici.enabledLayerCount = ici.enabledExtensionCount = 0;
    }
    VkInstance instance;
    CHECK(vkCreateInstance(&ici, NULL, &instance));
    PFN_vkCreateDebugUtilsMessengerEXT create_messenger =
        (PFN_vkCreateDebugUtilsMessengerEXT)vkGetInstanceProcAddr(instance,
                                                                  "vkCreateDebugUtilsMessengerEXT");
    PFN_vkDestroyDebugUtilsMessengerEXT destroy_messenger =
        (PFN_vkDestroyDebugUtilsMessengerEXT)vkGetInstanceProcAddr(
            instance, "vkDestroyDebugUtilsMessengerEXT");
    VkDebugUtilsMessengerEXT messenger = VK_NULL_HANDLE;
    if (!bare)
        CHECK(create_messenger(instance, &messenger_info, NULL, &messenger));

    uint32_t count = 1;
    VkPhysicalDevice physical;
    VkResult er = vkEnumeratePhysicalDevices(instance, &count, &physical);
    if ((er != VK_SUCCESS && er != VK_INCOMPLETE) || count == 0) {
        fprintf(stderr, "vkw_probe: no physical device\n");
        return 2;
    }
    VkPhysicalDeviceProperties props;
    vkGetPhysicalDeviceProperties(physical, &props);
    printf("vkw_probe: device %s\n", props.deviceName);

    float priority = 1.0f;
    VkDeviceQueueCreateInfo qci = {.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
                                   .queueFamilyIndex = 0,
                                   .queueCount = 1,
                                   .pQueuePriorities = &priority};
    VkPhysicalDeviceVulkan13Features features13 = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_3_FEATURES,
        .dynamicRendering = VK_TRUE};
    VkPhysicalDeviceVulkan12Features features12 = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES,
        .pNext = &features13,
        .timelineSemaphore = VK_TRUE};
    VkDeviceCreateInfo dci = {.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
                              .pNext = &features12,
                              .queueCreateInfoCount = 1,
                              .pQueueCreateInfos = &qci};
    VkDevice device;
    CHECK(vkCreateDevice(physical, &dci, NULL, &device));
    VkQueue queue, again;
    vkGetDeviceQueue(device, 0, 0, &queue);
    vkGetDeviceQueue(device, 0, 0, &again);
    if (queue != again) {
        fprintf(stderr, "vkw_probe: the same queue came back as two handles\n");
        return 1;
    }

    VkBufferCreateInfo bci = {.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
                              .size = 65536,
                              .usage = VK_BUFFER_USAGE_TRANSFER_DST_BIT,
                              .sharingMode = VK_SHARING_MODE_EXCLUSIVE};
    VkBuffer buffer;
    CHECK(vkCreateBuffer(device, &bci, NULL, &buffer));
    VkMemoryRequirements req;
    vkGetBufferMemoryRequirements(device, buffer, &req);
    VkPhysicalDeviceMemoryProperties mem;
    vkGetPhysicalDeviceMemoryProperties(physical, &mem);
    uint32_t type = 0;
    while (type < mem.memoryTypeCount && !(req.memoryTypeBits & (1u << type)))
        type++;
    VkMemoryAllocateInfo mai = {.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
                                .allocationSize = req.size,
                                .memoryTypeIndex = type};
    VkDeviceMemory memory;
    CHECK(vkAllocateMemory(device, &mai, NULL, &memory));
    CHECK(vkBindBufferMemory(device, buffer, memory, 0));

    VkCommandPoolCreateInfo pci = {.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
                                   .queueFamilyIndex = 0};
    VkCommandPool pool;
    CHECK(vkCreateCommandPool(device, &pci, NULL, &pool));
    VkCommandBufferAllocateInfo cai = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
                                       .commandPool = pool,
                                       .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
                                       .commandBufferCount = 1};
    VkCommandBuffer cmd;
    CHECK(vkAllocateCommandBuffers(device, &cai, &cmd));
    /* A primary command buffer ignores pInheritanceInfo, so an application
     * may leave anything there: a driver (and vkwire) must not read it. */
    VkCommandBufferBeginInfo begin = {
        .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
        .flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT,
        .pInheritanceInfo = (const VkCommandBufferInheritanceInfo *)(uintptr_t)0x10};
    CHECK(vkBeginCommandBuffer(cmd, &begin));
    vkCmdFillBuffer(cmd, buffer, 0, VK_WHOLE_SIZE, 0x5a5a5a5a);
    CHECK(vkEndCommandBuffer(cmd));
    VkFenceCreateInfo fci = {.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    VkFence fence;
    CHECK(vkCreateFence(device, &fci, NULL, &fence));
    VkSubmitInfo submit = {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
                           .commandBufferCount = 1,
                           .pCommandBuffers = &cmd};
    CHECK(vkQueueSubmit(queue, 1, &submit, fence));
    CHECK(vkWaitForFences(device, 1, &fence, VK_TRUE, UINT64_MAX));

    if (threads > 0) {
        struct worker workers[16];
        int n = threads < 16 ? threads : 16, failures = 0;
        VkFenceCreateInfo never_info = {.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
        struct waiter waiter = {.device = device};
        CHECK(vkCreateFence(device, &never_info, NULL, &waiter.fence));
        pthread_create(&waiter.thread, NULL, wait_forever, &waiter);
        /* Work the queue cannot finish before the semaphore reaches 1. */
        VkSemaphoreTypeCreateInfo timeline = {.sType = VK_STRUCTURE_TYPE_SEMAPHORE_TYPE_CREATE_INFO,
                                              .semaphoreType = VK_SEMAPHORE_TYPE_TIMELINE};
        VkSemaphoreCreateInfo sci = {.sType = VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO,
                                     .pNext = &timeline};
        VkSemaphore gate;
        CHECK(vkCreateSemaphore(device, &sci, NULL, &gate));
        const uint64_t one = 1;
        VkTimelineSemaphoreSubmitInfo gate_values = {
            .sType = VK_STRUCTURE_TYPE_TIMELINE_SEMAPHORE_SUBMIT_INFO,
            .waitSemaphoreValueCount = 1,
            .pWaitSemaphoreValues = &one};
        const VkPipelineStageFlags stage = VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT;
        VkSubmitInfo gated = {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
                              .pNext = &gate_values,
                              .waitSemaphoreCount = 1,
                              .pWaitSemaphores = &gate,
                              .pWaitDstStageMask = &stage};
        CHECK(vkQueueSubmit(queue, 1, &gated, VK_NULL_HANDLE));
        struct idler idler = {.queue = queue};
        pthread_create(&idler.thread, NULL, wait_idle, &idler);
        struct timespec settle = {0, 50000000}; /* let both block first */
        nanosleep(&settle, NULL);
        for (int t = 0; t < n; t++) {
            workers[t] = (struct worker){.device = device, .info = bci};
            pthread_create(&workers[t].thread, NULL, work, &workers[t]);
        }
        /* Open the gate when the workers are done, or after 6 s if a wait
         * holds them up (then the check below fails rather than hangs). */
        const double give_up = seconds() + 6.0;
        for (int done = 0; !done && seconds() < give_up;) {
            done = 1;
            for (int t = 0; t < n; t++)
                done &= __atomic_load_n(&workers[t].finished, __ATOMIC_ACQUIRE);
            nanosleep(&(struct timespec){0, 10000000}, NULL);
        }
        const double opened_at = seconds();
        VkSemaphoreSignalInfo open = {.sType = VK_STRUCTURE_TYPE_SEMAPHORE_SIGNAL_INFO,
                                      .semaphore = gate,
                                      .value = 1};
        CHECK(vkSignalSemaphore(device, &open));
        double last = 0;
        for (int t = 0; t < n; t++) {
            pthread_join(workers[t].thread, NULL);
            failures += workers[t].failures;
            if (workers[t].done_at > last)
                last = workers[t].done_at;
        }
        pthread_join(waiter.thread, NULL);
        pthread_join(idler.thread, NULL);
        vkDestroyFence(device, waiter.fence, NULL);
        vkDestroySemaphore(device, gate, NULL);
        const int blocked = waiter.result != VK_TIMEOUT || last >= waiter.done_at;
        const int idle_blocked = idler.result != VK_SUCCESS || last >= opened_at ||
                                 idler.done_at < opened_at;
        printf("vkw_probe: %d threads, %d failures; a 4 s wait %s them; "
               "vkQueueWaitIdle %s them\n", n, failures, blocked ? "BLOCKED" : "did not block",
               idle_blocked ? "BLOCKED" : "did not block");
        if (failures || blocked || idle_blocked)
            return 1;
    }

    const int ignored = ignored_members(device, physical);
    if (ignored)
        return ignored;
    if (requirements(device))
        return 1;
    if (bare && failed_creation(device, queue))
        return 1;
    if (mem.memoryTypes[type].propertyFlags & VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT) {
        const int recorded = long_recordings(device, queue, buffer, memory);
        if (recorded)
            return recorded;
    } else {
        printf("vkw_probe: long recordings: skipped (the buffer's memory is not host-visible)\n");
    }

    if (mistake) {
        VkBufferCreateInfo bad = bci;
        bad.size = 0; /* VUID-VkBufferCreateInfo-size-00912 */
        VkBuffer b;
        if (vkCreateBuffer(device, &bad, NULL, &b) == VK_SUCCESS)
            vkDestroyBuffer(device, b, NULL);
    }

    vkDestroyFence(device, fence, NULL);
    vkFreeCommandBuffers(device, pool, 1, &cmd);
    /* Command buffers still allocated when their pool goes are freed with it. */
    VkCommandBuffer left[2];
    cai.commandBufferCount = 2;
    CHECK(vkAllocateCommandBuffers(device, &cai, left));
    vkDestroyCommandPool(device, pool, NULL);
    vkDestroyBuffer(device, buffer, NULL);
    vkFreeMemory(device, memory, NULL);
    vkDestroyDevice(device, NULL);
    if (!bare)
        destroy_messenger(instance, messenger, NULL);
    vkDestroyInstance(instance, NULL);

    printf("vkw_probe: %u validation messages\n", messages);
    return (mistake ? messages > 0 : messages == 0) ? 0 : 1;
}
