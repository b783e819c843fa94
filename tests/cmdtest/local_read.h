/* Dynamic rendering local read (VK_KHR_dynamic_rendering_local_read, core
 * in Vulkan 1.4): inside one vkCmdBeginRendering, a draw reads as an input
 * attachment the colour a previous draw wrote, the attachments' locations
 * and input indices remapped between the draws by
 * vkCmdSetRenderingAttachmentLocations and
 * vkCmdSetRenderingInputAttachmentIndices.  Debian 12's validation layer
 * knows none of it.  Included by tests/vkw_cmdtest.c (families.h). */

static void local_read_needs(struct ctx *c, struct device_needs *n)
{
    static VkPhysicalDeviceDynamicRenderingLocalReadFeatures on;
    VkPhysicalDeviceDynamicRenderingLocalReadFeatures have = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DYNAMIC_RENDERING_LOCAL_READ_FEATURES};
    VkPhysicalDeviceFeatures2 features = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2,
                                          .pNext = &have};
    vkGetPhysicalDeviceFeatures2(c->physical, &features);
    if (c->props.apiVersion < VK_API_VERSION_1_4 || !have.dynamicRenderingLocalRead) {
        n->skip = true;
        snprintf(n->skip_why, sizeof n->skip_why, "no Vulkan 1.4 dynamicRenderingLocalRead");
        return;
    }
    on = (VkPhysicalDeviceDynamicRenderingLocalReadFeatures){
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DYNAMIC_RENDERING_LOCAL_READ_FEATURES,
        .dynamicRenderingLocalRead = VK_TRUE};
    n->features = &on;
}

/* A pipeline for two colour attachments and depth: the scene's (vertex
 * input, depth test) or the full-screen complement's (no input, no depth
 * test), `chain` (rendering, locations, input indices) in its pNext. */
static VkPipeline two_colour_pipeline_new(struct ctx *c, const void *chain, VkPipelineLayout layout,
                                          VkShaderModule vert, VkShaderModule frag, bool scene)
{
    VkPipelineShaderStageCreateInfo stages[2] = {
        {.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
         .stage = VK_SHADER_STAGE_VERTEX_BIT, .module = vert, .pName = "main"},
        {.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
         .stage = VK_SHADER_STAGE_FRAGMENT_BIT, .module = frag, .pName = "main"},
    };
    VkVertexInputBindingDescription binding = {0, sizeof(struct vertex),
                                               VK_VERTEX_INPUT_RATE_VERTEX};
    VkVertexInputAttributeDescription attributes[2] = {
        {0, 0, VK_FORMAT_R32G32B32_SFLOAT, offsetof(struct vertex, position)},
        {1, 0, VK_FORMAT_R32G32B32A32_SFLOAT, offsetof(struct vertex, colour)},
    };
    VkPipelineVertexInputStateCreateInfo input = {
        .sType = VK_STRUCTURE_TYPE_PIPELINE_VERTEX_INPUT_STATE_CREATE_INFO,
        .vertexBindingDescriptionCount = scene ? 1 : 0,
        .pVertexBindingDescriptions = &binding,
        .vertexAttributeDescriptionCount = scene ? 2 : 0,
        .pVertexAttributeDescriptions = attributes};
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
        .rasterizationSamples = VK_SAMPLE_COUNT_1_BIT};
    VkPipelineDepthStencilStateCreateInfo depth = {
        .sType = VK_STRUCTURE_TYPE_PIPELINE_DEPTH_STENCIL_STATE_CREATE_INFO,
        .depthTestEnable = scene,
        .depthWriteEnable = scene,
        .depthCompareOp = VK_COMPARE_OP_LESS};
    const VkColorComponentFlags rgba = VK_COLOR_COMPONENT_R_BIT | VK_COLOR_COMPONENT_G_BIT |
                                       VK_COLOR_COMPONENT_B_BIT | VK_COLOR_COMPONENT_A_BIT;
    VkPipelineColorBlendAttachmentState blend_attachments[2] = {{.colorWriteMask = rgba},
                                                                {.colorWriteMask = rgba}};
    VkPipelineColorBlendStateCreateInfo blend = {
        .sType = VK_STRUCTURE_TYPE_PIPELINE_COLOR_BLEND_STATE_CREATE_INFO,
        .attachmentCount = 2,
        .pAttachments = blend_attachments};
    VkDynamicState dynamic_states[2] = {VK_DYNAMIC_STATE_VIEWPORT, VK_DYNAMIC_STATE_SCISSOR};
    VkPipelineDynamicStateCreateInfo dynamic = {
        .sType = VK_STRUCTURE_TYPE_PIPELINE_DYNAMIC_STATE_CREATE_INFO,
        .dynamicStateCount = 2,
        .pDynamicStates = dynamic_states};
    VkGraphicsPipelineCreateInfo info = {.sType = VK_STRUCTURE_TYPE_GRAPHICS_PIPELINE_CREATE_INFO,
                                         .pNext = chain,
                                         .stageCount = 2,
                                         .pStages = stages,
                                         .pVertexInputState = &input,
                                         .pInputAssemblyState = &assembly,
                                         .pViewportState = &viewport,
                                         .pRasterizationState = &raster,
                                         .pMultisampleState = &multisample,
                                         .pDepthStencilState = &depth,
                                         .pColorBlendState = &blend,
                                         .pDynamicState = &dynamic,
                                         .layout = layout};
    VkPipeline p;
    VK(vkCreateGraphicsPipelines(c->device, VK_NULL_HANDLE, 1, &info, NULL, &p));
    TRACK(PIPELINE, p);
    return p;
}

/* Draw 1 puts quads A and B into colour attachment 0 (location 0; 1
 * unused); a by-region barrier; draw 2 reads attachment 0 as input
 * attachment 0 and writes its complement at location 0, which now maps to
 * colour attachment 1 (0 unused). */
static void scenario_local_read(struct ctx *c)
{
    PFN_vkCmdSetRenderingAttachmentLocations set_locations =
        DEVICE_PROC(vkCmdSetRenderingAttachmentLocations);
    PFN_vkCmdSetRenderingInputAttachmentIndices set_inputs =
        DEVICE_PROC(vkCmdSetRenderingInputAttachmentIndices);

    const VkFormat formats[2] = {COLOUR_FORMAT, COLOUR_FORMAT};
    const uint32_t scene_locations[2] = {0, VK_ATTACHMENT_UNUSED};
    const uint32_t complement_locations[2] = {VK_ATTACHMENT_UNUSED, 0};
    const uint32_t input_indices[2] = {0, VK_ATTACHMENT_UNUSED};
    VkRenderingInputAttachmentIndexInfo inputs = {
        .sType = VK_STRUCTURE_TYPE_RENDERING_INPUT_ATTACHMENT_INDEX_INFO,
        .colorAttachmentCount = 2,
        .pColorAttachmentInputIndices = input_indices};
    VkRenderingAttachmentLocationInfo scene_map = {
        .sType = VK_STRUCTURE_TYPE_RENDERING_ATTACHMENT_LOCATION_INFO,
        .pNext = &inputs,
        .colorAttachmentCount = 2,
        .pColorAttachmentLocations = scene_locations};
    VkRenderingAttachmentLocationInfo complement_map = scene_map;
    complement_map.pColorAttachmentLocations = complement_locations;
    VkPipelineRenderingCreateInfo scene_rendering = {
        .sType = VK_STRUCTURE_TYPE_PIPELINE_RENDERING_CREATE_INFO,
        .pNext = &scene_map,
        .colorAttachmentCount = 2,
        .pColorAttachmentFormats = formats,
        .depthAttachmentFormat = DEPTH_FORMAT};
    VkPipelineRenderingCreateInfo complement_rendering = scene_rendering;
    complement_rendering.pNext = &complement_map;

    struct buffer vertices = scene_vertex_buffer_new(c);
    struct scene s = {.layout = scene_layout_new(c), .vertices = vertices.buffer};
    s.pipeline = two_colour_pipeline_new(c, &scene_rendering, s.layout, SHADER(cmd_scene_vert_spv),
                                         SHADER(cmd_scene_frag_spv), true);
    VkDescriptorSetLayoutBinding input_binding = {0, VK_DESCRIPTOR_TYPE_INPUT_ATTACHMENT, 1,
                                                  VK_SHADER_STAGE_FRAGMENT_BIT, NULL};
    VkDescriptorSetLayout input_layout = set_layout_new(c, 1, &input_binding);
    VkPipelineLayout complement_layout = pipeline_layout_new(c, 1, &input_layout, 0, NULL);
    VkPipeline complement = two_colour_pipeline_new(
        c, &complement_rendering, complement_layout, SHADER(cmd_fullscreen_vert_spv),
        SHADER(cmd_invert_frag_spv), false);

    struct image colour = image_new(c, COLOUR_FORMAT, SIZE, SIZE, 1, 1, VK_SAMPLE_COUNT_1_BIT,
                                    VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT |
                                        VK_IMAGE_USAGE_INPUT_ATTACHMENT_BIT |
                                        VK_IMAGE_USAGE_TRANSFER_SRC_BIT);
    struct image inverted = image_new(c, COLOUR_FORMAT, SIZE, SIZE, 1, 1, VK_SAMPLE_COUNT_1_BIT,
                                      VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT |
                                          VK_IMAGE_USAGE_TRANSFER_SRC_BIT);
    struct image depth = image_new(c, DEPTH_FORMAT, SIZE, SIZE, 1, 1, VK_SAMPLE_COUNT_1_BIT,
                                   VK_IMAGE_USAGE_DEPTH_STENCIL_ATTACHMENT_BIT);
    struct buffer colour_out = buffer_new(c, SIZE * SIZE * 4, 0);
    struct buffer inverted_out = buffer_new(c, SIZE * SIZE * 4, 0);

    VkDescriptorPool pool = descriptor_pool_new(c, 1, 0);
    VkDescriptorSet set = descriptor_set_new(c, pool, input_layout);
    VkDescriptorImageInfo ii = {VK_NULL_HANDLE, colour.view,
                                VK_IMAGE_LAYOUT_RENDERING_LOCAL_READ};
    VkWriteDescriptorSet w = {.sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
                              .dstSet = set,
                              .descriptorCount = 1,
                              .descriptorType = VK_DESCRIPTOR_TYPE_INPUT_ATTACHMENT,
                              .pImageInfo = &ii};
    vkUpdateDescriptorSets(c->device, 1, &w, 0, NULL);

    VkRenderingAttachmentInfo attachments[2] = {
        {.sType = VK_STRUCTURE_TYPE_RENDERING_ATTACHMENT_INFO,
         .imageView = colour.view,
         .imageLayout = VK_IMAGE_LAYOUT_RENDERING_LOCAL_READ,
         .loadOp = VK_ATTACHMENT_LOAD_OP_CLEAR,
         .storeOp = VK_ATTACHMENT_STORE_OP_STORE,
         .clearValue = {.color = {.float32 = {CLEAR_COLOUR[0], CLEAR_COLOUR[1], CLEAR_COLOUR[2],
                                              CLEAR_COLOUR[3]}}}},
        {.sType = VK_STRUCTURE_TYPE_RENDERING_ATTACHMENT_INFO,
         .imageView = inverted.view,
         .imageLayout = VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL,
         .loadOp = VK_ATTACHMENT_LOAD_OP_DONT_CARE,
         .storeOp = VK_ATTACHMENT_STORE_OP_STORE}};
    VkRenderingAttachmentInfo depth_attachment = {
        .sType = VK_STRUCTURE_TYPE_RENDERING_ATTACHMENT_INFO,
        .imageView = depth.view,
        .imageLayout = VK_IMAGE_LAYOUT_DEPTH_ATTACHMENT_OPTIMAL,
        .loadOp = VK_ATTACHMENT_LOAD_OP_CLEAR,
        .storeOp = VK_ATTACHMENT_STORE_OP_DONT_CARE,
        .clearValue = {.depthStencil = {1.0f, 0}}};
    VkRenderingInfo rendering = {.sType = VK_STRUCTURE_TYPE_RENDERING_INFO,
                                 .renderArea = {{0, 0}, {SIZE, SIZE}},
                                 .layerCount = 1,
                                 .colorAttachmentCount = 2,
                                 .pColorAttachments = attachments,
                                 .pDepthAttachment = &depth_attachment};

    VkCommandBuffer cb = primary_new(c);
    begin(c, cb, VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT);
    image_barrier2(cb, &colour, VK_IMAGE_LAYOUT_UNDEFINED, VK_IMAGE_LAYOUT_RENDERING_LOCAL_READ,
                   VK_PIPELINE_STAGE_2_NONE, 0, VK_PIPELINE_STAGE_2_COLOR_ATTACHMENT_OUTPUT_BIT,
                   VK_ACCESS_2_COLOR_ATTACHMENT_WRITE_BIT);
    image_barrier2(cb, &inverted, VK_IMAGE_LAYOUT_UNDEFINED,
                   VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL, VK_PIPELINE_STAGE_2_NONE, 0,
                   VK_PIPELINE_STAGE_2_COLOR_ATTACHMENT_OUTPUT_BIT,
                   VK_ACCESS_2_COLOR_ATTACHMENT_WRITE_BIT);
    image_barrier2(cb, &depth, VK_IMAGE_LAYOUT_UNDEFINED,
                   VK_IMAGE_LAYOUT_DEPTH_ATTACHMENT_OPTIMAL, VK_PIPELINE_STAGE_2_NONE, 0,
                   VK_PIPELINE_STAGE_2_EARLY_FRAGMENT_TESTS_BIT |
                       VK_PIPELINE_STAGE_2_LATE_FRAGMENT_TESTS_BIT,
                   VK_ACCESS_2_DEPTH_STENCIL_ATTACHMENT_WRITE_BIT);
    vkCmdBeginRendering(cb, &rendering);
    set_locations(cb, &scene_map);
    set_inputs(cb, &inputs);
    record_scene(cb, &s, SCENE_FIRST);
    /* What draw 1 wrote, read by draw 2 at the same pixel. */
    VkMemoryBarrier2 local = {.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER_2,
                              .srcStageMask = VK_PIPELINE_STAGE_2_COLOR_ATTACHMENT_OUTPUT_BIT,
                              .srcAccessMask = VK_ACCESS_2_COLOR_ATTACHMENT_WRITE_BIT,
                              .dstStageMask = VK_PIPELINE_STAGE_2_FRAGMENT_SHADER_BIT,
                              .dstAccessMask = VK_ACCESS_2_INPUT_ATTACHMENT_READ_BIT};
    VkDependencyInfo dep = {.sType = VK_STRUCTURE_TYPE_DEPENDENCY_INFO,
                            .dependencyFlags = VK_DEPENDENCY_BY_REGION_BIT,
                            .memoryBarrierCount = 1,
                            .pMemoryBarriers = &local};
    vkCmdPipelineBarrier2(cb, &dep);
    set_locations(cb, &complement_map);
    vkCmdBindPipeline(cb, VK_PIPELINE_BIND_POINT_GRAPHICS, complement);
    vkCmdBindDescriptorSets(cb, VK_PIPELINE_BIND_POINT_GRAPHICS, complement_layout, 0, 1, &set, 0,
                            NULL);
    vkCmdDraw(cb, 3, 1, 0, 0);
    vkCmdEndRendering(cb);
    image_barrier2(cb, &colour, VK_IMAGE_LAYOUT_RENDERING_LOCAL_READ,
                   VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL,
                   VK_PIPELINE_STAGE_2_COLOR_ATTACHMENT_OUTPUT_BIT,
                   VK_ACCESS_2_COLOR_ATTACHMENT_WRITE_BIT, VK_PIPELINE_STAGE_2_COPY_BIT,
                   VK_ACCESS_2_TRANSFER_READ_BIT);
    image_barrier2(cb, &inverted, VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL,
                   VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL,
                   VK_PIPELINE_STAGE_2_COLOR_ATTACHMENT_OUTPUT_BIT,
                   VK_ACCESS_2_COLOR_ATTACHMENT_WRITE_BIT, VK_PIPELINE_STAGE_2_COPY_BIT,
                   VK_ACCESS_2_TRANSFER_READ_BIT);
    copy_image_to_buffer(cb, &colour, colour_out.buffer);
    copy_image_to_buffer(cb, &inverted, inverted_out.buffer);
    to_host(cb, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_WRITE_BIT);
    end(c, cb);
    submit_and_wait(c, cb);

    /* The first part of the scene (quads A and B) and its complement. */
    static const struct {
        uint32_t x, y;
        uint8_t rgb[3];
    } points[] = {{4, 4, {51, 102, 153}},  {12, 12, {255, 0, 0}}, {30, 30, {0, 255, 0}},
                  {50, 50, {0, 255, 0}},   {44, 4, {51, 102, 153}}, {60, 4, {51, 102, 153}},
                  {4, 60, {51, 102, 153}}};
    const uint8_t *px = colour_out.map, *inv = inverted_out.map;
    for (size_t i = 0; i < ARRAY_SIZE(points); i++) {
        const size_t at = (points[i].y * SIZE + points[i].x) * 4;
        for (int k = 0; k < 3; k++) {
            EXPECT(near(px[at + k], points[i].rgb[k], 1), "colour at (%u,%u) is %u %u %u",
                   points[i].x, points[i].y, px[at], px[at + 1], px[at + 2]);
            EXPECT(near(inv[at + k], 255 - points[i].rgb[k], 1),
                   "complement at (%u,%u) is %u %u %u", points[i].x, points[i].y, inv[at],
                   inv[at + 1], inv[at + 2]);
        }
        EXPECT(inv[at + 3] == 255, "complement alpha at (%u,%u) is %u", points[i].x,
               points[i].y, inv[at + 3]);
    }
    digest(c, px, colour_out.size);
    digest(c, inv, inverted_out.size);
}

#define CMDTEST_LOCAL_READ                                                                     \
    {"dynamic_rendering_local_read", scenario_local_read,                                     \
     "a draw reads what the previous draw of the same rendering wrote (input attachment), "   \
     "attachment locations and input indices remapped between them", false, local_read_needs, \
     true},
