/* Objects destroyed while a command buffer that names them records
 * (doc/PROTOCOL.md section 28).  Through vkwire a command buffer's commands
 * reach the host later than the application recorded them: in a 64 KiB
 * chunk, or at vkEndCommandBuffer, after whatever the application did
 * meanwhile, so the commands that name the object reach the host after its
 * destroy.  Included by tests/vkw_cmdtest.c (families.h). */

/* 64 KiB of recorded data: a chunk's worth (VKW_RECORD_CHUNK_BYTES). */
static uint32_t chunk_words[65536 / 4];

static void record_a_chunk(VkCommandBuffer cb, VkBuffer scratch)
{
    for (uint32_t i = 0; i < ARRAY_SIZE(chunk_words); i++)
        chunk_words[i] = i * 0x9e3779b9u;
    vkCmdUpdateBuffer(cb, scratch, 0, sizeof chunk_words, chunk_words);
}

/* What dst = src * 3 + bias over `n` elements needs bound, with `layout`
 * for the binds and the push. */
static void bind_times3(VkCommandBuffer cb, VkPipeline times3, VkPipelineLayout layout,
                        VkDescriptorSet in, VkDescriptorSet out, uint32_t bias, uint32_t n)
{
    vkCmdBindPipeline(cb, VK_PIPELINE_BIND_POINT_COMPUTE, times3);
    const VkDescriptorSet sets[2] = {in, out};
    vkCmdBindDescriptorSets(cb, VK_PIPELINE_BIND_POINT_COMPUTE, layout, 0, 2, sets, 0, NULL);
    const struct scale_params p = {bias, n};
    vkCmdPushConstants(cb, layout, VK_SHADER_STAGE_COMPUTE_BIT, 0, sizeof p, &p);
}

static void record_times3(VkCommandBuffer cb, VkPipeline times3, VkPipelineLayout layout,
                          VkDescriptorSet in, VkDescriptorSet out, uint32_t bias, uint32_t n)
{
    bind_times3(cb, times3, layout, in, out, bias, n);
    vkCmdDispatch(cb, groups_for(n, 64), 1, 1);
}

static void expect_times3(struct ctx *c, const char *what, const struct buffer *src,
                          const struct buffer *dst, uint32_t bias, uint32_t n)
{
    const uint32_t *s = src->map, *d = dst->map;
    for (uint32_t i = 0; i < n; i++)
        EXPECT(d[i] == s[i] * 3u + bias, "%s: element %u is %u, not %u", what, i, d[i],
               s[i] * 3u + bias);
    digest(c, d, n * 4);
}

/* dEQP-VK.api.pipeline.pipeline_layout.lifetime: an application binds
 * descriptor sets and pushes constants with a pipeline layout of its own
 * (compatible with the pipeline's), destroys it before
 * vkEndCommandBuffer (Vulkan's rule says not to; every driver allows it,
 * layouts matter when commands are recorded), records 64 KiB more (one
 * vkCmdUpdateBuffer: through vkwire a chunk goes then, naming the layout),
 * ends, and submits. */
static void scenario_layout_destroyed_recording(struct ctx *c)
{
    enum { N = 300 };
    struct buffer src = buffer_new(c, N * 4, VK_BUFFER_USAGE_STORAGE_BUFFER_BIT);
    struct buffer out = buffer_new(c, N * 4, VK_BUFFER_USAGE_STORAGE_BUFFER_BIT);
    struct buffer out2 = buffer_new(c, N * 4, VK_BUFFER_USAGE_STORAGE_BUFFER_BIT);
    struct buffer scratch = buffer_new(c, sizeof chunk_words, 0);
    uint32_t *s = src.map;
    for (uint32_t i = 0; i < N; i++)
        s[i] = i * 7u + 1u;
    VkDescriptorSetLayout one;
    VkPipelineLayout layout = scale_layout_new(c, &one);
    VkPipeline times3 = scale_pipeline_new(c, SHADER(cmd_scale_comp_spv), layout, 3, 64, 0);
    VkDescriptorPool pool = descriptor_pool_new(c, 3, 0);
    VkDescriptorSet src_set = storage_set_new(c, pool, one, 1, &src.buffer);
    VkDescriptorSet out_set = storage_set_new(c, pool, one, 1, &out.buffer);
    VkDescriptorSet out2_set = storage_set_new(c, pool, one, 1, &out2.buffer);

    /* Not tracked: it is destroyed below, in the middle of a recording. */
    const VkDescriptorSetLayout sets[2] = {one, one};
    const VkPushConstantRange range = {VK_SHADER_STAGE_COMPUTE_BIT, 0,
                                       sizeof(struct scale_params)};
    const VkPipelineLayoutCreateInfo info = {
        .sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO,
        .setLayoutCount = 2,
        .pSetLayouts = sets,
        .pushConstantRangeCount = 1,
        .pPushConstantRanges = &range};
    VkPipelineLayout own;
    VK(vkCreatePipelineLayout(c->device, &info, NULL, &own));

    VkCommandBuffer cb = primary_new(c);
    begin(c, cb, VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT);
    bind_times3(cb, times3, own, src_set, out_set, 17, N);
    vkDestroyPipelineLayout(c->device, own, NULL);
    record_a_chunk(cb, scratch.buffer);
    vkCmdDispatch(cb, groups_for(N, 64), 1, 1);
    to_host(cb, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT,
            VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT);
    end(c, cb);
    submit_and_wait(c, cb);
    expect_times3(c, "recorded with a layout destroyed before its end", &src, &out, 17, N);
    EXPECT(memcmp(scratch.map, chunk_words, sizeof chunk_words) == 0,
           "the 64 KiB recorded after the destroy did not arrive");
    digest(c, scratch.map, 64);

    /* Another command buffer afterwards, with the pipeline's own layout. */
    VkCommandBuffer cb2 = primary_new(c);
    begin(c, cb2, VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT);
    record_times3(cb2, times3, layout, src_set, out2_set, 5, N);
    to_host(cb2, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_ACCESS_SHADER_WRITE_BIT);
    end(c, cb2);
    submit_and_wait(c, cb2);
    expect_times3(c, "a command buffer recorded afterwards", &src, &out2, 5, N);
}

/* Descriptor sets bound by a command buffer that records go with
 * vkFreeDescriptorSets, vkResetDescriptorPool, vkDestroyDescriptorPool
 * before a dispatch used them; the command buffer is ended (through vkwire
 * its commands go then, naming the sets after they went) and never
 * submitted as it is, but reset and recorded again with new sets from the
 * same room (so the host must have freed the old ones at once), and
 * submitted. */
static void scenario_sets_freed_recording(struct ctx *c)
{
    enum { N = 200, FREE = 0, RESET, DESTROY, ROUNDS };
    static const char *const how[ROUNDS] = {"vkFreeDescriptorSets", "vkResetDescriptorPool",
                                            "vkDestroyDescriptorPool"};
    struct buffer src = buffer_new(c, N * 4, VK_BUFFER_USAGE_STORAGE_BUFFER_BIT);
    struct buffer out = buffer_new(c, N * 4, VK_BUFFER_USAGE_STORAGE_BUFFER_BIT);
    uint32_t *s = src.map;
    for (uint32_t i = 0; i < N; i++)
        s[i] = i ^ 0x5a5au;
    VkDescriptorSetLayout one;
    VkPipelineLayout layout = scale_layout_new(c, &one);
    VkPipeline times3 = scale_pipeline_new(c, SHADER(cmd_scale_comp_spv), layout, 3, 64, 0);
    VkCommandBuffer cb = primary_new(c);

    for (int round = 0; round < ROUNDS; round++) {
        /* Room for two sets: the second recording's sets fit only once the
         * first's are gone. */
        const VkDescriptorPoolSize size = {VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 2};
        const VkDescriptorPoolCreateInfo info = {
            .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO,
            .flags = round == FREE ? VK_DESCRIPTOR_POOL_CREATE_FREE_DESCRIPTOR_SET_BIT : 0,
            .maxSets = 2,
            .poolSizeCount = 1,
            .pPoolSizes = &size};
        VkDescriptorPool pool;
        VK(vkCreateDescriptorPool(c->device, &info, NULL, &pool));
        if (round != DESTROY)
            TRACK(DESCRIPTOR_POOL, pool);
        VkDescriptorSet sets[2] = {storage_set_new(c, pool, one, 1, &src.buffer),
                                   storage_set_new(c, pool, one, 1, &out.buffer)};
        const uint32_t bias = 1000u * (uint32_t)round + 1u;

        begin(c, cb, 0);
        bind_times3(cb, times3, layout, sets[0], sets[1], bias + 500u, N);
        if (round == FREE)
            VK(vkFreeDescriptorSets(c->device, pool, 2, sets));
        else if (round == RESET)
            VK(vkResetDescriptorPool(c->device, pool, 0));
        else
            vkDestroyDescriptorPool(c->device, pool, NULL);
        VK(vkEndCommandBuffer(cb));
        VK(vkResetCommandBuffer(cb, 0));

        if (round == DESTROY)
            pool = descriptor_pool_new(c, 2, 0);
        sets[0] = storage_set_new(c, pool, one, 1, &src.buffer);
        sets[1] = storage_set_new(c, pool, one, 1, &out.buffer);
        begin(c, cb, 0);
        record_times3(cb, times3, layout, sets[0], sets[1], bias, N);
        to_host(cb, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_ACCESS_SHADER_WRITE_BIT);
        end(c, cb);
        submit_and_wait(c, cb);
        char what[80];
        snprintf(what, sizeof what, "recorded again after %s", how[round]);
        expect_times3(c, what, &src, &out, bias, N);
        VK(vkResetCommandBuffer(cb, 0));
    }
}

/* Push descriptors ignore each write's dstSet: an application may leave a
 * set there that is freed, or garbage (through vkwire the guest sends
 * none; the host would refuse a set it does not know).  Run without the
 * validation layer: its handle unwrapping clears dstSet on its way to the
 * driver, which would hide what the ICD must do itself. */
static void scenario_push_descriptors_stale_set(struct ctx *c)
{
    PFN_vkCmdPushDescriptorSetKHR push = DEVICE_PROC(vkCmdPushDescriptorSetKHR);
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
    VkDescriptorSetLayout push_layout;
    VK(vkCreateDescriptorSetLayout(c->device, &li, NULL, &push_layout));
    TRACK(DESCRIPTOR_SET_LAYOUT, push_layout);
    VkPipelineLayout layout = pipeline_layout_new(c, 1, &push_layout, 0, NULL);
    VkPipeline pipeline =
        compute_pipeline_new(c, SHADER(cmd_descriptors_comp_spv), layout, NULL, 0);

    /* A set that existed once. */
    VkDescriptorPool pool = descriptor_pool_new(c, 1, VK_DESCRIPTOR_POOL_CREATE_FREE_DESCRIPTOR_SET_BIT);
    VkDescriptorSet freed = descriptor_set_new(c, pool, storage_layout_new(c, 1));
    VK(vkFreeDescriptorSets(c->device, pool, 1, &freed));

    struct buffer constants = buffer_new(c, 16, VK_BUFFER_USAGE_UNIFORM_BUFFER_BIT);
    const uint32_t k[4] = {4, 9, 1, PUSH_N};
    memcpy(constants.map, k, sizeof k);
    struct buffer in[2], out = buffer_new(c, PUSH_N * 4, VK_BUFFER_USAGE_STORAGE_BUFFER_BIT);
    for (int j = 0; j < 2; j++) {
        in[j] = buffer_new(c, PUSH_N * 4, VK_BUFFER_USAGE_STORAGE_BUFFER_BIT);
        for (uint32_t i = 0; i < PUSH_N; i++)
            ((uint32_t *)in[j].map)[i] = (uint32_t)j * 1000 + i;
    }
    const struct push_io io = {.constants = {constants.buffer, 0, VK_WHOLE_SIZE},
                               .inputs = {{in[0].buffer, 0, VK_WHOLE_SIZE},
                                          {in[1].buffer, 0, VK_WHOLE_SIZE}},
                               .output = {out.buffer, 0, VK_WHOLE_SIZE}};
    VkWriteDescriptorSet w[3];
    push_writes(w, &io);
    w[0].dstSet = freed;
    w[1].dstSet = freed;
    w[2].dstSet = (VkDescriptorSet)(uintptr_t)0x5eed5eed5eedull; /* never a set */

    VkCommandBuffer cb = primary_new(c);
    begin(c, cb, VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT);
    vkCmdBindPipeline(cb, VK_PIPELINE_BIND_POINT_COMPUTE, pipeline);
    push(cb, VK_PIPELINE_BIND_POINT_COMPUTE, layout, 0, 3, w);
    vkCmdDispatch(cb, 1, 1, 1);
    to_host(cb, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_ACCESS_SHADER_WRITE_BIT);
    end(c, cb);
    submit_and_wait(c, cb);
    const uint32_t *o = out.map;
    for (uint32_t i = 0; i < PUSH_N; i++) {
        const uint32_t want = k[0] * i + k[1] * (1000 + i) + k[2];
        EXPECT(o[i] == want, "out[%u] is %u, not %u", i, o[i], want);
    }
    digest(c, o, PUSH_N * 4);
}

#define CMDTEST_LIFETIMES                                                                      \
    {"layout_destroyed_recording", scenario_layout_destroyed_recording,                        \
     "a pipeline layout destroyed after binding with it and before the end; submitted, and "   \
     "another command buffer after it",                                                        \
     false, NULL, false},                                                                      \
    {"sets_freed_recording", scenario_sets_freed_recording,                                    \
     "sets bound by a recording freed, their pool reset, their pool destroyed; the "           \
     "command buffer ended, reset, recorded again with new sets and submitted",                \
     false, NULL, false},                                                                      \
    {"push_descriptors_stale_set", scenario_push_descriptors_stale_set,                        \
     "push descriptor writes whose ignored dstSet is a freed set, or garbage",                 \
     false, push_descriptors_needs, true},
