/* Graphics pipeline libraries (VK_EXT_graphics_pipeline_library over
 * VK_KHR_pipeline_library): the scene's pipeline made of four libraries
 * (vertex input, pre-rasterization shaders, fragment shader, fragment
 * output), linked fast and with link-time optimisation, draws the same
 * picture as the monolithic pipeline.  Once more with each library leaving
 * the state of the other subsets as garbage pointers, which the driver
 * ignores: the guest must not read or send them (runtime/guest/
 * vkw_guest_sanitize.c); Debian 12's validation layer reads some of them,
 * so that run goes without it.
 * Included by tests/vkw_cmdtest.c (families.h). */

static void pipeline_library_needs(struct ctx *c, struct device_needs *n)
{
    static VkPhysicalDeviceGraphicsPipelineLibraryFeaturesEXT on;
    VkPhysicalDeviceGraphicsPipelineLibraryFeaturesEXT have = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_GRAPHICS_PIPELINE_LIBRARY_FEATURES_EXT};
    VkPhysicalDeviceFeatures2 features = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2,
                                          .pNext = &have};
    vkGetPhysicalDeviceFeatures2(c->physical, &features);
    if (!have.graphicsPipelineLibrary) {
        n->skip = true;
        snprintf(n->skip_why, sizeof n->skip_why, "no graphicsPipelineLibrary");
        return;
    }
    on = (VkPhysicalDeviceGraphicsPipelineLibraryFeaturesEXT){
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_GRAPHICS_PIPELINE_LIBRARY_FEATURES_EXT,
        .graphicsPipelineLibrary = VK_TRUE};
    n->features = &on;
    n->extensions[n->extension_count++] = VK_KHR_PIPELINE_LIBRARY_EXTENSION_NAME;
    n->extensions[n->extension_count++] = VK_EXT_GRAPHICS_PIPELINE_LIBRARY_EXTENSION_NAME;
}

/* Where the state a library does not include points: NULL, or an address
 * nothing may read. */
#define IGNORED(type) ((const type *)ignored)
#define GARBAGE ((const void *)(uintptr_t)0x10)

/* The library of subset `part` of the scene's pipeline (scene_rendering,
 * dynamic viewport and scissor), keeping what link-time optimisation
 * needs. */
static VkPipeline scene_library_new(struct ctx *c, VkGraphicsPipelineLibraryFlagsEXT part,
                                    VkPipelineLayout layout, VkShaderModule vert,
                                    VkShaderModule frag, const void *ignored)
{
    VkPipelineShaderStageCreateInfo stage = {
        .sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
        .stage = part == VK_GRAPHICS_PIPELINE_LIBRARY_PRE_RASTERIZATION_SHADERS_BIT_EXT
                     ? VK_SHADER_STAGE_VERTEX_BIT
                     : VK_SHADER_STAGE_FRAGMENT_BIT,
        .module = part == VK_GRAPHICS_PIPELINE_LIBRARY_PRE_RASTERIZATION_SHADERS_BIT_EXT ? vert
                                                                                       : frag,
        .pName = "main"};
    VkVertexInputBindingDescription binding = {0, sizeof(struct vertex),
                                               VK_VERTEX_INPUT_RATE_VERTEX};
    VkVertexInputAttributeDescription attributes[2] = {
        {0, 0, VK_FORMAT_R32G32B32_SFLOAT, offsetof(struct vertex, position)},
        {1, 0, VK_FORMAT_R32G32B32A32_SFLOAT, offsetof(struct vertex, colour)},
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
    const bool vi = part == VK_GRAPHICS_PIPELINE_LIBRARY_VERTEX_INPUT_INTERFACE_BIT_EXT;
    const bool pre = part == VK_GRAPHICS_PIPELINE_LIBRARY_PRE_RASTERIZATION_SHADERS_BIT_EXT;
    const bool fs = part == VK_GRAPHICS_PIPELINE_LIBRARY_FRAGMENT_SHADER_BIT_EXT;
    const bool fo = part == VK_GRAPHICS_PIPELINE_LIBRARY_FRAGMENT_OUTPUT_INTERFACE_BIT_EXT;
    /* The attachments' formats are the fragment subsets' business (the
     * pre-rasterization one would take only a view mask, 0 here). */
    VkPipelineRenderingCreateInfo rendering = scene_rendering;
    VkGraphicsPipelineLibraryCreateInfoEXT library = {
        .sType = VK_STRUCTURE_TYPE_GRAPHICS_PIPELINE_LIBRARY_CREATE_INFO_EXT,
        .pNext = fs || fo ? &rendering : NULL,
        .flags = part};

    VkGraphicsPipelineCreateInfo info = {
        .sType = VK_STRUCTURE_TYPE_GRAPHICS_PIPELINE_CREATE_INFO,
        .pNext = &library,
        .flags = VK_PIPELINE_CREATE_LIBRARY_BIT_KHR |
                 VK_PIPELINE_CREATE_RETAIN_LINK_TIME_OPTIMIZATION_INFO_BIT_EXT,
        .stageCount = pre || fs ? 1 : 0,
        .pStages = pre || fs ? &stage : IGNORED(VkPipelineShaderStageCreateInfo),
        .pVertexInputState = vi ? &input : IGNORED(VkPipelineVertexInputStateCreateInfo),
        .pInputAssemblyState = vi ? &assembly : IGNORED(VkPipelineInputAssemblyStateCreateInfo),
        .pTessellationState = IGNORED(VkPipelineTessellationStateCreateInfo), /* no tessellation */
        .pViewportState = pre ? &viewport : IGNORED(VkPipelineViewportStateCreateInfo),
        .pRasterizationState = pre ? &raster : IGNORED(VkPipelineRasterizationStateCreateInfo),
        .pMultisampleState =
            fs || fo ? &multisample : IGNORED(VkPipelineMultisampleStateCreateInfo),
        .pDepthStencilState = fs ? &depth : IGNORED(VkPipelineDepthStencilStateCreateInfo),
        .pColorBlendState = fo ? &blend : IGNORED(VkPipelineColorBlendStateCreateInfo),
        .pDynamicState = &dynamic,
        .layout = pre || fs ? layout : VK_NULL_HANDLE,
        .basePipelineIndex = -1};
    if (!pre && !fs)
        info.stageCount = 0;
    VkPipeline p;
    VK(vkCreateGraphicsPipelines(c->device, VK_NULL_HANDLE, 1, &info, NULL, &p));
    TRACK(PIPELINE, p);
    return p;
}

/* The four libraries linked: fast, or optimised at link time. */
static VkPipeline scene_link_new(struct ctx *c, const VkPipeline libraries[4],
                                 VkPipelineLayout layout, bool optimise, const void *ignored)
{
    VkPipelineLibraryCreateInfoKHR link = {
        .sType = VK_STRUCTURE_TYPE_PIPELINE_LIBRARY_CREATE_INFO_KHR,
        .libraryCount = 4,
        .pLibraries = libraries};
    VkGraphicsPipelineCreateInfo info = {
        .sType = VK_STRUCTURE_TYPE_GRAPHICS_PIPELINE_CREATE_INFO,
        .pNext = &link,
        .flags = optimise ? VK_PIPELINE_CREATE_LINK_TIME_OPTIMIZATION_BIT_EXT : 0,
        /* every subset comes from the libraries: the rest is ignored */
        .pStages = IGNORED(VkPipelineShaderStageCreateInfo),
        .pVertexInputState = IGNORED(VkPipelineVertexInputStateCreateInfo),
        .pInputAssemblyState = IGNORED(VkPipelineInputAssemblyStateCreateInfo),
        .pViewportState = IGNORED(VkPipelineViewportStateCreateInfo),
        .pRasterizationState = IGNORED(VkPipelineRasterizationStateCreateInfo),
        .pMultisampleState = IGNORED(VkPipelineMultisampleStateCreateInfo),
        .pDepthStencilState = IGNORED(VkPipelineDepthStencilStateCreateInfo),
        .pColorBlendState = IGNORED(VkPipelineColorBlendStateCreateInfo),
        .layout = layout,
        .basePipelineIndex = -1};
    VkPipeline p;
    VK(vkCreateGraphicsPipelines(c->device, VK_NULL_HANDLE, 1, &info, NULL, &p));
    TRACK(PIPELINE, p);
    return p;
}

static void pipeline_library_run(struct ctx *c, const void *ignored)
{
    struct scene whole;
    struct buffer vertices;
    dynamic_scene_new(c, &whole, &vertices); /* the monolithic pipeline */
    VkShaderModule vert = SHADER(cmd_scene_vert_spv), frag = SHADER(cmd_scene_frag_spv);
    static const VkGraphicsPipelineLibraryFlagsEXT parts[4] = {
        VK_GRAPHICS_PIPELINE_LIBRARY_VERTEX_INPUT_INTERFACE_BIT_EXT,
        VK_GRAPHICS_PIPELINE_LIBRARY_PRE_RASTERIZATION_SHADERS_BIT_EXT,
        VK_GRAPHICS_PIPELINE_LIBRARY_FRAGMENT_SHADER_BIT_EXT,
        VK_GRAPHICS_PIPELINE_LIBRARY_FRAGMENT_OUTPUT_INTERFACE_BIT_EXT};
    VkPipeline libraries[4];
    for (int i = 0; i < 4; i++)
        libraries[i] = scene_library_new(c, parts[i], whole.layout, vert, frag, ignored);
    struct scene fast = whole, optimised = whole;
    fast.pipeline = scene_link_new(c, libraries, whole.layout, false, ignored);
    optimised.pipeline = scene_link_new(c, libraries, whole.layout, true, ignored);

    struct dynamic_target monolithic_target, fast_target, optimised_target;
    dynamic_target_new(c, &monolithic_target);
    dynamic_target_new(c, &fast_target);
    dynamic_target_new(c, &optimised_target);
    render_dynamic_scene(c, &whole, &monolithic_target, false);
    render_dynamic_scene(c, &fast, &fast_target, false);
    render_dynamic_scene(c, &optimised, &optimised_target, false);
    check_scene(c, "monolithic", monolithic_target.colour_out.map,
                monolithic_target.depth_out.map, NULL);
    check_scene(c, "linked", fast_target.colour_out.map, fast_target.depth_out.map, NULL);
    expect_same(c, "linked: colour", &monolithic_target.colour_out, &fast_target.colour_out);
    expect_same(c, "linked: depth", &monolithic_target.depth_out, &fast_target.depth_out);
    expect_same(c, "optimised: colour", &monolithic_target.colour_out,
                &optimised_target.colour_out);
    expect_same(c, "optimised: depth", &monolithic_target.depth_out,
                &optimised_target.depth_out);
    digest(c, fast_target.colour_out.map, fast_target.colour_out.size);
    digest(c, fast_target.depth_out.map, fast_target.depth_out.size);
}

static void scenario_pipeline_library(struct ctx *c) { pipeline_library_run(c, NULL); }
static void scenario_pipeline_library_garbage(struct ctx *c) { pipeline_library_run(c, GARBAGE); }

#undef IGNORED
#undef GARBAGE

#define CMDTEST_PIPELINE_LIBRARY                                                               \
    {"graphics_pipeline_library", scenario_pipeline_library,                                  \
     "four libraries linked fast and with link-time optimisation draw the monolithic "        \
     "pipeline's picture", false, pipeline_library_needs, false},                             \
    {"graphics_pipeline_library_ignored", scenario_pipeline_library_garbage,                  \
     "the same, every state a library does not include left as a garbage pointer", false,     \
     pipeline_library_needs, true},
