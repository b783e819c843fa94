/* tests/cmdtest/ray_tracing.h — acceleration structures, ray queries and
 * ray tracing pipelines (VK_KHR_acceleration_structure, VK_KHR_ray_query,
 * VK_KHR_ray_tracing_pipeline, VK_KHR_ray_tracing_maintenance1,
 * VK_KHR_deferred_host_operations), included by tests/cmdtest/families.h.
 *
 * One scene for all: a bottom-level structure of two indexed triangles and
 * a top-level one of two instances of it side by side (the second
 * translated by 1 in x, with custom index 1 and shader binding table offset
 * 1).  One ray per pixel of a 32x16 image goes straight down over x in
 * [0, 2), y in [0, 1); each pixel holds what it hit, 1 + 2 x custom index +
 * primitive (+ 100 for the second hit group of the pipeline), or 0, which
 * the CPU knows (rt_expected: no pixel centre lies within 1/100 of an edge).
 *
 *   ray_query      device builds, compaction (compacted-size query and a
 *                  COMPACT copy), serialization to memory and back (and the
 *                  header's compatibility), the top level over the compacted
 *                  and the deserialized structures, a compute shader with
 *                  ray queries, its descriptor set written by an update
 *                  template with an acceleration-structure entry;
 *   ray_pipeline   raygen, miss and two closest-hit shaders, the group
 *                  handles in a shader binding table filled through a
 *                  mapping, vkCmdTraceRaysKHR and, where maintenance1 offers
 *                  it, vkCmdTraceRaysIndirect2KHR;
 *   ray_host_build the same scene built by the host commands (a deferred
 *                  operation joined, serialization, a clone), traced by ray
 *                  queries: skipped where accelerationStructureHostCommands
 *                  is false (lavapipe and NVIDIA), natively and through
 *                  vkwire alike.
 *
 * The Debian 12 validation layer (1.3.239) follows ray_query (natively
 * and through vkwire, checked) and ray_host_build, but reports a false
 * error on vkCmdTraceRaysIndirect2KHR (it asks for the feature of
 * vkCmdTraceRaysIndirectKHR instead): ray_pipeline runs without it. */
#ifndef VKW_CMDTEST_RAY_TRACING_H
#define VKW_CMDTEST_RAY_TRACING_H

#define RT_WIDTH 32u
#define RT_HEIGHT 16u

/* The extension entry points, asked of the device. */
struct rt_fns {
    PFN_vkCreateAccelerationStructureKHR create_as;
    PFN_vkGetAccelerationStructureBuildSizesKHR build_sizes;
    PFN_vkGetAccelerationStructureDeviceAddressKHR as_address;
    PFN_vkCmdBuildAccelerationStructuresKHR cmd_build;
    PFN_vkCmdWriteAccelerationStructuresPropertiesKHR cmd_properties;
    PFN_vkCmdCopyAccelerationStructureKHR cmd_copy;
    PFN_vkCmdCopyAccelerationStructureToMemoryKHR cmd_to_memory;
    PFN_vkCmdCopyMemoryToAccelerationStructureKHR cmd_from_memory;
    PFN_vkGetDeviceAccelerationStructureCompatibilityKHR compatibility;
    PFN_vkBuildAccelerationStructuresKHR build;
    PFN_vkWriteAccelerationStructuresPropertiesKHR properties;
    PFN_vkCopyAccelerationStructureKHR copy;
    PFN_vkCopyAccelerationStructureToMemoryKHR to_memory;
    PFN_vkCopyMemoryToAccelerationStructureKHR from_memory;
    PFN_vkCreateDeferredOperationKHR create_deferred;
    PFN_vkDestroyDeferredOperationKHR destroy_deferred;
    PFN_vkDeferredOperationJoinKHR join;
    PFN_vkGetDeferredOperationResultKHR deferred_result;
    PFN_vkGetDeferredOperationMaxConcurrencyKHR max_concurrency;
    PFN_vkCreateRayTracingPipelinesKHR create_pipelines;
    PFN_vkGetRayTracingShaderGroupHandlesKHR group_handles;
    PFN_vkGetRayTracingShaderGroupStackSizeKHR stack_size;
    PFN_vkCmdTraceRaysKHR trace;
    PFN_vkCmdTraceRaysIndirect2KHR trace_indirect2;
};

static void rt_load(struct ctx *c, struct rt_fns *f, bool pipelines, bool indirect2)
{
#define RT_LOAD(field, name)                                                           \
    do {                                                                               \
        f->field = (PFN_##name)vkGetDeviceProcAddr(c->device, #name);                  \
        EXPECT(f->field, "the device has no %s", #name);                               \
    } while (0)
    memset(f, 0, sizeof(*f));
    RT_LOAD(create_as, vkCreateAccelerationStructureKHR);
    RT_LOAD(build_sizes, vkGetAccelerationStructureBuildSizesKHR);
    RT_LOAD(as_address, vkGetAccelerationStructureDeviceAddressKHR);
    RT_LOAD(cmd_build, vkCmdBuildAccelerationStructuresKHR);
    RT_LOAD(cmd_properties, vkCmdWriteAccelerationStructuresPropertiesKHR);
    RT_LOAD(cmd_copy, vkCmdCopyAccelerationStructureKHR);
    RT_LOAD(cmd_to_memory, vkCmdCopyAccelerationStructureToMemoryKHR);
    RT_LOAD(cmd_from_memory, vkCmdCopyMemoryToAccelerationStructureKHR);
    RT_LOAD(compatibility, vkGetDeviceAccelerationStructureCompatibilityKHR);
    RT_LOAD(build, vkBuildAccelerationStructuresKHR);
    RT_LOAD(properties, vkWriteAccelerationStructuresPropertiesKHR);
    RT_LOAD(copy, vkCopyAccelerationStructureKHR);
    RT_LOAD(to_memory, vkCopyAccelerationStructureToMemoryKHR);
    RT_LOAD(from_memory, vkCopyMemoryToAccelerationStructureKHR);
    RT_LOAD(create_deferred, vkCreateDeferredOperationKHR);
    RT_LOAD(destroy_deferred, vkDestroyDeferredOperationKHR);
    RT_LOAD(join, vkDeferredOperationJoinKHR);
    RT_LOAD(deferred_result, vkGetDeferredOperationResultKHR);
    RT_LOAD(max_concurrency, vkGetDeferredOperationMaxConcurrencyKHR);
    if (pipelines) {
        RT_LOAD(create_pipelines, vkCreateRayTracingPipelinesKHR);
        RT_LOAD(group_handles, vkGetRayTracingShaderGroupHandlesKHR);
        RT_LOAD(stack_size, vkGetRayTracingShaderGroupStackSizeKHR);
        RT_LOAD(trace, vkCmdTraceRaysKHR);
    }
    if (indirect2)
        RT_LOAD(trace_indirect2, vkCmdTraceRaysIndirect2KHR);
#undef RT_LOAD
}

/* ---- the scene ----------------------------------------------------------- */

/* In 1/64ths: T0 (7,7) (49,7) (7,29), T1 (39,41) (55,41) (55,57), stored
 * out of order so that the indices matter. */
#define RT_64(v) ((float)(v) / 64.0f)
static const float rt_vertices[6][3] = {
    {RT_64(55), RT_64(57), 0}, {RT_64(7), RT_64(7), 0},   {RT_64(39), RT_64(41), 0},
    {RT_64(49), RT_64(7), 0},  {RT_64(55), RT_64(41), 0}, {RT_64(7), RT_64(29), 0}};
static const uint32_t rt_indices[6] = {1, 3, 5, 2, 4, 0};

/* Whether (x, y) lies inside the triangle of indices i0..i2. */
static bool rt_inside(float x, float y, const uint32_t *i)
{
    float d[3];
    for (int k = 0; k < 3; k++) {
        const float *a = rt_vertices[i[k]], *b = rt_vertices[i[(k + 1) % 3]];
        d[k] = (x - b[0]) * (a[1] - b[1]) - (a[0] - b[0]) * (y - b[1]);
    }
    return (d[0] >= 0 && d[1] >= 0 && d[2] >= 0) || (d[0] <= 0 && d[1] <= 0 && d[2] <= 0);
}

/* What pixel (px, py) holds; `other_group`: the second instance's hits
 * run the second hit group (ray tracing pipelines). */
static uint32_t rt_expected(uint32_t px, uint32_t py, bool other_group)
{
    const float x = (px + 0.5f) / 16.0f, y = (py + 0.5f) / 16.0f;
    const uint32_t instance = x < 1.0f ? 0 : 1;
    for (uint32_t prim = 0; prim < 2; prim++)
        if (rt_inside(x - (float)instance, y, &rt_indices[3 * prim]))
            return (other_group && instance == 1 ? 101u : 1u) + 2 * instance + prim;
    return 0;
}

static void rt_check_image(struct ctx *c, const char *what, const uint32_t *got, bool other_group)
{
    uint32_t hits = 0;
    for (uint32_t py = 0; py < RT_HEIGHT; py++)
        for (uint32_t px = 0; px < RT_WIDTH; px++) {
            const uint32_t want = rt_expected(px, py, other_group);
            EXPECT(got[py * RT_WIDTH + px] == want, "%s: pixel (%u, %u) is %u, not %u", what, px,
                   py, got[py * RT_WIDTH + px], want);
            hits += want != 0;
        }
    EXPECT(hits >= 64, "%s: the scene hits too few pixels (%u)", what, hits);
    digest(c, got, RT_WIDTH * RT_HEIGHT * sizeof(uint32_t));
}

/* The two instances: side by side, the second translated, with its own
 * custom index and hit group.  `refs`: device addresses (device builds) or
 * VkAccelerationStructureKHR handles (host builds). */
static void rt_instances(VkAccelerationStructureInstanceKHR out[2], uint64_t ref0, uint64_t ref1)
{
    memset(out, 0, 2 * sizeof(*out));
    for (int i = 0; i < 2; i++) {
        out[i].transform.matrix[0][0] = out[i].transform.matrix[1][1] =
            out[i].transform.matrix[2][2] = 1.0f;
        out[i].transform.matrix[0][3] = (float)i;
        out[i].transform.matrix[2][3] = -0.5f * (float)i;
        out[i].instanceCustomIndex = (uint32_t)i;
        out[i].mask = 0xff;
        out[i].instanceShaderBindingTableRecordOffset = (uint32_t)i;
        out[i].flags = VK_GEOMETRY_INSTANCE_TRIANGLE_FACING_CULL_DISABLE_BIT_KHR;
    }
    out[0].accelerationStructureReference = ref0;
    out[1].accelerationStructureReference = ref1;
}

static VkAccelerationStructureGeometryKHR rt_triangles(VkDeviceOrHostAddressConstKHR vertices,
                                                       VkDeviceOrHostAddressConstKHR indices)
{
    return (VkAccelerationStructureGeometryKHR){
        .sType = VK_STRUCTURE_TYPE_ACCELERATION_STRUCTURE_GEOMETRY_KHR,
        .geometryType = VK_GEOMETRY_TYPE_TRIANGLES_KHR,
        .geometry.triangles = {
            .sType = VK_STRUCTURE_TYPE_ACCELERATION_STRUCTURE_GEOMETRY_TRIANGLES_DATA_KHR,
            .vertexFormat = VK_FORMAT_R32G32B32_SFLOAT,
            .vertexData = vertices,
            .vertexStride = sizeof(rt_vertices[0]),
            .maxVertex = ARRAY_SIZE(rt_vertices) - 1,
            .indexType = VK_INDEX_TYPE_UINT32,
            .indexData = indices},
        .flags = VK_GEOMETRY_OPAQUE_BIT_KHR};
}

static VkAccelerationStructureGeometryKHR rt_instance_geometry(VkDeviceOrHostAddressConstKHR data)
{
    return (VkAccelerationStructureGeometryKHR){
        .sType = VK_STRUCTURE_TYPE_ACCELERATION_STRUCTURE_GEOMETRY_KHR,
        .geometryType = VK_GEOMETRY_TYPE_INSTANCES_KHR,
        .geometry.instances = {
            .sType = VK_STRUCTURE_TYPE_ACCELERATION_STRUCTURE_GEOMETRY_INSTANCES_DATA_KHR,
            .data = data},
        .flags = VK_GEOMETRY_OPAQUE_BIT_KHR};
}

/* ---- buffers and structures ---------------------------------------------- */

/* A buffer in host-visible, coherent memory of its own, mapped, with its
 * device address (when asked for). */
struct rt_buffer {
    VkBuffer buffer;
    VkDeviceMemory memory;
    VkDeviceSize size;
    void *map;
    VkDeviceAddress address;
};

static struct rt_buffer rt_buffer_new(struct ctx *c, VkDeviceSize size, VkBufferUsageFlags usage)
{
    struct rt_buffer b = {.size = size};
    const bool addressed = (usage & VK_BUFFER_USAGE_SHADER_DEVICE_ADDRESS_BIT) != 0;
    VkBufferCreateInfo info = {.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
                               .size = size,
                               .usage = usage | VK_BUFFER_USAGE_TRANSFER_DST_BIT,
                               .sharingMode = VK_SHARING_MODE_EXCLUSIVE};
    VK(vkCreateBuffer(c->device, &info, NULL, &b.buffer));
    VkMemoryRequirements req;
    vkGetBufferMemoryRequirements(c->device, b.buffer, &req);
    VkMemoryAllocateFlagsInfo flags = {.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_FLAGS_INFO,
                                       .flags = VK_MEMORY_ALLOCATE_DEVICE_ADDRESS_BIT};
    VkMemoryAllocateInfo mai = {
        .sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
        .pNext = addressed ? &flags : NULL,
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
    if (addressed) {
        VkBufferDeviceAddressInfo ai = {.sType = VK_STRUCTURE_TYPE_BUFFER_DEVICE_ADDRESS_INFO,
                                        .buffer = b.buffer};
        b.address = vkGetBufferDeviceAddress(c->device, &ai);
        EXPECT(b.address != 0, "a buffer without a device address");
    }
    return b;
}

static VkDeviceOrHostAddressConstKHR rt_at(const struct rt_buffer *b)
{
    return (VkDeviceOrHostAddressConstKHR){.deviceAddress = b->address};
}

struct rt_as {
    VkAccelerationStructureKHR as;
    struct rt_buffer storage;
    VkDeviceAddress address;
};

/* A structure of `size` bytes in a buffer of its own. */
static struct rt_as rt_as_new(struct ctx *c, const struct rt_fns *f, VkAccelerationStructureTypeKHR type,
                              VkDeviceSize size)
{
    struct rt_as s = {.storage = rt_buffer_new(c, size,
                                               VK_BUFFER_USAGE_ACCELERATION_STRUCTURE_STORAGE_BIT_KHR |
                                                   VK_BUFFER_USAGE_SHADER_DEVICE_ADDRESS_BIT)};
    VkAccelerationStructureCreateInfoKHR info = {
        .sType = VK_STRUCTURE_TYPE_ACCELERATION_STRUCTURE_CREATE_INFO_KHR,
        .buffer = s.storage.buffer,
        .size = size,
        .type = type};
    VK(f->create_as(c->device, &info, NULL, &s.as));
    TRACK(ACCELERATION_STRUCTURE_KHR, s.as); /* destroyed before its buffer */
    VkAccelerationStructureDeviceAddressInfoKHR ai = {
        .sType = VK_STRUCTURE_TYPE_ACCELERATION_STRUCTURE_DEVICE_ADDRESS_INFO_KHR,
        .accelerationStructure = s.as};
    s.address = f->as_address(c->device, &ai);
    EXPECT(s.address != 0, "an acceleration structure without a device address");
    return s;
}

/* Scratch for a device build, aligned as the device asks. */
static VkDeviceAddress rt_scratch(struct ctx *c, VkDeviceSize size)
{
    VkPhysicalDeviceAccelerationStructurePropertiesKHR as = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_ACCELERATION_STRUCTURE_PROPERTIES_KHR};
    VkPhysicalDeviceProperties2 props = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2,
                                         .pNext = &as};
    vkGetPhysicalDeviceProperties2(c->physical, &props);
    const VkDeviceSize align = as.minAccelerationStructureScratchOffsetAlignment
                                   ? as.minAccelerationStructureScratchOffsetAlignment
                                   : 1;
    struct rt_buffer b = rt_buffer_new(c, size + align,
                                       VK_BUFFER_USAGE_STORAGE_BUFFER_BIT |
                                           VK_BUFFER_USAGE_SHADER_DEVICE_ADDRESS_BIT);
    return (b.address + align - 1) / align * align;
}

/* Records the device build of one geometry into a new structure. */
static struct rt_as rt_device_build(struct ctx *c, const struct rt_fns *f, VkCommandBuffer cb,
                                    VkAccelerationStructureTypeKHR type,
                                    const VkAccelerationStructureGeometryKHR *geometry,
                                    uint32_t primitives, VkBuildAccelerationStructureFlagsKHR flags)
{
    VkAccelerationStructureBuildGeometryInfoKHR info = {
        .sType = VK_STRUCTURE_TYPE_ACCELERATION_STRUCTURE_BUILD_GEOMETRY_INFO_KHR,
        .type = type,
        .flags = flags,
        .mode = VK_BUILD_ACCELERATION_STRUCTURE_MODE_BUILD_KHR,
        .geometryCount = 1,
        .pGeometries = geometry};
    VkAccelerationStructureBuildSizesInfoKHR sizes = {
        .sType = VK_STRUCTURE_TYPE_ACCELERATION_STRUCTURE_BUILD_SIZES_INFO_KHR};
    f->build_sizes(c->device, VK_ACCELERATION_STRUCTURE_BUILD_TYPE_DEVICE_KHR, &info, &primitives,
                   &sizes);
    EXPECT(sizes.accelerationStructureSize > 0, "a structure of no size");
    struct rt_as s = rt_as_new(c, f, type, sizes.accelerationStructureSize);
    info.dstAccelerationStructure = s.as;
    info.scratchData.deviceAddress = rt_scratch(c, sizes.buildScratchSize);
    const VkAccelerationStructureBuildRangeInfoKHR range = {.primitiveCount = primitives};
    const VkAccelerationStructureBuildRangeInfoKHR *ranges = &range;
    f->cmd_build(cb, 1, &info, &ranges);
    return s;
}

/* Structure writes before what reads them (builds, copies, traces). */
static void rt_built(VkCommandBuffer cb)
{
    barrier(cb, VK_PIPELINE_STAGE_ACCELERATION_STRUCTURE_BUILD_BIT_KHR,
            VK_ACCESS_ACCELERATION_STRUCTURE_WRITE_BIT_KHR | VK_ACCESS_TRANSFER_WRITE_BIT,
            VK_PIPELINE_STAGE_ACCELERATION_STRUCTURE_BUILD_BIT_KHR |
                VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT |
                VK_PIPELINE_STAGE_RAY_TRACING_SHADER_BIT_KHR | VK_PIPELINE_STAGE_HOST_BIT,
            VK_ACCESS_ACCELERATION_STRUCTURE_READ_BIT_KHR | VK_ACCESS_HOST_READ_BIT);
}

/* The scene's input buffers, filled through their mappings. */
struct rt_inputs {
    struct rt_buffer vertices, indices, instances;
};

static struct rt_inputs rt_inputs_new(struct ctx *c)
{
    const VkBufferUsageFlags input = VK_BUFFER_USAGE_ACCELERATION_STRUCTURE_BUILD_INPUT_READ_ONLY_BIT_KHR |
                                     VK_BUFFER_USAGE_SHADER_DEVICE_ADDRESS_BIT;
    struct rt_inputs in = {
        .vertices = rt_buffer_new(c, sizeof(rt_vertices), input),
        .indices = rt_buffer_new(c, sizeof(rt_indices), input),
        .instances = rt_buffer_new(c, 2 * sizeof(VkAccelerationStructureInstanceKHR), input)};
    memcpy(in.vertices.map, rt_vertices, sizeof(rt_vertices));
    memcpy(in.indices.map, rt_indices, sizeof(rt_indices));
    return in;
}

/* ---- what the rays hit ------------------------------------------------------ */

/* The set both kinds of tracing use: the scene at binding 0, the result
 * image at binding 1. */
struct rt_target {
    VkDescriptorSetLayout layout;
    VkDescriptorPool pool;
    struct image image;
    struct buffer readback;
};

static struct rt_target rt_target_new(struct ctx *c, VkShaderStageFlags stages)
{
    struct rt_target t;
    const VkDescriptorSetLayoutBinding bindings[2] = {
        {0, VK_DESCRIPTOR_TYPE_ACCELERATION_STRUCTURE_KHR, 1, stages, NULL},
        {1, VK_DESCRIPTOR_TYPE_STORAGE_IMAGE, 1, stages, NULL}};
    t.layout = set_layout_new(c, 2, bindings);
    const VkDescriptorPoolSize sizes[2] = {{VK_DESCRIPTOR_TYPE_ACCELERATION_STRUCTURE_KHR, 2},
                                           {VK_DESCRIPTOR_TYPE_STORAGE_IMAGE, 2}};
    VkDescriptorPoolCreateInfo pi = {.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO,
                                     .maxSets = 2,
                                     .poolSizeCount = 2,
                                     .pPoolSizes = sizes};
    VK(vkCreateDescriptorPool(c->device, &pi, NULL, &t.pool));
    TRACK(DESCRIPTOR_POOL, t.pool);
    t.image = image_new(c, VK_FORMAT_R32_UINT, RT_WIDTH, RT_HEIGHT, 1, 1, VK_SAMPLE_COUNT_1_BIT,
                        VK_IMAGE_USAGE_STORAGE_BIT | VK_IMAGE_USAGE_TRANSFER_SRC_BIT |
                            VK_IMAGE_USAGE_TRANSFER_DST_BIT);
    t.readback = buffer_new(c, RT_WIDTH * RT_HEIGHT * sizeof(uint32_t), 0);
    return t;
}

/* The image filled with a marker (no pixel may keep it), ready for
 * shader writes. */
static void rt_target_begin(VkCommandBuffer cb, const struct rt_target *t, VkPipelineStageFlags stage)
{
    image_barrier(cb, &t->image, 0, 1, VK_IMAGE_LAYOUT_UNDEFINED,
                  VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, 0,
                  VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_WRITE_BIT);
    const VkClearColorValue marker = {.uint32 = {0xdeadu, 0, 0, 0}};
    const VkImageSubresourceRange all = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1};
    vkCmdClearColorImage(cb, t->image.image, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, &marker, 1, &all);
    image_barrier(cb, &t->image, 0, 1, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL,
                  VK_IMAGE_LAYOUT_GENERAL, VK_PIPELINE_STAGE_TRANSFER_BIT,
                  VK_ACCESS_TRANSFER_WRITE_BIT, stage, VK_ACCESS_SHADER_WRITE_BIT);
}

/* After the shader: the image into the readback buffer. */
static void rt_target_end(VkCommandBuffer cb, const struct rt_target *t, VkPipelineStageFlags stage)
{
    image_barrier(cb, &t->image, 0, 1, VK_IMAGE_LAYOUT_GENERAL,
                  VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, stage, VK_ACCESS_SHADER_WRITE_BIT,
                  VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_READ_BIT);
    copy_image_to_buffer(cb, &t->image, t->readback.buffer);
    to_host(cb, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_WRITE_BIT);
}

/* The set written by an update template whose entries are the structure
 * (an acceleration-structure entry: the guest expands it) and the image. */
static VkDescriptorSet rt_set_by_template(struct ctx *c, const struct rt_target *t,
                                          VkAccelerationStructureKHR scene,
                                          VkPipelineBindPoint bind_point, VkPipelineLayout layout)
{
    struct {
        uint32_t pad;
        VkAccelerationStructureKHR scene;
        VkDescriptorImageInfo image;
    } data = {0x5a5a5a5au, scene, {VK_NULL_HANDLE, t->image.view, VK_IMAGE_LAYOUT_GENERAL}};
    const VkDescriptorUpdateTemplateEntry entries[2] = {
        {0, 0, 1, VK_DESCRIPTOR_TYPE_ACCELERATION_STRUCTURE_KHR, offsetof(__typeof__(data), scene),
         sizeof(VkAccelerationStructureKHR)},
        {1, 0, 1, VK_DESCRIPTOR_TYPE_STORAGE_IMAGE, offsetof(__typeof__(data), image),
         sizeof(VkDescriptorImageInfo)}};
    VkDescriptorUpdateTemplateCreateInfo ti = {
        .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_UPDATE_TEMPLATE_CREATE_INFO,
        .descriptorUpdateEntryCount = 2,
        .pDescriptorUpdateEntries = entries,
        .templateType = VK_DESCRIPTOR_UPDATE_TEMPLATE_TYPE_DESCRIPTOR_SET,
        .descriptorSetLayout = t->layout,
        .pipelineBindPoint = bind_point,
        .pipelineLayout = layout};
    VkDescriptorUpdateTemplate tmpl;
    VK(vkCreateDescriptorUpdateTemplate(c->device, &ti, NULL, &tmpl));
    TRACK(DESCRIPTOR_UPDATE_TEMPLATE, tmpl);
    VkDescriptorSet set = descriptor_set_new(c, t->pool, t->layout);
    vkUpdateDescriptorSetWithTemplate(c->device, set, tmpl, &data);
    return set;
}

/* The set written by plain writes, the structure in the write's chain. */
static VkDescriptorSet rt_set_by_writes(struct ctx *c, const struct rt_target *t,
                                        VkAccelerationStructureKHR scene)
{
    VkDescriptorSet set = descriptor_set_new(c, t->pool, t->layout);
    VkWriteDescriptorSetAccelerationStructureKHR as = {
        .sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET_ACCELERATION_STRUCTURE_KHR,
        .accelerationStructureCount = 1,
        .pAccelerationStructures = &scene};
    const VkDescriptorImageInfo image = {VK_NULL_HANDLE, t->image.view, VK_IMAGE_LAYOUT_GENERAL};
    const VkWriteDescriptorSet writes[2] = {
        {.sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
         .pNext = &as,
         .dstSet = set,
         .dstBinding = 0,
         .descriptorCount = 1,
         .descriptorType = VK_DESCRIPTOR_TYPE_ACCELERATION_STRUCTURE_KHR},
        {.sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
         .dstSet = set,
         .dstBinding = 1,
         .descriptorCount = 1,
         .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_IMAGE,
         .pImageInfo = &image}};
    vkUpdateDescriptorSets(c->device, 2, writes, 0, NULL);
    return set;
}

/* Rays by a compute shader's ray queries over `scene`; checks the image. */
static void rt_trace_by_queries(struct ctx *c, VkAccelerationStructureKHR scene, const char *what)
{
    struct rt_target t = rt_target_new(c, VK_SHADER_STAGE_COMPUTE_BIT);
    VkPipelineLayout layout = pipeline_layout_new(c, 1, &t.layout, 0, NULL);
    VkPipeline pipeline = compute_pipeline_new(c, SHADER(rt_query_comp_spv), layout, NULL, 0);
    VkDescriptorSet set = rt_set_by_template(c, &t, scene, VK_PIPELINE_BIND_POINT_COMPUTE, layout);
    VkCommandBuffer cb = primary_new(c);
    begin(c, cb, VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT);
    rt_target_begin(cb, &t, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT);
    vkCmdBindPipeline(cb, VK_PIPELINE_BIND_POINT_COMPUTE, pipeline);
    vkCmdBindDescriptorSets(cb, VK_PIPELINE_BIND_POINT_COMPUTE, layout, 0, 1, &set, 0, NULL);
    vkCmdDispatch(cb, RT_WIDTH / 8, RT_HEIGHT / 8, 1);
    rt_target_end(cb, &t, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT);
    end(c, cb);
    submit_and_wait(c, cb);
    rt_check_image(c, what, t.readback.map, false);
}

/* ---- device needs ------------------------------------------------------------ */

static bool rt_has_extension(struct ctx *c, const char *name)
{
    uint32_t n = 0;
    vkEnumerateDeviceExtensionProperties(c->physical, NULL, &n, NULL);
    VkExtensionProperties *props = calloc(n ? n : 1, sizeof(*props));
    if (!props)
        return false;
    vkEnumerateDeviceExtensionProperties(c->physical, NULL, &n, props);
    bool found = false;
    for (uint32_t i = 0; i < n && !found; i++)
        found = strcmp(props[i].extensionName, name) == 0;
    free(props);
    return found;
}

/* What the device has of it all. */
static struct {
    VkPhysicalDeviceAccelerationStructureFeaturesKHR as;
    VkPhysicalDeviceRayQueryFeaturesKHR query;
    VkPhysicalDeviceRayTracingPipelineFeaturesKHR pipeline;
    VkPhysicalDeviceRayTracingMaintenance1FeaturesKHR maintenance1;
    VkPhysicalDeviceVulkan12Features v12;
} rt_have, rt_on;

static void rt_features(struct ctx *c)
{
    memset(&rt_have, 0, sizeof(rt_have));
    rt_have.as.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_ACCELERATION_STRUCTURE_FEATURES_KHR;
    rt_have.query.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_RAY_QUERY_FEATURES_KHR;
    rt_have.pipeline.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_RAY_TRACING_PIPELINE_FEATURES_KHR;
    rt_have.maintenance1.sType =
        VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_RAY_TRACING_MAINTENANCE_1_FEATURES_KHR;
    rt_have.v12.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES;
    /* Only what the device offers goes in the chain. */
    void *chain = &rt_have.v12;
    if (rt_has_extension(c, VK_KHR_ACCELERATION_STRUCTURE_EXTENSION_NAME)) {
        rt_have.as.pNext = chain;
        chain = &rt_have.as;
    }
    if (rt_has_extension(c, VK_KHR_RAY_QUERY_EXTENSION_NAME)) {
        rt_have.query.pNext = chain;
        chain = &rt_have.query;
    }
    if (rt_has_extension(c, VK_KHR_RAY_TRACING_PIPELINE_EXTENSION_NAME)) {
        rt_have.pipeline.pNext = chain;
        chain = &rt_have.pipeline;
    }
    if (rt_has_extension(c, VK_KHR_RAY_TRACING_MAINTENANCE_1_EXTENSION_NAME)) {
        rt_have.maintenance1.pNext = chain;
        chain = &rt_have.maintenance1;
    }
    VkPhysicalDeviceFeatures2 f = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2,
                                   .pNext = chain};
    vkGetPhysicalDeviceFeatures2(c->physical, &f);
}

/* Asks for acceleration structures and, by `pipeline`, ray queries or ray
 * tracing pipelines; `host`: host commands too.  Skips a device without. */
static void rt_needs(struct ctx *c, struct device_needs *n, bool pipeline, bool host)
{
    rt_features(c);
    const char *missing = !rt_have.v12.bufferDeviceAddress         ? "bufferDeviceAddress"
                          : !rt_have.as.accelerationStructure      ? "accelerationStructure"
                          : host && !rt_have.as.accelerationStructureHostCommands
                              ? "accelerationStructureHostCommands"
                          : !pipeline && !rt_have.query.rayQuery   ? "rayQuery"
                          : pipeline && !rt_have.pipeline.rayTracingPipeline ? "rayTracingPipeline"
                                                                              : NULL;
    if (missing) {
        n->skip = true;
        snprintf(n->skip_why, sizeof(n->skip_why), "the device has no %s", missing);
        return;
    }
    memset(&rt_on, 0, sizeof(rt_on));
    rt_on.as.sType = rt_have.as.sType;
    rt_on.as.accelerationStructure = VK_TRUE;
    rt_on.as.accelerationStructureHostCommands = host;
    n->extensions[n->extension_count++] = VK_KHR_DEFERRED_HOST_OPERATIONS_EXTENSION_NAME;
    n->extensions[n->extension_count++] = VK_KHR_ACCELERATION_STRUCTURE_EXTENSION_NAME;
    if (pipeline) {
        rt_on.pipeline.sType = rt_have.pipeline.sType;
        rt_on.pipeline.pNext = &rt_on.as;
        rt_on.pipeline.rayTracingPipeline = VK_TRUE;
        n->extensions[n->extension_count++] = VK_KHR_RAY_TRACING_PIPELINE_EXTENSION_NAME;
        n->features = &rt_on.pipeline;
        if (rt_have.maintenance1.rayTracingPipelineTraceRaysIndirect2) {
            rt_on.maintenance1.sType = rt_have.maintenance1.sType;
            rt_on.maintenance1.pNext = n->features;
            rt_on.maintenance1.rayTracingMaintenance1 = VK_TRUE;
            rt_on.maintenance1.rayTracingPipelineTraceRaysIndirect2 = VK_TRUE;
            n->extensions[n->extension_count++] = VK_KHR_RAY_TRACING_MAINTENANCE_1_EXTENSION_NAME;
            n->features = &rt_on.maintenance1;
        }
    } else {
        rt_on.query.sType = rt_have.query.sType;
        rt_on.query.pNext = &rt_on.as;
        rt_on.query.rayQuery = VK_TRUE;
        n->extensions[n->extension_count++] = VK_KHR_RAY_QUERY_EXTENSION_NAME;
        n->features = &rt_on.query;
    }
    n->v12.bufferDeviceAddress = VK_TRUE;
}

static void rt_needs_query(struct ctx *c, struct device_needs *n) { rt_needs(c, n, false, false); }
static void rt_needs_pipeline(struct ctx *c, struct device_needs *n) { rt_needs(c, n, true, false); }
static void rt_needs_host(struct ctx *c, struct device_needs *n) { rt_needs(c, n, false, true); }

/* ---- ray_query --------------------------------------------------------------- */

static void scenario_ray_query(struct ctx *c)
{
    struct rt_fns f;
    rt_load(c, &f, false, false);
    struct rt_inputs in = rt_inputs_new(c);

    /* The bottom level, built to be compacted; its compacted and serialized
     * sizes asked on the device. */
    VkQueryPool sizes = query_pool_new(c, VK_QUERY_TYPE_ACCELERATION_STRUCTURE_COMPACTED_SIZE_KHR, 1, 0);
    VkQueryPool serial = query_pool_new(c, VK_QUERY_TYPE_ACCELERATION_STRUCTURE_SERIALIZATION_SIZE_KHR, 1, 0);
    const VkAccelerationStructureGeometryKHR triangles =
        rt_triangles(rt_at(&in.vertices), rt_at(&in.indices));
    VkCommandBuffer cb = primary_new(c);
    begin(c, cb, VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT);
    struct rt_as blas = rt_device_build(c, &f, cb, VK_ACCELERATION_STRUCTURE_TYPE_BOTTOM_LEVEL_KHR,
                                        &triangles, 2,
                                        VK_BUILD_ACCELERATION_STRUCTURE_ALLOW_COMPACTION_BIT_KHR);
    rt_built(cb);
    vkCmdResetQueryPool(cb, sizes, 0, 1);
    vkCmdResetQueryPool(cb, serial, 0, 1);
    f.cmd_properties(cb, 1, &blas.as, VK_QUERY_TYPE_ACCELERATION_STRUCTURE_COMPACTED_SIZE_KHR, sizes, 0);
    f.cmd_properties(cb, 1, &blas.as, VK_QUERY_TYPE_ACCELERATION_STRUCTURE_SERIALIZATION_SIZE_KHR,
                     serial, 0);
    end(c, cb);
    submit_and_wait(c, cb);
    uint64_t compacted = 0, serialized = 0;
    VK(vkGetQueryPoolResults(c->device, sizes, 0, 1, sizeof(compacted), &compacted,
                             sizeof(compacted), VK_QUERY_RESULT_64_BIT | VK_QUERY_RESULT_WAIT_BIT));
    VK(vkGetQueryPoolResults(c->device, serial, 0, 1, sizeof(serialized), &serialized,
                             sizeof(serialized), VK_QUERY_RESULT_64_BIT | VK_QUERY_RESULT_WAIT_BIT));
    EXPECT(compacted > 0 && compacted <= blas.storage.size, "a compacted size of %llu (built %llu)",
           (unsigned long long)compacted, (unsigned long long)blas.storage.size);
    EXPECT(serialized >= 56, "a serialized size of %llu", (unsigned long long)serialized);

    /* Compacted into a structure of that size; serialized to memory. */
    struct rt_as small = rt_as_new(c, &f, VK_ACCELERATION_STRUCTURE_TYPE_BOTTOM_LEVEL_KHR, compacted);
    struct rt_buffer memory = rt_buffer_new(c, serialized, VK_BUFFER_USAGE_SHADER_DEVICE_ADDRESS_BIT |
                                                               VK_BUFFER_USAGE_STORAGE_BUFFER_BIT);
    cb = primary_new(c);
    begin(c, cb, VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT);
    const VkCopyAccelerationStructureInfoKHR compact = {
        .sType = VK_STRUCTURE_TYPE_COPY_ACCELERATION_STRUCTURE_INFO_KHR,
        .src = blas.as,
        .dst = small.as,
        .mode = VK_COPY_ACCELERATION_STRUCTURE_MODE_COMPACT_KHR};
    f.cmd_copy(cb, &compact);
    const VkCopyAccelerationStructureToMemoryInfoKHR to_memory = {
        .sType = VK_STRUCTURE_TYPE_COPY_ACCELERATION_STRUCTURE_TO_MEMORY_INFO_KHR,
        .src = blas.as,
        .dst.deviceAddress = memory.address,
        .mode = VK_COPY_ACCELERATION_STRUCTURE_MODE_SERIALIZE_KHR};
    f.cmd_to_memory(cb, &to_memory);
    rt_built(cb);
    end(c, cb);
    submit_and_wait(c, cb);

    /* The serialized header: this device's, and compatible with it. */
    const uint8_t *header = memory.map;
    uint64_t stated, deserialized, handles;
    memcpy(&stated, header + 2 * VK_UUID_SIZE, 8);
    memcpy(&deserialized, header + 2 * VK_UUID_SIZE + 8, 8);
    memcpy(&handles, header + 2 * VK_UUID_SIZE + 16, 8);
    EXPECT(stated == serialized && handles == 0 && deserialized > 0,
           "serialized header: size %llu of %llu, %llu handles, %llu deserialized",
           (unsigned long long)stated, (unsigned long long)serialized, (unsigned long long)handles,
           (unsigned long long)deserialized);
    const VkAccelerationStructureVersionInfoKHR version = {
        .sType = VK_STRUCTURE_TYPE_ACCELERATION_STRUCTURE_VERSION_INFO_KHR,
        .pVersionData = header};
    VkAccelerationStructureCompatibilityKHR compatible = VK_ACCELERATION_STRUCTURE_COMPATIBILITY_INCOMPATIBLE_KHR;
    f.compatibility(c->device, &version, &compatible);
    EXPECT(compatible == VK_ACCELERATION_STRUCTURE_COMPATIBILITY_COMPATIBLE_KHR,
           "the device finds its own serialized structure incompatible");

    /* Deserialized into a third structure; the top level instances the
     * compacted one and the deserialized one. */
    struct rt_as restored =
        rt_as_new(c, &f, VK_ACCELERATION_STRUCTURE_TYPE_BOTTOM_LEVEL_KHR, deserialized);
    VkAccelerationStructureInstanceKHR instances[2];
    rt_instances(instances, small.address, restored.address);
    memcpy(in.instances.map, instances, sizeof(instances));
    const VkAccelerationStructureGeometryKHR top = rt_instance_geometry(rt_at(&in.instances));
    cb = primary_new(c);
    begin(c, cb, VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT);
    const VkCopyMemoryToAccelerationStructureInfoKHR from_memory = {
        .sType = VK_STRUCTURE_TYPE_COPY_MEMORY_TO_ACCELERATION_STRUCTURE_INFO_KHR,
        .src.deviceAddress = memory.address,
        .dst = restored.as,
        .mode = VK_COPY_ACCELERATION_STRUCTURE_MODE_DESERIALIZE_KHR};
    f.cmd_from_memory(cb, &from_memory);
    rt_built(cb);
    struct rt_as tlas = rt_device_build(c, &f, cb, VK_ACCELERATION_STRUCTURE_TYPE_TOP_LEVEL_KHR,
                                        &top, 2, 0);
    rt_built(cb);
    end(c, cb);
    submit_and_wait(c, cb);
    rt_trace_by_queries(c, tlas.as, "ray queries over compacted and deserialized structures");
}

/* ---- ray_pipeline ----------------------------------------------------------- */

static VkDeviceSize rt_align(VkDeviceSize v, VkDeviceSize a) { return (v + a - 1) / a * a; }

static void scenario_ray_pipeline(struct ctx *c)
{
    const bool indirect2 = rt_on.maintenance1.rayTracingPipelineTraceRaysIndirect2;
    struct rt_fns f;
    rt_load(c, &f, true, indirect2);
    VkPhysicalDeviceRayTracingPipelinePropertiesKHR rp = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_RAY_TRACING_PIPELINE_PROPERTIES_KHR};
    VkPhysicalDeviceProperties2 props = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2,
                                         .pNext = &rp};
    vkGetPhysicalDeviceProperties2(c->physical, &props);
    EXPECT(rp.shaderGroupHandleSize > 0 && rp.maxRayRecursionDepth >= 1,
           "handle size %u, recursion depth %u", rp.shaderGroupHandleSize, rp.maxRayRecursionDepth);

    /* The scene, built on the device. */
    struct rt_inputs in = rt_inputs_new(c);
    const VkAccelerationStructureGeometryKHR triangles =
        rt_triangles(rt_at(&in.vertices), rt_at(&in.indices));
    VkCommandBuffer cb = primary_new(c);
    begin(c, cb, VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT);
    struct rt_as blas = rt_device_build(c, &f, cb, VK_ACCELERATION_STRUCTURE_TYPE_BOTTOM_LEVEL_KHR,
                                        &triangles, 2, 0);
    rt_built(cb);
    VkAccelerationStructureInstanceKHR instances[2];
    rt_instances(instances, blas.address, blas.address);
    memcpy(in.instances.map, instances, sizeof(instances));
    const VkAccelerationStructureGeometryKHR top = rt_instance_geometry(rt_at(&in.instances));
    struct rt_as tlas = rt_device_build(c, &f, cb, VK_ACCELERATION_STRUCTURE_TYPE_TOP_LEVEL_KHR,
                                        &top, 2, 0);
    rt_built(cb);
    end(c, cb);
    submit_and_wait(c, cb);

    /* Raygen, miss and two closest hits: groups 0 to 3. */
    const VkShaderStageFlags stages = VK_SHADER_STAGE_RAYGEN_BIT_KHR |
                                      VK_SHADER_STAGE_CLOSEST_HIT_BIT_KHR |
                                      VK_SHADER_STAGE_MISS_BIT_KHR;
    struct rt_target t = rt_target_new(c, stages);
    struct rt_target t2 = rt_target_new(c, stages);
    VkPipelineLayout layout = pipeline_layout_new(c, 1, &t.layout, 0, NULL);
    const VkPipelineShaderStageCreateInfo shader[4] = {
        {VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO, NULL, 0,
         VK_SHADER_STAGE_RAYGEN_BIT_KHR, SHADER(rt_scene_rgen_spv), "main", NULL},
        {VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO, NULL, 0,
         VK_SHADER_STAGE_MISS_BIT_KHR, SHADER(rt_scene_rmiss_spv), "main", NULL},
        {VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO, NULL, 0,
         VK_SHADER_STAGE_CLOSEST_HIT_BIT_KHR, SHADER(rt_scene_rchit_spv), "main", NULL},
        {VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO, NULL, 0,
         VK_SHADER_STAGE_CLOSEST_HIT_BIT_KHR, SHADER(rt_other_rchit_spv), "main", NULL}};
    VkRayTracingShaderGroupCreateInfoKHR groups[4];
    for (uint32_t i = 0; i < 4; i++)
        groups[i] = (VkRayTracingShaderGroupCreateInfoKHR){
            .sType = VK_STRUCTURE_TYPE_RAY_TRACING_SHADER_GROUP_CREATE_INFO_KHR,
            .type = i < 2 ? VK_RAY_TRACING_SHADER_GROUP_TYPE_GENERAL_KHR
                          : VK_RAY_TRACING_SHADER_GROUP_TYPE_TRIANGLES_HIT_GROUP_KHR,
            .generalShader = i < 2 ? i : VK_SHADER_UNUSED_KHR,
            .closestHitShader = i < 2 ? VK_SHADER_UNUSED_KHR : i,
            .anyHitShader = VK_SHADER_UNUSED_KHR,
            .intersectionShader = VK_SHADER_UNUSED_KHR};
    const VkRayTracingPipelineCreateInfoKHR pi = {
        .sType = VK_STRUCTURE_TYPE_RAY_TRACING_PIPELINE_CREATE_INFO_KHR,
        .stageCount = 4,
        .pStages = shader,
        .groupCount = 4,
        .pGroups = groups,
        .maxPipelineRayRecursionDepth = 1,
        .layout = layout,
        .basePipelineIndex = -1};
    VkPipeline pipeline;
    VK(f.create_pipelines(c->device, VK_NULL_HANDLE, VK_NULL_HANDLE, 1, &pi, NULL, &pipeline));
    TRACK(PIPELINE, pipeline);
    const VkDeviceSize stack = f.stack_size(c->device, pipeline, 2, VK_SHADER_GROUP_SHADER_CLOSEST_HIT_KHR);
    EXPECT(stack < (1u << 20), "a closest-hit stack of %llu bytes", (unsigned long long)stack);

    /* The shader binding table: each region's records at the handle
     * stride, each region at the base alignment, filled through the
     * buffer's mapping. */
    const uint32_t h = rp.shaderGroupHandleSize;
    uint8_t handles[4 * 64];
    EXPECT(h <= 64, "a shader group handle of %u bytes", h);
    VK(f.group_handles(c->device, pipeline, 0, 4, 4 * h, handles));
    const VkDeviceSize stride = rt_align(h, rp.shaderGroupHandleAlignment);
    const VkDeviceSize base = rp.shaderGroupBaseAlignment;
    const VkDeviceSize miss_at = rt_align(stride, base), hit_at = miss_at + rt_align(stride, base);
    struct rt_buffer sbt = rt_buffer_new(c, hit_at + 2 * stride,
                                         VK_BUFFER_USAGE_SHADER_BINDING_TABLE_BIT_KHR |
                                             VK_BUFFER_USAGE_SHADER_DEVICE_ADDRESS_BIT);
    EXPECT(sbt.address % base == 0, "the table's address is not aligned to %llu", (unsigned long long)base);
    uint8_t *table = sbt.map;
    memcpy(table, handles, h);
    memcpy(table + miss_at, handles + h, h);
    memcpy(table + hit_at, handles + 2 * h, h);
    memcpy(table + hit_at + stride, handles + 3 * h, h);
    const VkStridedDeviceAddressRegionKHR raygen = {sbt.address, stride, stride};
    const VkStridedDeviceAddressRegionKHR miss = {sbt.address + miss_at, stride, stride};
    const VkStridedDeviceAddressRegionKHR hit = {sbt.address + hit_at, stride, 2 * stride};
    const VkStridedDeviceAddressRegionKHR callable = {0, 0, 0};

    /* The same trace, as arguments and, with maintenance1, from a buffer. */
    struct rt_buffer args = rt_buffer_new(c, sizeof(VkTraceRaysIndirectCommand2KHR),
                                          VK_BUFFER_USAGE_INDIRECT_BUFFER_BIT |
                                              VK_BUFFER_USAGE_SHADER_DEVICE_ADDRESS_BIT);
    const VkTraceRaysIndirectCommand2KHR indirect = {
        raygen.deviceAddress, raygen.size, miss.deviceAddress, miss.size, miss.stride,
        hit.deviceAddress,    hit.size,    hit.stride,        0,         0,
        0,                    RT_WIDTH,    RT_HEIGHT,         1};
    memcpy(args.map, &indirect, sizeof(indirect));
    VkDescriptorSet sets[2] = {rt_set_by_writes(c, &t, tlas.as),
                               rt_set_by_template(c, &t2, tlas.as,
                                                  VK_PIPELINE_BIND_POINT_RAY_TRACING_KHR, layout)};
    cb = primary_new(c);
    begin(c, cb, VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT);
    const VkPipelineStageFlags rt_stage = VK_PIPELINE_STAGE_RAY_TRACING_SHADER_BIT_KHR;
    rt_target_begin(cb, &t, rt_stage);
    rt_target_begin(cb, &t2, rt_stage);
    vkCmdBindPipeline(cb, VK_PIPELINE_BIND_POINT_RAY_TRACING_KHR, pipeline);
    vkCmdBindDescriptorSets(cb, VK_PIPELINE_BIND_POINT_RAY_TRACING_KHR, layout, 0, 1, &sets[0], 0, NULL);
    f.trace(cb, &raygen, &miss, &hit, &callable, RT_WIDTH, RT_HEIGHT, 1);
    vkCmdBindDescriptorSets(cb, VK_PIPELINE_BIND_POINT_RAY_TRACING_KHR, layout, 0, 1, &sets[1], 0, NULL);
    if (indirect2)
        f.trace_indirect2(cb, args.address);
    else
        f.trace(cb, &raygen, &miss, &hit, &callable, RT_WIDTH, RT_HEIGHT, 1);
    rt_target_end(cb, &t, rt_stage);
    rt_target_end(cb, &t2, rt_stage);
    end(c, cb);
    submit_and_wait(c, cb);
    rt_check_image(c, "vkCmdTraceRaysKHR", t.readback.map, true);
    rt_check_image(c, indirect2 ? "vkCmdTraceRaysIndirect2KHR" : "vkCmdTraceRaysKHR again",
                   t2.readback.map, true);
}

/* ---- ray_host_build ------------------------------------------------------------ */

/* A host command that may be deferred, run to its end: joined until it
 * completes (this thread is the only one joining). */
static VkResult rt_finish(struct ctx *c, const struct rt_fns *f, VkDeferredOperationKHR op, VkResult r)
{
    if (r != VK_OPERATION_DEFERRED_KHR)
        return r;
    EXPECT(f->max_concurrency(c->device, op) >= 1, "a deferred operation nobody may join");
    for (;;) {
        const VkResult j = f->join(c->device, op);
        if (j == VK_SUCCESS)
            break;
        EXPECT(j == VK_THREAD_DONE_KHR || j == VK_THREAD_IDLE_KHR, "join returned %s", result_name(j));
        if (f->deferred_result(c->device, op) != VK_NOT_READY)
            break;
    }
    return f->deferred_result(c->device, op);
}

/* A host build of one geometry into a new structure in host-visible memory. */
static struct rt_as rt_host_build(struct ctx *c, const struct rt_fns *f, VkDeferredOperationKHR op,
                                  VkAccelerationStructureTypeKHR type,
                                  const VkAccelerationStructureGeometryKHR *geometry,
                                  uint32_t primitives)
{
    VkAccelerationStructureBuildGeometryInfoKHR info = {
        .sType = VK_STRUCTURE_TYPE_ACCELERATION_STRUCTURE_BUILD_GEOMETRY_INFO_KHR,
        .type = type,
        .mode = VK_BUILD_ACCELERATION_STRUCTURE_MODE_BUILD_KHR,
        .geometryCount = 1,
        .pGeometries = geometry};
    VkAccelerationStructureBuildSizesInfoKHR sizes = {
        .sType = VK_STRUCTURE_TYPE_ACCELERATION_STRUCTURE_BUILD_SIZES_INFO_KHR};
    f->build_sizes(c->device, VK_ACCELERATION_STRUCTURE_BUILD_TYPE_HOST_KHR, &info, &primitives,
                   &sizes);
    struct rt_as s = rt_as_new(c, f, type, sizes.accelerationStructureSize);
    void *scratch = malloc(sizes.buildScratchSize ? sizes.buildScratchSize : 1);
    EXPECT(scratch, "out of memory");
    info.dstAccelerationStructure = s.as;
    info.scratchData.hostAddress = scratch;
    const VkAccelerationStructureBuildRangeInfoKHR range = {.primitiveCount = primitives};
    const VkAccelerationStructureBuildRangeInfoKHR *ranges = &range;
    VkResult r = rt_finish(c, f, op, f->build(c->device, op, 1, &info, &ranges));
    free(scratch);
    EXPECT(r == VK_SUCCESS || r == VK_OPERATION_NOT_DEFERRED_KHR, "the host build returned %s",
           result_name(r));
    return s;
}

static void scenario_ray_host_build(struct ctx *c)
{
    struct rt_fns f;
    rt_load(c, &f, false, false);
    VkDeferredOperationKHR op;
    VK(f.create_deferred(c->device, NULL, &op));

    /* The bottom level from the application's own arrays, deferred. */
    const VkAccelerationStructureGeometryKHR triangles =
        rt_triangles((VkDeviceOrHostAddressConstKHR){.hostAddress = rt_vertices},
                     (VkDeviceOrHostAddressConstKHR){.hostAddress = rt_indices});
    struct rt_as blas = rt_host_build(c, &f, op, VK_ACCELERATION_STRUCTURE_TYPE_BOTTOM_LEVEL_KHR,
                                      &triangles, 2);

    /* Serialized into host memory and back; cloned. */
    VkDeviceSize size = 0;
    VK(f.properties(c->device, 1, &blas.as, VK_QUERY_TYPE_ACCELERATION_STRUCTURE_SERIALIZATION_SIZE_KHR,
                    sizeof(size), &size, sizeof(size)));
    EXPECT(size >= 56, "a serialized size of %llu", (unsigned long long)size);
    uint8_t *data = calloc(1, size);
    EXPECT(data, "out of memory");
    const VkCopyAccelerationStructureToMemoryInfoKHR to_memory = {
        .sType = VK_STRUCTURE_TYPE_COPY_ACCELERATION_STRUCTURE_TO_MEMORY_INFO_KHR,
        .src = blas.as,
        .dst.hostAddress = data,
        .mode = VK_COPY_ACCELERATION_STRUCTURE_MODE_SERIALIZE_KHR};
    VkResult r = rt_finish(c, &f, op, f.to_memory(c->device, op, &to_memory));
    uint64_t deserialized = 0;
    memcpy(&deserialized, data + 2 * VK_UUID_SIZE + 8, 8);
    struct rt_as restored = {0};
    if (r == VK_SUCCESS || r == VK_OPERATION_NOT_DEFERRED_KHR)
        restored = rt_as_new(c, &f, VK_ACCELERATION_STRUCTURE_TYPE_BOTTOM_LEVEL_KHR, deserialized);
    const VkCopyMemoryToAccelerationStructureInfoKHR from_memory = {
        .sType = VK_STRUCTURE_TYPE_COPY_MEMORY_TO_ACCELERATION_STRUCTURE_INFO_KHR,
        .src.hostAddress = data,
        .dst = restored.as,
        .mode = VK_COPY_ACCELERATION_STRUCTURE_MODE_DESERIALIZE_KHR};
    if (restored.as)
        r = f.from_memory(c->device, VK_NULL_HANDLE, &from_memory);
    free(data);
    EXPECT(r == VK_SUCCESS || r == VK_OPERATION_NOT_DEFERRED_KHR, "serialization returned %s",
           result_name(r));
    struct rt_as clone = rt_as_new(c, &f, VK_ACCELERATION_STRUCTURE_TYPE_BOTTOM_LEVEL_KHR,
                                   blas.storage.size);
    const VkCopyAccelerationStructureInfoKHR copy = {
        .sType = VK_STRUCTURE_TYPE_COPY_ACCELERATION_STRUCTURE_INFO_KHR,
        .src = blas.as,
        .dst = clone.as,
        .mode = VK_COPY_ACCELERATION_STRUCTURE_MODE_CLONE_KHR};
    VK(f.copy(c->device, VK_NULL_HANDLE, &copy));

    /* The top level over both, its instances naming them by handle. */
    VkAccelerationStructureInstanceKHR instances[2];
    rt_instances(instances, (uint64_t)(uintptr_t)restored.as, (uint64_t)(uintptr_t)clone.as);
    const VkAccelerationStructureGeometryKHR top =
        rt_instance_geometry((VkDeviceOrHostAddressConstKHR){.hostAddress = instances});
    struct rt_as tlas = rt_host_build(c, &f, op, VK_ACCELERATION_STRUCTURE_TYPE_TOP_LEVEL_KHR, &top, 2);
    f.destroy_deferred(c->device, op, NULL);
    rt_trace_by_queries(c, tlas.as, "ray queries over host-built structures");
}

#define CMDTEST_RAY_TRACING                                                                        \
    {"ray_query", scenario_ray_query,                                                              \
     "BLAS/TLAS device builds, compaction, serialization both ways, ray queries, a template with " \
     "an acceleration-structure entry",                                                            \
     false, rt_needs_query, false},                                                                \
    {"ray_pipeline", scenario_ray_pipeline,                                                        \
     "raygen/miss/two hit groups, a shader binding table in mapped memory, vkCmdTraceRaysKHR "     \
     "and vkCmdTraceRaysIndirect2KHR",                                                             \
     false, rt_needs_pipeline, true},                                                              \
    {"ray_host_build", scenario_ray_host_build,                                                    \
     "host builds (deferred, serialized, cloned) traced by ray queries; skipped without "          \
     "accelerationStructureHostCommands",                                                          \
     false, rt_needs_host, false},

#endif /* VKW_CMDTEST_RAY_TRACING_H */
