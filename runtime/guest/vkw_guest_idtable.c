/* vkw_guest_idtable — see vkw_guest_idtable.h. */
#include "vkw_guest_idtable.h"

#include <stdlib.h>

#define FIRST_BUCKETS 64u

static size_t bucket_of(uint64_t id, size_t nbuckets)
{
    id = (id ^ (id >> 30)) * 0xbf58476d1ce4e5b9u;
    id = (id ^ (id >> 27)) * 0x94d049bb133111ebu;
    return (size_t)(id ^ (id >> 31)) & (nbuckets - 1);
}

static struct vkw_guest_idlink **head(const struct vkw_guest_idtable *t, uint64_t id)
{
    if (!t->buckets)
        return (struct vkw_guest_idlink **)&t->single;
    return &t->buckets[bucket_of(id, t->nbuckets)];
}

/* Twice the buckets (the first ones at 2 records); nothing changes when
 * there is no memory. */
static void grow(struct vkw_guest_idtable *t)
{
    const size_t n = t->nbuckets ? t->nbuckets * 2 : FIRST_BUCKETS;
    if (n > SIZE_MAX / sizeof(*t->buckets))
        return;
    struct vkw_guest_idlink **b = calloc(n, sizeof(*b));
    if (!b)
        return;
    const size_t old = t->buckets ? t->nbuckets : 1;
    for (size_t i = 0; i < old; i++) {
        struct vkw_guest_idlink *l = t->buckets ? t->buckets[i] : t->single;
        while (l) {
            struct vkw_guest_idlink *next = l->next;
            struct vkw_guest_idlink **h = &b[bucket_of(l->id, n)];
            l->next = *h;
            *h = l;
            l = next;
        }
    }
    free(t->buckets);
    t->buckets = b;
    t->single = NULL;
    t->nbuckets = n;
}

void vkw_guest_idtable_add(struct vkw_guest_idtable *t, struct vkw_guest_idlink *link)
{
    if (t->count >= (t->nbuckets ? t->nbuckets * 2 : 2))
        grow(t);
    struct vkw_guest_idlink **h = head(t, link->id);
    link->next = *h;
    *h = link;
    t->count++;
}

struct vkw_guest_idlink *vkw_guest_idtable_find(const struct vkw_guest_idtable *t, uint64_t id)
{
    struct vkw_guest_idlink *l = *head(t, id);
    while (l && l->id != id)
        l = l->next;
    return l;
}

/* The last record gone: the buckets go too. */
static void shrink_if_empty(struct vkw_guest_idtable *t)
{
    if (t->count == 0 && t->buckets) {
        free(t->buckets);
        t->buckets = NULL;
        t->nbuckets = 0;
    }
}

struct vkw_guest_idlink *vkw_guest_idtable_remove(struct vkw_guest_idtable *t, uint64_t id)
{
    struct vkw_guest_idlink **at = head(t, id);
    while (*at && (*at)->id != id)
        at = &(*at)->next;
    struct vkw_guest_idlink *l = *at;
    if (l) {
        *at = l->next;
        t->count--;
        shrink_if_empty(t);
    }
    return l;
}

void vkw_guest_idtable_remove_if(struct vkw_guest_idtable *t,
                                 bool (*gone)(const struct vkw_guest_idlink *, const void *user),
                                 void (*drop)(struct vkw_guest_idlink *), const void *user)
{
    const size_t n = t->buckets ? t->nbuckets : 1;
    for (size_t i = 0; i < n; i++) {
        struct vkw_guest_idlink **at = t->buckets ? &t->buckets[i] : &t->single;
        while (*at) {
            struct vkw_guest_idlink *l = *at;
            if (gone(l, user)) {
                *at = l->next;
                t->count--;
                drop(l);
            } else {
                at = &l->next;
            }
        }
    }
    shrink_if_empty(t);
}
