/* Debug utilities: an application's own message reaches its messenger
 * (vkwire keeps messengers in the guest), object names and tags travel for
 * objects of every kind — a dispatchable device and queue named by their
 * handles cast to uint64_t as well as a buffer —, labels on queues and
 * command buffers, and private data set on the device itself (the same
 * cast).  The digest: how often the message arrived, what came back from
 * private data, and the results. */

struct debug_seen {
    atomic_uint count;
    char id[32];
};

static VKAPI_ATTR VkBool32 VKAPI_CALL debug_utils_heard(
    VkDebugUtilsMessageSeverityFlagBitsEXT severity, VkDebugUtilsMessageTypeFlagsEXT types,
    const VkDebugUtilsMessengerCallbackDataEXT *data, void *user)
{
    struct debug_seen *seen = user;
    (void)severity, (void)types;
    if (data->pMessageIdName && !strcmp(data->pMessageIdName, "vkw-cmdtest-note")) {
        seen->count++;
        snprintf(seen->id, sizeof seen->id, "%d", data->messageIdNumber);
    }
    return VK_FALSE;
}

static void scenario_debug_utils(struct ctx *c)
{
#define GET(name) ((PFN_##name)vkGetInstanceProcAddr(c->instance, #name))
    PFN_vkCreateDebugUtilsMessengerEXT create = GET(vkCreateDebugUtilsMessengerEXT);
    PFN_vkDestroyDebugUtilsMessengerEXT destroy = GET(vkDestroyDebugUtilsMessengerEXT);
    PFN_vkSubmitDebugUtilsMessageEXT submit_message = GET(vkSubmitDebugUtilsMessageEXT);
    PFN_vkSetDebugUtilsObjectNameEXT set_name = GET(vkSetDebugUtilsObjectNameEXT);
    PFN_vkSetDebugUtilsObjectTagEXT set_tag = GET(vkSetDebugUtilsObjectTagEXT);
    PFN_vkQueueBeginDebugUtilsLabelEXT queue_begin = GET(vkQueueBeginDebugUtilsLabelEXT);
    PFN_vkQueueEndDebugUtilsLabelEXT queue_end = GET(vkQueueEndDebugUtilsLabelEXT);
    PFN_vkQueueInsertDebugUtilsLabelEXT queue_insert = GET(vkQueueInsertDebugUtilsLabelEXT);
    PFN_vkCmdBeginDebugUtilsLabelEXT cmd_begin = GET(vkCmdBeginDebugUtilsLabelEXT);
    PFN_vkCmdEndDebugUtilsLabelEXT cmd_end = GET(vkCmdEndDebugUtilsLabelEXT);
    PFN_vkCmdInsertDebugUtilsLabelEXT cmd_insert = GET(vkCmdInsertDebugUtilsLabelEXT);
#undef GET
    EXPECT(create && destroy && submit_message && set_name && set_tag && queue_begin &&
               queue_end && queue_insert && cmd_begin && cmd_end && cmd_insert,
           "a VK_EXT_debug_utils entry point is missing");

    struct debug_seen seen = {0};
    const VkDebugUtilsMessengerCreateInfoEXT mi = {
        .sType = VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT,
        .messageSeverity = VK_DEBUG_UTILS_MESSAGE_SEVERITY_INFO_BIT_EXT,
        .messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT,
        .pfnUserCallback = debug_utils_heard,
        .pUserData = &seen};
    VkDebugUtilsMessengerEXT messenger;
    VK(create(c->instance, &mi, NULL, &messenger));
    const VkDebugUtilsMessengerCallbackDataEXT note = {
        .sType = VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CALLBACK_DATA_EXT,
        .pMessageIdName = "vkw-cmdtest-note",
        .messageIdNumber = 4242,
        .pMessage = "a note from the application"};
    submit_message(c->instance, VK_DEBUG_UTILS_MESSAGE_SEVERITY_INFO_BIT_EXT,
                   VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT, &note);
    /* A severity the messenger did not ask for reaches nobody. */
    submit_message(c->instance, VK_DEBUG_UTILS_MESSAGE_SEVERITY_VERBOSE_BIT_EXT,
                   VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT, &note);
    destroy(c->instance, messenger, NULL);
    submit_message(c->instance, VK_DEBUG_UTILS_MESSAGE_SEVERITY_INFO_BIT_EXT,
                   VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT, &note); /* destroyed: unheard */
    EXPECT(seen.count >= 1 && !strcmp(seen.id, "4242"), "the messenger heard %u notes (id %s)",
           (unsigned)seen.count, seen.id);
    digest_u32(c, seen.count);

    /* Names and tags: a device and a queue (dispatchable: the handle cast to
     * uint64_t) and a buffer. */
    struct buffer b = buffer_new(c, 256, VK_BUFFER_USAGE_TRANSFER_DST_BIT);
    const struct {
        VkObjectType type;
        uint64_t handle;
    } named[] = {{VK_OBJECT_TYPE_DEVICE, (uint64_t)(uintptr_t)c->device},
                 {VK_OBJECT_TYPE_QUEUE, (uint64_t)(uintptr_t)c->queue},
                 {VK_OBJECT_TYPE_BUFFER, (uint64_t)b.buffer}};
    const uint32_t tag[4] = {1, 2, 3, 4};
    for (size_t i = 0; i < ARRAY_SIZE(named); i++) {
        const VkDebugUtilsObjectNameInfoEXT ni = {
            .sType = VK_STRUCTURE_TYPE_DEBUG_UTILS_OBJECT_NAME_INFO_EXT,
            .objectType = named[i].type,
            .objectHandle = named[i].handle,
            .pObjectName = "named by vkw_cmdtest"};
        VK(set_name(c->device, &ni));
        const VkDebugUtilsObjectTagInfoEXT ti = {
            .sType = VK_STRUCTURE_TYPE_DEBUG_UTILS_OBJECT_TAG_INFO_EXT,
            .objectType = named[i].type,
            .objectHandle = named[i].handle,
            .tagName = 7,
            .tagSize = sizeof tag,
            .pTag = tag};
        VK(set_tag(c->device, &ti));
    }

    /* Labels around real work. */
    const VkDebugUtilsLabelEXT label = {.sType = VK_STRUCTURE_TYPE_DEBUG_UTILS_LABEL_EXT,
                                        .pLabelName = "vkw_cmdtest",
                                        .color = {1, 0.5f, 0.25f, 1}};
    VkCommandBuffer cb = primary_new(c);
    begin(c, cb, VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT);
    cmd_begin(cb, &label);
    vkCmdFillBuffer(cb, b.buffer, 0, 256, 0x5a5a5a5a);
    cmd_insert(cb, &label);
    cmd_end(cb);
    to_host(cb, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_WRITE_BIT);
    end(c, cb);
    pthread_mutex_lock(&c->queue_lock);
    queue_begin(c->queue, &label);
    queue_insert(c->queue, &label);
    pthread_mutex_unlock(&c->queue_lock);
    submit_and_wait(c, cb);
    pthread_mutex_lock(&c->queue_lock);
    queue_end(c->queue);
    pthread_mutex_unlock(&c->queue_lock);
    digest(c, b.map, 256);

    /* Private data on the device itself, named by its handle. */
    const VkPrivateDataSlotCreateInfo si = {.sType = VK_STRUCTURE_TYPE_PRIVATE_DATA_SLOT_CREATE_INFO};
    VkPrivateDataSlot slot;
    VK(vkCreatePrivateDataSlot(c->device, &si, NULL, &slot));
    VK(vkSetPrivateData(c->device, VK_OBJECT_TYPE_DEVICE, (uint64_t)(uintptr_t)c->device, slot,
                        0x1234567890ull));
    uint64_t got = 0;
    vkGetPrivateData(c->device, VK_OBJECT_TYPE_DEVICE, (uint64_t)(uintptr_t)c->device, slot, &got);
    EXPECT(got == 0x1234567890ull, "private data on the device came back as %#llx",
           (unsigned long long)got);
    vkDestroyPrivateDataSlot(c->device, slot, NULL);
    digest(c, &got, sizeof got);
}

#define CMDTEST_DEBUG_UTILS                                                                   \
    {"debug_utils", scenario_debug_utils,                                                     \
     "a messenger hears the application's note; names, tags, labels; private data on the device", \
     false, NULL, false},
