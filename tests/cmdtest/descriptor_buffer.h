/* VK_EXT_descriptor_buffer: descriptors are bytes the application asks of
 * the driver (vkGetDescriptorEXT) and writes into mapped buffer memory
 * itself.  Through vkwire those bytes travel like any other bytes of
 * host-visible memory: shared pages, or (copied mode) the coherent shadow
 * sent at each submission; the commands that bind them are recorded ones.
 * Included by tests/vkw_cmdtest.c (families.h). */

/* A host-visible, coherent buffer whose device address shaders and
 * descriptors use (SHADER_DEVICE_ADDRESS), mapped and zeroed. */
static struct buffer address_buffer_new(struct ctx *c, VkDeviceSize size,
                                        VkBufferUsageFlags usage, VkDeviceAddress *address)
{
    struct buffer b = {.size = size};
    VkBufferCreateInfo info = {.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
                               .size = size,
                               .usage = usage | VK_BUFFER_USAGE_SHADER_DEVICE_ADDRESS_BIT |
                                        VK_BUFFER_USAGE_TRANSFER_SRC_BIT |
                                        VK_BUFFER_USAGE_TRANSFER_DST_BIT,
                               .sharingMode = VK_SHARING_MODE_EXCLUSIVE};
    VK(vkCreateBuffer(c->device, &info, NULL, &b.buffer));
    VkMemoryRequirements req;
    vkGetBufferMemoryRequirements(c->device, b.buffer, &req);
    VkMemoryAllocateFlagsInfo flags = {.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_FLAGS_INFO,
                                       .flags = VK_MEMORY_ALLOCATE_DEVICE_ADDRESS_BIT};
    VkMemoryAllocateInfo mai = {
        .sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
        .pNext = &flags,
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
    TRACK(DEVICE_MEMORY, b.memory);
    TRACK(BUFFER, b.buffer);
    VK(vkBindBufferMemory(c->device, b.buffer, b.memory, 0));
    VK(vkMapMemory(c->device, b.memory, 0, VK_WHOLE_SIZE, 0, &b.map));
    memset(b.map, 0, (size_t)size);
    VkBufferDeviceAddressInfo ai = {.sType = VK_STRUCTURE_TYPE_BUFFER_DEVICE_ADDRESS_INFO,
                                    .buffer = b.buffer};
    *address = vkGetBufferDeviceAddress(c->device, &ai);
    EXPECT(*address != 0, "vkGetBufferDeviceAddress gave 0");
    return b;
}

static VkDescriptorSetLayout flagged_layout_new(struct ctx *c,
                                                VkDescriptorSetLayoutCreateFlags flags,
                                                uint32_t count,
                                                const VkDescriptorSetLayoutBinding *bindings)
{
    VkDescriptorSetLayoutCreateInfo info = {
        .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO,
        .flags = flags,
        .bindingCount = count,
        .pBindings = bindings};
    VkDescriptorSetLayout l;
    VK(vkCreateDescriptorSetLayout(c->device, &info, NULL, &l));
    TRACK(DESCRIPTOR_SET_LAYOUT, l);
    return l;
}

static VkSampler nearest_sampler_new(struct ctx *c)
{
    VkSamplerCreateInfo info = {.sType = VK_STRUCTURE_TYPE_SAMPLER_CREATE_INFO,
                                .magFilter = VK_FILTER_NEAREST,
                                .minFilter = VK_FILTER_NEAREST,
                                .mipmapMode = VK_SAMPLER_MIPMAP_MODE_NEAREST,
                                .addressModeU = VK_SAMPLER_ADDRESS_MODE_CLAMP_TO_EDGE,
                                .addressModeV = VK_SAMPLER_ADDRESS_MODE_CLAMP_TO_EDGE,
                                .addressModeW = VK_SAMPLER_ADDRESS_MODE_CLAMP_TO_EDGE,
                                .maxLod = VK_LOD_CLAMP_NONE};
    VkSampler s;
    VK(vkCreateSampler(c->device, &info, NULL, &s));
    TRACK(SAMPLER, s);
    return s;
}

/* The 4x4 texture the descriptor scenarios sample: red and green differ
 * at every texel. */
static uint8_t texture_red(uint32_t x, uint32_t y) { return (uint8_t)(10 * x + y + 1); }
static uint8_t texture_green(uint32_t x, uint32_t y) { return (uint8_t)(3 * y + x + 7); }

/* That texture, uploaded and left in SHADER_READ_ONLY_OPTIMAL. */
static struct image texture_new(struct ctx *c)
{
    struct image im = image_new(c, VK_FORMAT_R8G8B8A8_UNORM, 4, 4, 1, 1, VK_SAMPLE_COUNT_1_BIT,
                                VK_IMAGE_USAGE_SAMPLED_BIT | VK_IMAGE_USAGE_TRANSFER_DST_BIT);
    struct buffer staging = buffer_new(c, 4 * 4 * 4, 0);
    uint8_t *px = staging.map;
    for (uint32_t y = 0; y < 4; y++)
        for (uint32_t x = 0; x < 4; x++) {
            uint8_t *p = px + (y * 4 + x) * 4;
            p[0] = texture_red(x, y), p[1] = texture_green(x, y), p[2] = 0, p[3] = 255;
        }
    VkCommandBuffer cb = primary_new(c);
    begin(c, cb, VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT);
    image_barrier(cb, &im, 0, 1, VK_IMAGE_LAYOUT_UNDEFINED, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL,
                  VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, 0, VK_PIPELINE_STAGE_TRANSFER_BIT,
                  VK_ACCESS_TRANSFER_WRITE_BIT);
    VkBufferImageCopy region = {.imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1},
                                .imageExtent = {4, 4, 1}};
    vkCmdCopyBufferToImage(cb, staging.buffer, im.image, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, 1,
                           &region);
    image_barrier(cb, &im, 0, 1, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL,
                  VK_IMAGE_LAYOUT_SHADER_READ_ONLY_OPTIMAL, VK_PIPELINE_STAGE_TRANSFER_BIT,
                  VK_ACCESS_TRANSFER_WRITE_BIT,
                  VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_FRAGMENT_SHADER_BIT,
                  VK_ACCESS_SHADER_READ_BIT);
    end(c, cb);
    submit_and_wait(c, cb);
    return im;
}

/* Whether the device has descriptor buffers (and maintenance6 when
 * `maintenance6`); if so, `n` asks for them. */
static void descriptor_buffer_ask(struct ctx *c, struct device_needs *n, bool maintenance6)
{
    static VkPhysicalDeviceDescriptorBufferFeaturesEXT on;
    static VkPhysicalDeviceMaintenance6Features on6;
    VkPhysicalDeviceMaintenance6Features have6 = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MAINTENANCE_6_FEATURES};
    VkPhysicalDeviceDescriptorBufferFeaturesEXT have = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DESCRIPTOR_BUFFER_FEATURES_EXT,
        .pNext = maintenance6 ? &have6 : NULL};
    VkPhysicalDeviceVulkan12Features have12 = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES, .pNext = &have};
    VkPhysicalDeviceFeatures2 features = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2,
                                          .pNext = &have12};
    vkGetPhysicalDeviceFeatures2(c->physical, &features);
    if (!have.descriptorBuffer || !have12.bufferDeviceAddress ||
        (maintenance6 && !have6.maintenance6)) {
        n->skip = true;
        snprintf(n->skip_why, sizeof n->skip_why,
                 "no descriptorBuffer (%u), bufferDeviceAddress (%u) or maintenance6 (%u)",
                 have.descriptorBuffer, have12.bufferDeviceAddress, have6.maintenance6);
        return;
    }
    on6 = (VkPhysicalDeviceMaintenance6Features){
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MAINTENANCE_6_FEATURES,
        .maintenance6 = VK_TRUE};
    on = (VkPhysicalDeviceDescriptorBufferFeaturesEXT){
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DESCRIPTOR_BUFFER_FEATURES_EXT,
        .pNext = maintenance6 ? &on6 : NULL,
        .descriptorBuffer = VK_TRUE};
    n->features = &on;
    n->extensions[n->extension_count++] = VK_EXT_DESCRIPTOR_BUFFER_EXTENSION_NAME;
    if (maintenance6)
        n->extensions[n->extension_count++] = VK_KHR_MAINTENANCE_6_EXTENSION_NAME;
    n->v12.bufferDeviceAddress = VK_TRUE;
}

static void descriptor_buffer_needs(struct ctx *c, struct device_needs *n)
{
    descriptor_buffer_ask(c, n, false);
}

static void descriptor_buffer2_needs(struct ctx *c, struct device_needs *n)
{
    descriptor_buffer_ask(c, n, true);
}

static VkDeviceSize align_up(VkDeviceSize v, VkDeviceSize alignment)
{
    return (v + alignment - 1) / alignment * alignment;
}

/* The device's entry points of the extension, and its descriptor sizes. */
struct descbuf {
    PFN_vkGetDescriptorSetLayoutSizeEXT layout_size;
    PFN_vkGetDescriptorSetLayoutBindingOffsetEXT binding_offset;
    PFN_vkGetDescriptorEXT get;
    PFN_vkCmdBindDescriptorBuffersEXT bind;
    PFN_vkCmdSetDescriptorBufferOffsetsEXT offsets;
    PFN_vkCmdBindDescriptorBufferEmbeddedSamplersEXT embedded;
    /* maintenance6's forms, or NULL */
    PFN_vkCmdSetDescriptorBufferOffsets2EXT offsets2;
    PFN_vkCmdBindDescriptorBufferEmbeddedSamplers2EXT embedded2;
    VkPhysicalDeviceDescriptorBufferPropertiesEXT props;
};

/* Sets [first, first + count) from the buffers at `indices`, by the plain
 * command or by maintenance6's. */
static void set_offsets(const struct descbuf *db, VkCommandBuffer cb, VkPipelineLayout layout,
                        uint32_t first, uint32_t count, const uint32_t *indices,
                        const VkDeviceSize *offsets)
{
    if (!db->offsets2) {
        db->offsets(cb, VK_PIPELINE_BIND_POINT_COMPUTE, layout, first, count, indices, offsets);
        return;
    }
    VkSetDescriptorBufferOffsetsInfoEXT info = {
        .sType = VK_STRUCTURE_TYPE_SET_DESCRIPTOR_BUFFER_OFFSETS_INFO_EXT,
        .stageFlags = VK_SHADER_STAGE_COMPUTE_BIT,
        .layout = layout,
        .firstSet = first,
        .setCount = count,
        .pBufferIndices = indices,
        .pOffsets = offsets};
    db->offsets2(cb, &info);
}

static void bind_embedded(const struct descbuf *db, VkCommandBuffer cb, VkPipelineLayout layout,
                          uint32_t set)
{
    if (!db->embedded2) {
        db->embedded(cb, VK_PIPELINE_BIND_POINT_COMPUTE, layout, set);
        return;
    }
    VkBindDescriptorBufferEmbeddedSamplersInfoEXT info = {
        .sType = VK_STRUCTURE_TYPE_BIND_DESCRIPTOR_BUFFER_EMBEDDED_SAMPLERS_INFO_EXT,
        .stageFlags = VK_SHADER_STAGE_COMPUTE_BIT,
        .layout = layout,
        .set = set};
    db->embedded2(cb, &info);
}

/* Write the descriptor of `type` for a buffer range into `dst`. */
static void put_buffer_descriptor(struct ctx *c, const struct descbuf *db, VkDescriptorType type,
                                  VkDeviceAddress address, VkDeviceSize range, uint8_t *dst)
{
    VkDescriptorAddressInfoEXT ai = {.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_ADDRESS_INFO_EXT,
                                     .address = address,
                                     .range = range,
                                     .format = VK_FORMAT_UNDEFINED};
    VkDescriptorGetInfoEXT gi = {.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_GET_INFO_EXT, .type = type};
    size_t size;
    if (type == VK_DESCRIPTOR_TYPE_STORAGE_BUFFER) {
        gi.data.pStorageBuffer = &ai;
        size = db->props.storageBufferDescriptorSize;
    } else {
        gi.data.pUniformBuffer = &ai;
        size = db->props.uniformBufferDescriptorSize;
    }
    db->get(c->device, &gi, size, dst);
}

static void put_image_descriptor(struct ctx *c, const struct descbuf *db, VkDescriptorType type,
                                 VkSampler sampler, VkImageView view, uint8_t *dst)
{
    VkDescriptorImageInfo ii = {sampler, view, VK_IMAGE_LAYOUT_SHADER_READ_ONLY_OPTIMAL};
    VkDescriptorGetInfoEXT gi = {.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_GET_INFO_EXT, .type = type};
    size_t size;
    if (type == VK_DESCRIPTOR_TYPE_COMBINED_IMAGE_SAMPLER) {
        gi.data.pCombinedImageSampler = &ii;
        size = db->props.combinedImageSamplerDescriptorSize;
    } else {
        gi.data.pSampledImage = &ii;
        size = db->props.sampledImageDescriptorSize;
    }
    db->get(c->device, &gi, size, dst);
}

/* Set 0's three descriptors at `base` of the resource buffer: the input,
 * the output and the parameters. */
static void put_set0(struct ctx *c, const struct descbuf *db, VkDescriptorSetLayout l0,
                     uint8_t *base, VkDeviceAddress src, VkDeviceAddress dst,
                     VkDeviceAddress params, VkDeviceSize bytes)
{
    VkDeviceSize at[3];
    for (uint32_t b = 0; b < 3; b++)
        db->binding_offset(c->device, l0, b, &at[b]);
    put_buffer_descriptor(c, db, VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, src, bytes, base + at[0]);
    put_buffer_descriptor(c, db, VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, dst, bytes, base + at[1]);
    put_buffer_descriptor(c, db, VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER, params, 16, base + at[2]);
}

/* Four sets from two descriptor buffers (resources, samplers), an embedded
 * immutable sampler, set offsets switched between dispatches, and
 * descriptors rewritten between submissions. */
static void descriptor_buffer_run(struct ctx *c, bool maintenance6)
{
    enum { N = 100 };
    struct descbuf db = {
        .layout_size = DEVICE_PROC(vkGetDescriptorSetLayoutSizeEXT),
        .binding_offset = DEVICE_PROC(vkGetDescriptorSetLayoutBindingOffsetEXT),
        .get = DEVICE_PROC(vkGetDescriptorEXT),
        .bind = DEVICE_PROC(vkCmdBindDescriptorBuffersEXT),
        .offsets = DEVICE_PROC(vkCmdSetDescriptorBufferOffsetsEXT),
        .embedded = DEVICE_PROC(vkCmdBindDescriptorBufferEmbeddedSamplersEXT),
        .offsets2 = maintenance6 ? DEVICE_PROC(vkCmdSetDescriptorBufferOffsets2EXT) : NULL,
        .embedded2 =
            maintenance6 ? DEVICE_PROC(vkCmdBindDescriptorBufferEmbeddedSamplers2EXT) : NULL,
        .props = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DESCRIPTOR_BUFFER_PROPERTIES_EXT}};
    VkPhysicalDeviceProperties2 props2 = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2,
                                          .pNext = &db.props};
    vkGetPhysicalDeviceProperties2(c->physical, &props2);
    const VkDeviceSize align = db.props.descriptorBufferOffsetAlignment;
    EXPECT(align > 0 && db.props.storageBufferDescriptorSize > 0, "no descriptor sizes");

    /* Layouts: set 0 resources, 1 a combined image sampler, 2 an embedded
     * immutable sampler, 3 a sampled image. */
    VkSampler sampler = nearest_sampler_new(c);
    const VkDescriptorSetLayoutCreateFlags flags =
        VK_DESCRIPTOR_SET_LAYOUT_CREATE_DESCRIPTOR_BUFFER_BIT_EXT;
    const VkShaderStageFlags cs = VK_SHADER_STAGE_COMPUTE_BIT;
    VkDescriptorSetLayoutBinding b0[3] = {
        {0, VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 1, cs, NULL},
        {1, VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 1, cs, NULL},
        {2, VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER, 1, cs, NULL}};
    VkDescriptorSetLayoutBinding b1 = {0, VK_DESCRIPTOR_TYPE_COMBINED_IMAGE_SAMPLER, 1, cs, NULL};
    VkDescriptorSetLayoutBinding b2 = {0, VK_DESCRIPTOR_TYPE_SAMPLER, 1, cs, &sampler};
    VkDescriptorSetLayoutBinding b3 = {0, VK_DESCRIPTOR_TYPE_SAMPLED_IMAGE, 1, cs, NULL};
    VkDescriptorSetLayout sets[4] = {
        flagged_layout_new(c, flags, 3, b0), flagged_layout_new(c, flags, 1, &b1),
        flagged_layout_new(
            c, flags | VK_DESCRIPTOR_SET_LAYOUT_CREATE_EMBEDDED_IMMUTABLE_SAMPLERS_BIT_EXT, 1, &b2),
        flagged_layout_new(c, flags, 1, &b3)};
    VkPipelineLayout layout = pipeline_layout_new(c, 4, sets, 0, NULL);
    VkPipeline pipeline = compute_pipeline_new(c, SHADER(cmd_descbuf_comp_spv), layout, NULL,
                                               VK_PIPELINE_CREATE_DESCRIPTOR_BUFFER_BIT_EXT);

    VkDeviceSize size[4], offset0[3];
    for (uint32_t i = 0; i < 4; i++) {
        db.layout_size(c->device, sets[i], &size[i]);
        digest(c, &size[i], sizeof size[i]);
    }
    for (uint32_t b = 0; b < 3; b++) {
        db.binding_offset(c->device, sets[0], b, &offset0[b]);
        EXPECT(offset0[b] + db.props.storageBufferDescriptorSize <= size[0],
               "binding %u at %" PRIu64 " past set 0's %" PRIu64 " bytes", b, offset0[b], size[0]);
    }
    digest(c, offset0, sizeof offset0);

    /* The resource buffer holds set 0 twice (copies A and B) and set 3;
     * the sampler buffer set 1.  Set 2 is all embedded. */
    const VkDeviceSize at_a = 0, at_b = align_up(size[0], align);
    const VkDeviceSize at_3 = at_b + align_up(size[0], align);
    VkDeviceAddress resources_address, samplers_address;
    struct buffer resources = address_buffer_new(
        c, at_3 + align_up(size[3], align) + 64, VK_BUFFER_USAGE_RESOURCE_DESCRIPTOR_BUFFER_BIT_EXT,
        &resources_address);
    struct buffer samplers = address_buffer_new(
        c, align_up(size[1], align) + 64,
        VK_BUFFER_USAGE_SAMPLER_DESCRIPTOR_BUFFER_BIT_EXT |
            VK_BUFFER_USAGE_RESOURCE_DESCRIPTOR_BUFFER_BIT_EXT,
        &samplers_address);

    /* The data: two inputs, three outputs, two parameter blocks. */
    VkDeviceAddress src_address[2], dst_address[3], params_address[2];
    struct buffer src[2], dst[3], params[2];
    const uint32_t mul[2] = {5, 2}, add[2] = {7, 11};
    for (int k = 0; k < 2; k++) {
        src[k] = address_buffer_new(c, N * 4, VK_BUFFER_USAGE_STORAGE_BUFFER_BIT, &src_address[k]);
        params[k] = address_buffer_new(c, 16, VK_BUFFER_USAGE_UNIFORM_BUFFER_BIT,
                                       &params_address[k]);
        uint32_t *in = src[k].map, *p = params[k].map;
        for (uint32_t i = 0; i < N; i++)
            in[i] = k == 0 ? i * 3 + 1 : 1000 - i;
        p[0] = mul[k], p[1] = add[k], p[2] = N;
    }
    for (int k = 0; k < 3; k++)
        dst[k] = address_buffer_new(c, N * 4, VK_BUFFER_USAGE_STORAGE_BUFFER_BIT, &dst_address[k]);
    struct image texture = texture_new(c);

    uint8_t *r = resources.map, *s = samplers.map;
    put_set0(c, &db, sets[0], r + at_a, src_address[0], dst_address[0], params_address[0], N * 4);
    put_set0(c, &db, sets[0], r + at_b, src_address[1], dst_address[1], params_address[1], N * 4);
    VkDeviceSize at;
    db.binding_offset(c->device, sets[1], 0, &at);
    put_image_descriptor(c, &db, VK_DESCRIPTOR_TYPE_COMBINED_IMAGE_SAMPLER, sampler, texture.view,
                         s + at);
    db.binding_offset(c->device, sets[3], 0, &at);
    put_image_descriptor(c, &db, VK_DESCRIPTOR_TYPE_SAMPLED_IMAGE, VK_NULL_HANDLE, texture.view,
                         r + at_3 + at);

    /* Records: bind both buffers, sets 0 (copy A), 1, 3, the embedded
     * set 2; dispatch; switch set 0 to copy B; dispatch. */
    VkDescriptorBufferBindingInfoEXT binding[2] = {
        {.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_BUFFER_BINDING_INFO_EXT,
         .address = resources_address,
         .usage = VK_BUFFER_USAGE_RESOURCE_DESCRIPTOR_BUFFER_BIT_EXT},
        {.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_BUFFER_BINDING_INFO_EXT,
         .address = samplers_address,
         .usage = VK_BUFFER_USAGE_SAMPLER_DESCRIPTOR_BUFFER_BIT_EXT |
                  VK_BUFFER_USAGE_RESOURCE_DESCRIPTOR_BUFFER_BIT_EXT}};
    const VkPipelineBindPoint bp = VK_PIPELINE_BIND_POINT_COMPUTE;
    const uint32_t indices01[2] = {0, 1}, index0 = 0;
    const VkDeviceSize offsets01[2] = {at_a, 0};
    for (int round = 0; round < 2; round++) {
        VkCommandBuffer cb = primary_new(c);
        begin(c, cb, VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT);
        vkCmdBindPipeline(cb, bp, pipeline);
        db.bind(cb, 2, binding);
        set_offsets(&db, cb, layout, 0, 2, indices01, offsets01);
        bind_embedded(&db, cb, layout, 2);
        set_offsets(&db, cb, layout, 3, 1, &index0, &at_3);
        vkCmdDispatch(cb, groups_for(N, 64), 1, 1);
        if (round == 0) {
            set_offsets(&db, cb, layout, 0, 1, &index0, &at_b);
            vkCmdDispatch(cb, groups_for(N, 64), 1, 1);
        }
        to_host(cb, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_ACCESS_SHADER_WRITE_BIT);
        end(c, cb);
        submit_and_wait(c, cb);
        if (round == 0) /* copy A now reads input B and writes the third output */
            put_set0(c, &db, sets[0], r + at_a, src_address[1], dst_address[2],
                     params_address[0], N * 4);
    }

    /* dst[0] = A's input and parameters, dst[1] = B's, dst[2] = B's input
     * with A's parameters (the rewritten descriptors). */
    const int input_of[3] = {0, 1, 1}, params_of[3] = {0, 1, 0};
    for (int k = 0; k < 3; k++) {
        const uint32_t *in = src[input_of[k]].map, *out = dst[k].map;
        for (uint32_t i = 0; i < N; i++) {
            const uint32_t x = i % 4, y = i / 4 % 4;
            const uint32_t want = in[i] * mul[params_of[k]] + add[params_of[k]] +
                                  texture_red(x, y) + texture_green(x, y);
            EXPECT(out[i] == want, "output %d [%u] is %u, not %u", k, i, out[i], want);
        }
        digest(c, out, N * 4);
    }
}

static void scenario_descriptor_buffer(struct ctx *c) { descriptor_buffer_run(c, false); }
static void scenario_descriptor_buffer2(struct ctx *c) { descriptor_buffer_run(c, true); }

#define CMDTEST_DESCRIPTOR_BUFFER                                                             \
    {"descriptor_buffer", scenario_descriptor_buffer,                                         \
     "VK_EXT_descriptor_buffer: descriptors got and written into mapped buffers, two "        \
     "buffers bound, set offsets switched, an embedded sampler, descriptors rewritten",        \
     false, descriptor_buffer_needs, false},                                                  \
    {"descriptor_buffer_maintenance6", scenario_descriptor_buffer2,                           \
     "descriptor_buffer by maintenance6's vkCmdSetDescriptorBufferOffsets2EXT and "           \
     "vkCmdBindDescriptorBufferEmbeddedSamplers2EXT", false, descriptor_buffer2_needs, true},
