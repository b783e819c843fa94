/* Vulkan video: where the device decodes H.264 (VK_KHR_video_decode_h264),
 * the capabilities and formats of an H.264 Main decode profile, a session
 * with its memory bound, session parameters made from a small SPS (with a
 * VUI: nested codec structures and bit-fields) and PPS and updated with a
 * second PPS, a bitstream buffer and a picture image made with the profile
 * in their chains, and a coding scope with a reset recorded and run on a
 * decode queue (no bitstream is decoded).  The digest: the queue family's
 * video properties, every capability and format property, the memory
 * requirements' sizes.  Lavapipe has no video: there it skips, natively
 * and through vkwire alike.  What it checked is printed as "# " lines. */

/* Whether the physical device offers the extension. */
static bool video_device_offers(struct ctx *c, const char *name)
{
    uint32_t n = 0;
    if (vkEnumerateDeviceExtensionProperties(c->physical, NULL, &n, NULL) != VK_SUCCESS || !n)
        return false;
    VkExtensionProperties *all = calloc(n, sizeof *all);
    bool found = false;
    if (all && vkEnumerateDeviceExtensionProperties(c->physical, NULL, &n, all) == VK_SUCCESS)
        for (uint32_t i = 0; i < n && !found; i++)
            found = !strcmp(all[i].extensionName, name);
    free(all);
    return found;
}

/* The first queue family that decodes H.264, or UINT32_MAX. */
static uint32_t video_decode_family(struct ctx *c, VkQueueFamilyVideoPropertiesKHR *video_out,
                                    VkQueueFamilyQueryResultStatusPropertiesKHR *status_out)
{
    uint32_t n = 0;
    vkGetPhysicalDeviceQueueFamilyProperties2(c->physical, &n, NULL);
    VkQueueFamilyProperties2 props[16];
    VkQueueFamilyVideoPropertiesKHR video[16];
    VkQueueFamilyQueryResultStatusPropertiesKHR status[16];
    n = n < 16 ? n : 16;
    for (uint32_t i = 0; i < n; i++) {
        status[i] = (VkQueueFamilyQueryResultStatusPropertiesKHR){
            .sType = VK_STRUCTURE_TYPE_QUEUE_FAMILY_QUERY_RESULT_STATUS_PROPERTIES_KHR};
        video[i] = (VkQueueFamilyVideoPropertiesKHR){
            .sType = VK_STRUCTURE_TYPE_QUEUE_FAMILY_VIDEO_PROPERTIES_KHR, .pNext = &status[i]};
        props[i] = (VkQueueFamilyProperties2){.sType = VK_STRUCTURE_TYPE_QUEUE_FAMILY_PROPERTIES_2,
                                              .pNext = &video[i]};
    }
    vkGetPhysicalDeviceQueueFamilyProperties2(c->physical, &n, props);
    for (uint32_t i = 0; i < n; i++) {
        if ((props[i].queueFamilyProperties.queueFlags & VK_QUEUE_VIDEO_DECODE_BIT_KHR) &&
            (video[i].videoCodecOperations & VK_VIDEO_CODEC_OPERATION_DECODE_H264_BIT_KHR)) {
            *video_out = video[i];
            *status_out = status[i];
            video_out->pNext = status_out->pNext = NULL;
            return i;
        }
    }
    return UINT32_MAX;
}

static void video_needs(struct ctx *c, struct device_needs *n)
{
    static const char *const wanted[] = {"VK_KHR_video_queue", "VK_KHR_video_decode_queue",
                                         "VK_KHR_video_decode_h264"};
    for (size_t i = 0; i < ARRAY_SIZE(wanted); i++) {
        if (!video_device_offers(c, wanted[i])) {
            n->skip = true;
            snprintf(n->skip_why, sizeof n->skip_why, "%.80s does not offer %.60s",
                     c->props.deviceName, wanted[i]);
            return;
        }
        n->extensions[n->extension_count++] = wanted[i];
    }
    VkQueueFamilyVideoPropertiesKHR video;
    VkQueueFamilyQueryResultStatusPropertiesKHR status;
    const uint32_t family = video_decode_family(c, &video, &status);
    if (family == UINT32_MAX) {
        n->skip = true;
        snprintf(n->skip_why, sizeof n->skip_why, "no queue family of %.120s decodes H.264",
                 c->props.deviceName);
        return;
    }
    n->extra_queue = family != c->family;
    n->extra_family = family;
}

/* An H.264 Main progressive 4:2:0 8-bit decode profile. */
struct video_profile {
    VkVideoDecodeH264ProfileInfoKHR h264;
    VkVideoProfileInfoKHR profile;
    VkVideoProfileListInfoKHR list;
};

static void video_profile_init(struct video_profile *p)
{
    p->h264 = (VkVideoDecodeH264ProfileInfoKHR){
        .sType = VK_STRUCTURE_TYPE_VIDEO_DECODE_H264_PROFILE_INFO_KHR,
        .stdProfileIdc = STD_VIDEO_H264_PROFILE_IDC_MAIN,
        .pictureLayout = VK_VIDEO_DECODE_H264_PICTURE_LAYOUT_PROGRESSIVE_KHR};
    p->profile =
        (VkVideoProfileInfoKHR){.sType = VK_STRUCTURE_TYPE_VIDEO_PROFILE_INFO_KHR,
                                .pNext = &p->h264,
                                .videoCodecOperation = VK_VIDEO_CODEC_OPERATION_DECODE_H264_BIT_KHR,
                                .chromaSubsampling = VK_VIDEO_CHROMA_SUBSAMPLING_420_BIT_KHR,
                                .lumaBitDepth = VK_VIDEO_COMPONENT_BIT_DEPTH_8_BIT_KHR,
                                .chromaBitDepth = VK_VIDEO_COMPONENT_BIT_DEPTH_8_BIT_KHR};
    p->list = (VkVideoProfileListInfoKHR){.sType = VK_STRUCTURE_TYPE_VIDEO_PROFILE_LIST_INFO_KHR,
                                          .profileCount = 1,
                                          .pProfiles = &p->profile};
}

/* The formats the profile offers for `usage`; the first is returned, the
 * count is digested with every property. */
static VkVideoFormatPropertiesKHR video_formats(struct ctx *c,
                                                PFN_vkGetPhysicalDeviceVideoFormatPropertiesKHR get,
                                                struct video_profile *p, VkImageUsageFlags usage,
                                                const char *what)
{
    const VkPhysicalDeviceVideoFormatInfoKHR info = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VIDEO_FORMAT_INFO_KHR,
        .pNext = &p->list,
        .imageUsage = usage};
    uint32_t n = 0;
    VK(get(c->physical, &info, &n, NULL));
    EXPECT(n > 0 && n <= 32, "%u video formats for %s", n, what);
    VkVideoFormatPropertiesKHR props[32];
    for (uint32_t i = 0; i < n; i++)
        props[i] =
            (VkVideoFormatPropertiesKHR){.sType = VK_STRUCTURE_TYPE_VIDEO_FORMAT_PROPERTIES_KHR};
    VK(get(c->physical, &info, &n, props));
    digest_u32(c, n);
    for (uint32_t i = 0; i < n; i++) {
        digest_u32(c, (uint32_t)props[i].format);
        digest(c, &props[i].componentMapping, sizeof props[i].componentMapping);
        digest_u32(c, props[i].imageCreateFlags);
        digest_u32(c, (uint32_t)props[i].imageType);
        digest_u32(c, (uint32_t)props[i].imageTiling);
        digest_u32(c, props[i].imageUsageFlags);
    }
    printf("# video_capabilities: %u %s format(s), the first %d (tiling %d)\n", n, what,
           (int)props[0].format, (int)props[0].imageTiling);
    return props[0];
}

static uint32_t video_min(uint32_t a, uint32_t b)
{
    return a < b ? a : b;
}

static void scenario_video_capabilities(struct ctx *c)
{
#define GET(name) ((PFN_##name)vkGetDeviceProcAddr(c->device, #name))
    PFN_vkGetPhysicalDeviceVideoCapabilitiesKHR get_caps =
        (PFN_vkGetPhysicalDeviceVideoCapabilitiesKHR)vkGetInstanceProcAddr(
            c->instance, "vkGetPhysicalDeviceVideoCapabilitiesKHR");
    PFN_vkGetPhysicalDeviceVideoFormatPropertiesKHR get_formats =
        (PFN_vkGetPhysicalDeviceVideoFormatPropertiesKHR)vkGetInstanceProcAddr(
            c->instance, "vkGetPhysicalDeviceVideoFormatPropertiesKHR");
    PFN_vkCreateVideoSessionKHR create_session = GET(vkCreateVideoSessionKHR);
    PFN_vkDestroyVideoSessionKHR destroy_session = GET(vkDestroyVideoSessionKHR);
    PFN_vkGetVideoSessionMemoryRequirementsKHR session_requirements =
        GET(vkGetVideoSessionMemoryRequirementsKHR);
    PFN_vkBindVideoSessionMemoryKHR bind_session = GET(vkBindVideoSessionMemoryKHR);
    PFN_vkCreateVideoSessionParametersKHR create_parameters =
        GET(vkCreateVideoSessionParametersKHR);
    PFN_vkUpdateVideoSessionParametersKHR update_parameters =
        GET(vkUpdateVideoSessionParametersKHR);
    PFN_vkDestroyVideoSessionParametersKHR destroy_parameters =
        GET(vkDestroyVideoSessionParametersKHR);
    PFN_vkCmdBeginVideoCodingKHR cmd_begin = GET(vkCmdBeginVideoCodingKHR);
    PFN_vkCmdControlVideoCodingKHR cmd_control = GET(vkCmdControlVideoCodingKHR);
    PFN_vkCmdEndVideoCodingKHR cmd_end = GET(vkCmdEndVideoCodingKHR);
#undef GET
    EXPECT(get_caps && get_formats && create_session && destroy_session && session_requirements &&
               bind_session && create_parameters && update_parameters && destroy_parameters &&
               cmd_begin && cmd_control && cmd_end,
           "a VK_KHR_video_queue entry point is missing");

    /* The queue family's video properties (chained into the family query). */
    VkQueueFamilyVideoPropertiesKHR family_video;
    VkQueueFamilyQueryResultStatusPropertiesKHR family_status;
    const uint32_t family = video_decode_family(c, &family_video, &family_status);
    EXPECT(family != UINT32_MAX, "the decode queue family is gone");
    digest_u32(c, family_video.videoCodecOperations);
    digest_u32(c, family_status.queryResultStatusSupport);
    printf(
        "# video_capabilities: queue family %u: codec operations 0x%x, result status queries %u\n",
        family, family_video.videoCodecOperations, family_status.queryResultStatusSupport);

    /* Capabilities: the generic ones, decode's and H.264's, in one chain. */
    struct video_profile p;
    video_profile_init(&p);
    VkVideoDecodeH264CapabilitiesKHR h264_caps = {
        .sType = VK_STRUCTURE_TYPE_VIDEO_DECODE_H264_CAPABILITIES_KHR};
    VkVideoDecodeCapabilitiesKHR decode_caps = {
        .sType = VK_STRUCTURE_TYPE_VIDEO_DECODE_CAPABILITIES_KHR, .pNext = &h264_caps};
    VkVideoCapabilitiesKHR caps = {.sType = VK_STRUCTURE_TYPE_VIDEO_CAPABILITIES_KHR,
                                   .pNext = &decode_caps};
    VK(get_caps(c->physical, &p.profile, &caps));
    digest_u32(c, caps.flags);
    digest(c, &caps.minBitstreamBufferOffsetAlignment,
           sizeof caps.minBitstreamBufferOffsetAlignment);
    digest(c, &caps.minBitstreamBufferSizeAlignment, sizeof caps.minBitstreamBufferSizeAlignment);
    digest(c, &caps.pictureAccessGranularity, sizeof caps.pictureAccessGranularity);
    digest(c, &caps.minCodedExtent, sizeof caps.minCodedExtent);
    digest(c, &caps.maxCodedExtent, sizeof caps.maxCodedExtent);
    digest_u32(c, caps.maxDpbSlots);
    digest_u32(c, caps.maxActiveReferencePictures);
    digest(c, caps.stdHeaderVersion.extensionName, strlen(caps.stdHeaderVersion.extensionName));
    digest_u32(c, caps.stdHeaderVersion.specVersion);
    digest_u32(c, decode_caps.flags);
    digest_u32(c, (uint32_t)h264_caps.maxLevelIdc);
    digest(c, &h264_caps.fieldOffsetGranularity, sizeof h264_caps.fieldOffsetGranularity);
    EXPECT(!strcmp(caps.stdHeaderVersion.extensionName,
                   VK_STD_VULKAN_VIDEO_CODEC_H264_DECODE_EXTENSION_NAME),
           "the capabilities name the codec header %s", caps.stdHeaderVersion.extensionName);
    EXPECT(caps.maxDpbSlots > 0 && caps.maxCodedExtent.width >= caps.minCodedExtent.width &&
               decode_caps.flags != 0,
           "odd capabilities: %u DPB slots, coded extent %ux%u..%ux%u, decode flags 0x%x",
           caps.maxDpbSlots, caps.minCodedExtent.width, caps.minCodedExtent.height,
           caps.maxCodedExtent.width, caps.maxCodedExtent.height, decode_caps.flags);
    printf("# video_capabilities: H.264 Main decode: coded %ux%u..%ux%u (granularity %ux%u), "
           "%u DPB slots, %u active references, level idc %d, flags 0x%x, decode flags 0x%x, "
           "%s %u.%u.%u\n",
           caps.minCodedExtent.width, caps.minCodedExtent.height, caps.maxCodedExtent.width,
           caps.maxCodedExtent.height, caps.pictureAccessGranularity.width,
           caps.pictureAccessGranularity.height, caps.maxDpbSlots, caps.maxActiveReferencePictures,
           (int)h264_caps.maxLevelIdc, caps.flags, decode_caps.flags,
           caps.stdHeaderVersion.extensionName,
           VK_API_VERSION_MAJOR(caps.stdHeaderVersion.specVersion),
           VK_API_VERSION_MINOR(caps.stdHeaderVersion.specVersion),
           VK_API_VERSION_PATCH(caps.stdHeaderVersion.specVersion));

    /* Formats: the decode output, and the DPB's (the same images where the
     * device says they coincide). */
    const bool coincide =
        decode_caps.flags & VK_VIDEO_DECODE_CAPABILITY_DPB_AND_OUTPUT_COINCIDE_BIT_KHR;
    const VkImageUsageFlags out_usage = VK_IMAGE_USAGE_VIDEO_DECODE_DST_BIT_KHR |
                                        (coincide ? VK_IMAGE_USAGE_VIDEO_DECODE_DPB_BIT_KHR : 0);
    const VkVideoFormatPropertiesKHR out_format =
        video_formats(c, get_formats, &p, out_usage, coincide ? "output+DPB" : "output");
    const VkVideoFormatPropertiesKHR dpb_format =
        coincide
            ? out_format
            : video_formats(c, get_formats, &p, VK_IMAGE_USAGE_VIDEO_DECODE_DPB_BIT_KHR, "DPB");

    /* A session of QCIF size (within the capabilities). */
    VkExtent2D extent = {176, 144};
    extent.width =
        extent.width < caps.minCodedExtent.width ? caps.minCodedExtent.width : extent.width;
    extent.height =
        extent.height < caps.minCodedExtent.height ? caps.minCodedExtent.height : extent.height;
    const VkVideoSessionCreateInfoKHR session_info = {
        .sType = VK_STRUCTURE_TYPE_VIDEO_SESSION_CREATE_INFO_KHR,
        .queueFamilyIndex = family,
        .pVideoProfile = &p.profile,
        .pictureFormat = out_format.format,
        .maxCodedExtent = extent,
        .referencePictureFormat = dpb_format.format,
        .maxDpbSlots = video_min(caps.maxDpbSlots, 2),
        .maxActiveReferencePictures = video_min(caps.maxActiveReferencePictures, 1),
        .pStdHeaderVersion = &caps.stdHeaderVersion};
    VkVideoSessionKHR session;
    VK(create_session(c->device, &session_info, NULL, &session));

    /* Its memory: one allocation per binding the driver asks for. */
    uint32_t bindings = 0;
    VK(session_requirements(c->device, session, &bindings, NULL));
    EXPECT(bindings <= 16, "%u memory bindings", bindings);
    VkVideoSessionMemoryRequirementsKHR req[16];
    for (uint32_t i = 0; i < bindings; i++)
        req[i] = (VkVideoSessionMemoryRequirementsKHR){
            .sType = VK_STRUCTURE_TYPE_VIDEO_SESSION_MEMORY_REQUIREMENTS_KHR};
    VK(session_requirements(c->device, session, &bindings, req));
    VkDeviceMemory memory[16];
    VkBindVideoSessionMemoryInfoKHR bind[16];
    digest_u32(c, bindings);
    for (uint32_t i = 0; i < bindings; i++) {
        const VkMemoryAllocateInfo ai = {
            .sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
            .allocationSize = req[i].memoryRequirements.size,
            .memoryTypeIndex = memory_type(c, req[i].memoryRequirements.memoryTypeBits, 0,
                                           VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT)};
        VK(vkAllocateMemory(c->device, &ai, NULL, &memory[i]));
        bind[i] = (VkBindVideoSessionMemoryInfoKHR){
            .sType = VK_STRUCTURE_TYPE_BIND_VIDEO_SESSION_MEMORY_INFO_KHR,
            .memoryBindIndex = req[i].memoryBindIndex,
            .memory = memory[i],
            .memorySize = req[i].memoryRequirements.size};
        digest_u32(c, req[i].memoryBindIndex);
        digest(c, &req[i].memoryRequirements.size, sizeof req[i].memoryRequirements.size);
    }
    if (bindings)
        VK(bind_session(c->device, session, bindings, bind));

    /* Parameters: an SPS with a VUI (timing, bitstream restriction) and a
     * PPS, then a second PPS by an update. */
    const StdVideoH264SequenceParameterSetVui vui = {.flags = {.aspect_ratio_info_present_flag = 1,
                                                               .timing_info_present_flag = 1,
                                                               .fixed_frame_rate_flag = 1,
                                                               .bitstream_restriction_flag = 1},
                                                     .aspect_ratio_idc =
                                                         STD_VIDEO_H264_ASPECT_RATIO_IDC_SQUARE,
                                                     .num_units_in_tick = 1,
                                                     .time_scale = 50,
                                                     .max_dec_frame_buffering = 1};
    const StdVideoH264SequenceParameterSet sps = {
        .flags = {.direct_8x8_inference_flag = 1,
                  .frame_mbs_only_flag = 1,
                  .vui_parameters_present_flag = 1},
        .profile_idc = STD_VIDEO_H264_PROFILE_IDC_MAIN,
        .level_idc = STD_VIDEO_H264_LEVEL_IDC_3_0,
        .chroma_format_idc = STD_VIDEO_H264_CHROMA_FORMAT_IDC_420,
        .pic_order_cnt_type = STD_VIDEO_H264_POC_TYPE_0,
        .log2_max_pic_order_cnt_lsb_minus4 = 2,
        .max_num_ref_frames = 1,
        .pic_width_in_mbs_minus1 = (extent.width + 15) / 16 - 1,
        .pic_height_in_map_units_minus1 = (extent.height + 15) / 16 - 1,
        .pSequenceParameterSetVui = &vui};
    const StdVideoH264PictureParameterSet pps[2] = {
        {.flags = {.deblocking_filter_control_present_flag = 1, .entropy_coding_mode_flag = 1},
         .pic_parameter_set_id = 0,
         .weighted_bipred_idc = STD_VIDEO_H264_WEIGHTED_BIPRED_IDC_DEFAULT},
        {.flags = {.deblocking_filter_control_present_flag = 1},
         .pic_parameter_set_id = 1,
         .pic_init_qp_minus26 = -2,
         .weighted_bipred_idc = STD_VIDEO_H264_WEIGHTED_BIPRED_IDC_DEFAULT}};
    const VkVideoDecodeH264SessionParametersAddInfoKHR add = {
        .sType = VK_STRUCTURE_TYPE_VIDEO_DECODE_H264_SESSION_PARAMETERS_ADD_INFO_KHR,
        .stdSPSCount = 1,
        .pStdSPSs = &sps,
        .stdPPSCount = 1,
        .pStdPPSs = &pps[0]};
    const VkVideoDecodeH264SessionParametersCreateInfoKHR h264_parameters = {
        .sType = VK_STRUCTURE_TYPE_VIDEO_DECODE_H264_SESSION_PARAMETERS_CREATE_INFO_KHR,
        .maxStdSPSCount = 1,
        .maxStdPPSCount = 2,
        .pParametersAddInfo = &add};
    const VkVideoSessionParametersCreateInfoKHR parameters_info = {
        .sType = VK_STRUCTURE_TYPE_VIDEO_SESSION_PARAMETERS_CREATE_INFO_KHR,
        .pNext = &h264_parameters,
        .videoSession = session};
    VkVideoSessionParametersKHR parameters;
    VK(create_parameters(c->device, &parameters_info, NULL, &parameters));
    const VkVideoDecodeH264SessionParametersAddInfoKHR add_pps = {
        .sType = VK_STRUCTURE_TYPE_VIDEO_DECODE_H264_SESSION_PARAMETERS_ADD_INFO_KHR,
        .stdPPSCount = 1,
        .pStdPPSs = &pps[1]};
    const VkVideoSessionParametersUpdateInfoKHR update = {
        .sType = VK_STRUCTURE_TYPE_VIDEO_SESSION_PARAMETERS_UPDATE_INFO_KHR,
        .pNext = &add_pps,
        .updateSequenceCount = 1};
    VK(update_parameters(c->device, parameters, &update));

    /* A bitstream buffer and a picture made for the profile (it travels in
     * their chains). */
    VkDeviceSize bitstream_size = 64 * 1024;
    if (caps.minBitstreamBufferSizeAlignment > 1)
        bitstream_size = (bitstream_size + caps.minBitstreamBufferSizeAlignment - 1) /
                         caps.minBitstreamBufferSizeAlignment *
                         caps.minBitstreamBufferSizeAlignment;
    const VkBufferCreateInfo bi = {.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
                                   .pNext = &p.list,
                                   .size = bitstream_size,
                                   .usage = VK_BUFFER_USAGE_VIDEO_DECODE_SRC_BIT_KHR};
    VkBuffer bitstream;
    VK(vkCreateBuffer(c->device, &bi, NULL, &bitstream));
    TRACK(BUFFER, bitstream);
    VkMemoryRequirements br;
    vkGetBufferMemoryRequirements(c->device, bitstream, &br);
    VkDeviceMemory bitstream_memory;
    const VkMemoryAllocateInfo bai = {
        .sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
        .allocationSize = br.size,
        .memoryTypeIndex =
            memory_type(c, br.memoryTypeBits, 0, VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT)};
    VK(vkAllocateMemory(c->device, &bai, NULL, &bitstream_memory));
    TRACK(DEVICE_MEMORY, bitstream_memory);
    VK(vkBindBufferMemory(c->device, bitstream, bitstream_memory, 0));
    const VkImageCreateInfo ii = {.sType = VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO,
                                  .pNext = &p.list,
                                  .flags = out_format.imageCreateFlags,
                                  .imageType = out_format.imageType,
                                  .format = out_format.format,
                                  .extent = {extent.width, extent.height, 1},
                                  .mipLevels = 1,
                                  .arrayLayers = 1,
                                  .samples = VK_SAMPLE_COUNT_1_BIT,
                                  .tiling = out_format.imageTiling,
                                  .usage = out_usage,
                                  .initialLayout = VK_IMAGE_LAYOUT_UNDEFINED};
    VkImage picture;
    VK(vkCreateImage(c->device, &ii, NULL, &picture));
    TRACK(IMAGE, picture);
    VkMemoryRequirements ir;
    vkGetImageMemoryRequirements(c->device, picture, &ir);
    VkDeviceMemory picture_memory;
    const VkMemoryAllocateInfo iai = {
        .sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
        .allocationSize = ir.size,
        .memoryTypeIndex =
            memory_type(c, ir.memoryTypeBits, 0, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT)};
    VK(vkAllocateMemory(c->device, &iai, NULL, &picture_memory));
    TRACK(DEVICE_MEMORY, picture_memory);
    VK(vkBindImageMemory(c->device, picture, picture_memory, 0));
    digest(c, &br.size, sizeof br.size);
    digest(c, &ir.size, sizeof ir.size);

    /* Begin (with the parameters), reset, end: recorded on a command buffer
     * of the decode family and run on its queue. */
    const VkCommandPoolCreateInfo pi = {.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
                                        .queueFamilyIndex = family};
    VkCommandPool pool;
    VK(vkCreateCommandPool(c->device, &pi, NULL, &pool));
    TRACK(COMMAND_POOL, pool);
    VkCommandBuffer cb = command_buffer_new(c, pool, VK_COMMAND_BUFFER_LEVEL_PRIMARY);
    begin(c, cb, VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT);
    const VkVideoBeginCodingInfoKHR begin_info = {.sType =
                                                      VK_STRUCTURE_TYPE_VIDEO_BEGIN_CODING_INFO_KHR,
                                                  .videoSession = session,
                                                  .videoSessionParameters = parameters};
    cmd_begin(cb, &begin_info);
    const VkVideoCodingControlInfoKHR control = {
        .sType = VK_STRUCTURE_TYPE_VIDEO_CODING_CONTROL_INFO_KHR,
        .flags = VK_VIDEO_CODING_CONTROL_RESET_BIT_KHR};
    cmd_control(cb, &control);
    const VkVideoEndCodingInfoKHR end_info = {.sType = VK_STRUCTURE_TYPE_VIDEO_END_CODING_INFO_KHR};
    cmd_end(cb, &end_info);
    end(c, cb);
    VkQueue queue;
    vkGetDeviceQueue(c->device, family, 0, &queue);
    VkFence fence = fence_new(c, false);
    const VkSubmitInfo si = {
        .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO, .commandBufferCount = 1, .pCommandBuffers = &cb};
    VK(vkQueueSubmit(queue, 1, &si, fence));
    wait_fence(c, fence);

    /* Dependency order: the parameters, the session, then its memory. */
    destroy_parameters(c->device, parameters, NULL);
    destroy_session(c->device, session, NULL);
    for (uint32_t i = 0; i < bindings; i++)
        vkFreeMemory(c->device, memory[i], NULL);
    printf("# video_capabilities: session %ux%u with %u memory binding(s), parameters "
           "(1 SPS with a VUI, 2 PPS, one by an update), bitstream buffer and picture made with "
           "the profile in their chains, begin/reset/end run on queue family %u\n",
           extent.width, extent.height, bindings, family);
}

#define CMDTEST_VIDEO                                                                      \
    {"video_capabilities",                                                                 \
     scenario_video_capabilities,                                                          \
     "H.264 decode: capabilities, formats, a session with memory and SPS/PPS parameters, " \
     "begin/reset/end coding (skips without VK_KHR_video_decode_h264)",                    \
     false,                                                                                \
     video_needs,                                                                          \
     true},
