/* test_guest_private_data — runtime/guest/vkw_guest_private_data.c, alone.
 *
 * Owns: private data as the guest answers it, with no host and no driver:
 * every handle is a key never dereferenced (devices, queues and command
 * buffers here are made-up addresses: the module must never read them),
 * so the device's own handle, a queue, a command buffer, non-dispatchable
 * handles, values no host ever saw, another device's objects and equal
 * values of two types all keep their own data; 0 before a set, after a set
 * of 0, on new slots and for objects that are gone (forget_object, a slot
 * destroyed while another keeps data for it); reserved slots
 * (VkDevicePrivateDataCreateInfo, summed, capped) are made at device
 * creation, so creating them allocates nothing; allocation failures
 * (malloc, calloc and realloc are wrapped at link time) give
 * VK_ERROR_OUT_OF_HOST_MEMORY from creation and set, and change nothing;
 * many entries (growth and removal); 4 threads setting and getting through
 * one slot at once while objects are forgotten; slots left to their device
 * freed with it (ASan's leak check). */
#define _GNU_SOURCE /* pthread barriers */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "tap.h"
#include "vkw_guest_entry.h"
#include "vkw_guest_private_data.h"

/* ---- allocation failures on demand ---- */

void *__real_malloc(size_t size);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t size);
void *__wrap_malloc(size_t size);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t size);

static atomic_bool failing; /* every allocation of the module fails */

void *__wrap_malloc(size_t size) { return atomic_load(&failing) ? NULL : __real_malloc(size); }
void *__wrap_calloc(size_t n, size_t size)
{
    return atomic_load(&failing) ? NULL : __real_calloc(n, size);
}
void *__wrap_realloc(void *p, size_t size)
{
    return atomic_load(&failing) ? NULL : __real_realloc(p, size);
}

/* ---- made-up handles: never dereferenced ---- */

#define FAKE(type, v) ((type)(uintptr_t)(v))
static const VkDevice device_a = FAKE(VkDevice, 0x7f0000001000ull);
static const VkDevice device_b = FAKE(VkDevice, 0x7f0000002000ull);
static const uint64_t queue_a = 0x7f0000003000ull;
static const uint64_t command_buffer_a = 0x7f0000004000ull;
static const uint64_t never_seen = 0xdead0000beef0000ull; /* no host made it */

static VkPrivateDataSlot slot_new(VkDevice device, VkResult *result)
{
    const VkPrivateDataSlotCreateInfo info = {
        .sType = VK_STRUCTURE_TYPE_PRIVATE_DATA_SLOT_CREATE_INFO};
    VkPrivateDataSlot slot = VK_NULL_HANDLE;
    VkResult r = vkw_icd_vkCreatePrivateDataSlot(device, &info, NULL, &slot);
    if (result)
        *result = r;
    return r == VK_SUCCESS ? slot : VK_NULL_HANDLE;
}

static uint64_t get(VkDevice device, VkObjectType type, uint64_t handle, VkPrivateDataSlot slot)
{
    uint64_t data = 0xfefefefefefefefeull;
    vkw_icd_vkGetPrivateData(device, type, handle, slot, &data);
    return data;
}

static VkResult set(VkDevice device, VkObjectType type, uint64_t handle, VkPrivateDataSlot slot,
                    uint64_t data)
{
    return vkw_icd_vkSetPrivateData(device, type, handle, slot, data);
}

static void test_objects(void)
{
    VkPrivateDataSlot s = slot_new(device_a, NULL), t = slot_new(device_a, NULL);
    ok(s != VK_NULL_HANDLE && t != VK_NULL_HANDLE && s != t, "two slots on a device");
    const struct {
        VkObjectType type;
        uint64_t handle;
        const char *what;
    } objects[] = {
        {VK_OBJECT_TYPE_DEVICE, (uint64_t)(uintptr_t)device_a, "the device's own handle"},
        {VK_OBJECT_TYPE_QUEUE, queue_a, "a queue"},
        {VK_OBJECT_TYPE_COMMAND_BUFFER, command_buffer_a, "a command buffer"},
        {VK_OBJECT_TYPE_BUFFER, 42, "a buffer (non-dispatchable)"},
        {VK_OBJECT_TYPE_IMAGE, 42, "an image of the buffer's value"},
        {VK_OBJECT_TYPE_IMAGE, never_seen, "a handle value no host saw"},
        {VK_OBJECT_TYPE_DEVICE, (uint64_t)(uintptr_t)device_b, "another device"},
        {VK_OBJECT_TYPE_PRIVATE_DATA_SLOT, (uint64_t)(uintptr_t)t, "a slot"},
    };
    const size_t n = sizeof objects / sizeof objects[0];
    bool zero = true;
    for (size_t i = 0; i < n; i++)
        zero &= get(device_a, objects[i].type, objects[i].handle, s) == 0;
    ok(zero, "nothing set: every object reads 0");
    for (size_t i = 0; i < n; i++)
        is_int(set(device_a, objects[i].type, objects[i].handle, s, 1000 + i), VK_SUCCESS,
               "set on %s", objects[i].what);
    for (size_t i = 0; i < n; i++)
        is_int(get(device_a, objects[i].type, objects[i].handle, s), 1000 + i, "%s reads back",
               objects[i].what);
    zero = true;
    for (size_t i = 0; i < n; i++)
        zero &= get(device_a, objects[i].type, objects[i].handle, t) == 0;
    ok(zero, "the other slot still reads 0 for every object");
    /* The device parameter does not decide: the slot does. */
    is_int(get(device_b, VK_OBJECT_TYPE_QUEUE, queue_a, s), 1000 + 1,
           "read through another device's handle: the slot's data");

    is_int(set(device_a, VK_OBJECT_TYPE_QUEUE, queue_a, s, 7), VK_SUCCESS, "set again");
    is_int(get(device_a, VK_OBJECT_TYPE_QUEUE, queue_a, s), 7, "the last value counts");
    is_int(set(device_a, VK_OBJECT_TYPE_QUEUE, queue_a, s, 0), VK_SUCCESS, "set 0");
    is_int(get(device_a, VK_OBJECT_TYPE_QUEUE, queue_a, s), 0, "0 reads 0");
    is_int(get(device_a, VK_OBJECT_TYPE_BUFFER, 42, s), 1003, "and the others keep theirs");
    is_int(set(device_a, VK_OBJECT_TYPE_BUFFER, 0, s, 9), VK_SUCCESS,
           "VK_NULL_HANDLE: nothing kept, no failure");
    is_int(get(device_a, VK_OBJECT_TYPE_BUFFER, 0, s), 0, "VK_NULL_HANDLE reads 0");

    /* A slot destroyed: data other slots keep for it goes too, and a new
     * slot (perhaps at its address) starts empty. */
    is_int(get(device_a, VK_OBJECT_TYPE_PRIVATE_DATA_SLOT, (uint64_t)(uintptr_t)t, s), 1007,
           "data on the slot t, kept by s");
    const uint64_t t_handle = (uint64_t)(uintptr_t)t;
    vkw_icd_vkDestroyPrivateDataSlot(device_a, t, NULL);
    is_int(get(device_a, VK_OBJECT_TYPE_PRIVATE_DATA_SLOT, t_handle, s), 0,
           "t destroyed: s no longer keeps data for it");
    VkPrivateDataSlot u = slot_new(device_a, NULL);
    zero = true;
    for (size_t i = 0; i < n; i++)
        zero &= get(device_a, objects[i].type, objects[i].handle, u) == 0;
    ok(zero, "a new slot reads 0 for every object (%s t's address)",
       (uint64_t)(uintptr_t)u == t_handle ? "at" : "not at");

    /* An object gone: forgotten in every slot, of every device. */
    VkPrivateDataSlot on_b = slot_new(device_b, NULL);
    set(device_a, VK_OBJECT_TYPE_COMMAND_BUFFER, command_buffer_a, u, 5);
    set(device_b, VK_OBJECT_TYPE_COMMAND_BUFFER, command_buffer_a, on_b, 6);
    vkw_guest_private_data_forget_object(VK_OBJECT_TYPE_COMMAND_BUFFER, command_buffer_a);
    ok(get(device_a, VK_OBJECT_TYPE_COMMAND_BUFFER, command_buffer_a, s) == 0 &&
           get(device_a, VK_OBJECT_TYPE_COMMAND_BUFFER, command_buffer_a, u) == 0 &&
           get(device_b, VK_OBJECT_TYPE_COMMAND_BUFFER, command_buffer_a, on_b) == 0,
       "a command buffer forgotten reads 0 in every slot");
    is_int(get(device_a, VK_OBJECT_TYPE_DEVICE, (uint64_t)(uintptr_t)device_a, s), 1000,
           "the other objects keep their data");
    vkw_guest_private_data_forget_object(VK_OBJECT_TYPE_BUFFER, 42);
    is_int(get(device_a, VK_OBJECT_TYPE_IMAGE, 42, s), 1004,
           "forgetting a buffer leaves the image of the same value");

    vkw_icd_vkDestroyPrivateDataSlot(device_a, s, NULL);
    vkw_icd_vkDestroyPrivateDataSlot(device_a, u, NULL);
    vkw_icd_vkDestroyPrivateDataSlot(device_b, on_b, NULL);
    vkw_icd_vkDestroyPrivateDataSlot(device_a, VK_NULL_HANDLE, NULL); /* nothing to do */
    vkw_guest_private_data_forget_device(device_a);
    vkw_guest_private_data_forget_device(device_b);
}

static void test_reserved(void)
{
    const VkDevice d = FAKE(VkDevice, 0x7f0000010000ull);
    VkDevicePrivateDataCreateInfo second = {
        .sType = VK_STRUCTURE_TYPE_DEVICE_PRIVATE_DATA_CREATE_INFO,
        .privateDataSlotRequestCount = 3};
    VkDevicePrivateDataCreateInfo first = {
        .sType = VK_STRUCTURE_TYPE_DEVICE_PRIVATE_DATA_CREATE_INFO,
        .pNext = &second,
        .privateDataSlotRequestCount = 2};
    VkPhysicalDeviceVulkan13Features features = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_3_FEATURES,
        .pNext = &first,
        .privateData = VK_TRUE};
    const VkDeviceCreateInfo info = {.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
                                     .pNext = &features};
    atomic_store(&failing, true);
    is_int(vkw_guest_private_data_device_made(d, &info, NULL), VK_ERROR_OUT_OF_HOST_MEMORY,
           "reserving with no memory: VK_ERROR_OUT_OF_HOST_MEMORY");
    atomic_store(&failing, false);
    is_int(vkw_guest_private_data_device_made(d, &info, NULL), VK_SUCCESS,
           "a device reserving 2 + 3 slots (two structs in its chain)");

    /* With no memory at all, the reserved slots are still made. */
    atomic_store(&failing, true);
    VkPrivateDataSlot slots[5];
    bool made = true;
    for (int i = 0; i < 5; i++)
        made &= (slots[i] = slot_new(d, NULL)) != VK_NULL_HANDLE;
    VkResult r = VK_SUCCESS;
    VkPrivateDataSlot sixth = slot_new(d, &r);
    atomic_store(&failing, false);
    ok(made, "5 reserved slots made while every allocation fails");
    ok(sixth == VK_NULL_HANDLE && r == VK_ERROR_OUT_OF_HOST_MEMORY,
       "the 6th: VK_ERROR_OUT_OF_HOST_MEMORY");
    is_int(set(d, VK_OBJECT_TYPE_DEVICE, (uint64_t)(uintptr_t)d, slots[4], 44), VK_SUCCESS,
           "a reserved slot keeps data");
    is_int(get(d, VK_OBJECT_TYPE_DEVICE, (uint64_t)(uintptr_t)d, slots[4]), 44, "and gives it back");
    vkw_icd_vkDestroyPrivateDataSlot(d, slots[4], NULL);
    atomic_store(&failing, true);
    slots[4] = slot_new(d, &r);
    atomic_store(&failing, false);
    ok(slots[4] != VK_NULL_HANDLE, "a destroyed reserved slot is reserved again");
    is_int(get(d, VK_OBJECT_TYPE_DEVICE, (uint64_t)(uintptr_t)d, slots[4]), 0,
           "and starts empty");
    VkPrivateDataSlot more = slot_new(d, &r);
    ok(more != VK_NULL_HANDLE, "beyond the reserve, slots are made as usual");
    /* Slots left to the device go with it (the leak checker watches). */
    set(d, VK_OBJECT_TYPE_QUEUE, queue_a, more, 3);
    set(d, VK_OBJECT_TYPE_QUEUE, queue_a, slots[0], 3);
    vkw_guest_private_data_forget_device(d);
    ok(true, "a device destroyed with its slots alive frees them");

    /* An absurd request is honoured up to the cap. */
    VkDevicePrivateDataCreateInfo huge2 = {
        .sType = VK_STRUCTURE_TYPE_DEVICE_PRIVATE_DATA_CREATE_INFO,
        .privateDataSlotRequestCount = UINT32_MAX};
    VkDevicePrivateDataCreateInfo huge = {
        .sType = VK_STRUCTURE_TYPE_DEVICE_PRIVATE_DATA_CREATE_INFO,
        .pNext = &huge2,
        .privateDataSlotRequestCount = UINT32_MAX};
    const VkDeviceCreateInfo huge_info = {.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
                                          .pNext = &huge};
    is_int(vkw_guest_private_data_device_made(d, &huge_info, NULL), VK_SUCCESS,
           "2 x UINT32_MAX slots asked: the device is made");
    atomic_store(&failing, true);
    uint32_t n = 0;
    while (n < VKW_PRIVATE_DATA_MAX_RESERVED + 8 && slot_new(d, NULL) != VK_NULL_HANDLE)
        n++;
    atomic_store(&failing, false);
    is_int(n, VKW_PRIVATE_DATA_MAX_RESERVED, "%u of them are made in advance",
           VKW_PRIVATE_DATA_MAX_RESERVED);
    vkw_guest_private_data_forget_device(d);

    const VkDeviceCreateInfo plain = {.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO};
    atomic_store(&failing, true);
    is_int(vkw_guest_private_data_device_made(d, &plain, NULL), VK_ERROR_OUT_OF_HOST_MEMORY,
           "nothing reserved, no memory for the device's record: VK_ERROR_OUT_OF_HOST_MEMORY");
    atomic_store(&failing, false);
    is_int(vkw_guest_private_data_device_made(d, &plain, NULL), VK_SUCCESS,
           "nothing reserved: the device's record only");
    vkw_guest_private_data_forget_device(d);
}

static void test_no_memory(void)
{
    const VkDevice d = FAKE(VkDevice, 0x7f0000020000ull);
    VkResult r = VK_SUCCESS;
    atomic_store(&failing, true);
    VkPrivateDataSlot none = slot_new(d, &r);
    atomic_store(&failing, false);
    ok(none == VK_NULL_HANDLE && r == VK_ERROR_OUT_OF_HOST_MEMORY,
       "vkCreatePrivateDataSlot with no memory: VK_ERROR_OUT_OF_HOST_MEMORY");
    VkPrivateDataSlot s = slot_new(d, NULL);
    atomic_store(&failing, true);
    r = set(d, VK_OBJECT_TYPE_BUFFER, 7, s, 70);
    atomic_store(&failing, false);
    is_int(r, VK_ERROR_OUT_OF_HOST_MEMORY,
           "vkSetPrivateData with no memory: VK_ERROR_OUT_OF_HOST_MEMORY");
    is_int(get(d, VK_OBJECT_TYPE_BUFFER, 7, s), 0, "and nothing was kept");
    is_int(set(d, VK_OBJECT_TYPE_BUFFER, 7, s, 71), VK_SUCCESS, "with memory again: set");
    atomic_store(&failing, true);
    r = set(d, VK_OBJECT_TYPE_BUFFER, 7, s, 72);
    VkResult zero = set(d, VK_OBJECT_TYPE_BUFFER, 8, s, 0);
    atomic_store(&failing, false);
    ok(r == VK_SUCCESS && zero == VK_SUCCESS,
       "with no memory, setting a kept entry again and setting 0 succeed");
    is_int(get(d, VK_OBJECT_TYPE_BUFFER, 7, s), 72, "the entry has the new value");
    /* Filling a map until it must grow, with no memory then. */
    uint64_t h = 1000;
    atomic_store(&failing, true);
    while (h < 100000 && set(d, VK_OBJECT_TYPE_BUFFER, h, s, h) == VK_SUCCESS)
        h++;
    atomic_store(&failing, false);
    ok(h > 1000 && h < 100000, "a full map fails to grow with VK_ERROR_OUT_OF_HOST_MEMORY");
    bool kept = true;
    for (uint64_t i = 1000; i < h; i++)
        kept &= get(d, VK_OBJECT_TYPE_BUFFER, i, s) == i;
    ok(kept && get(d, VK_OBJECT_TYPE_BUFFER, h, s) == 0,
       "what was set before the failure is kept, the failed one is not");
    vkw_icd_vkDestroyPrivateDataSlot(d, s, NULL);
    vkw_guest_private_data_forget_device(d);
}

static void test_many(void)
{
    const VkDevice d = FAKE(VkDevice, 0x7f0000030000ull);
    VkPrivateDataSlot s = slot_new(d, NULL);
    enum { N = 20000 };
    bool right = true;
    for (uint64_t i = 1; i <= N; i++)
        right &= set(d, VK_OBJECT_TYPE_EVENT, i * 4096, s, i) == VK_SUCCESS;
    for (uint64_t i = 1; i <= N; i++)
        right &= get(d, VK_OBJECT_TYPE_EVENT, i * 4096, s) == i;
    ok(right, "%d entries in one slot", N);
    for (uint64_t i = 1; i <= N; i += 2)
        set(d, VK_OBJECT_TYPE_EVENT, i * 4096, s, 0);
    right = true;
    for (uint64_t i = 1; i <= N; i++)
        right &= get(d, VK_OBJECT_TYPE_EVENT, i * 4096, s) == (i % 2 ? 0 : i);
    ok(right, "half of them set to 0: those read 0, the rest keep theirs");
    vkw_icd_vkDestroyPrivateDataSlot(d, s, NULL);
    vkw_guest_private_data_forget_device(d);
}

/* ---- 4 threads at once ---- */

enum { THREADS = 4, KEYS = 64, ROUNDS = 20000 };

struct worker {
    pthread_t thread;
    unsigned index;
    VkDevice device;
    VkPrivateDataSlot shared;
    pthread_barrier_t *start;
    unsigned wrong;
};

static uint64_t thread_value(unsigned t, unsigned k, unsigned round)
{
    return ((uint64_t)(t + 1) << 48) | ((uint64_t)(k + 1) << 24) | (round + 1);
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    /* Its own keys (command buffers of this thread), and the device every
     * thread reads. */
    pthread_barrier_wait(w->start);
    for (unsigned round = 0; round < ROUNDS; round++) {
        for (unsigned k = 0; k < KEYS; k++) {
            const uint64_t handle = 0x7e0000000000ull + ((uint64_t)w->index << 20) + k * 64;
            if (set(w->device, VK_OBJECT_TYPE_COMMAND_BUFFER, handle, w->shared,
                    thread_value(w->index, k, round)) != VK_SUCCESS)
                w->wrong++;
        }
        for (unsigned k = 0; k < KEYS; k++) {
            const uint64_t handle = 0x7e0000000000ull + ((uint64_t)w->index << 20) + k * 64;
            w->wrong += get(w->device, VK_OBJECT_TYPE_COMMAND_BUFFER, handle, w->shared) !=
                        thread_value(w->index, k, round);
        }
        /* Removals move other threads' entries in the map (backward
         * shift), and empty it now and then, so that it grows again;
         * the last round keeps its values. */
        for (unsigned k = 0; round + 1 < ROUNDS && k < KEYS; k++) {
            const uint64_t handle = 0x7e0000000000ull + ((uint64_t)w->index << 20) + k * 64;
            w->wrong += set(w->device, VK_OBJECT_TYPE_COMMAND_BUFFER, handle, w->shared, 0) !=
                        VK_SUCCESS;
            w->wrong += get(w->device, VK_OBJECT_TYPE_COMMAND_BUFFER, handle, w->shared) != 0;
        }
        w->wrong += get(w->device, VK_OBJECT_TYPE_DEVICE, (uint64_t)(uintptr_t)w->device,
                        w->shared) != 99;
        /* Objects that no thread ever set, forgotten meanwhile: harmless. */
        vkw_guest_private_data_forget_object(VK_OBJECT_TYPE_QUEUE, 0x7d0000000000ull + round);
    }
    return NULL;
}

static void test_threads(void)
{
    const VkDevice d = FAKE(VkDevice, 0x7f0000040000ull);
    VkPrivateDataSlot shared = slot_new(d, NULL);
    set(d, VK_OBJECT_TYPE_DEVICE, (uint64_t)(uintptr_t)d, shared, 99);
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, THREADS);
    struct worker w[THREADS];
    int started = 0;
    for (unsigned t = 0; t < THREADS; t++) {
        w[t] = (struct worker){.index = t, .device = d, .shared = shared, .start = &start};
        started += pthread_create(&w[t].thread, NULL, worker_main, &w[t]) == 0;
    }
    if (started != THREADS)
        BAIL_OUT("cannot start %d threads", THREADS);
    unsigned wrong = 0;
    for (unsigned t = 0; t < THREADS; t++) {
        pthread_join(w[t].thread, NULL);
        wrong += w[t].wrong;
    }
    pthread_barrier_destroy(&start);
    is_int(wrong, 0, "%d threads setting and getting %d keys each through one slot, %d rounds",
           THREADS, KEYS, ROUNDS);
    bool last = true;
    for (unsigned t = 0; t < THREADS; t++)
        for (unsigned k = 0; k < KEYS; k++)
            last &= get(d, VK_OBJECT_TYPE_COMMAND_BUFFER,
                        0x7e0000000000ull + ((uint64_t)t << 20) + k * 64,
                        shared) == thread_value(t, k, ROUNDS - 1);
    ok(last, "every thread's last values are kept");
    vkw_icd_vkDestroyPrivateDataSlot(d, shared, NULL);
    vkw_guest_private_data_forget_device(d);
}

int main(void)
{
    test_objects();
    test_reserved();
    test_no_memory();
    test_many();
    test_threads();
    return done_testing();
}
