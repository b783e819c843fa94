/* vkw_object_table — one context's guest ids and the host objects they name.
 *
 * Owns: the two hash tables behind vkw_object_table.h.
 *
 * slots: linear probing on a hash of the id.  A removed object leaves a
 * tombstone (id 0, type VKW_SLOT_TOMBSTONE) so probe chains stay intact;
 * empty slots are all zero.  Live objects plus tombstones stay under 70% of
 * the capacity, so every probe meets an empty slot; passing that mark
 * rehashes, which drops every tombstone and may grow or shrink the table.
 *
 * reverse: linear probing on a hash of (type, host), each entry a slot index
 * + 1.  It holds only live objects and deletes by shifting entries back
 * (no tombstones), which keeps equal keys in insertion order; rehashing
 * walks it in probe order for the same reason.  So id_of returns the
 * earliest inserted live id among several with the same (type, host).
 *
 * Ids come from the guest, which may choose them to collide: the hash is
 * seeded with the address of the slot array, which the guest cannot see, so
 * it cannot aim ids at one probe chain.  The seed changes on every rehash,
 * when every entry is placed again anyway.
 */
#include "vkw_object_table.h"

#include <stdlib.h>
#include <string.h>

#define VKW_SLOT_TOMBSTONE UINT32_MAX
#define VKW_TABLE_MIN_CAPACITY 16u
/* reverse holds slot index + 1 in a uint32_t. */
#define VKW_TABLE_MAX_CAPACITY ((size_t)1 << 31)
#define VKW_NOT_FOUND SIZE_MAX

/* splitmix64's finaliser: every input bit reaches every output bit. */
static inline uint64_t mix64(uint64_t z)
{
    z += 0x9e3779b97f4a7c15u;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static inline uint64_t seed_of(const struct vkw_object *slots)
{
    return (uint64_t)(uintptr_t)slots;
}

static inline size_t id_home(const struct vkw_object *slots, size_t mask, uint64_t id)
{
    return (size_t)(mix64(id ^ seed_of(slots)) & mask);
}

static inline size_t reverse_home(const struct vkw_object *slots, size_t mask,
                                  uint32_t type, uint64_t host)
{
    return (size_t)(mix64(mix64(host ^ seed_of(slots)) ^ type) & mask);
}

static inline bool slot_empty(const struct vkw_object *s)
{
    return s->id == 0 && s->type != VKW_SLOT_TOMBSTONE;
}

/* Index of the live slot holding `id`, or VKW_NOT_FOUND.  The load bound
 * guarantees an empty slot; the count bound is a second guard. */
static size_t find_slot(const struct vkw_object *slots, size_t capacity, uint64_t id)
{
    if (capacity == 0 || id == 0)
        return VKW_NOT_FOUND;
    size_t mask = capacity - 1;
    size_t i = id_home(slots, mask, id);
    for (size_t n = 0; n < capacity; n++, i = (i + 1) & mask) {
        if (slots[i].id == id)
            return i;
        if (slot_empty(&slots[i]))
            return VKW_NOT_FOUND;
    }
    return VKW_NOT_FOUND;
}

/* Append slot index `index` to the reverse chain of its (type, host).  The
 * caller keeps the reverse table under full, so an empty entry exists. */
static void reverse_add(uint32_t *reverse, const struct vkw_object *slots,
                        size_t capacity, size_t index)
{
    /* Failed and gone objects (host 0) are never answered by handle:
     * keeping them out spares the one (type, 0) chain that would grow. */
    if (slots[index].flags & VKW_OBJECT_HOSTLESS)
        return;
    size_t mask = capacity - 1;
    size_t j = reverse_home(slots, mask, slots[index].type, slots[index].host);
    while (reverse[j] != 0)
        j = (j + 1) & mask;
    reverse[j] = (uint32_t)(index + 1);
}

/* Remove the reverse entry of slot `index` (still intact in slots). */
static void reverse_remove(struct vkw_object_table *t, size_t index)
{
    size_t mask = t->reverse_capacity - 1;
    const struct vkw_object *o = &t->slots[index];
    if (o->flags & VKW_OBJECT_HOSTLESS)
        return; /* never added, or taken out when it went */
    size_t hole = reverse_home(t->slots, mask, o->type, o->host);
    for (size_t n = 0; t->reverse[hole] != index + 1; n++) {
        if (t->reverse[hole] == 0 || n == t->reverse_capacity)
            return; /* cannot happen: every live slot has an entry */
        hole = (hole + 1) & mask;
    }
    /* Backward shift: pull later entries of the cluster into the hole when
     * the hole lies between their home and where they sit. */
    for (size_t k = (hole + 1) & mask; t->reverse[k] != 0; k = (k + 1) & mask) {
        const struct vkw_object *e = &t->slots[t->reverse[k] - 1];
        size_t home = reverse_home(t->slots, mask, e->type, e->host);
        if (((k - home) & mask) >= ((k - hole) & mask)) {
            t->reverse[hole] = t->reverse[k];
            hole = k;
        }
    }
    t->reverse[hole] = 0;
}

/* Place every live object in fresh arrays of `capacity` slots: drops the
 * tombstones and picks a new seed.  False (table unchanged) on ENOMEM. */
static bool rehash(struct vkw_object_table *t, size_t capacity)
{
    struct vkw_object *slots = calloc(capacity, sizeof(*slots));
    uint32_t *reverse = calloc(capacity, sizeof(*reverse));
    if (!slots || !reverse) {
        free(slots);
        free(reverse);
        return false;
    }
    size_t mask = capacity - 1;
    for (size_t i = 0; i < t->capacity; i++) {
        const struct vkw_object *o = &t->slots[i];
        if (o->id == 0)
            continue;
        size_t j = id_home(slots, mask, o->id);
        while (slots[j].id != 0)
            j = (j + 1) & mask;
        slots[j] = *o;
    }
    /* Rebuild reverse in the old probe order, starting just after an empty
     * entry so no cluster is entered in the middle: equal keys keep their
     * insertion order. */
    if (t->reverse_capacity) {
        size_t old_mask = t->reverse_capacity - 1;
        size_t start = 0;
        while (t->reverse[start] != 0)
            start++;
        for (size_t n = 0; n < t->reverse_capacity; n++) {
            uint32_t e = t->reverse[(start + n) & old_mask];
            if (e == 0)
                continue;
            size_t index = find_slot(slots, capacity, t->slots[e - 1].id);
            reverse_add(reverse, slots, capacity, index);
        }
    }
    free(t->slots);
    free(t->reverse);
    t->slots = slots;
    t->reverse = reverse;
    t->capacity = capacity;
    t->reverse_capacity = capacity;
    t->tombstones = 0;
    return true;
}

void vkw_object_table_init(struct vkw_object_table *t, size_t max_objects)
{
    memset(t, 0, sizeof(*t));
    t->max_objects = max_objects;
}

void vkw_object_table_fini(struct vkw_object_table *t)
{
    free(t->slots);
    free(t->reverse);
    size_t max_objects = t->max_objects;
    vkw_object_table_init(t, max_objects);
}

static enum vkw_error insert(struct vkw_object_table *t, uint64_t id, uint32_t type,
                             uint64_t host, uint64_t parent_id, uint32_t flags)
{
    if (id == 0)
        return VKW_ERROR_BAD_HANDLE;
    if (find_slot(t->slots, t->capacity, id) != VKW_NOT_FOUND)
        return VKW_ERROR_ID_IN_USE;
    if (t->count >= t->max_objects)
        return VKW_ERROR_NO_MEMORY;
    /* 70% load, tombstones included (they lengthen probes just the same).
     * 64-bit arithmetic: capacity * 7 overflows a 32-bit size_t. */
    if ((uint64_t)(t->count + t->tombstones + 1) * 10 > (uint64_t)t->capacity * 7) {
        /* At most half full afterwards, so rehashes are at least 20% of
         * the capacity apart: amortised O(1) even under churn. */
        size_t capacity = VKW_TABLE_MIN_CAPACITY;
        while ((uint64_t)(t->count + 1) * 2 > capacity) {
            if (capacity >= VKW_TABLE_MAX_CAPACITY)
                return VKW_ERROR_NO_MEMORY;
            capacity *= 2;
        }
        if (!rehash(t, capacity))
            return VKW_ERROR_NO_MEMORY;
    }

    size_t mask = t->capacity - 1;
    size_t i = id_home(t->slots, mask, id);
    /* The id is absent, so the first free slot of any kind will do. */
    while (t->slots[i].id != 0)
        i = (i + 1) & mask;
    if (t->slots[i].type == VKW_SLOT_TOMBSTONE)
        t->tombstones--;
    t->slots[i] = (struct vkw_object){
        .id = id, .host = host, .parent_id = parent_id, .type = type, .flags = flags,
    };
    t->count++;
    reverse_add(t->reverse, t->slots, t->reverse_capacity, i);
    return VKW_OK;
}

enum vkw_error vkw_object_table_insert(struct vkw_object_table *t, uint64_t id,
                                       uint32_t type, uint64_t host,
                                       uint64_t parent_id)
{
    return insert(t, id, type, host, parent_id, 0);
}

enum vkw_error vkw_object_table_insert_failed(struct vkw_object_table *t, uint64_t id,
                                              uint32_t type, uint64_t parent_id)
{
    return insert(t, id, type, 0, parent_id, VKW_OBJECT_FAILED);
}

enum vkw_error vkw_object_table_insert_pending(struct vkw_object_table *t, uint64_t id,
                                               uint32_t type, uint64_t parent_id)
{
    return insert(t, id, type, 0, parent_id, VKW_OBJECT_PENDING);
}

const struct vkw_object *vkw_object_table_find(const struct vkw_object_table *t,
                                               uint64_t id)
{
    size_t i = find_slot(t->slots, t->capacity, id);
    return i == VKW_NOT_FOUND ? NULL : &t->slots[i];
}

bool vkw_object_table_lookup(const struct vkw_object_table *t, uint64_t id,
                             uint32_t type, uint64_t *host)
{
    const struct vkw_object *o = vkw_object_table_find(t, id);
    if (!o || o->type != type || (o->flags & VKW_OBJECT_UNUSABLE))
        return false;
    *host = o->host;
    return true;
}

bool vkw_object_table_mark(struct vkw_object_table *t, uint64_t id, uint32_t set,
                           uint32_t clear, uint64_t note)
{
    size_t i = find_slot(t->slots, t->capacity, id);
    if (i == VKW_NOT_FOUND)
        return false;
    struct vkw_object *o = &t->slots[i];
    set &= ~(VKW_OBJECT_FAILED | VKW_OBJECT_PENDING); /* (the jobs' own) */
    clear &= ~VKW_OBJECT_HOSTLESS; /* a handle once forgotten does not come back */
    if ((set & VKW_OBJECT_GONE) && !(o->flags & VKW_OBJECT_HOSTLESS)) {
        reverse_remove(t, i); /* while it still has its host handle */
        o->host = 0;
        t->removals++; /* its handle value may come back for another object */
    }
    o->flags = (o->flags | set) & ~clear;
    o->note = note;
    return true;
}

uint64_t vkw_object_table_id_of(const struct vkw_object_table *t, uint32_t type,
                                uint64_t host)
{
    if (t->reverse_capacity == 0)
        return 0;
    size_t mask = t->reverse_capacity - 1;
    size_t j = reverse_home(t->slots, mask, type, host);
    for (size_t n = 0; n < t->reverse_capacity && t->reverse[j] != 0; n++) {
        const struct vkw_object *o = &t->slots[t->reverse[j] - 1];
        if (o->type == type && o->host == host)
            return o->id;
        j = (j + 1) & mask;
    }
    return 0;
}

bool vkw_object_table_remove(struct vkw_object_table *t, uint64_t id, uint32_t type)
{
    size_t i = find_slot(t->slots, t->capacity, id);
    if (i == VKW_NOT_FOUND || t->slots[i].type != type)
        return false;
    reverse_remove(t, i);
    t->count--;
    t->removals++;

    /* A tombstone is needed only when a probe chain runs on past it.  When
     * the next slot is empty none does, so this slot and any tombstones just
     * before it become empty: fewer tombstones, fewer rehashes. */
    size_t mask = t->capacity - 1;
    if (slot_empty(&t->slots[(i + 1) & mask])) {
        memset(&t->slots[i], 0, sizeof(t->slots[i]));
        for (size_t p = (i - 1) & mask; t->slots[p].id == 0 &&
                                        t->slots[p].type == VKW_SLOT_TOMBSTONE;
             p = (p - 1) & mask) {
            memset(&t->slots[p], 0, sizeof(t->slots[p]));
            t->tombstones--;
        }
    } else {
        memset(&t->slots[i], 0, sizeof(t->slots[i]));
        t->slots[i].type = VKW_SLOT_TOMBSTONE;
        t->tombstones++;
    }
    return true;
}

void vkw_object_table_foreach(const struct vkw_object_table *t,
                              void (*fn)(const struct vkw_object *o, void *user),
                              void *user)
{
    for (size_t i = 0; i < t->capacity; i++) {
        if (t->slots[i].id != 0)
            fn(&t->slots[i], user);
    }
}
