/* vkw_guest_requirements — buffer memory requirements answered guest-side.
 *
 * Why an answer may be reused: the Vulkan specification ("Resource Memory
 * Association", the invariance rules after VkMemoryRequirements) makes
 * memoryTypeBits identical for buffers created with the same flags, usage
 * and external handle types, alignment identical for the same flags and
 * usage, and size identical for the same creation parameters in
 * VkBufferCreateInfo and its pNext chain; and vkGetDeviceBufferMemoryRequirements
 * (Vulkan 1.3, https://docs.vulkan.org/refpages/latest/refpages/source/vkGetDeviceBufferMemoryRequirements.html)
 * answers, from a create info alone, what vkGetBufferMemoryRequirements2
 * would answer for a buffer created with it, VkMemoryDedicatedRequirements
 * included.  So the answer is a function of (device, create info).
 *
 * Only plain create infos are keyed (no pNext, exclusive sharing): then
 * the whole create info is (flags, size, usage), so the key is exact and
 * cheap; a buffer's comes from its record (vkw_guest_buffers.h).  Buffers
 * with a chain (external memory, capture addresses, usage2) or concurrent
 * sharing are always asked of the host.
 *
 * answers: key -> requirements, open addressing, never deleted one by one:
 * a device's destruction rebuilds the table without its entries, and
 * passing VKW_REQ_MAX_ANSWERS distinct create infos starts it afresh, so
 * an application that makes buffers of ever new sizes keeps memory bounded.
 */
#include "vkw_guest_requirements.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vkw_guest_buffers.h"
#include "vkw_guest_entry.h"
#include "vkw_vulkan_util.h"

#define VKW_REQ_MAX_ANSWERS 4096u

struct key {
    uintptr_t device;
    VkBufferCreateFlags flags;
    VkBufferUsageFlags usage;
    VkDeviceSize size;
};

struct answer_slot {
    bool used;
    bool have_dedicated; /* the VkMemoryDedicatedRequirements values are known */
    struct key key;
    VkMemoryRequirements req;
    VkBool32 prefers_dedicated, requires_dedicated;
};

static struct {
    pthread_mutex_t lock;
    struct answer_slot *answers;
    size_t answer_capacity, answer_count;
} req = {.lock = PTHREAD_MUTEX_INITIALIZER};

static inline uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static uint64_t key_hash(const struct key *k)
{
    return mix64((uint64_t)k->device ^ mix64(k->size ^ mix64(((uint64_t)k->flags << 32) ^ k->usage)));
}

static bool key_equal(const struct key *a, const struct key *b)
{
    return a->device == b->device && a->flags == b->flags && a->usage == b->usage &&
           a->size == b->size;
}

/* A plain create info's key, or false when the create info is not plain. */
static bool key_of(VkDevice device, const VkBufferCreateInfo *ci, struct key *k)
{
    if (!ci || ci->pNext || ci->sharingMode != VK_SHARING_MODE_EXCLUSIVE)
        return false;
    *k = (struct key){.device = (uintptr_t)device, .flags = ci->flags, .usage = ci->usage,
                      .size = ci->size};
    return true;
}

/* ---- answers ---- */

static struct answer_slot *answer_find(const struct key *k)
{
    if (req.answer_capacity == 0)
        return NULL;
    const size_t mask = req.answer_capacity - 1;
    for (size_t i = (size_t)key_hash(k) & mask;; i = (i + 1) & mask) {
        if (!req.answers[i].used)
            return NULL;
        if (key_equal(&req.answers[i].key, k))
            return &req.answers[i];
    }
}

static void answer_place(struct answer_slot *slots, size_t capacity, const struct answer_slot *a)
{
    const size_t mask = capacity - 1;
    size_t i = (size_t)key_hash(&a->key) & mask;
    while (slots[i].used)
        i = (i + 1) & mask;
    slots[i] = *a;
}

/* Rebuild the answers without `device`'s (all of them for 0; none for
 * UINTPTR_MAX, which is no device: growth), at `capacity`. */
static void answers_rebuild(uintptr_t device, size_t capacity)
{
    struct answer_slot *slots = capacity ? calloc(capacity, sizeof(*slots)) : NULL;
    size_t count = 0;
    for (size_t i = 0; slots && i < req.answer_capacity; i++) {
        const struct answer_slot *a = &req.answers[i];
        if (a->used && device != 0 && a->key.device != device) {
            answer_place(slots, capacity, a);
            count++;
        }
    }
    free(req.answers);
    req.answers = slots;
    req.answer_capacity = slots ? capacity : 0;
    req.answer_count = count;
}

/* The slot for `k`, new if need be (NULL when out of memory). */
static struct answer_slot *answer_slot(const struct key *k)
{
    struct answer_slot *a = answer_find(k);
    if (a)
        return a;
    if (req.answer_count >= VKW_REQ_MAX_ANSWERS)
        answers_rebuild(0, 0); /* start afresh: bounded memory */
    if ((req.answer_count + 1) * 2 > req.answer_capacity) {
        answers_rebuild(UINTPTR_MAX, req.answer_capacity ? req.answer_capacity * 2 : 64);
        if (!req.answers)
            return NULL;
    }
    const struct answer_slot fresh = {.used = true, .key = *k};
    answer_place(req.answers, req.answer_capacity, &fresh);
    req.answer_count++;
    return answer_find(k);
}

/* ---- what the ICD tells it ---- */

void vkw_guest_requirements_forget_device(VkDevice device)
{
    pthread_mutex_lock(&req.lock);
    answers_rebuild((uintptr_t)device, req.answer_capacity);
    /* With the last device gone nothing stays allocated: the loader
     * unloads the ICD after the last instance, static pointers and all. */
    if (req.answer_count == 0)
        answers_rebuild(0, 0);
    pthread_mutex_unlock(&req.lock);
}

/* ---- the entry points ---- */

/* What the cache knows for `k`: core requirements (and the dedicated pair
 * when `dedicated` is not NULL).  False when it does not know all that. */
static bool lookup(const struct key *k, VkMemoryRequirements *out,
                   VkMemoryDedicatedRequirements *dedicated)
{
    pthread_mutex_lock(&req.lock);
    const struct answer_slot *a = answer_find(k);
    const bool hit = a && (!dedicated || a->have_dedicated);
    if (hit) {
        *out = a->req;
        if (dedicated) {
            dedicated->prefersDedicatedAllocation = a->prefers_dedicated;
            dedicated->requiresDedicatedAllocation = a->requires_dedicated;
        }
    }
    pthread_mutex_unlock(&req.lock);
    return hit;
}

static void store(const struct key *k, const VkMemoryRequirements *r,
                  const VkMemoryDedicatedRequirements *dedicated)
{
    pthread_mutex_lock(&req.lock);
    struct answer_slot *a = answer_slot(k);
    if (a) {
        a->req = *r;
        if (dedicated) {
            a->have_dedicated = true;
            a->prefers_dedicated = dedicated->prefersDedicatedAllocation;
            a->requires_dedicated = dedicated->requiresDedicatedAllocation;
        }
    }
    pthread_mutex_unlock(&req.lock);
}

static bool key_of_buffer(VkBuffer buffer, struct key *k)
{
    struct vkw_guest_buffer_info b;
    if (!vkw_guest_buffer_info(buffer, &b) || b.sharing != VK_SHARING_MODE_EXCLUSIVE)
        return false;
    *k = (struct key){.device = (uintptr_t)b.device, .flags = b.flags, .usage = b.usage,
                      .size = b.size};
    return true;
}

/* An output chain the cache can fill: empty, or one
 * VkMemoryDedicatedRequirements (its pointer in `*dedicated`, else NULL). */
static bool chain_cacheable(const VkMemoryRequirements2 *out, VkMemoryDedicatedRequirements **dedicated)
{
    *dedicated = NULL;
    const VkBaseOutStructure *next = out->pNext;
    if (!next)
        return true;
    if (next->sType != VK_STRUCTURE_TYPE_MEMORY_DEDICATED_REQUIREMENTS || next->pNext)
        return false;
    *dedicated = (VkMemoryDedicatedRequirements *)next;
    return true;
}

VKAPI_ATTR void VKAPI_CALL vkw_icd_vkGetBufferMemoryRequirements(VkDevice device, VkBuffer buffer,
                                                                VkMemoryRequirements *out)
{
    struct key k;
    const bool keyed = out && key_of_buffer(buffer, &k);
    if (keyed && lookup(&k, out, NULL))
        return;
    if (out)
        memset(out, 0, sizeof(*out)); /* stays 0 if the connection is lost */
    vkw_forward_vkGetBufferMemoryRequirements(device, buffer, out);
    if (keyed && out->memoryTypeBits != 0) /* 0: not a real answer (a lost connection) */
        store(&k, out, NULL);
}

/* Requirements for key `k` (keyed: known) into `out`, from the cache or
 * through `ask`, which asks the host. */
static void requirements2(bool keyed, const struct key *k, VkMemoryRequirements2 *out,
                          void (*ask)(const void *, VkMemoryRequirements2 *), const void *arg)
{
    VkMemoryDedicatedRequirements *dedicated = NULL;
    const bool cacheable = keyed && out && out->sType == VK_STRUCTURE_TYPE_MEMORY_REQUIREMENTS_2 &&
                           chain_cacheable(out, &dedicated);
    if (cacheable && lookup(k, &out->memoryRequirements, dedicated))
        return;
    if (out)
        memset(&out->memoryRequirements, 0, sizeof(out->memoryRequirements));
    ask(arg, out);
    if (cacheable && out->memoryRequirements.memoryTypeBits != 0)
        store(k, &out->memoryRequirements, dedicated);
}

struct ask_buffer {
    VkDevice device;
    const VkBufferMemoryRequirementsInfo2 *info;
};

static void ask_buffer(const void *arg, VkMemoryRequirements2 *out)
{
    const struct ask_buffer *a = arg;
    vkw_forward_vkGetBufferMemoryRequirements2(a->device, a->info, out);
}

VKAPI_ATTR void VKAPI_CALL vkw_icd_vkGetBufferMemoryRequirements2(
    VkDevice device, const VkBufferMemoryRequirementsInfo2 *info, VkMemoryRequirements2 *out)
{
    struct key k;
    const bool keyed = info && !info->pNext && key_of_buffer(info->buffer, &k);
    const struct ask_buffer a = {device, info};
    requirements2(keyed, &k, out, ask_buffer, &a);
}

struct ask_device {
    VkDevice device;
    const VkDeviceBufferMemoryRequirements *info;
};

static void ask_device(const void *arg, VkMemoryRequirements2 *out)
{
    const struct ask_device *a = arg;
    vkw_forward_vkGetDeviceBufferMemoryRequirements(a->device, a->info, out);
}

VKAPI_ATTR void VKAPI_CALL vkw_icd_vkGetDeviceBufferMemoryRequirements(
    VkDevice device, const VkDeviceBufferMemoryRequirements *info, VkMemoryRequirements2 *out)
{
    struct key k;
    const bool keyed = info && !info->pNext && key_of(device, info->pCreateInfo, &k);
    const struct ask_device a = {device, info};
    requirements2(keyed, &k, out, ask_device, &a);
}
