/* vkw_cmdtest family: memory budgets and priorities (VK_EXT_memory_budget,
 * VK_EXT_memory_priority, VK_EXT_pageable_device_local_memory).
 *
 * Budgets differ from run to run, and drivers count two ways: the
 * process's allocations (a GPU's heaps), or the system's memory in use
 * (lavapipe, whose heap is the machine's RAM: usage is MemTotal less
 * MemAvailable).  The digest takes only what is fixed (the heaps, which of
 * them have a budget); the numbers are checked by the rule of their kind:
 * the process's count grows by about what was allocated and falls back
 * when it is freed; the system's count agrees with /proc/meminfo read at
 * the same moment, while 256 MiB are written and after they are freed.  A
 * budget kept from an earlier answer breaks either.  (Included after
 * external.h, whose device_offers it uses.) */

struct budget {
    VkPhysicalDeviceMemoryProperties props;
    VkDeviceSize budget[VK_MAX_MEMORY_HEAPS], usage[VK_MAX_MEMORY_HEAPS];
    VkDeviceSize system_total, system_used; /* /proc/meminfo, just after */
};

static void meminfo(VkDeviceSize *total, VkDeviceSize *used)
{
    unsigned long long kib_total = 0, kib_available = 0, v;
    char key[64];
    FILE *f = fopen("/proc/meminfo", "r");
    while (f && fscanf(f, "%63s %llu kB", key, &v) == 2) {
        if (strcmp(key, "MemTotal:") == 0)
            kib_total = v;
        else if (strcmp(key, "MemAvailable:") == 0)
            kib_available = v;
    }
    if (f)
        fclose(f);
    *total = (VkDeviceSize)kib_total * 1024;
    *used = (VkDeviceSize)(kib_total - kib_available) * 1024;
}

static void budget_read(struct ctx *c, struct budget *b)
{
    VkPhysicalDeviceMemoryBudgetPropertiesEXT budget = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MEMORY_BUDGET_PROPERTIES_EXT};
    VkPhysicalDeviceMemoryProperties2 props = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MEMORY_PROPERTIES_2, .pNext = &budget};
    vkGetPhysicalDeviceMemoryProperties2(c->physical, &props);
    meminfo(&b->system_total, &b->system_used);
    b->props = props.memoryProperties;
    memcpy(b->budget, budget.heapBudget, sizeof b->budget);
    memcpy(b->usage, budget.heapUsage, sizeof b->usage);
}

static VkDeviceSize distance(VkDeviceSize a, VkDeviceSize b)
{
    return a > b ? a - b : b - a;
}

static void needs_memory_budget(struct ctx *c, struct device_needs *n)
{
    if (!device_offers(c, VK_EXT_MEMORY_BUDGET_EXTENSION_NAME)) {
        n->skip = true;
        snprintf(n->skip_why, sizeof n->skip_why, "no VK_EXT_memory_budget");
        return;
    }
    n->extensions[n->extension_count++] = VK_EXT_MEMORY_BUDGET_EXTENSION_NAME;
}

#define BUDGET_BYTES ((VkDeviceSize)256 << 20)
#define BUDGET_SLACK ((VkDeviceSize)64 << 20) /* other processes move a system's count */

static void scenario_memory_budget(struct ctx *c)
{
    struct budget before, during, after;
    budget_read(c, &before);
    const uint32_t heaps = before.props.memoryHeapCount;
    digest_u32(c, heaps);
    for (uint32_t h = 0; h < VK_MAX_MEMORY_HEAPS; h++) {
        /* Vulkan: a budget for every heap there is, zeros past them. */
        EXPECT(h < heaps ? before.budget[h] != 0 : before.budget[h] == 0 && before.usage[h] == 0,
               "heap %u of %u: budget %llu, usage %llu", h, heaps,
               (unsigned long long)before.budget[h], (unsigned long long)before.usage[h]);
        if (h < heaps)
            digest(c, &before.props.memoryHeaps[h], sizeof before.props.memoryHeaps[h]);
    }

    /* Memory the application writes, so that any count sees it committed. */
    const uint32_t type = memory_type(c, UINT32_MAX, VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT,
                                      VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT);
    const uint32_t heap = c->memory.memoryTypes[type].heapIndex;
    const VkMemoryAllocateInfo mai = {.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
                                      .allocationSize = BUDGET_BYTES,
                                      .memoryTypeIndex = type};
    VkDeviceMemory memory;
    VK(vkAllocateMemory(c->device, &mai, NULL, &memory));
    void *map = NULL;
    VkResult r = vkMapMemory(c->device, memory, 0, VK_WHOLE_SIZE, 0, &map);
    if (r == VK_SUCCESS)
        memset(map, 0x5c, (size_t)BUDGET_BYTES);
    budget_read(c, &during);
    if (r == VK_SUCCESS)
        vkUnmapMemory(c->device, memory);
    vkFreeMemory(c->device, memory, NULL);
    VK(r);
    budget_read(c, &after);
    digest_u32(c, heap);

    /* The system's count: the heap is the machine's memory, and its usage
     * what the machine uses, at each read. */
    const bool system = before.props.memoryHeaps[heap].size == before.system_total &&
                        distance(before.usage[heap], before.system_used) <= BUDGET_SLACK;
    digest_u32(c, system);
    const struct budget *reads[3] = {&before, &during, &after};
    for (int i = 0; system && i < 3; i++)
        EXPECT(distance(reads[i]->usage[heap], reads[i]->system_used) <= BUDGET_SLACK,
               "heap %u, read %d: usage %llu, but the system uses %llu (an old answer?)", heap,
               i, (unsigned long long)reads[i]->usage[heap],
               (unsigned long long)reads[i]->system_used);
    EXPECT(system || during.usage[heap] >= before.usage[heap] + BUDGET_BYTES - BUDGET_SLACK,
           "heap %u: usage %llu before, %llu with %llu MiB allocated and written: it did not "
           "grow by about that",
           heap, (unsigned long long)before.usage[heap], (unsigned long long)during.usage[heap],
           (unsigned long long)(BUDGET_BYTES >> 20));
    EXPECT(system || after.usage[heap] + BUDGET_BYTES - BUDGET_SLACK <= during.usage[heap],
           "heap %u: usage %llu with the memory, %llu after freeing it: it did not fall back",
           heap, (unsigned long long)during.usage[heap], (unsigned long long)after.usage[heap]);
    EXPECT(memcmp(before.usage, during.usage, sizeof before.usage) != 0,
           "the same usage with and without 256 MiB written: an old answer");
    for (uint32_t h = 0; h < heaps; h++)
        EXPECT(during.budget[h] != 0 && after.budget[h] != 0, "heap %u lost its budget", h);
}

/* ---- memory_priority ----------------------------------------------------- */

static VkPhysicalDevicePageableDeviceLocalMemoryFeaturesEXT pageable_features;
static VkPhysicalDeviceMemoryPriorityFeaturesEXT priority_features;

static void needs_memory_priority(struct ctx *c, struct device_needs *n)
{
    if (!device_offers(c, VK_EXT_MEMORY_PRIORITY_EXTENSION_NAME) ||
        !device_offers(c, VK_EXT_PAGEABLE_DEVICE_LOCAL_MEMORY_EXTENSION_NAME)) {
        n->skip = true;
        snprintf(n->skip_why, sizeof n->skip_why,
                 "no VK_EXT_memory_priority or VK_EXT_pageable_device_local_memory");
        return;
    }
    pageable_features = (VkPhysicalDevicePageableDeviceLocalMemoryFeaturesEXT){
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PAGEABLE_DEVICE_LOCAL_MEMORY_FEATURES_EXT};
    priority_features = (VkPhysicalDeviceMemoryPriorityFeaturesEXT){
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MEMORY_PRIORITY_FEATURES_EXT,
        .pNext = &pageable_features};
    VkPhysicalDeviceFeatures2 f = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2,
                                   .pNext = &priority_features};
    vkGetPhysicalDeviceFeatures2(c->physical, &f);
    if (!priority_features.memoryPriority || !pageable_features.pageableDeviceLocalMemory) {
        n->skip = true;
        snprintf(n->skip_why, sizeof n->skip_why, "memoryPriority or pageableDeviceLocalMemory off");
        return;
    }
    n->extensions[n->extension_count++] = VK_EXT_MEMORY_PRIORITY_EXTENSION_NAME;
    n->extensions[n->extension_count++] = VK_EXT_PAGEABLE_DEVICE_LOCAL_MEMORY_EXTENSION_NAME;
    n->features = &priority_features;
}

/* Memory allocated with a priority and given another: the bytes the device
 * wrote there stay. */
static void scenario_memory_priority(struct ctx *c)
{
    const VkBufferCreateInfo bci = {
        .sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
        .size = 65536,
        .usage = VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT,
        .sharingMode = VK_SHARING_MODE_EXCLUSIVE};
    VkBuffer buffer;
    VK(vkCreateBuffer(c->device, &bci, NULL, &buffer));
    VkMemoryRequirements req;
    vkGetBufferMemoryRequirements(c->device, buffer, &req);
    const VkMemoryPriorityAllocateInfoEXT priority = {
        .sType = VK_STRUCTURE_TYPE_MEMORY_PRIORITY_ALLOCATE_INFO_EXT, .priority = 0.25f};
    const VkMemoryAllocateInfo mai = {
        .sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
        .pNext = &priority,
        .allocationSize = req.size,
        .memoryTypeIndex = memory_type(c, req.memoryTypeBits, 0, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT)};
    VkDeviceMemory memory;
    VkResult r = vkAllocateMemory(c->device, &mai, NULL, &memory);
    if (r != VK_SUCCESS) {
        vkDestroyBuffer(c->device, buffer, NULL);
        VK(r);
    }
    TRACK(DEVICE_MEMORY, memory);
    TRACK(BUFFER, buffer);
    VK(vkBindBufferMemory(c->device, buffer, memory, 0));
    struct buffer out = buffer_new(c, 65536, VK_BUFFER_USAGE_TRANSFER_DST_BIT);
    VkCommandBuffer cb = primary_new(c);
    begin(c, cb, 0);
    vkCmdFillBuffer(cb, buffer, 0, VK_WHOLE_SIZE, 0x0badf00du);
    end(c, cb);
    submit_and_wait(c, cb);

    PFN_vkSetDeviceMemoryPriorityEXT set_priority =
        (PFN_vkSetDeviceMemoryPriorityEXT)vkGetDeviceProcAddr(c->device,
                                                              "vkSetDeviceMemoryPriorityEXT");
    EXPECT(set_priority, "no vkSetDeviceMemoryPriorityEXT");
    set_priority(c->device, memory, 0.75f);
    set_priority(c->device, memory, 1.0f);

    cb = primary_new(c);
    begin(c, cb, 0);
    const VkBufferCopy region = {.size = 65536};
    vkCmdCopyBuffer(cb, buffer, out.buffer, 1, &region);
    to_host(cb, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_WRITE_BIT);
    end(c, cb);
    submit_and_wait(c, cb);
    const uint32_t *words = out.map;
    for (size_t i = 0; i < 65536 / 4; i++)
        EXPECT(words[i] == 0x0badf00du, "word %zu after new priorities: 0x%08x", i, words[i]);
    digest(c, out.map, 65536);
}

#define CMDTEST_MEMORY                                                                      \
    {"memory_budget", scenario_memory_budget,                                              \
     "VK_EXT_memory_budget: a budget per heap, usage grows with 256 MiB written and falls " \
     "back when freed (fresh answers, not kept ones)",                                     \
     false, needs_memory_budget, false},                                                    \
    {"memory_priority", scenario_memory_priority,                                          \
     "VK_EXT_memory_priority at allocation, vkSetDeviceMemoryPriorityEXT after: the "      \
     "device's bytes stay",                                                                \
     false, needs_memory_priority, false},
