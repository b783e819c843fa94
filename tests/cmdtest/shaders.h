/* vkw_cmdtest family: shaders, pipelines and device-generated commands.
 * Mesh and task shaders, shader objects and their binaries, device-
 * generated commands with an execution set, cooperative matrices, pipeline
 * binaries, shader module identifiers and pipeline executable properties.
 * Included by tests/vkw_cmdtest.c (see families.h); each scenario skips on
 * a device without what it needs. */
#ifndef VKW_CMDTEST_SHADERS_H
#define VKW_CMDTEST_SHADERS_H

/* ---- helpers ------------------------------------------------------------ */

/* An extension entry point of the scenario's device (the loader exports
 * only core ones). */
#define DEVICE_FN(name) ((PFN_##name)device_fn(c, #name))

static PFN_vkVoidFunction device_fn(struct ctx *c, const char *name)
{
    PFN_vkVoidFunction f = vkGetDeviceProcAddr(c->device, name);
    EXPECT(f, "the device has no %s", name);
    return f;
}

static void skip_because(struct device_needs *n, const char *why)
{
    n->skip = true;
    snprintf(n->skip_why, sizeof n->skip_why, "%s", why);
}

/* Whether the device offers extension `name`. */
static bool offers_extension(struct ctx *c, const char *name)
{
    uint32_t count = 0;
    VK(vkEnumerateDeviceExtensionProperties(c->physical, NULL, &count, NULL));
    VkExtensionProperties *props = calloc(count ? count : 1, sizeof *props);
    EXPECT(props, "out of memory");
    VkResult r = vkEnumerateDeviceExtensionProperties(c->physical, NULL, &count, props);
    bool found = false;
    for (uint32_t i = 0; r == VK_SUCCESS && i < count && !found; i++)
        found = strcmp(props[i].extensionName, name) == 0;
    free(props);
    VK(r);
    return found;
}

/* Asks for `name`, or skips when the device lacks it.  False on a skip. */
static bool need_extension(struct ctx *c, struct device_needs *n, const char *name)
{
    if (!offers_extension(c, name)) {
        char why[200];
        snprintf(why, sizeof why, "the device does not offer %s", name);
        skip_because(n, why);
        return false;
    }
    EXPECT(n->extension_count < ARRAY_SIZE(n->extensions), "too many extensions");
    n->extensions[n->extension_count++] = name;
    return true;
}

/* Fills the feature struct `features` (its sType set) from the device. */
static void query_features(struct ctx *c, void *features)
{
    VkPhysicalDeviceFeatures2 f = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2,
                                   .pNext = features};
    vkGetPhysicalDeviceFeatures2(c->physical, &f);
}

/* A buffer the device reaches by address (and the application through a
 * coherent mapping when `mapped`), with memory allocated for addresses. */
struct dgc_buffer {
    VkBuffer buffer;
    VkDeviceMemory memory;
    VkDeviceAddress address;
    VkDeviceSize size;
    void *map;
};

static struct dgc_buffer dgc_buffer_new(struct ctx *c, VkDeviceSize size,
                                                VkBufferUsageFlags2 usage, bool mapped,
                                                uint32_t memory_bits)
{
    struct dgc_buffer b = {.size = size};
    VkBufferUsageFlags2CreateInfo usage2 = {
        .sType = VK_STRUCTURE_TYPE_BUFFER_USAGE_FLAGS_2_CREATE_INFO,
        .usage = usage | VK_BUFFER_USAGE_2_SHADER_DEVICE_ADDRESS_BIT};
    VkBufferCreateInfo info = {.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
                               .pNext = &usage2,
                               .size = size,
                               .sharingMode = VK_SHARING_MODE_EXCLUSIVE};
    VK(vkCreateBuffer(c->device, &info, NULL, &b.buffer));
    VkMemoryRequirements req;
    vkGetBufferMemoryRequirements(c->device, b.buffer, &req);
    VkMemoryAllocateFlagsInfo flags = {.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_FLAGS_INFO,
                                       .flags = VK_MEMORY_ALLOCATE_DEVICE_ADDRESS_BIT};
    const VkMemoryPropertyFlags need =
        mapped ? VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT : 0;
    VkMemoryAllocateInfo mai = {
        .sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
        .pNext = &flags,
        .allocationSize = req.size,
        .memoryTypeIndex = memory_type(c, req.memoryTypeBits & memory_bits, need,
                                       mapped ? 0 : VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT)};
    VkResult r = vkAllocateMemory(c->device, &mai, NULL, &b.memory);
    if (r != VK_SUCCESS) {
        vkDestroyBuffer(c->device, b.buffer, NULL);
        VK(r);
    }
    TRACK(DEVICE_MEMORY, b.memory);
    TRACK(BUFFER, b.buffer);
    VK(vkBindBufferMemory(c->device, b.buffer, b.memory, 0));
    VkBufferDeviceAddressInfo where = {.sType = VK_STRUCTURE_TYPE_BUFFER_DEVICE_ADDRESS_INFO,
                                       .buffer = b.buffer};
    b.address = vkGetBufferDeviceAddress(c->device, &where);
    EXPECT(b.address != 0, "a buffer without a device address");
    if (mapped) {
        VK(vkMapMemory(c->device, b.memory, 0, VK_WHOLE_SIZE, 0, &b.map));
        memset(b.map, 0, (size_t)size);
    }
    return b;
}

/* The 64x64 colour target of a dynamic rendering, cleared, read back into
 * `out` after `record` drew into it. */
static void render_to(struct ctx *c, const struct image *target, const struct buffer *out,
                      void (*record)(struct ctx *c, VkCommandBuffer cb, void *arg), void *arg)
{
    VkRenderingAttachmentInfo colour = {
        .sType = VK_STRUCTURE_TYPE_RENDERING_ATTACHMENT_INFO,
        .imageView = target->view,
        .imageLayout = VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL,
        .loadOp = VK_ATTACHMENT_LOAD_OP_CLEAR,
        .storeOp = VK_ATTACHMENT_STORE_OP_STORE,
        .clearValue = {.color = {.float32 = {CLEAR_COLOUR[0], CLEAR_COLOUR[1], CLEAR_COLOUR[2],
                                             CLEAR_COLOUR[3]}}}};
    VkRenderingInfo rendering = {.sType = VK_STRUCTURE_TYPE_RENDERING_INFO,
                                 .renderArea = {{0, 0}, {SIZE, SIZE}},
                                 .layerCount = 1,
                                 .colorAttachmentCount = 1,
                                 .pColorAttachments = &colour};
    VkCommandBuffer cb = primary_new(c);
    begin(c, cb, VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT);
    image_barrier2(cb, target, VK_IMAGE_LAYOUT_UNDEFINED,
                   VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL, VK_PIPELINE_STAGE_2_NONE, 0,
                   VK_PIPELINE_STAGE_2_COLOR_ATTACHMENT_OUTPUT_BIT,
                   VK_ACCESS_2_COLOR_ATTACHMENT_WRITE_BIT);
    vkCmdBeginRendering(cb, &rendering);
    record(c, cb, arg);
    vkCmdEndRendering(cb);
    image_barrier2(cb, target, VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL,
                   VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL,
                   VK_PIPELINE_STAGE_2_COLOR_ATTACHMENT_OUTPUT_BIT,
                   VK_ACCESS_2_COLOR_ATTACHMENT_WRITE_BIT, VK_PIPELINE_STAGE_2_COPY_BIT,
                   VK_ACCESS_2_TRANSFER_READ_BIT);
    copy_image_to_buffer(cb, target, out->buffer);
    to_host(cb, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_WRITE_BIT);
    end(c, cb);
    submit_and_wait(c, cb);
}

/* ---- mesh and task shaders (VK_EXT_mesh_shader) ------------------------- */

static void needs_mesh_shader(struct ctx *c, struct device_needs *n)
{
    static VkPhysicalDeviceMeshShaderFeaturesEXT mesh;
    mesh = (VkPhysicalDeviceMeshShaderFeaturesEXT){
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MESH_SHADER_FEATURES_EXT};
    if (!need_extension(c, n, VK_EXT_MESH_SHADER_EXTENSION_NAME))
        return;
    query_features(c, &mesh);
    if (!mesh.meshShader || !mesh.taskShader) {
        skip_because(n, "the device has no task or mesh shaders");
        return;
    }
    mesh = (VkPhysicalDeviceMeshShaderFeaturesEXT){
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MESH_SHADER_FEATURES_EXT,
        .taskShader = VK_TRUE,
        .meshShader = VK_TRUE};
    n->features = &mesh;
}

struct mesh_draws {
    VkPipeline pipeline;
    VkPipelineLayout layout;
    const struct buffer *args;
    PFN_vkCmdDrawMeshTasksEXT draw;
    PFN_vkCmdDrawMeshTasksIndirectEXT indirect;
    PFN_vkCmdDrawMeshTasksIndirectCountEXT indirect_count;
};

/* Where the indirect arguments lie in their buffer. */
enum { MESH_INDIRECT = 0, MESH_COUNTED = 64, MESH_COUNT = 128, MESH_COUNTED_STRIDE = 16 };

static void record_mesh_draws(struct ctx *c, VkCommandBuffer cb, void *arg)
{
    (void)c;
    const struct mesh_draws *m = arg;
    vkCmdBindPipeline(cb, VK_PIPELINE_BIND_POINT_GRAPHICS, m->pipeline);
    set_viewport(cb);
    uint32_t row = 0; /* each draw of an indirect call takes the next row (gl_DrawID) */
    vkCmdPushConstants(cb, m->layout, VK_SHADER_STAGE_TASK_BIT_EXT, 0, 4, &row);
    m->draw(cb, 3, 1, 1); /* row 0: three task groups, six triangles */
    row = 1;
    vkCmdPushConstants(cb, m->layout, VK_SHADER_STAGE_TASK_BIT_EXT, 0, 4, &row);
    m->indirect(cb, m->args->buffer, MESH_INDIRECT, 2, sizeof(VkDrawMeshTasksIndirectCommandEXT));
    row = 3;
    vkCmdPushConstants(cb, m->layout, VK_SHADER_STAGE_TASK_BIT_EXT, 0, 4, &row);
    m->indirect_count(cb, m->args->buffer, MESH_COUNTED, m->args->buffer, MESH_COUNT, 3,
                      MESH_COUNTED_STRIDE);
}

/* Task groups per row: the direct draw, the indirect call's two draws, the
 * counted call's first two of three draws (its third, 4 groups, is beyond
 * the count and must draw nothing). */
static const uint32_t mesh_row_tasks[8] = {3, 2, 1, 1, 3, 0, 0, 0};

static void scenario_mesh_shader(struct ctx *c)
{
    struct mesh_draws m = {
        .draw = DEVICE_FN(vkCmdDrawMeshTasksEXT),
        .indirect = DEVICE_FN(vkCmdDrawMeshTasksIndirectEXT),
        .indirect_count = DEVICE_FN(vkCmdDrawMeshTasksIndirectCountEXT)};
    struct image target = image_new(c, COLOUR_FORMAT, SIZE, SIZE, 1, 1, VK_SAMPLE_COUNT_1_BIT,
                                    VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT |
                                        VK_IMAGE_USAGE_TRANSFER_SRC_BIT);
    struct buffer out = buffer_new(c, SIZE * SIZE * 4, 0);
    struct buffer args = buffer_new(c, 256, VK_BUFFER_USAGE_INDIRECT_BUFFER_BIT);
    m.args = &args;
    VkPushConstantRange range = {VK_SHADER_STAGE_TASK_BIT_EXT, 0, 4};
    m.layout = pipeline_layout_new(c, 0, NULL, 1, &range);

    VkPipelineShaderStageCreateInfo stages[3] = {
        {.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
         .stage = VK_SHADER_STAGE_TASK_BIT_EXT, .module = SHADER(cmd_mesh_task_spv),
         .pName = "main"},
        {.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
         .stage = VK_SHADER_STAGE_MESH_BIT_EXT, .module = SHADER(cmd_mesh_mesh_spv),
         .pName = "main"},
        {.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
         .stage = VK_SHADER_STAGE_FRAGMENT_BIT, .module = SHADER(cmd_mesh_frag_spv),
         .pName = "main"},
    };
    /* Vulkan ignores vertex input and input assembly with mesh shaders, so
     * an application may leave garbage there: nothing may read it. */
    static const struct {
        VkStructureType sType;
        const void *pNext;
        uint32_t words[16];
    } garbage = {VK_STRUCTURE_TYPE_MAX_ENUM, (const void *)(uintptr_t)0x10,
                 {0xdeadbeef, 0xdeadbeef, 0xdeadbeef, 0xdeadbeef}};
    VkPipelineViewportStateCreateInfo viewport = {
        .sType = VK_STRUCTURE_TYPE_PIPELINE_VIEWPORT_STATE_CREATE_INFO,
        .viewportCount = 1,
        .scissorCount = 1};
    VkPipelineRasterizationStateCreateInfo raster = {
        .sType = VK_STRUCTURE_TYPE_PIPELINE_RASTERIZATION_STATE_CREATE_INFO,
        .polygonMode = VK_POLYGON_MODE_FILL,
        .cullMode = VK_CULL_MODE_NONE,
        .lineWidth = 1.0f};
    VkPipelineMultisampleStateCreateInfo multisample = {
        .sType = VK_STRUCTURE_TYPE_PIPELINE_MULTISAMPLE_STATE_CREATE_INFO,
        .rasterizationSamples = VK_SAMPLE_COUNT_1_BIT};
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
    VkPipelineRenderingCreateInfo rendering = {
        .sType = VK_STRUCTURE_TYPE_PIPELINE_RENDERING_CREATE_INFO,
        .colorAttachmentCount = 1,
        .pColorAttachmentFormats = &colour_format};
    VkGraphicsPipelineCreateInfo info = {
        .sType = VK_STRUCTURE_TYPE_GRAPHICS_PIPELINE_CREATE_INFO,
        .pNext = &rendering,
        .stageCount = 3,
        .pStages = stages,
        .pVertexInputState = (const void *)&garbage,
        .pInputAssemblyState = (const void *)&garbage,
        .pViewportState = &viewport,
        .pRasterizationState = &raster,
        .pMultisampleState = &multisample,
        .pColorBlendState = &blend,
        .pDynamicState = &dynamic,
        .layout = m.layout};
    VK(vkCreateGraphicsPipelines(c->device, VK_NULL_HANDLE, 1, &info, NULL, &m.pipeline));
    TRACK(PIPELINE, m.pipeline);

    /* The arguments, written through the mapping after recording: they
     * must reach the device by the submission (coherent memory). */
    VkDrawMeshTasksIndirectCommandEXT *indirect =
        (void *)((char *)args.map + MESH_INDIRECT);
    indirect[0] = (VkDrawMeshTasksIndirectCommandEXT){2, 1, 1};
    indirect[1] = (VkDrawMeshTasksIndirectCommandEXT){1, 1, 1};
    static const uint32_t counted[3][4] = {{1, 1, 1, 0xdead}, {3, 1, 1, 0xdead}, {4, 1, 1, 0}};
    memcpy((char *)args.map + MESH_COUNTED, counted, sizeof counted);
    *(uint32_t *)((char *)args.map + MESH_COUNT) = 2;

    render_to(c, &target, &out, record_mesh_draws, &m);

    const uint8_t *px = out.map;
    for (uint32_t row = 0; row < 8; row++)
        for (uint32_t column = 0; column < 8; column++) {
            const bool drawn = column < 2 * mesh_row_tasks[row];
            const uint32_t task = column / 2, mesh = column % 2;
            const uint8_t want[4] = {
                drawn ? (uint8_t)lrintf((row + 1) / 8.0f * 255) : 51,
                drawn ? (uint8_t)lrintf((task + 1) / 8.0f * 255) : 102,
                drawn ? (uint8_t)lrintf((mesh + 1) / 4.0f * 255) : 153, 255};
            const uint8_t *in = px + ((row * 8 + 1) * SIZE + column * 8 + 1) * 4;
            const uint8_t *outside = px + ((row * 8 + 6) * SIZE + column * 8 + 6) * 4;
            for (int k = 0; k < 4; k++) {
                EXPECT(near(in[k], want[k], 1),
                       "cell (%u,%u): inside the triangle %u %u %u %u, not %u %u %u %u", column,
                       row, in[0], in[1], in[2], in[3], want[0], want[1], want[2], want[3]);
                EXPECT(outside[k] == (uint8_t)lrintf(CLEAR_COLOUR[k] * 255),
                       "cell (%u,%u): beside the triangle %u %u %u %u", column, row, outside[0],
                       outside[1], outside[2], outside[3]);
            }
        }
    digest(c, out.map, out.size);
}

/* ---- shader objects (VK_EXT_shader_object) ------------------------------ */

static void needs_shader_object(struct ctx *c, struct device_needs *n)
{
    static VkPhysicalDeviceShaderObjectFeaturesEXT objects;
    objects = (VkPhysicalDeviceShaderObjectFeaturesEXT){
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_OBJECT_FEATURES_EXT};
    if (!need_extension(c, n, VK_EXT_SHADER_OBJECT_EXTENSION_NAME))
        return;
    query_features(c, &objects);
    if (!objects.shaderObject) {
        skip_because(n, "the device has no shader objects");
        return;
    }
    objects.pNext = NULL;
    n->features = &objects;
}

struct shader_fns {
    PFN_vkCreateShadersEXT create;
    PFN_vkDestroyShaderEXT destroy;
    PFN_vkCmdBindShadersEXT bind;
    PFN_vkGetShaderBinaryDataEXT binary;
    PFN_vkCmdSetVertexInputEXT vertex_input;
    PFN_vkCmdSetPolygonModeEXT polygon_mode;
    PFN_vkCmdSetRasterizationSamplesEXT samples;
    PFN_vkCmdSetSampleMaskEXT sample_mask;
    PFN_vkCmdSetAlphaToCoverageEnableEXT alpha_to_coverage;
    PFN_vkCmdSetColorBlendEnableEXT blend_enable;
    PFN_vkCmdSetColorWriteMaskEXT write_mask;
};

/* The scene's vertex and fragment shaders (cmd_scene.*) as shader objects:
 * linked (one call, LINK_STAGE) or not, from SPIR-V or from the binaries
 * in `code` (NULL: SPIR-V). */
static void scene_shaders_new(struct ctx *c, const struct shader_fns *f, bool linked,
                              const void *const code[2], const size_t size[2], VkShaderEXT out[2])
{
    VkPushConstantRange ranges[2] = {{VK_SHADER_STAGE_VERTEX_BIT, 0, 16},
                                     {VK_SHADER_STAGE_FRAGMENT_BIT, 16, 16}};
    VkShaderCreateInfoEXT infos[2];
    for (int i = 0; i < 2; i++)
        infos[i] = (VkShaderCreateInfoEXT){
            .sType = VK_STRUCTURE_TYPE_SHADER_CREATE_INFO_EXT,
            .flags = linked ? VK_SHADER_CREATE_LINK_STAGE_BIT_EXT : 0,
            .stage = i == 0 ? VK_SHADER_STAGE_VERTEX_BIT : VK_SHADER_STAGE_FRAGMENT_BIT,
            .nextStage = i == 0 ? VK_SHADER_STAGE_FRAGMENT_BIT : 0,
            .codeType = code ? VK_SHADER_CODE_TYPE_BINARY_EXT : VK_SHADER_CODE_TYPE_SPIRV_EXT,
            .codeSize = code ? size[i] : i == 0 ? sizeof cmd_scene_vert_spv
                                                : sizeof cmd_scene_frag_spv,
            .pCode = code ? code[i] : i == 0 ? (const void *)cmd_scene_vert_spv
                                             : (const void *)cmd_scene_frag_spv,
            .pName = "main",
            .pushConstantRangeCount = 2,
            .pPushConstantRanges = ranges};
    if (linked) {
        VK(f->create(c->device, 2, infos, NULL, out));
    } else {
        VK(f->create(c->device, 1, &infos[0], NULL, &out[0]));
        VK(f->create(c->device, 1, &infos[1], NULL, &out[1]));
    }
    TRACK(SHADER_EXT, out[0]);
    TRACK(SHADER_EXT, out[1]);
}

struct object_scene {
    const struct shader_fns *f;
    VkShaderEXT shaders[2];
    struct scene scene; /* no pipeline: record_scene binds none */
};

/* Everything a pipeline would have fixed is dynamic with shader objects:
 * the state the scene's pipeline has, set command by command. */
static void record_object_scene(struct ctx *c, VkCommandBuffer cb, void *arg)
{
    (void)c;
    const struct object_scene *o = arg;
    const struct shader_fns *f = o->f;
    /* unused stages bound to nothing, as shader objects want */
    const VkShaderStageFlagBits stages[5] = {
        VK_SHADER_STAGE_VERTEX_BIT, VK_SHADER_STAGE_FRAGMENT_BIT,
        VK_SHADER_STAGE_TESSELLATION_CONTROL_BIT, VK_SHADER_STAGE_TESSELLATION_EVALUATION_BIT,
        VK_SHADER_STAGE_GEOMETRY_BIT};
    const VkShaderEXT shaders[5] = {o->shaders[0], o->shaders[1]};
    f->bind(cb, 5, stages, shaders);
    VkViewport viewport = {0, 0, (float)SIZE, (float)SIZE, 0, 1};
    VkRect2D scissor = {{0, 0}, {SIZE, SIZE}};
    vkCmdSetViewportWithCount(cb, 1, &viewport);
    vkCmdSetScissorWithCount(cb, 1, &scissor);
    vkCmdSetRasterizerDiscardEnable(cb, VK_FALSE);
    vkCmdSetCullMode(cb, VK_CULL_MODE_NONE);
    vkCmdSetFrontFace(cb, VK_FRONT_FACE_COUNTER_CLOCKWISE);
    vkCmdSetDepthTestEnable(cb, VK_TRUE);
    vkCmdSetDepthWriteEnable(cb, VK_TRUE);
    vkCmdSetDepthCompareOp(cb, VK_COMPARE_OP_LESS);
    vkCmdSetDepthBoundsTestEnable(cb, VK_FALSE);
    vkCmdSetDepthBiasEnable(cb, VK_FALSE);
    vkCmdSetStencilTestEnable(cb, VK_FALSE);
    vkCmdSetPrimitiveTopology(cb, VK_PRIMITIVE_TOPOLOGY_TRIANGLE_LIST);
    vkCmdSetPrimitiveRestartEnable(cb, VK_FALSE);
    f->polygon_mode(cb, VK_POLYGON_MODE_FILL);
    f->samples(cb, VK_SAMPLE_COUNT_1_BIT);
    const VkSampleMask all = ~0u;
    f->sample_mask(cb, VK_SAMPLE_COUNT_1_BIT, &all);
    f->alpha_to_coverage(cb, VK_FALSE);
    const VkBool32 no = VK_FALSE;
    f->blend_enable(cb, 0, 1, &no);
    const VkColorComponentFlags rgba = VK_COLOR_COMPONENT_R_BIT | VK_COLOR_COMPONENT_G_BIT |
                                       VK_COLOR_COMPONENT_B_BIT | VK_COLOR_COMPONENT_A_BIT;
    f->write_mask(cb, 0, 1, &rgba);
    VkVertexInputBindingDescription2EXT binding = {
        .sType = VK_STRUCTURE_TYPE_VERTEX_INPUT_BINDING_DESCRIPTION_2_EXT,
        .stride = sizeof(struct vertex),
        .inputRate = VK_VERTEX_INPUT_RATE_VERTEX,
        .divisor = 1};
    VkVertexInputAttributeDescription2EXT attributes[2] = {
        {.sType = VK_STRUCTURE_TYPE_VERTEX_INPUT_ATTRIBUTE_DESCRIPTION_2_EXT,
         .location = 0, .format = VK_FORMAT_R32G32B32_SFLOAT,
         .offset = offsetof(struct vertex, position)},
        {.sType = VK_STRUCTURE_TYPE_VERTEX_INPUT_ATTRIBUTE_DESCRIPTION_2_EXT,
         .location = 1, .format = VK_FORMAT_R32G32B32A32_SFLOAT,
         .offset = offsetof(struct vertex, colour)}};
    f->vertex_input(cb, 1, &binding, 2, attributes);
    record_scene(cb, &o->scene, SCENE_ALL);
}

/* The scene drawn with shader objects into colour and depth, read back. */
static void render_object_scene(struct ctx *c, const struct object_scene *o,
                                const struct dynamic_target *t)
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
    vkCmdBeginRendering(cb, &rendering);
    record_object_scene(c, cb, (void *)o);
    vkCmdEndRendering(cb);
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

/* A shader object's binary, asked for the way applications do: the size,
 * then too small a buffer (nothing written: VK_INCOMPLETE), then the whole.
 * malloc'd; the caller frees it. */
static void *shader_binary(struct ctx *c, const struct shader_fns *f, VkShaderEXT shader,
                           size_t *size)
{
    size_t want = 0;
    VK(f->binary(c->device, shader, &want, NULL));
    EXPECT(want > 16, "a shader binary of %zu bytes", want);
    unsigned char *data = malloc(want);
    EXPECT(data, "out of memory");
    memset(data, 0x5a, want);
    size_t small = want - 1;
    VkResult r = f->binary(c->device, shader, &small, data);
    size_t untouched = 0;
    while (untouched < want && data[untouched] == 0x5a)
        untouched++;
    if (r != VK_INCOMPLETE || untouched != want) {
        free(data);
        fail(c, "too small a buffer for a shader binary: %s, %zu of %zu bytes left alone "
             "(VK_INCOMPLETE and none written, says Vulkan)", result_name(r), untouched, want);
    }
    digest_u32(c, (uint32_t)r);
    size_t got = want;
    r = f->binary(c->device, shader, &got, data);
    if (r != VK_SUCCESS || got != want) {
        free(data);
        fail(c, "a shader binary: %s, %zu of %zu bytes", result_name(r), got, want);
    }
    *size = want;
    return data;
}

/* cmd_push.comp as a shader object: out[slot * 32 + j] = the pushed block. */
static VkShaderEXT push_shader_new(struct ctx *c, const struct shader_fns *f,
                                   VkDescriptorSetLayout set, const void *binary, size_t size,
                                   VkResult *result)
{
    VkPushConstantRange range = {VK_SHADER_STAGE_COMPUTE_BIT, 0, 128};
    VkShaderCreateInfoEXT info = {
        .sType = VK_STRUCTURE_TYPE_SHADER_CREATE_INFO_EXT,
        .stage = VK_SHADER_STAGE_COMPUTE_BIT,
        .codeType = binary ? VK_SHADER_CODE_TYPE_BINARY_EXT : VK_SHADER_CODE_TYPE_SPIRV_EXT,
        .codeSize = binary ? size : sizeof cmd_push_comp_spv,
        .pCode = binary ? binary : (const void *)cmd_push_comp_spv,
        .pName = "main",
        .setLayoutCount = 1,
        .pSetLayouts = &set,
        .pushConstantRangeCount = 1,
        .pPushConstantRanges = &range};
    VkShaderEXT shader = (VkShaderEXT)(uintptr_t)0x1234; /* the driver must overwrite it */
    *result = f->create(c->device, 1, &info, NULL, &shader);
    if (shader)
        TRACK(SHADER_EXT, shader);
    return shader;
}

/* Two dispatches of a compute shader object, slots `first` and first + 1. */
static void run_push_shader(struct ctx *c, const struct shader_fns *f, VkShaderEXT shader,
                            VkPipelineLayout layout, VkDescriptorSet set, uint32_t first)
{
    VkCommandBuffer cb = primary_new(c);
    begin(c, cb, VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT);
    const VkShaderStageFlagBits stage = VK_SHADER_STAGE_COMPUTE_BIT;
    f->bind(cb, 1, &stage, &shader);
    vkCmdBindDescriptorSets(cb, VK_PIPELINE_BIND_POINT_COMPUTE, layout, 0, 1, &set, 0, NULL);
    for (uint32_t slot = first; slot < first + 2; slot++) {
        uint32_t block[32];
        block[0] = slot;
        for (uint32_t j = 1; j < 32; j++)
            block[j] = slot * 1000 + j;
        vkCmdPushConstants(cb, layout, VK_SHADER_STAGE_COMPUTE_BIT, 0, sizeof block, block);
        vkCmdDispatch(cb, 1, 1, 1);
    }
    to_host(cb, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_ACCESS_SHADER_WRITE_BIT);
    end(c, cb);
    submit_and_wait(c, cb);
}

static void scenario_shader_objects(struct ctx *c)
{
    const struct shader_fns f = {
        .create = DEVICE_FN(vkCreateShadersEXT),
        .destroy = DEVICE_FN(vkDestroyShaderEXT),
        .bind = DEVICE_FN(vkCmdBindShadersEXT),
        .binary = DEVICE_FN(vkGetShaderBinaryDataEXT),
        .vertex_input = DEVICE_FN(vkCmdSetVertexInputEXT),
        .polygon_mode = DEVICE_FN(vkCmdSetPolygonModeEXT),
        .samples = DEVICE_FN(vkCmdSetRasterizationSamplesEXT),
        .sample_mask = DEVICE_FN(vkCmdSetSampleMaskEXT),
        .alpha_to_coverage = DEVICE_FN(vkCmdSetAlphaToCoverageEnableEXT),
        .blend_enable = DEVICE_FN(vkCmdSetColorBlendEnableEXT),
        .write_mask = DEVICE_FN(vkCmdSetColorWriteMaskEXT)};
    struct buffer vertices = scene_vertex_buffer_new(c);

    /* The scene: linked shaders, unlinked ones, and again from the linked
     * ones' binaries: the same picture, the one check_scene knows. */
    struct object_scene linked = {.f = &f}, unlinked = {.f = &f}, reborn = {.f = &f};
    linked.scene = unlinked.scene = reborn.scene =
        (struct scene){.layout = scene_layout_new(c), .vertices = vertices.buffer};
    scene_shaders_new(c, &f, true, NULL, NULL, linked.shaders);
    scene_shaders_new(c, &f, false, NULL, NULL, unlinked.shaders);
    void *code[2];
    size_t size[2];
    code[0] = shader_binary(c, &f, linked.shaders[0], &size[0]);
    code[1] = shader_binary(c, &f, linked.shaders[1], &size[1]);
    scene_shaders_new(c, &f, true, (const void *const *)code, size, reborn.shaders);
    free(code[0]);
    free(code[1]);
    const char *what[3] = {"linked shader objects", "unlinked shader objects",
                           "shader objects from binaries"};
    const struct object_scene *scenes[3] = {&linked, &unlinked, &reborn};
    struct dynamic_target targets[3];
    for (int i = 0; i < 3; i++) {
        dynamic_target_new(c, &targets[i]);
        render_object_scene(c, scenes[i], &targets[i]);
        check_scene(c, what[i], targets[i].colour_out.map, targets[i].depth_out.map, NULL);
    }
    expect_same(c, "unlinked shader objects: colour", &targets[0].colour_out,
                &targets[1].colour_out);
    expect_same(c, "shader objects from binaries: colour", &targets[0].colour_out,
                &targets[2].colour_out);
    expect_same(c, "shader objects from binaries: depth", &targets[0].depth_out,
                &targets[2].depth_out);
    digest(c, targets[0].colour_out.map, targets[0].colour_out.size);
    digest(c, targets[0].depth_out.map, targets[0].depth_out.size);

    /* Compute: a shader object, the same from its binary; a binary whose
     * header is wrong is the driver's to refuse, as incompatible. */
    VkDescriptorSetLayout set_layout = storage_layout_new(c, 1);
    VkPushConstantRange range = {VK_SHADER_STAGE_COMPUTE_BIT, 0, 128};
    VkPipelineLayout layout = pipeline_layout_new(c, 1, &set_layout, 1, &range);
    struct buffer out = buffer_new(c, 4 * 32 * 4, VK_BUFFER_USAGE_STORAGE_BUFFER_BIT);
    VkDescriptorPool pool = descriptor_pool_new(c, 1, 0);
    VkDescriptorSet set = storage_set_new(c, pool, set_layout, 1, &out.buffer);
    VkResult r;
    VkShaderEXT compute = push_shader_new(c, &f, set_layout, NULL, 0, &r);
    VK(r);
    run_push_shader(c, &f, compute, layout, set, 0);
    size_t binary_size;
    unsigned char *binary = shader_binary(c, &f, compute, &binary_size);
    VkShaderEXT again = push_shader_new(c, &f, set_layout, binary, binary_size, &r);
    if (r != VK_SUCCESS) {
        free(binary);
        VK(r);
    }
    run_push_shader(c, &f, again, layout, set, 2);
    for (size_t i = 0; i < 16; i++)
        binary[i] ^= 0xff;
    /* A driver may tell the messenger why it refused (Mesa does); that is
     * no validation message.  Through vkwire the host's driver tells its
     * own log, and the guest sees only the result. */
    const unsigned messages = validation_messages;
    VkShaderEXT refused = push_shader_new(c, &f, set_layout, binary, binary_size, &r);
    if (validation_messages > messages)
        validation_messages = messages;
    free(binary);
    EXPECT(r == VK_INCOMPATIBLE_SHADER_BINARY_EXT && refused == VK_NULL_HANDLE,
           "a binary with a wrong header: %s (%d), shader %p, not "
           "VK_INCOMPATIBLE_SHADER_BINARY_EXT and none", result_name(r), (int)r, (void *)refused);
    digest_u32(c, (uint32_t)r);
    const uint32_t *o = out.map;
    for (uint32_t slot = 0; slot < 4; slot++)
        for (uint32_t j = 0; j < 32; j++)
            EXPECT(o[slot * 32 + j] == (j == 0 ? slot : slot * 1000 + j),
                   "compute shader object%s: slot %u word %u is %u", slot >= 2 ? " from its binary" : "",
                   slot, j, o[slot * 32 + j]);
    digest(c, out.map, out.size);
}

/* ---- device-generated commands (VK_EXT_device_generated_commands) ------- */

/* The device of the generated_commands scenario has shader objects too. */
static bool dgc_with_shader_objects;

static void needs_generated_commands(struct ctx *c, struct device_needs *n)
{
    static VkPhysicalDeviceDeviceGeneratedCommandsFeaturesEXT dgc;
    dgc = (VkPhysicalDeviceDeviceGeneratedCommandsFeaturesEXT){
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DEVICE_GENERATED_COMMANDS_FEATURES_EXT};
    if (!need_extension(c, n, VK_EXT_DEVICE_GENERATED_COMMANDS_EXTENSION_NAME))
        return;
    if (c->props.apiVersion < VK_API_VERSION_1_4 &&
        !need_extension(c, n, VK_KHR_MAINTENANCE_5_EXTENSION_NAME))
        return;
    VkPhysicalDeviceVulkan12Features v12 = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES, .pNext = &dgc};
    query_features(c, &v12);
    VkPhysicalDeviceDeviceGeneratedCommandsPropertiesEXT props = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DEVICE_GENERATED_COMMANDS_PROPERTIES_EXT};
    VkPhysicalDeviceProperties2 p2 = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2,
                                      .pNext = &props};
    vkGetPhysicalDeviceProperties2(c->physical, &p2);
    if (!dgc.deviceGeneratedCommands || !v12.bufferDeviceAddress ||
        !(props.supportedIndirectCommandsShaderStages & VK_SHADER_STAGE_COMPUTE_BIT) ||
        !(props.supportedIndirectCommandsShaderStagesPipelineBinding &
          VK_SHADER_STAGE_COMPUTE_BIT) ||
        props.maxIndirectPipelineCount < 2) {
        skip_because(n, "the device cannot generate compute commands with an execution set of "
                        "pipelines");
        return;
    }
    dgc = (VkPhysicalDeviceDeviceGeneratedCommandsFeaturesEXT){
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DEVICE_GENERATED_COMMANDS_FEATURES_EXT,
        .deviceGeneratedCommands = VK_TRUE};
    n->features = &dgc;
    n->v12.bufferDeviceAddress = VK_TRUE;
    /* Execution sets of shader objects too, where the device has them. */
    static VkPhysicalDeviceShaderObjectFeaturesEXT objects;
    objects = (VkPhysicalDeviceShaderObjectFeaturesEXT){
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_OBJECT_FEATURES_EXT};
    dgc_with_shader_objects = false;
    if (offers_extension(c, VK_EXT_SHADER_OBJECT_EXTENSION_NAME) &&
        (props.supportedIndirectCommandsShaderStagesShaderBinding & VK_SHADER_STAGE_COMPUTE_BIT) &&
        props.maxIndirectShaderObjectCount >= 2) {
        query_features(c, &objects);
        if (objects.shaderObject && need_extension(c, n, VK_EXT_SHADER_OBJECT_EXTENSION_NAME)) {
            objects = (VkPhysicalDeviceShaderObjectFeaturesEXT){
                .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_OBJECT_FEATURES_EXT,
                .shaderObject = VK_TRUE};
            dgc.pNext = &objects;
            dgc_with_shader_objects = true;
        }
    }
}

/* One command sequence as the layout below reads it: the execution set's
 * pipeline index, the push constants (slot, value), the dispatch. */
struct dgc_sequence {
    uint32_t pipeline;
    uint32_t slot, value;
    VkDispatchIndirectCommand dispatch;
};
enum { DGC_SEQUENCES = 4, DGC_SECOND = DGC_SEQUENCES * sizeof(struct dgc_sequence),
       DGC_THIRD = 2 * DGC_SECOND, DGC_COUNT = 3 * DGC_SECOND, DGC_BYTES = DGC_COUNT + 16,
       DGC_SLOTS = 3 * DGC_SEQUENCES };

/* cmd_dgc.comp with its multiplier, bindable from an execution set. */
static VkPipeline dgc_pipeline_new(struct ctx *c, VkShaderModule module, VkPipelineLayout layout,
                                   uint32_t multiplier)
{
    const VkSpecializationMapEntry entry = {0, 0, sizeof(uint32_t)};
    const VkSpecializationInfo spec = {1, &entry, sizeof multiplier, &multiplier};
    VkPipelineCreateFlags2CreateInfo flags = {
        .sType = VK_STRUCTURE_TYPE_PIPELINE_CREATE_FLAGS_2_CREATE_INFO,
        .flags = VK_PIPELINE_CREATE_2_INDIRECT_BINDABLE_BIT_EXT};
    VkComputePipelineCreateInfo info = {
        .sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO,
        .pNext = &flags,
        .stage = {.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
                  .stage = VK_SHADER_STAGE_COMPUTE_BIT,
                  .module = module,
                  .pName = "main",
                  .pSpecializationInfo = &spec},
        .layout = layout};
    VkPipeline p;
    VK(vkCreateComputePipelines(c->device, VK_NULL_HANDLE, 1, &info, NULL, &p));
    TRACK(PIPELINE, p);
    return p;
}

struct dgc {
    PFN_vkGetGeneratedCommandsMemoryRequirementsEXT requirements;
    PFN_vkCmdPreprocessGeneratedCommandsEXT preprocess;
    PFN_vkCmdExecuteGeneratedCommandsEXT execute;
    VkIndirectExecutionSetEXT set;
    VkPipeline initial;
    VkPipelineLayout layout;
    VkDescriptorSet descriptors;
};

/* The generated-commands info for `layout`'s sequences at `offset` of the
 * indirect buffer, with a preprocess buffer of its own. */
static VkGeneratedCommandsInfoEXT dgc_info(struct ctx *c, const struct dgc *g,
                                           VkIndirectCommandsLayoutEXT layout,
                                           const struct dgc_buffer *indirect,
                                           VkDeviceSize offset, VkDeviceAddress count)
{
    VkGeneratedCommandsMemoryRequirementsInfoEXT what = {
        .sType = VK_STRUCTURE_TYPE_GENERATED_COMMANDS_MEMORY_REQUIREMENTS_INFO_EXT,
        .indirectExecutionSet = g->set,
        .indirectCommandsLayout = layout,
        .maxSequenceCount = DGC_SEQUENCES};
    VkMemoryRequirements2 req = {.sType = VK_STRUCTURE_TYPE_MEMORY_REQUIREMENTS_2};
    g->requirements(c->device, &what, &req);
    VkGeneratedCommandsInfoEXT info = {
        .sType = VK_STRUCTURE_TYPE_GENERATED_COMMANDS_INFO_EXT,
        .shaderStages = VK_SHADER_STAGE_COMPUTE_BIT,
        .indirectExecutionSet = g->set,
        .indirectCommandsLayout = layout,
        .indirectAddress = indirect->address + offset,
        .indirectAddressSize = DGC_SECOND,
        .maxSequenceCount = DGC_SEQUENCES,
        .sequenceCountAddress = count};
    if (req.memoryRequirements.size) {
        struct dgc_buffer pre = dgc_buffer_new(
            c, req.memoryRequirements.size, VK_BUFFER_USAGE_2_PREPROCESS_BUFFER_BIT_EXT, false,
            req.memoryRequirements.memoryTypeBits);
        info.preprocessAddress = pre.address;
        info.preprocessSize = req.memoryRequirements.size;
    }
    return info;
}

/* cmd_dgc.comp as a shader object bindable from an execution set. */
static VkShaderEXT dgc_shader_new(struct ctx *c, PFN_vkCreateShadersEXT create,
                                  VkDescriptorSetLayout set_layout,
                                  const VkPushConstantRange *range, uint32_t multiplier)
{
    const VkSpecializationMapEntry entry = {0, 0, sizeof(uint32_t)};
    const VkSpecializationInfo spec = {1, &entry, sizeof multiplier, &multiplier};
    VkShaderCreateInfoEXT info = {.sType = VK_STRUCTURE_TYPE_SHADER_CREATE_INFO_EXT,
                                  .flags = VK_SHADER_CREATE_INDIRECT_BINDABLE_BIT_EXT,
                                  .stage = VK_SHADER_STAGE_COMPUTE_BIT,
                                  .codeType = VK_SHADER_CODE_TYPE_SPIRV_EXT,
                                  .codeSize = sizeof cmd_dgc_comp_spv,
                                  .pCode = cmd_dgc_comp_spv,
                                  .pName = "main",
                                  .setLayoutCount = 1,
                                  .pSetLayouts = &set_layout,
                                  .pushConstantRangeCount = 1,
                                  .pPushConstantRanges = range,
                                  .pSpecializationInfo = &spec};
    VkShaderEXT shader;
    VK(create(c->device, 1, &info, NULL, &shader));
    TRACK(SHADER_EXT, shader);
    return shader;
}

static void dgc_bind(VkCommandBuffer cb, const struct dgc *g)
{
    vkCmdBindPipeline(cb, VK_PIPELINE_BIND_POINT_COMPUTE, g->initial); /* the set's initial state */
    vkCmdBindDescriptorSets(cb, VK_PIPELINE_BIND_POINT_COMPUTE, g->layout, 0, 1, &g->descriptors,
                            0, NULL);
}

static void scenario_generated_commands(struct ctx *c)
{
    struct dgc g = {.requirements = DEVICE_FN(vkGetGeneratedCommandsMemoryRequirementsEXT),
                    .preprocess = DEVICE_FN(vkCmdPreprocessGeneratedCommandsEXT),
                    .execute = DEVICE_FN(vkCmdExecuteGeneratedCommandsEXT)};
    PFN_vkCreateIndirectCommandsLayoutEXT create_layout =
        DEVICE_FN(vkCreateIndirectCommandsLayoutEXT);
    PFN_vkCreateIndirectExecutionSetEXT create_set = DEVICE_FN(vkCreateIndirectExecutionSetEXT);
    PFN_vkUpdateIndirectExecutionSetPipelineEXT update_set =
        DEVICE_FN(vkUpdateIndirectExecutionSetPipelineEXT);

    VkDescriptorSetLayout set_layout = storage_layout_new(c, 1);
    VkPushConstantRange range = {VK_SHADER_STAGE_COMPUTE_BIT, 0, 8};
    g.layout = pipeline_layout_new(c, 1, &set_layout, 1, &range);
    struct buffer out = buffer_new(c, DGC_SLOTS * 4, VK_BUFFER_USAGE_STORAGE_BUFFER_BIT);
    memset(out.map, 0xff, DGC_SLOTS * 4);
    VkDescriptorPool pool = descriptor_pool_new(c, 1, 0);
    g.descriptors = storage_set_new(c, pool, set_layout, 1, &out.buffer);
    VkShaderModule module = SHADER(cmd_dgc_comp_spv);
    g.initial = dgc_pipeline_new(c, module, g.layout, 1);
    VkPipeline times_ten = dgc_pipeline_new(c, module, g.layout, 10);

    /* The execution set: pipeline 0 the initial one, 1 written afterwards. */
    VkIndirectExecutionSetPipelineInfoEXT pipelines = {
        .sType = VK_STRUCTURE_TYPE_INDIRECT_EXECUTION_SET_PIPELINE_INFO_EXT,
        .initialPipeline = g.initial,
        .maxPipelineCount = 2};
    VkIndirectExecutionSetCreateInfoEXT set_info = {
        .sType = VK_STRUCTURE_TYPE_INDIRECT_EXECUTION_SET_CREATE_INFO_EXT,
        .type = VK_INDIRECT_EXECUTION_SET_INFO_TYPE_PIPELINES_EXT,
        .info.pPipelineInfo = &pipelines};
    VK(create_set(c->device, &set_info, NULL, &g.set));
    TRACK(INDIRECT_EXECUTION_SET_EXT, g.set);
    VkWriteIndirectExecutionSetPipelineEXT write = {
        .sType = VK_STRUCTURE_TYPE_WRITE_INDIRECT_EXECUTION_SET_PIPELINE_EXT,
        .index = 1,
        .pipeline = times_ten};
    update_set(c->device, g.set, 1, &write);

    /* Tokens: which pipeline, the push constants, the dispatch. */
    VkIndirectCommandsExecutionSetTokenEXT set_token = {
        .type = VK_INDIRECT_EXECUTION_SET_INFO_TYPE_PIPELINES_EXT,
        .shaderStages = VK_SHADER_STAGE_COMPUTE_BIT};
    VkIndirectCommandsPushConstantTokenEXT push_token = {.updateRange = range};
    VkIndirectCommandsLayoutTokenEXT tokens[3] = {
        {.sType = VK_STRUCTURE_TYPE_INDIRECT_COMMANDS_LAYOUT_TOKEN_EXT,
         .type = VK_INDIRECT_COMMANDS_TOKEN_TYPE_EXECUTION_SET_EXT,
         .data.pExecutionSet = &set_token,
         .offset = offsetof(struct dgc_sequence, pipeline)},
        {.sType = VK_STRUCTURE_TYPE_INDIRECT_COMMANDS_LAYOUT_TOKEN_EXT,
         .type = VK_INDIRECT_COMMANDS_TOKEN_TYPE_PUSH_CONSTANT_EXT,
         .data.pPushConstant = &push_token,
         .offset = offsetof(struct dgc_sequence, slot)},
        {.sType = VK_STRUCTURE_TYPE_INDIRECT_COMMANDS_LAYOUT_TOKEN_EXT,
         .type = VK_INDIRECT_COMMANDS_TOKEN_TYPE_DISPATCH_EXT,
         .offset = offsetof(struct dgc_sequence, dispatch)},
    };
    VkIndirectCommandsLayoutEXT explicit_layout, implicit_layout;
    VkIndirectCommandsLayoutCreateInfoEXT layout_info = {
        .sType = VK_STRUCTURE_TYPE_INDIRECT_COMMANDS_LAYOUT_CREATE_INFO_EXT,
        .flags = VK_INDIRECT_COMMANDS_LAYOUT_USAGE_EXPLICIT_PREPROCESS_BIT_EXT,
        .shaderStages = VK_SHADER_STAGE_COMPUTE_BIT,
        .indirectStride = sizeof(struct dgc_sequence),
        .pipelineLayout = g.layout,
        .tokenCount = 3,
        .pTokens = tokens};
    VK(create_layout(c->device, &layout_info, NULL, &explicit_layout));
    TRACK(INDIRECT_COMMANDS_LAYOUT_EXT, explicit_layout);
    layout_info.flags = 0;
    VK(create_layout(c->device, &layout_info, NULL, &implicit_layout));
    TRACK(INDIRECT_COMMANDS_LAYOUT_EXT, implicit_layout);

    struct dgc_buffer indirect = dgc_buffer_new(
        c, DGC_BYTES, VK_BUFFER_USAGE_2_INDIRECT_BUFFER_BIT, true, ~0u);

    /* 1. Preprocessed in a command buffer of its own, from the state of the
     * one that executes it (stateCommandBuffer), which is still recording. */
    VkGeneratedCommandsInfoEXT first = dgc_info(c, &g, explicit_layout, &indirect, 0, 0);
    VkCommandBuffer state = primary_new(c), pre = primary_new(c);
    begin(c, state, VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT);
    dgc_bind(state, &g);
    begin(c, pre, VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT);
    g.preprocess(pre, &first, state);
    end(c, pre);
    VkMemoryBarrier2 preprocessed = {.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER_2,
                                     .srcStageMask = VK_PIPELINE_STAGE_2_COMMAND_PREPROCESS_BIT_EXT,
                                     .srcAccessMask = VK_ACCESS_2_COMMAND_PREPROCESS_WRITE_BIT_EXT,
                                     .dstStageMask = VK_PIPELINE_STAGE_2_DRAW_INDIRECT_BIT,
                                     .dstAccessMask = VK_ACCESS_2_INDIRECT_COMMAND_READ_BIT};
    VkDependencyInfo dep = {.sType = VK_STRUCTURE_TYPE_DEPENDENCY_INFO,
                            .memoryBarrierCount = 1,
                            .pMemoryBarriers = &preprocessed};
    vkCmdPipelineBarrier2(state, &dep);
    g.execute(state, VK_TRUE, &first);
    to_host(state, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_ACCESS_SHADER_WRITE_BIT);
    end(c, state);

    /* 2. Preprocessed as it executes, as many sequences as a buffer says. */
    VkGeneratedCommandsInfoEXT second = dgc_info(c, &g, implicit_layout, &indirect, DGC_SECOND,
                                                 indirect.address + DGC_COUNT);
    VkCommandBuffer cb = primary_new(c);
    begin(c, cb, VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT);
    dgc_bind(cb, &g);
    g.execute(cb, VK_FALSE, &second);
    to_host(cb, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_ACCESS_SHADER_WRITE_BIT);
    end(c, cb);

    /* 3. An execution set of shader objects, where the device has them:
     * the initial shader bound, the other written into the set. */
    VkCommandBuffer objects_cb = VK_NULL_HANDLE;
    if (dgc_with_shader_objects) {
        PFN_vkCreateShadersEXT create_shaders = DEVICE_FN(vkCreateShadersEXT);
        PFN_vkCmdBindShadersEXT bind_shaders = DEVICE_FN(vkCmdBindShadersEXT);
        PFN_vkUpdateIndirectExecutionSetShaderEXT update_shaders =
            DEVICE_FN(vkUpdateIndirectExecutionSetShaderEXT);
        VkShaderEXT once = dgc_shader_new(c, create_shaders, set_layout, &range, 1);
        VkShaderEXT tenfold = dgc_shader_new(c, create_shaders, set_layout, &range, 10);
        VkIndirectExecutionSetShaderLayoutInfoEXT shader_layout = {
            .sType = VK_STRUCTURE_TYPE_INDIRECT_EXECUTION_SET_SHADER_LAYOUT_INFO_EXT,
            .setLayoutCount = 1,
            .pSetLayouts = &set_layout};
        VkIndirectExecutionSetShaderInfoEXT shaders = {
            .sType = VK_STRUCTURE_TYPE_INDIRECT_EXECUTION_SET_SHADER_INFO_EXT,
            .shaderCount = 1,
            .pInitialShaders = &once,
            .pSetLayoutInfos = &shader_layout,
            .maxShaderCount = 2,
            .pushConstantRangeCount = 1,
            .pPushConstantRanges = &range};
        VkIndirectExecutionSetCreateInfoEXT shader_set_info = {
            .sType = VK_STRUCTURE_TYPE_INDIRECT_EXECUTION_SET_CREATE_INFO_EXT,
            .type = VK_INDIRECT_EXECUTION_SET_INFO_TYPE_SHADER_OBJECTS_EXT,
            .info.pShaderInfo = &shaders};
        struct dgc h = g;
        VK(create_set(c->device, &shader_set_info, NULL, &h.set));
        TRACK(INDIRECT_EXECUTION_SET_EXT, h.set);
        VkWriteIndirectExecutionSetShaderEXT shader_write = {
            .sType = VK_STRUCTURE_TYPE_WRITE_INDIRECT_EXECUTION_SET_SHADER_EXT,
            .index = 1,
            .shader = tenfold};
        update_shaders(c->device, h.set, 1, &shader_write);
        set_token.type = VK_INDIRECT_EXECUTION_SET_INFO_TYPE_SHADER_OBJECTS_EXT;
        VkIndirectCommandsLayoutEXT shader_layout_dgc;
        VK(create_layout(c->device, &layout_info, NULL, &shader_layout_dgc));
        TRACK(INDIRECT_COMMANDS_LAYOUT_EXT, shader_layout_dgc);
        VkGeneratedCommandsInfoEXT third =
            dgc_info(c, &h, shader_layout_dgc, &indirect, DGC_THIRD, 0);
        objects_cb = primary_new(c);
        begin(c, objects_cb, VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT);
        const VkShaderStageFlagBits stage = VK_SHADER_STAGE_COMPUTE_BIT;
        bind_shaders(objects_cb, 1, &stage, &once); /* the set's initial state */
        vkCmdBindDescriptorSets(objects_cb, VK_PIPELINE_BIND_POINT_COMPUTE, g.layout, 0, 1,
                                &g.descriptors, 0, NULL);
        g.execute(objects_cb, VK_FALSE, &third);
        to_host(objects_cb, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_ACCESS_SHADER_WRITE_BIT);
        end(c, objects_cb);
    }

    /* The sequences, written through the mapping after recording: the
     * device reads them by address, so they must be on the host's side of
     * the wire by each submission. */
    struct dgc_sequence *seq = indirect.map;
    const uint32_t pipeline_of[DGC_SLOTS] = {0, 1, 1, 0, 1, 0, 1, 0, 1, 1, 0, 1};
    for (uint32_t i = 0; i < DGC_SLOTS; i++)
        seq[i] = (struct dgc_sequence){pipeline_of[i], i, 5 + i, {1, 1, 1}};
    *(uint32_t *)((char *)indirect.map + DGC_COUNT) = 3;
    VkCommandBuffer both[2] = {pre, state};
    VkSubmitInfo submit_info = {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
                                .commandBufferCount = 2,
                                .pCommandBuffers = both};
    VkFence fence = fence_new(c, false);
    submit(c, 1, &submit_info, fence);
    wait_fence(c, fence);
    submit_and_wait(c, cb);
    if (objects_cb)
        submit_and_wait(c, objects_cb);

    const uint32_t *o = out.map;
    const uint32_t slots = dgc_with_shader_objects ? DGC_SLOTS : 2 * DGC_SEQUENCES;
    for (uint32_t i = 0; i < slots; i++) {
        const uint32_t want = i == 2 * DGC_SEQUENCES - 1 ? 0xffffffffu /* beyond the count */
                                                        : (5 + i) * (pipeline_of[i] ? 10 : 1);
        EXPECT(o[i] == want, "sequence %u wrote %u, not %u", i, o[i], want);
    }
    digest(c, out.map, slots * 4);
}

/* ---- cooperative matrices (VK_KHR_cooperative_matrix) -------------------- */

/* An instance-level entry point (physical-device queries of extensions). */
#define INSTANCE_FN(name) ((PFN_##name)vkGetInstanceProcAddr(c->instance, #name))

/* The device's cooperative matrix configurations, asked for the two-call
 * way (and with too little room once: VK_INCOMPLETE); malloc'd. */
static VkCooperativeMatrixPropertiesKHR *matrix_properties(struct ctx *c, uint32_t *count)
{
    PFN_vkGetPhysicalDeviceCooperativeMatrixPropertiesKHR get =
        INSTANCE_FN(vkGetPhysicalDeviceCooperativeMatrixPropertiesKHR);
    EXPECT(get, "no vkGetPhysicalDeviceCooperativeMatrixPropertiesKHR");
    *count = 0;
    VK(get(c->physical, count, NULL));
    VkCooperativeMatrixPropertiesKHR *props = calloc(*count + 1, sizeof *props);
    EXPECT(props, "out of memory");
    for (uint32_t i = 0; i <= *count; i++)
        props[i].sType = VK_STRUCTURE_TYPE_COOPERATIVE_MATRIX_PROPERTIES_KHR;
    if (*count > 1) {
        uint32_t fewer = *count - 1;
        VkResult r = get(c->physical, &fewer, props);
        if (r != VK_INCOMPLETE || fewer != *count - 1) {
            free(props);
            fail(c, "cooperative matrix properties with room for one less: %s, %u",
                 result_name(r), fewer);
        }
    }
    VkResult r = get(c->physical, count, props);
    if (r != VK_SUCCESS) {
        free(props);
        VK(r);
    }
    return props;
}

/* 16x16x16, float16 A and B, float32 C and result, one subgroup of 32. */
static bool matrix_configuration(const VkCooperativeMatrixPropertiesKHR *p)
{
    return p->MSize == 16 && p->NSize == 16 && p->KSize == 16 &&
           p->AType == VK_COMPONENT_TYPE_FLOAT16_KHR && p->BType == VK_COMPONENT_TYPE_FLOAT16_KHR &&
           p->CType == VK_COMPONENT_TYPE_FLOAT32_KHR &&
           p->ResultType == VK_COMPONENT_TYPE_FLOAT32_KHR && !p->saturatingAccumulation &&
           p->scope == VK_SCOPE_SUBGROUP_KHR;
}

static void needs_cooperative_matrix(struct ctx *c, struct device_needs *n)
{
    static VkPhysicalDeviceCooperativeMatrixFeaturesKHR matrix;
    static VkPhysicalDevice16BitStorageFeatures storage16;
    matrix = (VkPhysicalDeviceCooperativeMatrixFeaturesKHR){
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_COOPERATIVE_MATRIX_FEATURES_KHR};
    storage16 = (VkPhysicalDevice16BitStorageFeatures){
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_16BIT_STORAGE_FEATURES, .pNext = &matrix};
    if (!need_extension(c, n, VK_KHR_COOPERATIVE_MATRIX_EXTENSION_NAME))
        return;
    VkPhysicalDeviceVulkan12Features v12 = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES, .pNext = &storage16};
    query_features(c, &v12);
    VkPhysicalDeviceCooperativeMatrixPropertiesKHR stages = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_COOPERATIVE_MATRIX_PROPERTIES_KHR};
    VkPhysicalDeviceVulkan11Properties v11 = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_1_PROPERTIES, .pNext = &stages};
    VkPhysicalDeviceProperties2 p2 = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2,
                                      .pNext = &v11};
    vkGetPhysicalDeviceProperties2(c->physical, &p2);
    uint32_t count;
    VkCooperativeMatrixPropertiesKHR *props = matrix_properties(c, &count);
    bool found = false;
    for (uint32_t i = 0; i < count && !found; i++)
        found = matrix_configuration(&props[i]);
    free(props);
    if (!matrix.cooperativeMatrix || !v12.shaderFloat16 || !storage16.storageBuffer16BitAccess ||
        !(stages.cooperativeMatrixSupportedStages & VK_SHADER_STAGE_COMPUTE_BIT) ||
        v11.subgroupSize != 32 || !found) {
        skip_because(n, "no 16x16x16 float16 cooperative matrix for a compute subgroup of 32");
        return;
    }
    matrix = (VkPhysicalDeviceCooperativeMatrixFeaturesKHR){
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_COOPERATIVE_MATRIX_FEATURES_KHR,
        .cooperativeMatrix = VK_TRUE};
    storage16 = (VkPhysicalDevice16BitStorageFeatures){
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_16BIT_STORAGE_FEATURES,
        .pNext = &matrix,
        .storageBuffer16BitAccess = VK_TRUE};
    n->features = &storage16;
    n->v12.shaderFloat16 = VK_TRUE;
}

/* A small integer as an IEEE 754 half (exact for |v| < 2048). */
static uint16_t half_of(int v)
{
    if (v == 0)
        return 0;
    uint16_t sign = v < 0 ? 0x8000 : 0;
    unsigned m = (unsigned)abs(v);
    int e = 0;
    while ((m >> e) > 1)
        e++;
    const unsigned mantissa = (m << (10 - e)) & 0x3ff; /* e <= 10 */
    return (uint16_t)(sign | (uint16_t)((e + 15) << 10) | (uint16_t)mantissa);
}

static void scenario_cooperative_matrix(struct ctx *c)
{
    enum { N = 16 };
    uint32_t count;
    VkCooperativeMatrixPropertiesKHR *props = matrix_properties(c, &count);
    for (uint32_t i = 0; i < count; i++) { /* the host's list, as the device gives it */
        const VkCooperativeMatrixPropertiesKHR *p = &props[i];
        const uint32_t words[9] = {p->MSize, p->NSize, p->KSize, (uint32_t)p->AType,
                                   (uint32_t)p->BType, (uint32_t)p->CType,
                                   (uint32_t)p->ResultType, p->saturatingAccumulation,
                                   (uint32_t)p->scope};
        digest(c, words, sizeof words);
    }
    free(props);
    /* NVIDIA's own lists, where offered: the same two-call queries. */
    if (offers_extension(c, VK_NV_COOPERATIVE_MATRIX_EXTENSION_NAME)) {
        PFN_vkGetPhysicalDeviceCooperativeMatrixPropertiesNV get_nv =
            INSTANCE_FN(vkGetPhysicalDeviceCooperativeMatrixPropertiesNV);
        EXPECT(get_nv, "no vkGetPhysicalDeviceCooperativeMatrixPropertiesNV");
        uint32_t n = 0;
        VK(get_nv(c->physical, &n, NULL));
        VkCooperativeMatrixPropertiesNV *nv = calloc(n + 1, sizeof *nv);
        EXPECT(nv, "out of memory");
        for (uint32_t i = 0; i < n; i++)
            nv[i].sType = VK_STRUCTURE_TYPE_COOPERATIVE_MATRIX_PROPERTIES_NV;
        VkResult r = get_nv(c->physical, &n, nv);
        for (uint32_t i = 0; r == VK_SUCCESS && i < n; i++) {
            const uint32_t words[8] = {nv[i].MSize, nv[i].NSize, nv[i].KSize,
                                       (uint32_t)nv[i].AType, (uint32_t)nv[i].BType,
                                       (uint32_t)nv[i].CType, (uint32_t)nv[i].DType,
                                       (uint32_t)nv[i].scope};
            digest(c, words, sizeof words);
        }
        free(nv);
        VK(r);
    }
    if (offers_extension(c, VK_NV_COOPERATIVE_MATRIX_2_EXTENSION_NAME)) {
        PFN_vkGetPhysicalDeviceCooperativeMatrixFlexibleDimensionsPropertiesNV get_flexible =
            INSTANCE_FN(vkGetPhysicalDeviceCooperativeMatrixFlexibleDimensionsPropertiesNV);
        EXPECT(get_flexible, "no vkGetPhysicalDeviceCooperativeMatrixFlexibleDimensionsPropertiesNV");
        uint32_t n = 0;
        VK(get_flexible(c->physical, &n, NULL));
        VkCooperativeMatrixFlexibleDimensionsPropertiesNV *flex = calloc(n + 1, sizeof *flex);
        EXPECT(flex, "out of memory");
        for (uint32_t i = 0; i < n; i++)
            flex[i].sType = VK_STRUCTURE_TYPE_COOPERATIVE_MATRIX_FLEXIBLE_DIMENSIONS_PROPERTIES_NV;
        VkResult r = get_flexible(c->physical, &n, flex);
        for (uint32_t i = 0; r == VK_SUCCESS && i < n; i++) {
            const uint32_t words[10] = {flex[i].MGranularity, flex[i].NGranularity,
                                        flex[i].KGranularity, (uint32_t)flex[i].AType,
                                        (uint32_t)flex[i].BType, (uint32_t)flex[i].CType,
                                        (uint32_t)flex[i].ResultType,
                                        flex[i].saturatingAccumulation, (uint32_t)flex[i].scope,
                                        flex[i].workgroupInvocations};
            digest(c, words, sizeof words);
        }
        free(flex);
        VK(r);
    }

    struct buffer bufs[4] = {buffer_new(c, N * N * 2, VK_BUFFER_USAGE_STORAGE_BUFFER_BIT),
                             buffer_new(c, N * N * 2, VK_BUFFER_USAGE_STORAGE_BUFFER_BIT),
                             buffer_new(c, N * N * 4, VK_BUFFER_USAGE_STORAGE_BUFFER_BIT),
                             buffer_new(c, N * N * 4, VK_BUFFER_USAGE_STORAGE_BUFFER_BIT)};
    uint16_t *a = bufs[0].map, *b = bufs[1].map;
    float *cin = bufs[2].map;
    int A[N][N], B[N][N];
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            A[i][j] = (i + 2 * j) % 5 - 2;
            B[i][j] = (i * j) % 3 - 1;
            a[i * N + j] = half_of(A[i][j]);
            b[i * N + j] = half_of(B[i][j]);
            cin[i * N + j] = (float)(i - j);
        }
    VkDescriptorSetLayout set_layout = storage_layout_new(c, 4);
    VkPipelineLayout layout = pipeline_layout_new(c, 1, &set_layout, 0, NULL);
    VkPipeline pipeline = compute_pipeline_new(c, SHADER(cmd_coopmat_spvasm_spv), layout, NULL, 0);
    VkDescriptorPool pool = descriptor_pool_new(c, 1, 0);
    const VkBuffer handles[4] = {bufs[0].buffer, bufs[1].buffer, bufs[2].buffer, bufs[3].buffer};
    VkDescriptorSet set = storage_set_new(c, pool, set_layout, 4, handles);
    VkCommandBuffer cb = primary_new(c);
    begin(c, cb, VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT);
    vkCmdBindPipeline(cb, VK_PIPELINE_BIND_POINT_COMPUTE, pipeline);
    vkCmdBindDescriptorSets(cb, VK_PIPELINE_BIND_POINT_COMPUTE, layout, 0, 1, &set, 0, NULL);
    vkCmdDispatch(cb, 1, 1, 1);
    to_host(cb, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_ACCESS_SHADER_WRITE_BIT);
    end(c, cb);
    submit_and_wait(c, cb);
    const float *d = bufs[3].map;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            int want = i - j;
            for (int k = 0; k < N; k++)
                want += A[i][k] * B[k][j];
            EXPECT(d[i * N + j] == (float)want, "D[%d][%d] is %g, not %d", i, j,
                   (double)d[i * N + j], want);
        }
    digest(c, bufs[3].map, bufs[3].size);
}

/* ---- cooperative vectors (VK_NV_cooperative_vector) ---------------------- */

static void needs_cooperative_vector(struct ctx *c, struct device_needs *n)
{
    static VkPhysicalDeviceCooperativeVectorFeaturesNV vector;
    vector = (VkPhysicalDeviceCooperativeVectorFeaturesNV){
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_COOPERATIVE_VECTOR_FEATURES_NV};
    if (!need_extension(c, n, VK_NV_COOPERATIVE_VECTOR_EXTENSION_NAME))
        return;
    query_features(c, &vector);
    if (!vector.cooperativeVector) {
        skip_because(n, "the device has no cooperative vectors");
        return;
    }
    vector = (VkPhysicalDeviceCooperativeVectorFeaturesNV){
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_COOPERATIVE_VECTOR_FEATURES_NV,
        .cooperativeVector = VK_TRUE};
    n->features = &vector;
}

/* The properties list, and host conversions (host pointers: the bytes
 * cross the wire): a size query, a row-major float32 matrix to float16
 * (checked), too small a destination (nothing written), and to the
 * inferencing-optimal layout and back. */
static void scenario_cooperative_vector(struct ctx *c)
{
    PFN_vkGetPhysicalDeviceCooperativeVectorPropertiesNV get =
        INSTANCE_FN(vkGetPhysicalDeviceCooperativeVectorPropertiesNV);
    EXPECT(get, "no vkGetPhysicalDeviceCooperativeVectorPropertiesNV");
    uint32_t count = 0;
    VK(get(c->physical, &count, NULL));
    VkCooperativeVectorPropertiesNV *props = calloc(count + 1, sizeof *props);
    EXPECT(props, "out of memory");
    for (uint32_t i = 0; i < count; i++)
        props[i].sType = VK_STRUCTURE_TYPE_COOPERATIVE_VECTOR_PROPERTIES_NV;
    VkResult r = get(c->physical, &count, props);
    for (uint32_t i = 0; r == VK_SUCCESS && i < count; i++) {
        const uint32_t words[6] = {(uint32_t)props[i].inputType,
                                   (uint32_t)props[i].inputInterpretation,
                                   (uint32_t)props[i].matrixInterpretation,
                                   (uint32_t)props[i].biasInterpretation,
                                   (uint32_t)props[i].resultType, props[i].transpose};
        digest(c, words, sizeof words);
    }
    free(props);
    VK(r);

    PFN_vkConvertCooperativeVectorMatrixNV convert = DEVICE_FN(vkConvertCooperativeVectorMatrixNV);
    /* Strides wider than a row, as Vulkan wants them (VUID-10077/10078). */
    enum { ROWS = 8, COLUMNS = 16, SRC_STRIDE = 20, DST_STRIDE = 24 }; /* in elements */
    float src[(ROWS - 1) * SRC_STRIDE + COLUMNS];
    for (int i = 0; i < (int)ARRAY_SIZE(src); i++)
        src[i] = (float)(i % 23 - 11);
    size_t size = 0;
    VkConvertCooperativeVectorMatrixInfoNV info = {
        .sType = VK_STRUCTURE_TYPE_CONVERT_COOPERATIVE_VECTOR_MATRIX_INFO_NV,
        .srcSize = sizeof src,
        .pDstSize = &size,
        .srcComponentType = VK_COMPONENT_TYPE_FLOAT32_KHR,
        .dstComponentType = VK_COMPONENT_TYPE_FLOAT16_KHR,
        .numRows = ROWS,
        .numColumns = COLUMNS,
        .srcLayout = VK_COOPERATIVE_VECTOR_MATRIX_LAYOUT_ROW_MAJOR_NV,
        .srcStride = SRC_STRIDE * 4,
        .dstLayout = VK_COOPERATIVE_VECTOR_MATRIX_LAYOUT_ROW_MAJOR_NV,
        .dstStride = DST_STRIDE * 2};
    VK(convert(c->device, &info));
    EXPECT(size >= ((ROWS - 1) * DST_STRIDE + COLUMNS) * 2,
           "a float16 row-major matrix of %zu bytes", size);
    digest(c, &size, sizeof size);
    uint16_t *half = malloc(size + 16);
    EXPECT(half, "out of memory");
    memset(half, 0x5a, size + 16);
    size_t small = size - 1;
    info.srcData.hostAddress = src;
    info.dstData.hostAddress = half;
    info.pDstSize = &small;
    r = convert(c->device, &info);
    bool untouched = true;
    for (size_t i = 0; i < size + 16; i++)
        untouched &= ((unsigned char *)half)[i] == 0x5a;
    if (r != VK_INCOMPLETE || !untouched) {
        free(half);
        fail(c, "too small a destination: %s, %s", result_name(r),
             untouched ? "nothing written" : "written");
    }
    size_t whole = size;
    info.pDstSize = &whole;
    r = convert(c->device, &info);
    bool same = r == VK_SUCCESS;
    for (int row = 0; same && row < ROWS; row++)
        for (int j = 0; same && j < COLUMNS; j++) {
            same = half[row * DST_STRIDE + j] == half_of((row * SRC_STRIDE + j) % 23 - 11);
            digest(c, &half[row * DST_STRIDE + j], 2); /* the elements, not the gaps */
        }
    free(half);
    EXPECT(same, "float32 to float16: %s, or values other than the CPU's", result_name(r));
}

/* ---- pipeline binaries (VK_KHR_pipeline_binary) --------------------------- */

static void needs_pipeline_binary(struct ctx *c, struct device_needs *n)
{
    static VkPhysicalDevicePipelineBinaryFeaturesKHR binaries;
    binaries = (VkPhysicalDevicePipelineBinaryFeaturesKHR){
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PIPELINE_BINARY_FEATURES_KHR};
    if (!need_extension(c, n, VK_KHR_PIPELINE_BINARY_EXTENSION_NAME))
        return;
    if (c->props.apiVersion < VK_API_VERSION_1_4 &&
        !need_extension(c, n, VK_KHR_MAINTENANCE_5_EXTENSION_NAME))
        return;
    query_features(c, &binaries);
    if (!binaries.pipelineBinaries) {
        skip_because(n, "the device has no pipeline binaries");
        return;
    }
    binaries.pNext = NULL;
    n->features = &binaries;
}

/* cmd_push.comp with a layout of one storage buffer and 128 bytes of push
 * constants; flags2 in its chain, then `next`. */
static VkComputePipelineCreateInfo push_pipeline_info(VkShaderModule module,
                                                      VkPipelineLayout layout,
                                                      VkPipelineCreateFlags2CreateInfo *flags2,
                                                      const void *next)
{
    flags2->pNext = next;
    return (VkComputePipelineCreateInfo){
        .sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO,
        .pNext = flags2,
        .stage = {.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
                  .stage = VK_SHADER_STAGE_COMPUTE_BIT,
                  .module = module,
                  .pName = "main"},
        .layout = layout};
}

/* Two dispatches of a cmd_push.comp pipeline, slots `first` and first + 1. */
static void run_push_pipeline(struct ctx *c, VkPipeline pipeline, VkPipelineLayout layout,
                              VkDescriptorSet set, uint32_t first)
{
    VkCommandBuffer cb = primary_new(c);
    begin(c, cb, VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT);
    vkCmdBindPipeline(cb, VK_PIPELINE_BIND_POINT_COMPUTE, pipeline);
    vkCmdBindDescriptorSets(cb, VK_PIPELINE_BIND_POINT_COMPUTE, layout, 0, 1, &set, 0, NULL);
    for (uint32_t slot = first; slot < first + 2; slot++) {
        uint32_t block[32];
        block[0] = slot;
        for (uint32_t j = 1; j < 32; j++)
            block[j] = slot * 1000 + j;
        vkCmdPushConstants(cb, layout, VK_SHADER_STAGE_COMPUTE_BIT, 0, sizeof block, block);
        vkCmdDispatch(cb, 1, 1, 1);
    }
    to_host(cb, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_ACCESS_SHADER_WRITE_BIT);
    end(c, cb);
    submit_and_wait(c, cb);
}

static void expect_push_slots(struct ctx *c, const struct buffer *out, uint32_t slots,
                              const char *what)
{
    const uint32_t *o = out->map;
    for (uint32_t slot = 0; slot < slots; slot++)
        for (uint32_t j = 0; j < 32; j++)
            EXPECT(o[slot * 32 + j] == (j == 0 ? slot : slot * 1000 + j),
                   "%s: slot %u word %u is %u", what, slot, j, o[slot * 32 + j]);
    digest(c, out->map, slots * 32 * 4);
}

enum { MAX_BINARIES = 16 };

static void destroy_binaries(struct ctx *c, uint32_t n, const VkPipelineBinaryKHR *binaries)
{
    PFN_vkDestroyPipelineBinaryKHR destroy = DEVICE_FN(vkDestroyPipelineBinaryKHR);
    for (uint32_t i = 0; i < n; i++)
        destroy(c->device, binaries[i], NULL);
}

static void scenario_pipeline_binary(struct ctx *c)
{
    PFN_vkCreatePipelineBinariesKHR create = DEVICE_FN(vkCreatePipelineBinariesKHR);
    PFN_vkGetPipelineBinaryDataKHR get_data = DEVICE_FN(vkGetPipelineBinaryDataKHR);
    PFN_vkGetPipelineKeyKHR get_key = DEVICE_FN(vkGetPipelineKeyKHR);
    PFN_vkReleaseCapturedPipelineDataKHR release = DEVICE_FN(vkReleaseCapturedPipelineDataKHR);

    VkPipelineBinaryKeyKHR global = {.sType = VK_STRUCTURE_TYPE_PIPELINE_BINARY_KEY_KHR};
    VK(get_key(c->device, NULL, &global));
    EXPECT(global.keySize > 0 && global.keySize <= VK_MAX_PIPELINE_BINARY_KEY_SIZE_KHR,
           "a global key of %u bytes", global.keySize);

    VkDescriptorSetLayout set_layout = storage_layout_new(c, 1);
    VkPushConstantRange range = {VK_SHADER_STAGE_COMPUTE_BIT, 0, 128};
    VkPipelineLayout layout = pipeline_layout_new(c, 1, &set_layout, 1, &range);
    struct buffer out = buffer_new(c, 4 * 32 * 4, VK_BUFFER_USAGE_STORAGE_BUFFER_BIT);
    VkDescriptorPool pool = descriptor_pool_new(c, 1, 0);
    VkDescriptorSet set = storage_set_new(c, pool, set_layout, 1, &out.buffer);
    VkShaderModule module = SHADER(cmd_push_comp_spv);

    /* A pipeline whose data is kept for binaries, and its key. */
    VkPipelineCreateFlags2CreateInfo capture = {
        .sType = VK_STRUCTURE_TYPE_PIPELINE_CREATE_FLAGS_2_CREATE_INFO,
        .flags = VK_PIPELINE_CREATE_2_CAPTURE_DATA_BIT_KHR};
    VkComputePipelineCreateInfo info = push_pipeline_info(module, layout, &capture, NULL);
    VkPipeline captured;
    VK(vkCreateComputePipelines(c->device, VK_NULL_HANDLE, 1, &info, NULL, &captured));
    TRACK(PIPELINE, captured);
    run_push_pipeline(c, captured, layout, set, 0);
    VkPipelineCreateInfoKHR head = {.sType = VK_STRUCTURE_TYPE_PIPELINE_CREATE_INFO_KHR,
                                    .pNext = &info};
    VkPipelineBinaryKeyKHR key = {.sType = VK_STRUCTURE_TYPE_PIPELINE_BINARY_KEY_KHR};
    VK(get_key(c->device, &head, &key));
    EXPECT(key.keySize > 0 && key.keySize <= VK_MAX_PIPELINE_BINARY_KEY_SIZE_KHR,
           "a pipeline key of %u bytes", key.keySize);

    /* Its binaries: how many, too few asked (VK_INCOMPLETE), all. */
    VkPipelineBinaryCreateInfoKHR from_pipeline = {
        .sType = VK_STRUCTURE_TYPE_PIPELINE_BINARY_CREATE_INFO_KHR, .pipeline = captured};
    VkPipelineBinaryHandlesInfoKHR handles = {
        .sType = VK_STRUCTURE_TYPE_PIPELINE_BINARY_HANDLES_INFO_KHR};
    VK(create(c->device, &from_pipeline, NULL, &handles));
    const uint32_t n = handles.pipelineBinaryCount;
    EXPECT(n > 0 && n <= MAX_BINARIES, "a pipeline of %u binaries", n);
    digest_u32(c, n);
    VkPipelineBinaryKHR binaries[MAX_BINARIES] = {0};
    if (n > 1) {
        handles.pipelineBinaryCount = n - 1;
        handles.pPipelineBinaries = binaries;
        VkResult r = create(c->device, &from_pipeline, NULL, &handles);
        const uint32_t made = handles.pipelineBinaryCount;
        destroy_binaries(c, made <= n ? made : n, binaries);
        EXPECT(r == VK_INCOMPLETE && made == n - 1,
               "room for %u of %u binaries: %s, %u made", n - 1, n, result_name(r), made);
    }
    handles.pipelineBinaryCount = n;
    handles.pPipelineBinaries = binaries;
    VK(create(c->device, &from_pipeline, NULL, &handles));
    EXPECT(handles.pipelineBinaryCount == n, "%u of %u binaries", handles.pipelineBinaryCount, n);
    for (uint32_t i = 0; i < n; i++)
        TRACK(PIPELINE_BINARY_KHR, binaries[i]);

    /* Their data: the size, too small a buffer (an error, nothing written,
     * the size needed), the whole with its key. */
    VkPipelineBinaryKeyKHR keys[MAX_BINARIES];
    VkPipelineBinaryDataKHR data[MAX_BINARIES] = {0};
    bool ok_all = true;
    for (uint32_t i = 0; i < n && ok_all; i++) {
        VkPipelineBinaryDataInfoKHR which = {
            .sType = VK_STRUCTURE_TYPE_PIPELINE_BINARY_DATA_INFO_KHR, .pipelineBinary = binaries[i]};
        keys[i] = (VkPipelineBinaryKeyKHR){.sType = VK_STRUCTURE_TYPE_PIPELINE_BINARY_KEY_KHR};
        size_t size = 0;
        ok_all = get_data(c->device, &which, &keys[i], &size, NULL) == VK_SUCCESS && size > 0;
        data[i].dataSize = size;
        data[i].pData = ok_all ? malloc(size) : NULL;
        ok_all = ok_all && data[i].pData;
        if (!ok_all)
            break;
        memset(data[i].pData, 0x5a, size);
        size_t small = size - 1;
        VkResult r = get_data(c->device, &which, &keys[i], &small, data[i].pData);
        bool untouched = true;
        for (size_t k = 0; k < size; k++)
            untouched &= ((unsigned char *)data[i].pData)[k] == 0x5a;
        ok_all = r == VK_ERROR_NOT_ENOUGH_SPACE_KHR && small == size && untouched &&
                 get_data(c->device, &which, &keys[i], &size, data[i].pData) == VK_SUCCESS &&
                 size == data[i].dataSize;
    }
    if (ok_all)
        VK(release(c->device,
                   &(VkReleaseCapturedPipelineDataInfoKHR){
                       .sType = VK_STRUCTURE_TYPE_RELEASE_CAPTURED_PIPELINE_DATA_INFO_KHR,
                       .pipeline = captured},
                   NULL));

    /* The binaries again from what the application kept; a pipeline made
     * of them, whose stage's module is ignored (here one destroyed). */
    VkPipelineBinaryKHR again[MAX_BINARIES] = {0};
    VkResult r = VK_ERROR_UNKNOWN;
    if (ok_all) {
        VkPipelineBinaryKeysAndDataKHR kept = {
            .binaryCount = n, .pPipelineBinaryKeys = keys, .pPipelineBinaryData = data};
        VkPipelineBinaryCreateInfoKHR from_data = {
            .sType = VK_STRUCTURE_TYPE_PIPELINE_BINARY_CREATE_INFO_KHR, .pKeysAndDataInfo = &kept};
        VkPipelineBinaryHandlesInfoKHR made = {
            .sType = VK_STRUCTURE_TYPE_PIPELINE_BINARY_HANDLES_INFO_KHR,
            .pipelineBinaryCount = n,
            .pPipelineBinaries = again};
        r = create(c->device, &from_data, NULL, &made);
        for (uint32_t i = 0; i < n; i++)
            if (again[i])
                TRACK(PIPELINE_BINARY_KHR, again[i]);
    }
    for (uint32_t i = 0; i < n; i++)
        free(data[i].pData);
    EXPECT(ok_all, "binary data: the size, too small a buffer untouched with "
                   "VK_ERROR_NOT_ENOUGH_SPACE_KHR and the size needed, the whole");
    VK(r);
    VkShaderModuleCreateInfo smci = {.sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO,
                                     .codeSize = sizeof cmd_push_comp_spv,
                                     .pCode = cmd_push_comp_spv};
    VkShaderModule gone;
    VK(vkCreateShaderModule(c->device, &smci, NULL, &gone));
    vkDestroyShaderModule(c->device, gone, NULL);
    VkPipelineBinaryInfoKHR use = {.sType = VK_STRUCTURE_TYPE_PIPELINE_BINARY_INFO_KHR,
                                   .binaryCount = n,
                                   .pPipelineBinaries = again};
    VkPipelineCreateFlags2CreateInfo none = {
        .sType = VK_STRUCTURE_TYPE_PIPELINE_CREATE_FLAGS_2_CREATE_INFO};
    VkComputePipelineCreateInfo from_binaries = push_pipeline_info(gone, layout, &none, &use);
    VkPipeline rebuilt;
    VK(vkCreateComputePipelines(c->device, VK_NULL_HANDLE, 1, &from_binaries, NULL, &rebuilt));
    TRACK(PIPELINE, rebuilt);
    run_push_pipeline(c, rebuilt, layout, set, 2);
    expect_push_slots(c, &out, 4, "pipelines from their binaries");
}

/* ---- shader module identifiers (VK_EXT_shader_module_identifier) ---------- */

static void needs_shader_module_identifier(struct ctx *c, struct device_needs *n)
{
    static VkPhysicalDeviceShaderModuleIdentifierFeaturesEXT identifiers;
    identifiers = (VkPhysicalDeviceShaderModuleIdentifierFeaturesEXT){
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_MODULE_IDENTIFIER_FEATURES_EXT};
    if (!need_extension(c, n, VK_EXT_SHADER_MODULE_IDENTIFIER_EXTENSION_NAME))
        return;
    query_features(c, &identifiers);
    if (!identifiers.shaderModuleIdentifier) {
        skip_because(n, "the device has no shader module identifiers");
        return;
    }
    identifiers.pNext = NULL;
    n->features = &identifiers;
}

static void scenario_shader_module_identifier(struct ctx *c)
{
    PFN_vkGetShaderModuleIdentifierEXT of_module = DEVICE_FN(vkGetShaderModuleIdentifierEXT);
    PFN_vkGetShaderModuleCreateInfoIdentifierEXT of_info =
        DEVICE_FN(vkGetShaderModuleCreateInfoIdentifierEXT);
    VkPhysicalDeviceShaderModuleIdentifierPropertiesEXT props = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_MODULE_IDENTIFIER_PROPERTIES_EXT};
    VkPhysicalDeviceProperties2 p2 = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2,
                                      .pNext = &props};
    vkGetPhysicalDeviceProperties2(c->physical, &p2);
    digest(c, props.shaderModuleIdentifierAlgorithmUUID, VK_UUID_SIZE); /* the host's */

    VkShaderModuleCreateInfo smci = {.sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO,
                                     .codeSize = sizeof cmd_push_comp_spv,
                                     .pCode = cmd_push_comp_spv};
    VkShaderModule module = SHADER(cmd_push_comp_spv);
    VkShaderModuleIdentifierEXT a = {.sType = VK_STRUCTURE_TYPE_SHADER_MODULE_IDENTIFIER_EXT};
    VkShaderModuleIdentifierEXT b = {.sType = VK_STRUCTURE_TYPE_SHADER_MODULE_IDENTIFIER_EXT};
    of_module(c->device, module, &a);
    of_info(c->device, &smci, &b);
    EXPECT(a.identifierSize > 0 && a.identifierSize <= VK_MAX_SHADER_MODULE_IDENTIFIER_SIZE_EXT &&
               a.identifierSize == b.identifierSize &&
               memcmp(a.identifier, b.identifier, a.identifierSize) == 0,
           "the module's identifier (%u bytes) and its create info's (%u) differ",
           a.identifierSize, b.identifierSize);
    digest(c, a.identifier, a.identifierSize);

    /* A pipeline from the identifier alone: made from the driver's cache,
     * or VK_PIPELINE_COMPILE_REQUIRED (both are the driver's right). */
    VkDescriptorSetLayout set_layout = storage_layout_new(c, 1);
    VkPushConstantRange range = {VK_SHADER_STAGE_COMPUTE_BIT, 0, 128};
    VkPipelineLayout layout = pipeline_layout_new(c, 1, &set_layout, 1, &range);
    struct buffer out = buffer_new(c, 4 * 32 * 4, VK_BUFFER_USAGE_STORAGE_BUFFER_BIT);
    VkDescriptorPool pool = descriptor_pool_new(c, 1, 0);
    VkDescriptorSet set = storage_set_new(c, pool, set_layout, 1, &out.buffer);
    VkPipeline compiled = compute_pipeline_new(c, module, layout, NULL, 0);
    run_push_pipeline(c, compiled, layout, set, 0);
    VkPipelineShaderStageModuleIdentifierCreateInfoEXT by_id = {
        .sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_MODULE_IDENTIFIER_CREATE_INFO_EXT,
        .identifierSize = a.identifierSize,
        .pIdentifier = a.identifier};
    VkComputePipelineCreateInfo info = {
        .sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO,
        .flags = VK_PIPELINE_CREATE_FAIL_ON_PIPELINE_COMPILE_REQUIRED_BIT,
        .stage = {.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
                  .pNext = &by_id,
                  .stage = VK_SHADER_STAGE_COMPUTE_BIT,
                  .pName = "main"},
        .layout = layout};
    VkPipeline cached = VK_NULL_HANDLE;
    VkResult r = vkCreateComputePipelines(c->device, VK_NULL_HANDLE, 1, &info, NULL, &cached);
    EXPECT(r == VK_SUCCESS || r == VK_PIPELINE_COMPILE_REQUIRED,
           "a pipeline from an identifier: %s", result_name(r));
    EXPECT((r == VK_SUCCESS) == (cached != VK_NULL_HANDLE), "%s with pipeline %p",
           result_name(r), (void *)cached);
    if (cached) {
        TRACK(PIPELINE, cached);
        run_push_pipeline(c, cached, layout, set, 2);
    } else {
        run_push_pipeline(c, compiled, layout, set, 2); /* the same bytes either way */
    }
    expect_push_slots(c, &out, 4, "pipelines from a module and from its identifier");
}

/* ---- pipeline executables (VK_KHR_pipeline_executable_properties) -------- */

static void needs_pipeline_executable_properties(struct ctx *c, struct device_needs *n)
{
    static VkPhysicalDevicePipelineExecutablePropertiesFeaturesKHR executables;
    executables = (VkPhysicalDevicePipelineExecutablePropertiesFeaturesKHR){
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PIPELINE_EXECUTABLE_PROPERTIES_FEATURES_KHR};
    if (!need_extension(c, n, VK_KHR_PIPELINE_EXECUTABLE_PROPERTIES_EXTENSION_NAME))
        return;
    query_features(c, &executables);
    if (!executables.pipelineExecutableInfo) {
        skip_because(n, "the device tells nothing of its pipelines' executables");
        return;
    }
    executables.pNext = NULL;
    n->features = &executables;
}

/* Names and kinds only: the values (timings among them) are the driver's. */
static void digest_text(struct ctx *c, const char *name, const char *description)
{
    digest(c, name, strnlen(name, VK_MAX_DESCRIPTION_SIZE));
    digest(c, description, strnlen(description, VK_MAX_DESCRIPTION_SIZE));
}

static void scenario_pipeline_executable_properties(struct ctx *c)
{
    PFN_vkGetPipelineExecutablePropertiesKHR get_executables =
        DEVICE_FN(vkGetPipelineExecutablePropertiesKHR);
    PFN_vkGetPipelineExecutableStatisticsKHR get_statistics =
        DEVICE_FN(vkGetPipelineExecutableStatisticsKHR);
    PFN_vkGetPipelineExecutableInternalRepresentationsKHR get_representations =
        DEVICE_FN(vkGetPipelineExecutableInternalRepresentationsKHR);
    VkDescriptorSetLayout set_layout = storage_layout_new(c, 1);
    VkPushConstantRange range = {VK_SHADER_STAGE_COMPUTE_BIT, 0, 128};
    VkPipelineLayout layout = pipeline_layout_new(c, 1, &set_layout, 1, &range);
    VkPipeline pipeline = compute_pipeline_new(
        c, SHADER(cmd_push_comp_spv), layout, NULL,
        VK_PIPELINE_CREATE_CAPTURE_STATISTICS_BIT_KHR |
            VK_PIPELINE_CREATE_CAPTURE_INTERNAL_REPRESENTATIONS_BIT_KHR);

    VkPipelineInfoKHR which = {.sType = VK_STRUCTURE_TYPE_PIPELINE_INFO_KHR, .pipeline = pipeline};
    uint32_t count = 0;
    VK(get_executables(c->device, &which, &count, NULL));
    EXPECT(count > 0 && count <= 8, "%u executables", count);
    VkPipelineExecutablePropertiesKHR executables[8];
    for (uint32_t i = 0; i < 8; i++)
        executables[i] = (VkPipelineExecutablePropertiesKHR){
            .sType = VK_STRUCTURE_TYPE_PIPELINE_EXECUTABLE_PROPERTIES_KHR};
    VK(get_executables(c->device, &which, &count, executables));
    digest_u32(c, count);
    for (uint32_t e = 0; e < count; e++) {
        EXPECT(executables[e].stages == VK_SHADER_STAGE_COMPUTE_BIT,
               "executable %u of a compute pipeline has stages 0x%x", e, executables[e].stages);
        digest_text(c, executables[e].name, executables[e].description);
        VkPipelineExecutableInfoKHR exe = {.sType = VK_STRUCTURE_TYPE_PIPELINE_EXECUTABLE_INFO_KHR,
                                           .pipeline = pipeline,
                                           .executableIndex = e};
        uint32_t n = 0;
        VK(get_statistics(c->device, &exe, &n, NULL));
        VkPipelineExecutableStatisticKHR *stats = calloc(n + 1, sizeof *stats);
        EXPECT(stats, "out of memory");
        for (uint32_t i = 0; i < n; i++)
            stats[i].sType = VK_STRUCTURE_TYPE_PIPELINE_EXECUTABLE_STATISTIC_KHR;
        VkResult r = get_statistics(c->device, &exe, &n, stats);
        bool formats = r == VK_SUCCESS;
        for (uint32_t i = 0; formats && i < n; i++) {
            formats = stats[i].format <= VK_PIPELINE_EXECUTABLE_STATISTIC_FORMAT_FLOAT64_KHR &&
                      (stats[i].format != VK_PIPELINE_EXECUTABLE_STATISTIC_FORMAT_BOOL32_KHR ||
                       stats[i].value.b32 <= 1);
            digest_text(c, stats[i].name, stats[i].description);
            digest_u32(c, (uint32_t)stats[i].format);
        }
        free(stats);
        EXPECT(formats, "statistics of executable %u: %s, or a value that is not its format", e,
               result_name(r));

        /* Internal representations: their sizes, then the data; too small
         * a buffer for one gets part of it (VK_INCOMPLETE). */
        n = 0;
        VK(get_representations(c->device, &exe, &n, NULL));
        VkPipelineExecutableInternalRepresentationKHR *reps = calloc(n + 1, sizeof *reps);
        EXPECT(reps, "out of memory");
        for (uint32_t i = 0; i < n; i++)
            reps[i].sType = VK_STRUCTURE_TYPE_PIPELINE_EXECUTABLE_INTERNAL_REPRESENTATION_KHR;
        r = get_representations(c->device, &exe, &n, reps);
        bool fine = r == VK_SUCCESS;
        for (uint32_t i = 0; fine && i < n; i++) {
            reps[i].pData = reps[i].dataSize ? malloc(reps[i].dataSize) : NULL;
            fine = !reps[i].dataSize || reps[i].pData;
        }
        const size_t whole = n && fine ? reps[0].dataSize : 0;
        if (fine)
            fine = get_representations(c->device, &exe, &n, reps) == VK_SUCCESS;
        for (uint32_t i = 0; fine && i < n; i++) {
            digest_text(c, reps[i].name, reps[i].description);
            digest_u32(c, reps[i].isText);
            if (reps[i].isText && reps[i].dataSize) /* text ends with its NUL */
                fine = memchr(reps[i].pData, 0, reps[i].dataSize) != NULL;
        }
        if (fine && whole > 1) {
            uint32_t one = 1;
            reps[0].dataSize = whole - 1;
            r = get_representations(c->device, &exe, &one, reps);
            fine = r == VK_INCOMPLETE && reps[0].dataSize <= whole - 1;
        }
        for (uint32_t i = 0; i < n; i++)
            free(reps[i].pData);
        free(reps);
        EXPECT(fine, "internal representations of executable %u: sizes, data, or a short buffer "
                     "(%s)", e, result_name(r));
    }
}

#define CMDTEST_SHADERS_FAMILY                                                                 \
    {"mesh_shader", scenario_mesh_shader,                                                      \
     "task and mesh shaders: vkCmdDrawMeshTasksEXT, ...IndirectEXT, ...IndirectCountEXT; "     \
     "garbage vertex input ignored",                                                           \
     false, needs_mesh_shader, true},                                                          \
    {"shader_objects", scenario_shader_objects,                                                \
     "vkCreateShadersEXT linked and not, compute; every state dynamic; binaries: too small, "  \
     "recreated, refused when damaged",                                                        \
     false, needs_shader_object, true},                                                        \
    {"generated_commands", scenario_generated_commands,                                        \
     "device-generated dispatches: execution sets of pipelines and of shader objects, push "   \
     "constants, explicit and implicit preprocessing, a sequence count",                      \
     false, needs_generated_commands, true},                                                   \
    {"cooperative_matrix", scenario_cooperative_matrix,                                        \
     "the cooperative matrix configurations; D = A x B + C (16x16x16 float16) by one "         \
     "subgroup, checked on the CPU",                                                           \
     false, needs_cooperative_matrix, true},                                                   \
    {"cooperative_vector", scenario_cooperative_vector,                                        \
     "cooperative vector properties; host conversions of a matrix (sizes, too small, values)", \
     false, needs_cooperative_vector, true},                                                   \
    {"pipeline_binary", scenario_pipeline_binary,                                              \
     "keys; binaries of a pipeline, their data (too small: untouched), again from the data, "  \
     "a pipeline made of them",                                                                \
     false, needs_pipeline_binary, true},                                                      \
    {"shader_module_identifier", scenario_shader_module_identifier,                            \
     "identifiers of a module and of its create info, a pipeline from the identifier",        \
     false, needs_shader_module_identifier, true},                                             \
    {"pipeline_executable_properties", scenario_pipeline_executable_properties,                \
     "executables, statistics and internal representations of a pipeline (two-call, short)",  \
     false, needs_pipeline_executable_properties, true},

#endif /* VKW_CMDTEST_SHADERS_H */
