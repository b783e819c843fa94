/* Descriptors that are not sets written once: mutable descriptors
 * (VK_EXT_mutable_descriptor_type) and push descriptors
 * (VK_KHR_push_descriptor, core in Vulkan 1.4, with maintenance6's
 * vkCmdPushDescriptorSet2 forms).  Through vkwire a push through a template
 * is recorded by the guest as the vkCmdPushDescriptorSet(2) its entries
 * stand for (runtime/guest/vkw_icd.c).  Included by tests/vkw_cmdtest.c
 * (families.h). */

/* ---- mutable descriptors ---- */

static void mutable_descriptors_needs(struct ctx *c, struct device_needs *n)
{
    static VkPhysicalDeviceMutableDescriptorTypeFeaturesEXT on;
    VkPhysicalDeviceMutableDescriptorTypeFeaturesEXT have = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MUTABLE_DESCRIPTOR_TYPE_FEATURES_EXT};
    VkPhysicalDeviceFeatures2 features = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2,
                                          .pNext = &have};
    vkGetPhysicalDeviceFeatures2(c->physical, &features);
    if (!have.mutableDescriptorType) {
        n->skip = true;
        snprintf(n->skip_why, sizeof n->skip_why, "no mutableDescriptorType");
        return;
    }
    on = (VkPhysicalDeviceMutableDescriptorTypeFeaturesEXT){
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MUTABLE_DESCRIPTOR_TYPE_FEATURES_EXT,
        .mutableDescriptorType = VK_TRUE};
    n->features = &on;
    n->extensions[n->extension_count++] = VK_EXT_MUTABLE_DESCRIPTOR_TYPE_EXTENSION_NAME;
}

/* Binding 0 of two sets is mutable: written as a storage buffer, then as
 * a uniform buffer, then copied from the other set where it was written
 * as a uniform texel buffer; a pipeline reading it as that type runs
 * after each. */
static void scenario_mutable_descriptors(struct ctx *c)
{
    enum { N = 16 };
    static const VkDescriptorType kinds[3] = {VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
                                              VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER,
                                              VK_DESCRIPTOR_TYPE_UNIFORM_TEXEL_BUFFER};
    /* List i goes with binding i (the layout) and pool size i (the pool). */
    const VkMutableDescriptorTypeListEXT lists[2] = {{3, kinds}, {0, NULL}};
    const VkMutableDescriptorTypeCreateInfoEXT mutable_info = {
        .sType = VK_STRUCTURE_TYPE_MUTABLE_DESCRIPTOR_TYPE_CREATE_INFO_EXT,
        .mutableDescriptorTypeListCount = 2,
        .pMutableDescriptorTypeLists = lists};
    const VkDescriptorSetLayoutBinding bindings[2] = {
        {0, VK_DESCRIPTOR_TYPE_MUTABLE_EXT, 1, VK_SHADER_STAGE_COMPUTE_BIT, NULL},
        {1, VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 1, VK_SHADER_STAGE_COMPUTE_BIT, NULL}};
    VkDescriptorSetLayoutCreateInfo li = {
        .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO,
        .pNext = &mutable_info,
        .bindingCount = 2,
        .pBindings = bindings};
    VkDescriptorSetLayout set_layout;
    VK(vkCreateDescriptorSetLayout(c->device, &li, NULL, &set_layout));
    TRACK(DESCRIPTOR_SET_LAYOUT, set_layout);
    VkPipelineLayout layout = pipeline_layout_new(c, 1, &set_layout, 0, NULL);
    VkPipeline pipelines[3] = {
        compute_pipeline_new(c, SHADER(cmd_mutable_storage_comp_spv), layout, NULL, 0),
        compute_pipeline_new(c, SHADER(cmd_mutable_uniform_comp_spv), layout, NULL, 0),
        compute_pipeline_new(c, SHADER(cmd_mutable_texel_comp_spv), layout, NULL, 0)};

    const VkDescriptorPoolSize sizes[2] = {{VK_DESCRIPTOR_TYPE_MUTABLE_EXT, 2},
                                           {VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 2}};
    VkDescriptorPoolCreateInfo pi = {.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO,
                                     .pNext = &mutable_info,
                                     .maxSets = 2,
                                     .poolSizeCount = 2,
                                     .pPoolSizes = sizes};
    VkDescriptorPool pool;
    VK(vkCreateDescriptorPool(c->device, &pi, NULL, &pool));
    TRACK(DESCRIPTOR_POOL, pool);
    VkDescriptorSet set = descriptor_set_new(c, pool, set_layout);
    VkDescriptorSet other = descriptor_set_new(c, pool, set_layout);

    /* The three inputs, one per type, and an output per round. */
    struct buffer storage = buffer_new(c, N * 4, VK_BUFFER_USAGE_STORAGE_BUFFER_BIT);
    struct buffer uniform = buffer_new(c, N * 4, VK_BUFFER_USAGE_UNIFORM_BUFFER_BIT);
    struct buffer texels = buffer_new(c, N * 4, VK_BUFFER_USAGE_UNIFORM_TEXEL_BUFFER_BIT);
    struct buffer out[3];
    for (uint32_t i = 0; i < N; i++) {
        ((uint32_t *)storage.map)[i] = i * 7 + 3;
        ((uint32_t *)uniform.map)[i] = 100 + i;
        ((uint32_t *)texels.map)[i] = 50 * i + 9;
    }
    for (int k = 0; k < 3; k++)
        out[k] = buffer_new(c, N * 4, VK_BUFFER_USAGE_STORAGE_BUFFER_BIT);
    VkBufferViewCreateInfo vi = {.sType = VK_STRUCTURE_TYPE_BUFFER_VIEW_CREATE_INFO,
                                 .buffer = texels.buffer,
                                 .format = VK_FORMAT_R32_UINT,
                                 .range = VK_WHOLE_SIZE};
    VkBufferView view;
    VK(vkCreateBufferView(c->device, &vi, NULL, &view));
    TRACK(BUFFER_VIEW, view);

    for (int round = 0; round < 3; round++) {
        if (round == 0) {
            write_buffer_descriptor(c, set, 0, VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, storage.buffer,
                                    0, VK_WHOLE_SIZE);
        } else if (round == 1) {
            write_buffer_descriptor(c, set, 0, VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER, uniform.buffer,
                                    0, VK_WHOLE_SIZE);
        } else {
            VkWriteDescriptorSet w = {.sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
                                      .dstSet = other,
                                      .dstBinding = 0,
                                      .descriptorCount = 1,
                                      .descriptorType = VK_DESCRIPTOR_TYPE_UNIFORM_TEXEL_BUFFER,
                                      .pTexelBufferView = &view};
            VkCopyDescriptorSet copy = {.sType = VK_STRUCTURE_TYPE_COPY_DESCRIPTOR_SET,
                                        .srcSet = other,
                                        .dstSet = set,
                                        .descriptorCount = 1};
            vkUpdateDescriptorSets(c->device, 1, &w, 0, NULL);
            vkUpdateDescriptorSets(c->device, 0, NULL, 1, &copy);
        }
        write_buffer_descriptor(c, set, 1, VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, out[round].buffer,
                                0, VK_WHOLE_SIZE);
        VkCommandBuffer cb = primary_new(c);
        begin(c, cb, VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT);
        vkCmdBindPipeline(cb, VK_PIPELINE_BIND_POINT_COMPUTE, pipelines[round]);
        vkCmdBindDescriptorSets(cb, VK_PIPELINE_BIND_POINT_COMPUTE, layout, 0, 1, &set, 0, NULL);
        vkCmdDispatch(cb, 1, 1, 1);
        to_host(cb, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_ACCESS_SHADER_WRITE_BIT);
        end(c, cb);
        submit_and_wait(c, cb);
    }
    for (uint32_t i = 0; i < N; i++) {
        const uint32_t want[3] = {i * 7 + 3 + 1000, 2 * (100 + i), 3 * (50 * i + 9) + 1};
        for (int k = 0; k < 3; k++)
            EXPECT(((uint32_t *)out[k].map)[i] == want[k], "%s read through the mutable binding: "
                   "[%u] is %u, not %u", k == 0 ? "storage" : k == 1 ? "uniform" : "texel", i,
                   ((uint32_t *)out[k].map)[i], want[k]);
    }
    for (int k = 0; k < 3; k++)
        digest(c, out[k].map, N * 4);
}

/* ---- push descriptors ---- */

/* cmd_descriptors.comp's set 0, pushed: out = k.x * a0 + k.y * a1 + k.z. */
struct push_io {
    VkDescriptorBufferInfo constants, inputs[2], output;
};

enum { PUSH_N = 64, PUSH_INPUTS = 3, PUSH_ROUNDS = 4 };

static void push_writes(VkWriteDescriptorSet w[3], const struct push_io *io)
{
    const VkWriteDescriptorSet base = {.sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
                                       .descriptorCount = 1};
    w[0] = w[1] = w[2] = base;
    w[0].dstBinding = 0, w[0].descriptorType = VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER;
    w[0].pBufferInfo = &io->constants;
    w[1].dstBinding = 1, w[1].descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
    w[1].descriptorCount = 2, w[1].pBufferInfo = io->inputs;
    w[2].dstBinding = 2, w[2].descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
    w[2].pBufferInfo = &io->output;
}

/* A handle value no object has: what an application may leave in a member
 * Vulkan ignores. */
#define IGNORED_GARBAGE(type, n) ((type)(uintptr_t)(0xdead0000u + (n)))

/* Push, then dispatch, `rounds` times (round r: input pair r, constants r
 * % 2, output r) in one command buffer, by vkCmdPushDescriptorSet(KHR),
 * through a template, and (`core`) by the two vkCmdPushDescriptorSet2
 * forms.  Every pushed descriptor is new each time.  With `garbage`, the
 * members Vulkan ignores hold values no object has: each write's dstSet
 * (a push ignores it), the push template's set layout, and a descriptor-set
 * template's pipeline layout. */
static void push_descriptors_run(struct ctx *c, bool core, bool garbage)
{
    const uint32_t rounds = core ? PUSH_ROUNDS : 2;
    PFN_vkCmdPushDescriptorSetKHR push =
        core ? (PFN_vkCmdPushDescriptorSetKHR)DEVICE_PROC(vkCmdPushDescriptorSet)
             : DEVICE_PROC(vkCmdPushDescriptorSetKHR);
    PFN_vkCmdPushDescriptorSetWithTemplateKHR push_template =
        core ? (PFN_vkCmdPushDescriptorSetWithTemplateKHR)DEVICE_PROC(
                   vkCmdPushDescriptorSetWithTemplate)
             : DEVICE_PROC(vkCmdPushDescriptorSetWithTemplateKHR);
    PFN_vkCmdPushDescriptorSet2 push2 = core ? DEVICE_PROC(vkCmdPushDescriptorSet2) : NULL;
    PFN_vkCmdPushDescriptorSetWithTemplate2 push_template2 =
        core ? DEVICE_PROC(vkCmdPushDescriptorSetWithTemplate2) : NULL;

    const VkShaderStageFlags cs = VK_SHADER_STAGE_COMPUTE_BIT;
    const VkDescriptorSetLayoutBinding bindings[3] = {
        {0, VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER, 1, cs, NULL},
        {1, VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 2, cs, NULL},
        {2, VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 1, cs, NULL}};
    VkDescriptorSetLayoutCreateInfo li = {
        .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO,
        .flags = VK_DESCRIPTOR_SET_LAYOUT_CREATE_PUSH_DESCRIPTOR_BIT_KHR,
        .bindingCount = 3,
        .pBindings = bindings};
    VkDescriptorSetLayout set_layout;
    VK(vkCreateDescriptorSetLayout(c->device, &li, NULL, &set_layout));
    TRACK(DESCRIPTOR_SET_LAYOUT, set_layout);
    VkPipelineLayout layout = pipeline_layout_new(c, 1, &set_layout, 0, NULL);
    VkPipeline pipeline =
        compute_pipeline_new(c, SHADER(cmd_descriptors_comp_spv), layout, NULL, 0);

    /* A template over struct push_io, as applications lay one out. */
    const VkDescriptorUpdateTemplateEntry entries[3] = {
        {0, 0, 1, VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER, offsetof(struct push_io, constants), 0},
        {1, 0, 2, VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, offsetof(struct push_io, inputs),
         sizeof(VkDescriptorBufferInfo)},
        {2, 0, 1, VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, offsetof(struct push_io, output), 0}};
    VkDescriptorUpdateTemplateCreateInfo ti = {
        .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_UPDATE_TEMPLATE_CREATE_INFO,
        .descriptorUpdateEntryCount = 3,
        .pDescriptorUpdateEntries = entries,
        .templateType = VK_DESCRIPTOR_UPDATE_TEMPLATE_TYPE_PUSH_DESCRIPTORS_KHR,
        .pipelineBindPoint = VK_PIPELINE_BIND_POINT_COMPUTE,
        .pipelineLayout = layout,
        .set = 0};
    if (garbage)
        ti.descriptorSetLayout = IGNORED_GARBAGE(VkDescriptorSetLayout, 1);
    VkDescriptorUpdateTemplate tmpl;
    VK(vkCreateDescriptorUpdateTemplate(c->device, &ti, NULL, &tmpl));
    TRACK(DESCRIPTOR_UPDATE_TEMPLATE, tmpl);
    if (garbage) { /* a descriptor-set template ignores the pipeline layout */
        VkDescriptorSetLayout plain_layout;
        li.flags = 0;
        VK(vkCreateDescriptorSetLayout(c->device, &li, NULL, &plain_layout));
        TRACK(DESCRIPTOR_SET_LAYOUT, plain_layout);
        VkDescriptorUpdateTemplateCreateInfo si = ti;
        si.templateType = VK_DESCRIPTOR_UPDATE_TEMPLATE_TYPE_DESCRIPTOR_SET;
        si.descriptorSetLayout = plain_layout;
        si.pipelineLayout = IGNORED_GARBAGE(VkPipelineLayout, 2);
        VkDescriptorUpdateTemplate set_tmpl;
        VK(vkCreateDescriptorUpdateTemplate(c->device, &si, NULL, &set_tmpl));
        TRACK(DESCRIPTOR_UPDATE_TEMPLATE, set_tmpl);
    }

    struct buffer constants[2], inputs[PUSH_INPUTS], outputs[PUSH_ROUNDS * 2];
    const uint32_t k[2][4] = {{2, 3, 5, PUSH_N}, {1, 10, 0, PUSH_N}};
    for (int j = 0; j < 2; j++) {
        constants[j] = buffer_new(c, 16, VK_BUFFER_USAGE_UNIFORM_BUFFER_BIT);
        memcpy(constants[j].map, k[j], 16);
    }
    for (int j = 0; j < PUSH_INPUTS; j++) {
        inputs[j] = buffer_new(c, PUSH_N * 4, VK_BUFFER_USAGE_STORAGE_BUFFER_BIT);
        for (uint32_t i = 0; i < PUSH_N; i++)
            ((uint32_t *)inputs[j].map)[i] = (uint32_t)(j + 1) * 100 + i;
    }
    /* Two pushes a round: the first (by the plain form) is replaced by the
     * second before the dispatch, so its output stays zero. */
    for (uint32_t r = 0; r < rounds * 2; r++)
        outputs[r] = buffer_new(c, PUSH_N * 4, VK_BUFFER_USAGE_STORAGE_BUFFER_BIT);

    VkCommandBuffer cb = primary_new(c);
    begin(c, cb, VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT);
    vkCmdBindPipeline(cb, VK_PIPELINE_BIND_POINT_COMPUTE, pipeline);
    for (uint32_t r = 0; r < rounds; r++) {
        struct push_io io = {
            .constants = {constants[r % 2].buffer, 0, VK_WHOLE_SIZE},
            .inputs = {{inputs[r % PUSH_INPUTS].buffer, 0, VK_WHOLE_SIZE},
                       {inputs[(r + 1) % PUSH_INPUTS].buffer, 0, VK_WHOLE_SIZE}},
            .output = {outputs[2 * r + 1].buffer, 0, VK_WHOLE_SIZE}};
        struct push_io stale = io;
        stale.output.buffer = outputs[2 * r].buffer;
        VkWriteDescriptorSet w[3];
        push_writes(w, &stale);
        for (int j = 0; garbage && j < 3; j++)
            w[j].dstSet = IGNORED_GARBAGE(VkDescriptorSet, 16 + j);
        push(cb, VK_PIPELINE_BIND_POINT_COMPUTE, layout, 0, 3, w);
        push_writes(w, &io);
        for (int j = 0; garbage && j < 3; j++)
            w[j].dstSet = IGNORED_GARBAGE(VkDescriptorSet, 32 + j);
        switch (r) {
        case 0: push(cb, VK_PIPELINE_BIND_POINT_COMPUTE, layout, 0, 3, w); break;
        case 1: push_template(cb, tmpl, layout, 0, &io); break;
        case 2: {
            VkPushDescriptorSetInfo info = {.sType = VK_STRUCTURE_TYPE_PUSH_DESCRIPTOR_SET_INFO,
                                            .stageFlags = VK_SHADER_STAGE_COMPUTE_BIT,
                                            .layout = layout,
                                            .set = 0,
                                            .descriptorWriteCount = 3,
                                            .pDescriptorWrites = w};
            push2(cb, &info);
            break;
        }
        default: {
            VkPushDescriptorSetWithTemplateInfo info = {
                .sType = VK_STRUCTURE_TYPE_PUSH_DESCRIPTOR_SET_WITH_TEMPLATE_INFO,
                .descriptorUpdateTemplate = tmpl,
                .layout = layout,
                .set = 0,
                .pData = &io};
            push_template2(cb, &info);
            break;
        }
        }
        vkCmdDispatch(cb, 1, 1, 1);
    }
    to_host(cb, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_ACCESS_SHADER_WRITE_BIT);
    end(c, cb);
    submit_and_wait(c, cb);

    for (uint32_t r = 0; r < rounds; r++) {
        const uint32_t *kk = k[r % 2];
        const uint32_t a = (r % PUSH_INPUTS + 1) * 100, b = ((r + 1) % PUSH_INPUTS + 1) * 100;
        const uint32_t *stale = outputs[2 * r].map, *out = outputs[2 * r + 1].map;
        for (uint32_t i = 0; i < PUSH_N; i++) {
            const uint32_t want = kk[0] * (a + i) + kk[1] * (b + i) + kk[2];
            EXPECT(out[i] == want, "round %u: out[%u] is %u, not %u", r, i, out[i], want);
            EXPECT(stale[i] == 0, "round %u: the replaced push wrote [%u] = %u", r, i, stale[i]);
        }
        digest(c, out, PUSH_N * 4);
    }
}

static void push_descriptors_needs(struct ctx *c, struct device_needs *n)
{
    (void)c;
    n->extensions[n->extension_count++] = VK_KHR_PUSH_DESCRIPTOR_EXTENSION_NAME;
}

static void scenario_push_descriptors(struct ctx *c) { push_descriptors_run(c, false, false); }

/* The Khronos layer (1.3.239) would look the ignored handles up: without it. */
static void scenario_push_descriptors_ignored(struct ctx *c)
{
    push_descriptors_run(c, false, true);
}

/* Vulkan 1.4's pushDescriptor and maintenance6 (the vkCmdPushDescriptorSet2
 * forms), asked by the core struct. */
static void push_descriptors_core_needs(struct ctx *c, struct device_needs *n)
{
    static VkPhysicalDeviceVulkan14Features on;
    VkPhysicalDeviceVulkan14Features have = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_4_FEATURES};
    VkPhysicalDeviceFeatures2 features = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2,
                                          .pNext = &have};
    vkGetPhysicalDeviceFeatures2(c->physical, &features);
    if (c->props.apiVersion < VK_API_VERSION_1_4 || !have.pushDescriptor || !have.maintenance6) {
        n->skip = true;
        snprintf(n->skip_why, sizeof n->skip_why, "no Vulkan 1.4 pushDescriptor and maintenance6");
        return;
    }
    on = (VkPhysicalDeviceVulkan14Features){
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_4_FEATURES,
        .pushDescriptor = VK_TRUE,
        .maintenance6 = VK_TRUE};
    n->features = &on;
}

static void scenario_push_descriptors_core(struct ctx *c)
{
    push_descriptors_run(c, true, false);
}

#define CMDTEST_DESCRIPTORS                                                                    \
    {"mutable_descriptors", scenario_mutable_descriptors,                                      \
     "a mutable binding written as storage, uniform and (copied) texel buffer, read by a "     \
     "pipeline of each type", false, mutable_descriptors_needs, false},                        \
    {"push_descriptors", scenario_push_descriptors,                                            \
     "VK_KHR_push_descriptor: pushes replaced before a dispatch, through a template", false,   \
     push_descriptors_needs, false},                                                           \
    {"push_descriptors_ignored", scenario_push_descriptors_ignored,                            \
     "the same pushes with garbage where Vulkan ignores it: each write's set, the templates' " \
     "set and pipeline layouts", false, push_descriptors_needs, true},                        \
    {"push_descriptors_core", scenario_push_descriptors_core,                                  \
     "Vulkan 1.4 push descriptors: vkCmdPushDescriptorSet(WithTemplate) and their "            \
     "maintenance6 2 forms", false, push_descriptors_core_needs, true},
