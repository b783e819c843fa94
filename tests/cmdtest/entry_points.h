/* Entry points a device has: vkGetDeviceProcAddr answers NULL for a command
 * of a version above the device's (the smaller of the application's and
 * the device's) and of an extension the device was not made with, as the
 * spec says (the table "vkGetDeviceProcAddr behavior").  Devices of a 1.4
 * and of a 1.1 application, each without and with extensions, are asked
 * for core, alias and extension names; the digest is the pattern of
 * answers, so natively and through vkwire must agree name by name. */

static const char *const entry_point_names[] = {
    "vkBindBufferMemory2",                /* 1.1 */
    "vkCmdSetCullMode",                   /* 1.3 */
    "vkCmdSetCullModeEXT",                /* VK_EXT_extended_dynamic_state */
    "vkMapMemory2",                       /* 1.4 */
    "vkMapMemory2KHR",                    /* VK_KHR_map_memory2 */
    "vkCmdPushDescriptorSet",             /* 1.4 */
    "vkCmdPushDescriptorSetKHR",          /* VK_KHR_push_descriptor */
    "vkCmdPushDescriptorSetWithTemplate", /* 1.4, guest-only in vkwire */
    "vkCmdPushDescriptorSetWithTemplateKHR",
    "vkCmdBindIndexBuffer2",              /* 1.4 */
    "vkCmdBindIndexBuffer2KHR",           /* VK_KHR_maintenance5 */
    "vkGetRenderingAreaGranularity",      /* 1.4 */
    "vkTransitionImageLayout",            /* 1.4 */
    "vkCopyMemoryToImage",                /* 1.4 */
    "vkCmdDrawMeshTasksEXT",              /* VK_EXT_mesh_shader */
    "vkCreateShadersEXT",                 /* VK_EXT_shader_object */
    "vkGetPhysicalDeviceProperties2",     /* not a device command: always NULL */
    "vkNoSuchCommandKHR",
};

/* A device of `instance` with `extensions`; the pattern of names it has. */
static uint32_t entry_point_pattern(struct ctx *c, VkInstance instance, uint32_t count,
                                    const char *const *extensions)
{
    uint32_t physicals = 1;
    VkPhysicalDevice physical;
    VkResult r = vkEnumeratePhysicalDevices(instance, &physicals, &physical);
    EXPECT((r == VK_SUCCESS || r == VK_INCOMPLETE) && physicals == 1, "no physical device");
    float priority = 1.0f;
    const VkDeviceQueueCreateInfo queue = {.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
                                           .queueFamilyIndex = c->family,
                                           .queueCount = 1,
                                           .pQueuePriorities = &priority};
    const VkDeviceCreateInfo info = {.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
                                     .queueCreateInfoCount = 1,
                                     .pQueueCreateInfos = &queue,
                                     .enabledExtensionCount = count,
                                     .ppEnabledExtensionNames = extensions};
    VkDevice device;
    VK(vkCreateDevice(physical, &info, NULL, &device));
    PFN_vkGetDeviceProcAddr gdpa =
        (PFN_vkGetDeviceProcAddr)vkGetInstanceProcAddr(instance, "vkGetDeviceProcAddr");
    uint32_t pattern = 0;
    for (size_t i = 0; i < ARRAY_SIZE(entry_point_names); i++)
        if (gdpa(device, entry_point_names[i]))
            pattern |= 1u << i;
    vkDestroyDevice(device, NULL);
    return pattern;
}

static bool entry_has(uint32_t pattern, const char *name)
{
    for (size_t i = 0; i < ARRAY_SIZE(entry_point_names); i++)
        if (!strcmp(entry_point_names[i], name))
            return pattern & (1u << i);
    return false;
}

static void scenario_entry_points(struct ctx *c)
{
    static const char *const extensions[] = {VK_KHR_PUSH_DESCRIPTOR_EXTENSION_NAME,
                                             VK_EXT_EXTENDED_DYNAMIC_STATE_EXTENSION_NAME};
    /* The run's own instance asks for 1.4; a second one for 1.1. */
    const uint32_t plain14 = entry_point_pattern(c, c->instance, 0, NULL);
    const uint32_t ext14 = entry_point_pattern(c, c->instance, 2, extensions);
    VkApplicationInfo app = {.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
                             .apiVersion = VK_API_VERSION_1_1};
    const VkInstanceCreateInfo ii = {.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
                                     .pApplicationInfo = &app};
    VkInstance old;
    VK(vkCreateInstance(&ii, NULL, &old));
    const uint32_t plain11 = entry_point_pattern(c, old, 0, NULL);
    const uint32_t ext11 = entry_point_pattern(c, old, 2, extensions);
    vkDestroyInstance(old, NULL);

    EXPECT(entry_has(plain14, "vkCmdPushDescriptorSet") && entry_has(plain14, "vkMapMemory2") &&
               entry_has(plain14, "vkCmdBindIndexBuffer2"),
           "a 1.4 device lacks 1.4 core commands (pattern %#x)", plain14);
    EXPECT(!entry_has(plain14, "vkCmdPushDescriptorSetKHR") &&
               !entry_has(plain14, "vkCmdDrawMeshTasksEXT"),
           "a device without extensions has extension commands (pattern %#x)", plain14);
    EXPECT(entry_has(ext14, "vkCmdPushDescriptorSetKHR") && entry_has(ext14, "vkCmdSetCullModeEXT"),
           "enabled extensions' commands are missing (pattern %#x)", ext14);
    EXPECT(!entry_has(plain11, "vkCmdPushDescriptorSet") && !entry_has(plain11, "vkCmdSetCullMode") &&
               entry_has(plain11, "vkBindBufferMemory2"),
           "a 1.1 application's device answers by a newer version (pattern %#x)", plain11);
    EXPECT(!entry_has(plain14, "vkGetPhysicalDeviceProperties2") &&
               !entry_has(plain14, "vkNoSuchCommandKHR"),
           "vkGetDeviceProcAddr answered a non-device command (pattern %#x)", plain14);
    digest_u32(c, plain14);
    digest_u32(c, ext14);
    digest_u32(c, plain11);
    digest_u32(c, ext11);
}

#define CMDTEST_ENTRY_POINTS                                                                   \
    {"entry_points", scenario_entry_points,                                                    \
     "vkGetDeviceProcAddr by the device's version and extensions (1.4 and 1.1 applications)",   \
     false, NULL, true},

/* A Vulkan 1.1 application's device made with VK_KHR_timeline_semaphore:
 * its commands carry vkwire opcodes named by their 1.2 core names, which
 * such a device does not have; the host calls them by the names it has.
 * Host signal, counter, wait, and a submission that waits and signals. */
static void scenario_promoted_aliases(struct ctx *c)
{
    VkApplicationInfo app = {.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
                             .apiVersion = VK_API_VERSION_1_1};
    const VkInstanceCreateInfo ii = {.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
                                     .pApplicationInfo = &app};
    VkInstance instance;
    VK(vkCreateInstance(&ii, NULL, &instance));
    uint32_t physicals = 1;
    VkPhysicalDevice physical;
    VkResult r = vkEnumeratePhysicalDevices(instance, &physicals, &physical);
    EXPECT((r == VK_SUCCESS || r == VK_INCOMPLETE) && physicals == 1, "no physical device");
    VkPhysicalDeviceTimelineSemaphoreFeatures timeline = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_TIMELINE_SEMAPHORE_FEATURES,
        .timelineSemaphore = VK_TRUE};
    const char *extensions[] = {VK_KHR_TIMELINE_SEMAPHORE_EXTENSION_NAME};
    float priority = 1.0f;
    const VkDeviceQueueCreateInfo qi = {.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
                                        .queueFamilyIndex = c->family,
                                        .queueCount = 1,
                                        .pQueuePriorities = &priority};
    const VkDeviceCreateInfo di = {.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
                                   .pNext = &timeline,
                                   .queueCreateInfoCount = 1,
                                   .pQueueCreateInfos = &qi,
                                   .enabledExtensionCount = 1,
                                   .ppEnabledExtensionNames = extensions};
    VkDevice device;
    VK(vkCreateDevice(physical, &di, NULL, &device));
#define GET(name) ((PFN_##name##KHR)vkGetDeviceProcAddr(device, #name "KHR"))
    PFN_vkSignalSemaphoreKHR signal = GET(vkSignalSemaphore);
    PFN_vkWaitSemaphoresKHR wait = GET(vkWaitSemaphores);
    PFN_vkGetSemaphoreCounterValueKHR counter = GET(vkGetSemaphoreCounterValue);
#undef GET
    EXPECT(signal && wait && counter, "the 1.1 device lacks VK_KHR_timeline_semaphore's commands");
    EXPECT(!vkGetDeviceProcAddr(device, "vkSignalSemaphore"),
           "a 1.1 device answered for the 1.2 core name");
    VkQueue queue;
    vkGetDeviceQueue(device, c->family, 0, &queue);
    const VkSemaphoreTypeCreateInfo ti = {.sType = VK_STRUCTURE_TYPE_SEMAPHORE_TYPE_CREATE_INFO,
                                          .semaphoreType = VK_SEMAPHORE_TYPE_TIMELINE,
                                          .initialValue = 3};
    const VkSemaphoreCreateInfo si = {.sType = VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO,
                                      .pNext = &ti};
    VkSemaphore sem;
    VK(vkCreateSemaphore(device, &si, NULL, &sem));
    uint64_t values[4];
    VK(counter(device, sem, &values[0]));
    const VkSemaphoreSignalInfo sig = {.sType = VK_STRUCTURE_TYPE_SEMAPHORE_SIGNAL_INFO,
                                       .semaphore = sem,
                                       .value = 5};
    VK(signal(device, &sig));
    VK(counter(device, sem, &values[1]));
    /* The device waits for 5 and signals 9. */
    const uint64_t wait_value = 5, signal_value = 9;
    const VkTimelineSemaphoreSubmitInfo tsi = {
        .sType = VK_STRUCTURE_TYPE_TIMELINE_SEMAPHORE_SUBMIT_INFO,
        .waitSemaphoreValueCount = 1,
        .pWaitSemaphoreValues = &wait_value,
        .signalSemaphoreValueCount = 1,
        .pSignalSemaphoreValues = &signal_value};
    const VkPipelineStageFlags stage = VK_PIPELINE_STAGE_ALL_COMMANDS_BIT;
    const VkSubmitInfo submit = {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
                                 .pNext = &tsi,
                                 .waitSemaphoreCount = 1,
                                 .pWaitSemaphores = &sem,
                                 .pWaitDstStageMask = &stage,
                                 .signalSemaphoreCount = 1,
                                 .pSignalSemaphores = &sem};
    VK(vkQueueSubmit(queue, 1, &submit, VK_NULL_HANDLE));
    const VkSemaphoreWaitInfo wi = {.sType = VK_STRUCTURE_TYPE_SEMAPHORE_WAIT_INFO,
                                    .semaphoreCount = 1,
                                    .pSemaphores = &sem,
                                    .pValues = &signal_value};
    VK(wait(device, &wi, WAIT_NS));
    VK(counter(device, sem, &values[2]));
    VK(vkQueueWaitIdle(queue));
    VK(counter(device, sem, &values[3]));
    vkDestroySemaphore(device, sem, NULL);
    vkDestroyDevice(device, NULL);
    vkDestroyInstance(instance, NULL);
    EXPECT(values[0] == 3 && values[1] == 5 && values[2] >= 9 && values[3] == 9,
           "counter values %llu %llu %llu %llu, not 3 5 9 9", (unsigned long long)values[0],
           (unsigned long long)values[1], (unsigned long long)values[2],
           (unsigned long long)values[3]);
    digest(c, values, sizeof values);
}

#define CMDTEST_PROMOTED_ALIASES                                                                \
    {"promoted_aliases", scenario_promoted_aliases,                                             \
     "a 1.1 application's device with VK_KHR_timeline_semaphore: its KHR commands reach the host", \
     false, NULL, false},
