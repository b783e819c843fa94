/* Vulkan 1.4's maintenance5 and maintenance6 (VK_KHR_maintenance5/6):
 * ranged index buffers, rendering-area granularity, usage and pipeline
 * flags as 64-bit chain structs, shader modules inside pipeline create
 * infos, subresource layouts of create infos, VK_REMAINING_ARRAY_LAYERS in
 * copies; the info-struct forms of binding sets and pushing constants, and
 * per-binding results of vkBind*Memory2 (which vkwire binds
 * asynchronously: the guest writes each status itself).  Debian 12's
 * validation layer knows none of it.  Included by tests/vkw_cmdtest.c
 * (families.h). */

/* Asks for `feature` (a maintenance feature struct whose one VkBool32 is
 * at `offset`) on a Vulkan 1.4 device; skips elsewhere. */
static void maintenance_ask(struct ctx *c, struct device_needs *n, void *have, void *on,
                            size_t offset, const char *name)
{
    VkPhysicalDeviceFeatures2 features = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2,
                                          .pNext = have};
    vkGetPhysicalDeviceFeatures2(c->physical, &features);
    if (c->props.apiVersion < VK_API_VERSION_1_4 || !*(VkBool32 *)((char *)have + offset)) {
        n->skip = true;
        snprintf(n->skip_why, sizeof n->skip_why, "no Vulkan 1.4 %s", name);
        return;
    }
    *(VkBool32 *)((char *)on + offset) = VK_TRUE;
    n->features = on;
}

/* ---- maintenance5 ---- */

static void maintenance5_needs(struct ctx *c, struct device_needs *n)
{
    static VkPhysicalDeviceMaintenance5Features on;
    VkPhysicalDeviceMaintenance5Features have = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MAINTENANCE_5_FEATURES};
    on = have;
    maintenance_ask(c, n, &have, &on, offsetof(VkPhysicalDeviceMaintenance5Features, maintenance5),
                    "maintenance5");
}

/* Quad B of the scene drawn from a ranged index buffer that lies past
 * garbage indices, in a buffer whose usage only a
 * VkBufferUsageFlags2CreateInfo gives. */
static void m5_indexed_draw(struct ctx *c)
{
    PFN_vkCmdBindIndexBuffer2 bind_index = DEVICE_PROC(vkCmdBindIndexBuffer2);
    VkBufferUsageFlags2CreateInfo usage2 = {
        .sType = VK_STRUCTURE_TYPE_BUFFER_USAGE_FLAGS_2_CREATE_INFO,
        .usage = VK_BUFFER_USAGE_2_INDEX_BUFFER_BIT | VK_BUFFER_USAGE_2_TRANSFER_DST_BIT};
    VkBufferCreateInfo bi = {.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
                             .pNext = &usage2,
                             .size = 64,
                             .usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT, /* ignored */
                             .sharingMode = VK_SHARING_MODE_EXCLUSIVE};
    VkBuffer indices;
    VK(vkCreateBuffer(c->device, &bi, NULL, &indices));
    VkMemoryRequirements req;
    vkGetBufferMemoryRequirements(c->device, indices, &req);
    VkMemoryAllocateInfo mai = {
        .sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
        .allocationSize = req.size,
        .memoryTypeIndex = memory_type(c, req.memoryTypeBits,
                                       VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT |
                                           VK_MEMORY_PROPERTY_HOST_COHERENT_BIT,
                                       0)};
    VkDeviceMemory memory;
    VkResult r = vkAllocateMemory(c->device, &mai, NULL, &memory);
    if (r != VK_SUCCESS) {
        vkDestroyBuffer(c->device, indices, NULL);
        VK(r);
    }
    TRACK(DEVICE_MEMORY, memory);
    TRACK(BUFFER, indices);
    VK(vkBindBufferMemory(c->device, indices, memory, 0));
    uint32_t *words;
    VK(vkMapMemory(c->device, memory, 0, VK_WHOLE_SIZE, 0, (void **)&words));
    const uint32_t data[10] = {0xffffffu, 0xffffffu, QUAD_B,     QUAD_B + 1, QUAD_B + 2,
                               QUAD_B + 3, QUAD_B + 4, QUAD_B + 5, 0xffffffu, 0xffffffu};
    memcpy(words, data, sizeof data);

    struct scene s;
    struct buffer vertices;
    struct dynamic_target t;
    dynamic_scene_new(c, &s, &vertices);
    dynamic_target_new(c, &t);
    VkRenderingAttachmentInfo colour = {
        .sType = VK_STRUCTURE_TYPE_RENDERING_ATTACHMENT_INFO,
        .imageView = t.colour.view,
        .imageLayout = VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL,
        .loadOp = VK_ATTACHMENT_LOAD_OP_CLEAR,
        .storeOp = VK_ATTACHMENT_STORE_OP_STORE,
        .clearValue = {.color = {.float32 = {CLEAR_COLOUR[0], CLEAR_COLOUR[1], CLEAR_COLOUR[2],
                                             CLEAR_COLOUR[3]}}}};
    VkRenderingAttachmentInfo depth = {.sType = VK_STRUCTURE_TYPE_RENDERING_ATTACHMENT_INFO,
                                       .imageView = t.depth.view,
                                       .imageLayout = VK_IMAGE_LAYOUT_DEPTH_ATTACHMENT_OPTIMAL,
                                       .loadOp = VK_ATTACHMENT_LOAD_OP_CLEAR,
                                       .storeOp = VK_ATTACHMENT_STORE_OP_DONT_CARE,
                                       .clearValue = {.depthStencil = {1.0f, 0}}};
    VkRenderingInfo rendering = {.sType = VK_STRUCTURE_TYPE_RENDERING_INFO,
                                 .renderArea = {{0, 0}, {SIZE, SIZE}},
                                 .layerCount = 1,
                                 .colorAttachmentCount = 1,
                                 .pColorAttachments = &colour,
                                 .pDepthAttachment = &depth};
    static const float white[4] = {1, 1, 1, 1};
    VkCommandBuffer cb = primary_new(c);
    begin(c, cb, VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT);
    image_barrier2(cb, &t.colour, VK_IMAGE_LAYOUT_UNDEFINED,
                   VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL, VK_PIPELINE_STAGE_2_NONE, 0,
                   VK_PIPELINE_STAGE_2_COLOR_ATTACHMENT_OUTPUT_BIT,
                   VK_ACCESS_2_COLOR_ATTACHMENT_WRITE_BIT);
    image_barrier2(cb, &t.depth, VK_IMAGE_LAYOUT_UNDEFINED,
                   VK_IMAGE_LAYOUT_DEPTH_ATTACHMENT_OPTIMAL, VK_PIPELINE_STAGE_2_NONE, 0,
                   VK_PIPELINE_STAGE_2_EARLY_FRAGMENT_TESTS_BIT,
                   VK_ACCESS_2_DEPTH_STENCIL_ATTACHMENT_WRITE_BIT);
    vkCmdBeginRendering(cb, &rendering);
    vkCmdBindPipeline(cb, VK_PIPELINE_BIND_POINT_GRAPHICS, s.pipeline);
    set_viewport(cb);
    const VkDeviceSize zero = 0, whole = sizeof scene_vertices;
    vkCmdBindVertexBuffers2(cb, 0, 1, &s.vertices, &zero, &whole, NULL);
    push_move(cb, s.layout, 0, 0, white);
    bind_index(cb, indices, 2 * sizeof(uint32_t), 6 * sizeof(uint32_t), VK_INDEX_TYPE_UINT32);
    vkCmdDrawIndexed(cb, 6, 1, 0, 0, 0);
    vkCmdEndRendering(cb);
    image_barrier2(cb, &t.colour, VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL,
                   VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL,
                   VK_PIPELINE_STAGE_2_COLOR_ATTACHMENT_OUTPUT_BIT,
                   VK_ACCESS_2_COLOR_ATTACHMENT_WRITE_BIT, VK_PIPELINE_STAGE_2_COPY_BIT,
                   VK_ACCESS_2_TRANSFER_READ_BIT);
    copy_image_to_buffer(cb, &t.colour, t.colour_out.buffer);
    to_host(cb, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_WRITE_BIT);
    end(c, cb);
    submit_and_wait(c, cb);

    /* B alone, and the clear colour where only A would be. */
    static const struct {
        uint32_t x, y;
        uint8_t rgba[4];
    } points[] = {{30, 30, {0, 255, 0, 255}},
                  {50, 50, {0, 255, 0, 255}},
                  {12, 12, {51, 102, 153, 255}},
                  {4, 60, {51, 102, 153, 255}}};
    const uint8_t *px = t.colour_out.map;
    for (size_t i = 0; i < ARRAY_SIZE(points); i++) {
        const uint8_t *p = px + (points[i].y * SIZE + points[i].x) * 4;
        for (int k = 0; k < 4; k++)
            EXPECT(near(p[k], points[i].rgba[k], 1), "indexed draw: pixel (%u,%u) is %u %u %u %u",
                   points[i].x, points[i].y, p[0], p[1], p[2], p[3]);
    }
    digest(c, t.colour_out.map, t.colour_out.size);
}

/* A compute pipeline whose shader module is a create info in its stage's
 * chain and whose flags are a VkPipelineCreateFlags2CreateInfo: the
 * ignored legacy flags claim a derivative of a garbage base pipeline. */
static void m5_module_in_stage(struct ctx *c)
{
    VkShaderModuleCreateInfo module = {.sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO,
                                       .codeSize = sizeof cmd_push_comp_spv,
                                       .pCode = cmd_push_comp_spv};
    VkPipelineCreateFlags2CreateInfo flags2 = {
        .sType = VK_STRUCTURE_TYPE_PIPELINE_CREATE_FLAGS_2_CREATE_INFO,
        .flags = VK_PIPELINE_CREATE_2_DISABLE_OPTIMIZATION_BIT};
    VkDescriptorSetLayout one = storage_layout_new(c, 1);
    VkPushConstantRange range = {VK_SHADER_STAGE_COMPUTE_BIT, 0, 128};
    VkPipelineLayout layout = pipeline_layout_new(c, 1, &one, 1, &range);
    VkComputePipelineCreateInfo info = {
        .sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO,
        .pNext = &flags2,
        .flags = VK_PIPELINE_CREATE_DERIVATIVE_BIT, /* ignored: flags2 is in the chain */
        .stage = {.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
                  .pNext = &module,
                  .stage = VK_SHADER_STAGE_COMPUTE_BIT,
                  .module = VK_NULL_HANDLE,
                  .pName = "main"},
        .layout = layout,
        .basePipelineHandle = (VkPipeline)(uintptr_t)0xbad0bad0u, /* ignored garbage */
        .basePipelineIndex = -1};
    VkPipeline pipeline;
    VK(vkCreateComputePipelines(c->device, VK_NULL_HANDLE, 1, &info, NULL, &pipeline));
    TRACK(PIPELINE, pipeline);

    struct buffer out = buffer_new(c, 32 * 4, VK_BUFFER_USAGE_STORAGE_BUFFER_BIT);
    VkDescriptorPool pool = descriptor_pool_new(c, 1, 0);
    VkDescriptorSet set = storage_set_new(c, pool, one, 1, &out.buffer);
    uint32_t block[32];
    block[0] = 0;
    for (uint32_t j = 1; j < 32; j++)
        block[j] = j * 1001u;
    VkCommandBuffer cb = primary_new(c);
    begin(c, cb, VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT);
    vkCmdBindPipeline(cb, VK_PIPELINE_BIND_POINT_COMPUTE, pipeline);
    vkCmdBindDescriptorSets(cb, VK_PIPELINE_BIND_POINT_COMPUTE, layout, 0, 1, &set, 0, NULL);
    vkCmdPushConstants(cb, layout, VK_SHADER_STAGE_COMPUTE_BIT, 0, sizeof block, block);
    vkCmdDispatch(cb, 1, 1, 1);
    to_host(cb, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_ACCESS_SHADER_WRITE_BIT);
    end(c, cb);
    submit_and_wait(c, cb);
    const uint32_t *o = out.map;
    for (uint32_t j = 0; j < 32; j++)
        EXPECT(o[j] == block[j], "module-less pipeline: out[%u] = %u, not %u", j, o[j], block[j]);
    digest(c, o, 32 * 4);
}

/* Subresource layouts: of a create info (vkGetDeviceImageSubresourceLayout)
 * and of the image made from it (vkGetImageSubresourceLayout2) agree. */
static void m5_subresource_layouts(struct ctx *c)
{
    PFN_vkGetDeviceImageSubresourceLayout device_layout =
        DEVICE_PROC(vkGetDeviceImageSubresourceLayout);
    PFN_vkGetImageSubresourceLayout2 image_layout = DEVICE_PROC(vkGetImageSubresourceLayout2);
    VkImageCreateInfo ci = {.sType = VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO,
                            .imageType = VK_IMAGE_TYPE_2D,
                            .format = VK_FORMAT_R8G8B8A8_UNORM,
                            .extent = {37, 19, 1},
                            .mipLevels = 1,
                            .arrayLayers = 1,
                            .samples = VK_SAMPLE_COUNT_1_BIT,
                            .tiling = VK_IMAGE_TILING_LINEAR,
                            .usage = VK_IMAGE_USAGE_TRANSFER_SRC_BIT,
                            .sharingMode = VK_SHARING_MODE_EXCLUSIVE,
                            .initialLayout = VK_IMAGE_LAYOUT_UNDEFINED};
    VkImageSubresource2 sub = {.sType = VK_STRUCTURE_TYPE_IMAGE_SUBRESOURCE_2,
                               .imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0}};
    VkDeviceImageSubresourceInfo dsi = {.sType = VK_STRUCTURE_TYPE_DEVICE_IMAGE_SUBRESOURCE_INFO,
                                        .pCreateInfo = &ci,
                                        .pSubresource = &sub};
    VkSubresourceLayout2 from_info = {.sType = VK_STRUCTURE_TYPE_SUBRESOURCE_LAYOUT_2};
    device_layout(c->device, &dsi, &from_info);
    VkImage image;
    VK(vkCreateImage(c->device, &ci, NULL, &image));
    TRACK(IMAGE, image);
    VkSubresourceLayout2 from_image = {.sType = VK_STRUCTURE_TYPE_SUBRESOURCE_LAYOUT_2};
    image_layout(c->device, image, &sub, &from_image);
    const VkSubresourceLayout *a = &from_info.subresourceLayout, *b = &from_image.subresourceLayout;
    EXPECT(a->rowPitch >= 37 * 4 && a->size >= a->rowPitch * 19,
           "the create info's layout: row pitch %" PRIu64 ", size %" PRIu64, a->rowPitch, a->size);
    EXPECT(a->offset == b->offset && a->size == b->size && a->rowPitch == b->rowPitch,
           "the image's layout (offset %" PRIu64 ", size %" PRIu64 ", pitch %" PRIu64
           ") is not its create info's (%" PRIu64 ", %" PRIu64 ", %" PRIu64 ")",
           b->offset, b->size, b->rowPitch, a->offset, a->size, a->rowPitch);
    digest(c, a, sizeof *a);
}

/* Two layers cleared apart, copied out by one region of
 * VK_REMAINING_ARRAY_LAYERS; and the rendering-area granularity. */
static void m5_remaining_layers(struct ctx *c)
{
    struct image im = image_new(c, VK_FORMAT_R8G8B8A8_UNORM, 8, 8, 1, 2, VK_SAMPLE_COUNT_1_BIT,
                                VK_IMAGE_USAGE_TRANSFER_SRC_BIT | VK_IMAGE_USAGE_TRANSFER_DST_BIT);
    struct buffer out = buffer_new(c, 2 * 8 * 8 * 4, 0);
    const VkClearColorValue colours[2] = {{.float32 = {1, 0, 0, 1}}, {.float32 = {0, 0, 1, 1}}};
    VkCommandBuffer cb = primary_new(c);
    begin(c, cb, VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT);
    image_barrier(cb, &im, 0, 1, VK_IMAGE_LAYOUT_UNDEFINED, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL,
                  VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, 0, VK_PIPELINE_STAGE_TRANSFER_BIT,
                  VK_ACCESS_TRANSFER_WRITE_BIT);
    for (uint32_t layer = 0; layer < 2; layer++) {
        VkImageSubresourceRange range = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, layer, 1};
        vkCmdClearColorImage(cb, im.image, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, &colours[layer],
                             1, &range);
    }
    image_barrier(cb, &im, 0, 1, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL,
                  VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, VK_PIPELINE_STAGE_TRANSFER_BIT,
                  VK_ACCESS_TRANSFER_WRITE_BIT, VK_PIPELINE_STAGE_TRANSFER_BIT,
                  VK_ACCESS_TRANSFER_READ_BIT);
    VkBufferImageCopy region = {
        .imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, VK_REMAINING_ARRAY_LAYERS},
        .imageExtent = {8, 8, 1}};
    vkCmdCopyImageToBuffer(cb, im.image, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, out.buffer, 1,
                           &region);
    to_host(cb, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_WRITE_BIT);
    end(c, cb);
    submit_and_wait(c, cb);
    const uint8_t *px = out.map;
    for (uint32_t i = 0; i < 2 * 8 * 8; i++) {
        const uint8_t want[4] = {i < 64 ? 255 : 0, 0, i < 64 ? 0 : 255, 255};
        EXPECT(memcmp(px + 4 * i, want, 4) == 0, "layer %u, texel %u: %u %u %u %u", i / 64,
               i % 64, px[4 * i], px[4 * i + 1], px[4 * i + 2], px[4 * i + 3]);
    }
    digest(c, px, out.size);

    PFN_vkGetRenderingAreaGranularity granularity = DEVICE_PROC(vkGetRenderingAreaGranularity);
    const VkFormat format = COLOUR_FORMAT;
    VkRenderingAreaInfo area = {.sType = VK_STRUCTURE_TYPE_RENDERING_AREA_INFO,
                                .colorAttachmentCount = 1,
                                .pColorAttachmentFormats = &format,
                                .depthAttachmentFormat = DEPTH_FORMAT};
    VkExtent2D g = {0, 0};
    granularity(c->device, &area, &g);
    EXPECT(g.width >= 1 && g.height >= 1, "rendering-area granularity %ux%u", g.width, g.height);
    digest(c, &g, sizeof g);
}

static void scenario_maintenance5(struct ctx *c)
{
    m5_indexed_draw(c);
    m5_module_in_stage(c);
    m5_subresource_layouts(c);
    m5_remaining_layers(c);
}

/* ---- maintenance6 ---- */

static void maintenance6_needs(struct ctx *c, struct device_needs *n)
{
    static VkPhysicalDeviceMaintenance6Features on;
    VkPhysicalDeviceMaintenance6Features have = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MAINTENANCE_6_FEATURES};
    on = have;
    maintenance_ask(c, n, &have, &on, offsetof(VkPhysicalDeviceMaintenance6Features, maintenance6),
                    "maintenance6");
}

/* Two buffers and an image bound by vkBindBufferMemory2/vkBindImageMemory2
 * with a VkBindMemoryStatus each, then used: every status must have been
 * written, and the bindings must hold. */
static void m6_bind_status(struct ctx *c, VkBuffer *buffers, VkDeviceMemory *memory)
{
    VkBufferCreateInfo bi = {.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
                             .size = 256,
                             .usage = VK_BUFFER_USAGE_TRANSFER_SRC_BIT |
                                      VK_BUFFER_USAGE_TRANSFER_DST_BIT,
                             .sharingMode = VK_SHARING_MODE_EXCLUSIVE};
    VkMemoryRequirements req;
    VK(vkCreateBuffer(c->device, &bi, NULL, &buffers[0]));
    VkResult made = vkCreateBuffer(c->device, &bi, NULL, &buffers[1]);
    if (made != VK_SUCCESS) {
        vkDestroyBuffer(c->device, buffers[0], NULL);
        VK(made);
    }
    vkGetBufferMemoryRequirements(c->device, buffers[0], &req);
    const VkDeviceSize stride = (256 + req.alignment - 1) / req.alignment * req.alignment;
    VkMemoryAllocateInfo mai = {
        .sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
        .allocationSize = stride * 2,
        .memoryTypeIndex = memory_type(c, req.memoryTypeBits,
                                       VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT |
                                           VK_MEMORY_PROPERTY_HOST_COHERENT_BIT,
                                       0)};
    made = vkAllocateMemory(c->device, &mai, NULL, memory);
    if (made != VK_SUCCESS) {
        vkDestroyBuffer(c->device, buffers[0], NULL);
        vkDestroyBuffer(c->device, buffers[1], NULL);
        VK(made);
    }
    TRACK(DEVICE_MEMORY, *memory); /* freed after the buffers */
    TRACK(BUFFER, buffers[0]);
    TRACK(BUFFER, buffers[1]);
    VkResult results[3] = {VK_ERROR_UNKNOWN, VK_ERROR_UNKNOWN, VK_ERROR_UNKNOWN};
    VkBindMemoryStatus status[3] = {
        {.sType = VK_STRUCTURE_TYPE_BIND_MEMORY_STATUS, .pResult = &results[0]},
        {.sType = VK_STRUCTURE_TYPE_BIND_MEMORY_STATUS, .pResult = &results[1]},
        {.sType = VK_STRUCTURE_TYPE_BIND_MEMORY_STATUS, .pResult = &results[2]}};
    VkBindBufferMemoryInfo binds[2] = {
        {.sType = VK_STRUCTURE_TYPE_BIND_BUFFER_MEMORY_INFO, .pNext = &status[0],
         .buffer = buffers[0], .memory = *memory, .memoryOffset = 0},
        {.sType = VK_STRUCTURE_TYPE_BIND_BUFFER_MEMORY_INFO, .pNext = &status[1],
         .buffer = buffers[1], .memory = *memory, .memoryOffset = stride}};
    VK(vkBindBufferMemory2(c->device, 2, binds));

    VkImageCreateInfo ici = {.sType = VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO,
                             .imageType = VK_IMAGE_TYPE_2D,
                             .format = VK_FORMAT_R8G8B8A8_UNORM,
                             .extent = {4, 4, 1},
                             .mipLevels = 1,
                             .arrayLayers = 1,
                             .samples = VK_SAMPLE_COUNT_1_BIT,
                             .tiling = VK_IMAGE_TILING_OPTIMAL,
                             .usage = VK_IMAGE_USAGE_TRANSFER_SRC_BIT |
                                      VK_IMAGE_USAGE_TRANSFER_DST_BIT,
                             .sharingMode = VK_SHARING_MODE_EXCLUSIVE,
                             .initialLayout = VK_IMAGE_LAYOUT_UNDEFINED};
    struct image im = {.format = ici.format, .aspect = VK_IMAGE_ASPECT_COLOR_BIT, .width = 4,
                       .height = 4, .mips = 1, .layers = 1};
    VK(vkCreateImage(c->device, &ici, NULL, &im.image));
    vkGetImageMemoryRequirements(c->device, im.image, &req);
    VkMemoryAllocateInfo imai = {
        .sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
        .allocationSize = req.size,
        .memoryTypeIndex = memory_type(c, req.memoryTypeBits, 0, 0)};
    VkResult r = vkAllocateMemory(c->device, &imai, NULL, &im.memory);
    if (r != VK_SUCCESS) {
        vkDestroyImage(c->device, im.image, NULL);
        VK(r);
    }
    TRACK(DEVICE_MEMORY, im.memory);
    TRACK(IMAGE, im.image);
    VkBindImageMemoryInfo ibind = {.sType = VK_STRUCTURE_TYPE_BIND_IMAGE_MEMORY_INFO,
                                   .pNext = &status[2],
                                   .image = im.image,
                                   .memory = im.memory};
    VK(vkBindImageMemory2(c->device, 1, &ibind));
    for (int i = 0; i < 3; i++)
        EXPECT(results[i] == VK_SUCCESS, "VkBindMemoryStatus %d says %s", i,
               result_name(results[i]));

    /* Use them: fill buffer 0, clear the image, copy both into buffer 1. */
    const VkClearColorValue grey = {.float32 = {0.5f, 0.5f, 0.5f, 1}};
    VkCommandBuffer cb = primary_new(c);
    begin(c, cb, VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT);
    vkCmdFillBuffer(cb, buffers[0], 0, 256, 0x5a5a5a5au);
    image_barrier(cb, &im, 0, 1, VK_IMAGE_LAYOUT_UNDEFINED, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL,
                  VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, 0, VK_PIPELINE_STAGE_TRANSFER_BIT,
                  VK_ACCESS_TRANSFER_WRITE_BIT);
    VkImageSubresourceRange range = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1};
    vkCmdClearColorImage(cb, im.image, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, &grey, 1, &range);
    image_barrier(cb, &im, 0, 1, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL,
                  VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, VK_PIPELINE_STAGE_TRANSFER_BIT,
                  VK_ACCESS_TRANSFER_WRITE_BIT, VK_PIPELINE_STAGE_TRANSFER_BIT,
                  VK_ACCESS_TRANSFER_READ_BIT);
    barrier(cb, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_WRITE_BIT,
            VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_READ_BIT);
    VkBufferCopy copy = {0, 0, 128};
    vkCmdCopyBuffer(cb, buffers[0], buffers[1], 1, &copy);
    VkBufferImageCopy region = {.bufferOffset = 128,
                                .imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1},
                                .imageExtent = {4, 4, 1}};
    vkCmdCopyImageToBuffer(cb, im.image, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, buffers[1], 1,
                           &region);
    to_host(cb, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_WRITE_BIT);
    end(c, cb);
    submit_and_wait(c, cb);
}

static void scenario_maintenance6(struct ctx *c)
{
    PFN_vkCmdBindDescriptorSets2 bind_sets = DEVICE_PROC(vkCmdBindDescriptorSets2);
    PFN_vkCmdPushConstants2 push_constants = DEVICE_PROC(vkCmdPushConstants2);

    /* dst = src * 3 + bias, the sets bound and the constants pushed by the
     * info-struct forms, twice with different biases. */
    enum { N = 300 };
    struct buffer src = buffer_new(c, N * 4, VK_BUFFER_USAGE_STORAGE_BUFFER_BIT);
    struct buffer dst[2] = {buffer_new(c, N * 4, VK_BUFFER_USAGE_STORAGE_BUFFER_BIT),
                            buffer_new(c, N * 4, VK_BUFFER_USAGE_STORAGE_BUFFER_BIT)};
    uint32_t *s = src.map;
    for (uint32_t i = 0; i < N; i++)
        s[i] = i * 40503u + 17u;
    VkDescriptorSetLayout one;
    VkPipelineLayout layout = scale_layout_new(c, &one);
    VkPipeline pipeline = scale_pipeline_new(c, SHADER(cmd_scale_comp_spv), layout, 3, 64, 0);
    VkDescriptorPool pool = descriptor_pool_new(c, 3, 0);
    VkDescriptorSet sets[3] = {storage_set_new(c, pool, one, 1, &src.buffer),
                               storage_set_new(c, pool, one, 1, &dst[0].buffer),
                               storage_set_new(c, pool, one, 1, &dst[1].buffer)};
    VkCommandBuffer cb = primary_new(c);
    begin(c, cb, VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT);
    vkCmdBindPipeline(cb, VK_PIPELINE_BIND_POINT_COMPUTE, pipeline);
    const uint32_t bias[2] = {11, 900};
    for (int k = 0; k < 2; k++) {
        VkDescriptorSet pair[2] = {sets[0], sets[1 + k]};
        VkBindDescriptorSetsInfo bind = {.sType = VK_STRUCTURE_TYPE_BIND_DESCRIPTOR_SETS_INFO,
                                         .stageFlags = VK_SHADER_STAGE_COMPUTE_BIT,
                                         .layout = layout,
                                         .firstSet = k == 0 ? 0 : 1,
                                         .descriptorSetCount = k == 0 ? 2 : 1,
                                         .pDescriptorSets = k == 0 ? pair : &pair[1]};
        bind_sets(cb, &bind);
        struct scale_params p = {bias[k], N};
        VkPushConstantsInfo push = {.sType = VK_STRUCTURE_TYPE_PUSH_CONSTANTS_INFO,
                                    .layout = layout,
                                    .stageFlags = VK_SHADER_STAGE_COMPUTE_BIT,
                                    .offset = 0,
                                    .size = sizeof p,
                                    .pValues = &p};
        push_constants(cb, &push);
        vkCmdDispatch(cb, groups_for(N, 64), 1, 1);
    }
    to_host(cb, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_ACCESS_SHADER_WRITE_BIT);
    end(c, cb);
    submit_and_wait(c, cb);
    for (int k = 0; k < 2; k++) {
        const uint32_t *d = dst[k].map;
        for (uint32_t i = 0; i < N; i++)
            EXPECT(d[i] == s[i] * 3u + bias[k], "dispatch %d: dst[%u] = %u, not %u", k, i, d[i],
                   s[i] * 3u + bias[k]);
        digest(c, d, N * 4);
    }

    VkBuffer buffers[2];
    VkDeviceMemory memory;
    m6_bind_status(c, buffers, &memory);
    const uint8_t *bytes;
    VK(vkMapMemory(c->device, memory, 0, VK_WHOLE_SIZE, 0, (void **)&bytes));
    VkMemoryRequirements req;
    vkGetBufferMemoryRequirements(c->device, buffers[0], &req);
    const uint8_t *b1 = bytes + (256 + req.alignment - 1) / req.alignment * req.alignment;
    for (int i = 0; i < 128; i++)
        EXPECT(b1[i] == 0x5a, "bound buffer 1 [%d] = %#x, not 0x5a", i, b1[i]);
    for (int i = 0; i < 64; i++)
        EXPECT(near(b1[128 + i], i % 4 == 3 ? 255 : 128, 1), "the bound image's texel byte %d: %u",
               i, b1[128 + i]);
    digest(c, b1, 256);
}

#define CMDTEST_MAINTENANCE                                                                    \
    {"maintenance5", scenario_maintenance5,                                                    \
     "vkCmdBindIndexBuffer2 with a size, usage and pipeline flags2, a module in the stage, "   \
     "subresource layouts, VK_REMAINING_ARRAY_LAYERS, rendering-area granularity", false,      \
     maintenance5_needs, true},                                                                \
    {"maintenance6", scenario_maintenance6,                                                    \
     "vkCmdBindDescriptorSets2, vkCmdPushConstants2, a VkBindMemoryStatus per binding", false, \
     maintenance6_needs, true},
