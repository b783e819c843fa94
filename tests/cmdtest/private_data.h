/* Private data (Vulkan 1.3, VK_EXT_private_data), which vkwire answers in
 * the guest (doc/PROTOCOL.md section 27).  As dEQP-VK.api.object_management.
 * private_data.* does it: slots reserved at vkCreateDevice by two chained
 * VkDevicePrivateDataCreateInfo (summed) and more made than reserved; data
 * on the device's own handle, a queue, a command buffer, a buffer, its
 * memory, an event and a slot (a handle the host never sees); 0 before any
 * set, the values set after, 0 again once set to 0 and on new slots; a
 * command buffer freed and another allocated (perhaps at the same address)
 * reads 0; 4 threads setting and getting through one slot at once.
 * private_data_foreign: a device and queue of another instance named in a
 * slot of this device, as dEQP's private_data.device does (valid usage
 * wants the device or its children; drivers keep the data in the object,
 * and Debian 12's validation layer says nothing).  The digest: every value
 * read back. */

#define PD_RESERVED_FIRST 4u
#define PD_RESERVED_SECOND 3u
#define PD_SLOTS 9 /* more than the 7 reserved */
#define PD_THREADS 4
#define PD_THREAD_EVENTS 16
#define PD_THREAD_ROUNDS 64
/* A handle as the uint64_t private data names it by. */
#define PD_U64(h) ((uint64_t)(uintptr_t)(h))

struct pd_object {
    VkObjectType type;
    uint64_t handle;
};

static void private_data_needs(struct ctx *c, struct device_needs *n)
{
    (void)c;
    static VkDevicePrivateDataCreateInfo second = {
        .sType = VK_STRUCTURE_TYPE_DEVICE_PRIVATE_DATA_CREATE_INFO,
        .privateDataSlotRequestCount = PD_RESERVED_SECOND};
    static VkDevicePrivateDataCreateInfo first = {
        .sType = VK_STRUCTURE_TYPE_DEVICE_PRIVATE_DATA_CREATE_INFO,
        .pNext = &second,
        .privateDataSlotRequestCount = PD_RESERVED_FIRST};
    n->features = &first; /* privateData itself is on (device_create) */
}

static VkPrivateDataSlot pd_slot_new(struct ctx *c)
{
    const VkPrivateDataSlotCreateInfo info = {
        .sType = VK_STRUCTURE_TYPE_PRIVATE_DATA_SLOT_CREATE_INFO};
    VkPrivateDataSlot slot = VK_NULL_HANDLE;
    VK(vkCreatePrivateDataSlot(c->device, &info, NULL, &slot));
    EXPECT(slot != VK_NULL_HANDLE, "vkCreatePrivateDataSlot gave VK_NULL_HANDLE");
    return slot;
}

static uint64_t pd_get(struct ctx *c, VkPrivateDataSlot slot, const struct pd_object *o)
{
    uint64_t data = 0x5a5a5a5a5a5a5a5aull; /* overwritten: 0 where nothing was set */
    vkGetPrivateData(c->device, o->type, o->handle, slot, &data);
    return data;
}

/* A value no two (slot, object, round) share, never 0. */
static uint64_t pd_value(uint32_t slot, uint32_t object, uint32_t round)
{
    return ((uint64_t)(slot + 1) << 40) ^ ((uint64_t)(object + 1) << 20) ^ (round + 1) ^
           0x8000000000000000ull;
}

struct pd_worker {
    struct ctx *c;
    uint32_t index;
    VkPrivateDataSlot shared, own;
    VkEvent events[PD_THREAD_EVENTS];
    pthread_barrier_t *start;
    pthread_t thread;
};

/* Through the shared slot: this thread's events; through its own slot:
 * the device and the queue every thread names. */
static void pd_work(struct pd_worker *w)
{
    struct ctx *c = w->c;
    const struct pd_object device = {VK_OBJECT_TYPE_DEVICE, PD_U64(c->device)};
    const struct pd_object queue = {VK_OBJECT_TYPE_QUEUE, PD_U64(c->queue)};
    pthread_barrier_wait(w->start);
    for (uint32_t round = 0; round < PD_THREAD_ROUNDS; round++) {
        for (uint32_t e = 0; e < PD_THREAD_EVENTS; e++) {
            const struct pd_object ev = {VK_OBJECT_TYPE_EVENT, PD_U64(w->events[e])};
            const uint64_t v = pd_value(w->index, e, round);
            VK(vkSetPrivateData(c->device, ev.type, ev.handle, w->shared, v));
            EXPECT(pd_get(c, w->shared, &ev) == v, "thread %u, round %u: event %u lost its data",
                   w->index, round, e);
        }
        VK(vkSetPrivateData(c->device, device.type, device.handle, w->own,
                            pd_value(w->index, 100, round)));
        VK(vkSetPrivateData(c->device, queue.type, queue.handle, w->own,
                            pd_value(w->index, 101, round)));
        EXPECT(pd_get(c, w->own, &device) == pd_value(w->index, 100, round) &&
                   pd_get(c, w->own, &queue) == pd_value(w->index, 101, round),
               "thread %u, round %u: the device's or the queue's data is wrong", w->index, round);
        EXPECT(pd_get(c, w->shared, &device) == 0x1234, "thread %u: the device's shared data "
               "changed", w->index);
    }
}

static void *pd_worker_main(void *arg)
{
    jmp_buf here;
    on_failure = &here;
    if (setjmp(here) == 0)
        pd_work(arg);
    return NULL;
}

static void scenario_private_data(struct ctx *c)
{
    VkPrivateDataSlot slots[PD_SLOTS];
    for (uint32_t i = 0; i < PD_SLOTS; i++)
        slots[i] = pd_slot_new(c);
    VkCommandBuffer cb = primary_new(c);
    struct buffer b = buffer_new(c, 256, VK_BUFFER_USAGE_TRANSFER_DST_BIT);
    VkEvent event = event_new(c);
    const struct pd_object objects[] = {
        {VK_OBJECT_TYPE_DEVICE, PD_U64(c->device)},
        {VK_OBJECT_TYPE_QUEUE, PD_U64(c->queue)},
        {VK_OBJECT_TYPE_COMMAND_BUFFER, PD_U64(cb)},
        {VK_OBJECT_TYPE_BUFFER, PD_U64(b.buffer)},
        {VK_OBJECT_TYPE_DEVICE_MEMORY, PD_U64(b.memory)},
        {VK_OBJECT_TYPE_EVENT, PD_U64(event)},
        {VK_OBJECT_TYPE_COMMAND_POOL, PD_U64(c->pool)},
    };
    const uint32_t count = ARRAY_SIZE(objects);
    /* A slot has a name like any object (tools see it; through vkwire the
     * host never sees the slot). */
    PFN_vkSetDebugUtilsObjectNameEXT set_name = (PFN_vkSetDebugUtilsObjectNameEXT)
        vkGetInstanceProcAddr(c->instance, "vkSetDebugUtilsObjectNameEXT");
    EXPECT(set_name, "no vkSetDebugUtilsObjectNameEXT");
    const VkDebugUtilsObjectNameInfoEXT name = {
        .sType = VK_STRUCTURE_TYPE_DEBUG_UTILS_OBJECT_NAME_INFO_EXT,
        .objectType = VK_OBJECT_TYPE_PRIVATE_DATA_SLOT,
        .objectHandle = PD_U64(slots[0]),
        .pObjectName = "a slot named by vkw_cmdtest"};
    VK(set_name(c->device, &name));
    for (uint32_t round = 0; round < 3; round++) {
        /* Slots are objects too (vkwire: handles the host never sees). */
        const struct pd_object slot_objects[] = {
            {VK_OBJECT_TYPE_PRIVATE_DATA_SLOT, PD_U64(slots[0])},
            {VK_OBJECT_TYPE_PRIVATE_DATA_SLOT, PD_U64(slots[PD_SLOTS - 1])}};
        for (uint32_t i = 0; i < PD_SLOTS; i++) {
            for (uint32_t o = 0; o < count + 2; o++) {
                const struct pd_object *obj = o < count ? &objects[o] : &slot_objects[o - count];
                const uint64_t was = pd_get(c, slots[i], obj);
                EXPECT(was == 0, "round %u, slot %u, object %u (type %d): %#llx before any set",
                       round, i, o, (int)obj->type, (unsigned long long)was);
                VK(vkSetPrivateData(c->device, obj->type, obj->handle, slots[i],
                                    pd_value(i, o, round)));
            }
        }
        for (uint32_t i = 0; i < PD_SLOTS; i++)
            for (uint32_t o = 0; o < count + 2; o++) {
                const struct pd_object *obj = o < count ? &objects[o] : &slot_objects[o - count];
                const uint64_t got = pd_get(c, slots[i], obj);
                EXPECT(got == pd_value(i, o, round),
                       "round %u, slot %u, object %u (type %d): %#llx, not %#llx", round, i, o,
                       (int)obj->type, (unsigned long long)got,
                       (unsigned long long)pd_value(i, o, round));
                digest(c, &got, sizeof got);
            }
        /* Set again: the last value counts; 0 is "nothing set". */
        for (uint32_t o = 0; o < count; o++) {
            VK(vkSetPrivateData(c->device, objects[o].type, objects[o].handle, slots[1], o & 1 ? 0 : 7));
            const uint64_t got = pd_get(c, slots[1], &objects[o]);
            EXPECT(got == (o & 1 ? 0 : 7), "object %u set again reads %#llx", o,
                   (unsigned long long)got);
            digest(c, &got, sizeof got);
        }
        /* New slots start empty, whatever their handles. */
        for (uint32_t i = 0; i < PD_SLOTS; i++) {
            vkDestroyPrivateDataSlot(c->device, slots[i], NULL);
            slots[i] = pd_slot_new(c);
        }
    }

    /* A command buffer freed, then others allocated: each new one reads 0
     * (a driver keeps the data in the object; the allocator may hand the
     * same address out again). */
    VkCommandBuffer old = primary_new(c);
    VK(vkSetPrivateData(c->device, VK_OBJECT_TYPE_COMMAND_BUFFER, PD_U64(old),
                        slots[0], 77));
    vkFreeCommandBuffers(c->device, c->pool, 1, &old);
    for (uint32_t k = 0; k < 8; k++) {
        VkCommandBuffer fresh = primary_new(c);
        const struct pd_object o = {VK_OBJECT_TYPE_COMMAND_BUFFER, PD_U64(fresh)};
        const uint64_t got = pd_get(c, slots[0], &o);
        EXPECT(got == 0, "a new command buffer (%u) reads %#llx", k, (unsigned long long)got);
        VK(vkSetPrivateData(c->device, o.type, o.handle, slots[0], 78 + k));
        vkFreeCommandBuffers(c->device, c->pool, 1, &fresh);
    }

    /* 4 threads through one slot at once (vk.xml synchronizes the slot
     * only for its destruction), and each through a slot of its own. */
    const struct pd_object device = {VK_OBJECT_TYPE_DEVICE, PD_U64(c->device)};
    VK(vkSetPrivateData(c->device, device.type, device.handle, slots[2], 0x1234));
    struct pd_worker workers[PD_THREADS];
    for (uint32_t t = 0; t < PD_THREADS; t++) {
        workers[t] = (struct pd_worker){.c = c, .index = t, .shared = slots[2],
                                        .own = slots[3 + t]};
        for (uint32_t e = 0; e < PD_THREAD_EVENTS; e++)
            workers[t].events[e] = event_new(c);
    }
    /* From here to the joins nothing may fail (the threads use this
     * function's objects). */
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, PD_THREADS);
    for (uint32_t t = 0; t < PD_THREADS; t++) {
        workers[t].start = &start;
        if (pthread_create(&workers[t].thread, NULL, pd_worker_main, &workers[t]) != 0) {
            fprintf(stderr, "vkw_cmdtest: cannot start thread %u\n", t);
            abort(); /* the started ones wait at the barrier for ever */
        }
    }
    for (uint32_t t = 0; t < PD_THREADS; t++)
        pthread_join(workers[t].thread, NULL);
    pthread_barrier_destroy(&start);
    if (c->failed)
        longjmp(*on_failure, 1);
    for (uint32_t t = 0; t < PD_THREADS; t++)
        for (uint32_t e = 0; e < PD_THREAD_EVENTS; e++) {
            const struct pd_object ev = {VK_OBJECT_TYPE_EVENT, PD_U64(workers[t].events[e])};
            const uint64_t got = pd_get(c, slots[2], &ev);
            EXPECT(got == pd_value(t, e, PD_THREAD_ROUNDS - 1), "thread %u's event %u: %#llx", t,
                   e, (unsigned long long)got);
            digest(c, &got, sizeof got);
        }
    for (uint32_t i = 0; i < PD_SLOTS; i++)
        vkDestroyPrivateDataSlot(c->device, slots[i], NULL);
}

/* Another instance's device and queue: what a slot of this device keeps
 * for them (dEQP's private_data.device names devices of other instances). */
static void scenario_private_data_foreign(struct ctx *c)
{
    const VkApplicationInfo app = {.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
                                   .pApplicationName = "vkw_cmdtest (another instance)",
                                   .apiVersion = VK_API_VERSION_1_3};
    const VkInstanceCreateInfo ii = {.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
                                     .pApplicationInfo = &app};
    VkInstance other = VK_NULL_HANDLE;
    VK(vkCreateInstance(&ii, NULL, &other));
    /* The same GPU, found where this instance has it. */
    VkPhysicalDevice mine[8], theirs[8];
    uint32_t n_mine = 8, n_theirs = 8, at = 0;
    vkEnumeratePhysicalDevices(c->instance, &n_mine, mine);
    vkEnumeratePhysicalDevices(other, &n_theirs, theirs);
    while (at < n_mine && mine[at] != c->physical)
        at++;
    VkDevice device = VK_NULL_HANDLE;
    VkResult r = at < n_theirs ? VK_SUCCESS : VK_ERROR_INITIALIZATION_FAILED;
    if (r == VK_SUCCESS) {
        const float priority = 1.0f;
        const VkDeviceQueueCreateInfo qi = {.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
                                            .queueFamilyIndex = c->family,
                                            .queueCount = 1,
                                            .pQueuePriorities = &priority};
        const VkDeviceCreateInfo di = {.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
                                       .queueCreateInfoCount = 1,
                                       .pQueueCreateInfos = &qi};
        r = vkCreateDevice(theirs[at], &di, NULL, &device);
    }
    if (r != VK_SUCCESS) {
        vkDestroyInstance(other, NULL);
        fail(c, "another instance's device: %s", result_name(r));
    }
    VkQueue queue = VK_NULL_HANDLE;
    vkGetDeviceQueue(device, c->family, 0, &queue);
    VkPrivateDataSlot slot = pd_slot_new(c);
    const struct pd_object objects[] = {
        {VK_OBJECT_TYPE_DEVICE, PD_U64(device)},
        {VK_OBJECT_TYPE_QUEUE, PD_U64(queue)},
        {VK_OBJECT_TYPE_DEVICE, PD_U64(c->device)},
    };
    bool right = true;
    uint64_t got[ARRAY_SIZE(objects)][2];
    for (uint32_t o = 0; o < ARRAY_SIZE(objects); o++) {
        got[o][0] = pd_get(c, slot, &objects[o]);
        right &= vkSetPrivateData(c->device, objects[o].type, objects[o].handle, slot,
                                  pd_value(0, o, 0)) == VK_SUCCESS;
    }
    for (uint32_t o = 0; o < ARRAY_SIZE(objects); o++)
        got[o][1] = pd_get(c, slot, &objects[o]);
    vkDestroyPrivateDataSlot(c->device, slot, NULL);
    vkDestroyDevice(device, NULL);
    vkDestroyInstance(other, NULL);
    EXPECT(right, "vkSetPrivateData failed");
    for (uint32_t o = 0; o < ARRAY_SIZE(objects); o++) {
        EXPECT(got[o][0] == 0 && got[o][1] == pd_value(0, o, 0),
               "object %u: %#llx before, %#llx after (not %#llx)", o,
               (unsigned long long)got[o][0], (unsigned long long)got[o][1],
               (unsigned long long)pd_value(0, o, 0));
        digest(c, got[o], sizeof got[o]);
    }
}

#define CMDTEST_PRIVATE_DATA                                                                  \
    {"private_data", scenario_private_data,                                                   \
     "reserved slots (two chained requests) and more, the device, a queue, a command buffer, " \
     "a buffer, memory, an event, slots; 0 before a set and on new objects; 4 threads",       \
     false, private_data_needs, false},                                                       \
    {"private_data_foreign", scenario_private_data_foreign,                                   \
     "a slot of this device keeps data for another instance's device and queue (as dEQP "     \
     "does)",                                                                                 \
     false, NULL, false},
