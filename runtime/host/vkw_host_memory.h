/* vkw_host_memory — the host's memory objects and vkwire's mapped-memory
 * messages (runtime/common/vkw_memory_messages.h; doc/PROTOCOL.md, "Mapped
 * memory").
 *
 * Owns: what the host knows of each VkDeviceMemory the guest made (its
 * device, size, memory type, whether that type is host-visible, the host's
 * one mapping of it, and the guest's pages it imported), of each device
 * (memory properties, whether it can import host pointers and at what
 * alignment) and of each instance (its API version); the hand-written
 * commands that keep those records (vkCreateDevice, vkAllocateMemory,
 * vkMapMemory, vkUnmapMemory) and the handlers of WRITE_MEMORY, READ_MEMORY
 * and ALLOCATE_SHARED.  Tracked ranges (the other memory messages) are
 * vkw_host_track.h's; a record only points at its range.
 *
 * One mapping per memory object: the host maps the whole allocation the
 * first time it needs to (a guest vkMapMemory, a WRITE_MEMORY or a
 * READ_MEMORY) and keeps it until the memory is freed, since Vulkan forbids
 * mapping an object twice.  The guest's vkMapMemory/vkUnmapMemory only say
 * whether the guest has it mapped.
 *
 * Records are keyed by guest id.  They go when the id goes
 * (vkw_host_forget) and at teardown, always after the driver destroyed the
 * object: pages imported from the guest are unmapped only once the driver
 * no longer uses them.  A tracked range goes with its record.
 */
#ifndef VKW_HOST_MEMORY_H
#define VKW_HOST_MEMORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <vulkan/vulkan.h>

struct vkw_host_context;
struct vkw_host_decoder;
struct vkw_writer;
struct vkw_args_vkCreateDevice;
struct vkw_args_vkAllocateMemory;
struct vkw_args_vkMapMemory;
struct vkw_args_vkUnmapMemory;
struct vkw_host_track;

/* One VkDeviceMemory. */
struct vkw_host_memory {
    uint64_t id;            /* guest id; 0 marks a free slot */
    uint64_t device_id;
    VkDevice device;
    VkDeviceMemory memory;
    VkDeviceSize size;      /* allocationSize as the guest asked */
    uint32_t type_index;
    bool host_visible;      /* false when the device's types are unknown */
    bool guest_mapped;      /* the guest's vkMapMemory is in force */
    void *mapped;           /* the host's mapping of offset 0, or NULL */
    void *imported;         /* the guest's pages (ALLOCATE_SHARED), or NULL */
    size_t imported_size;
    struct vkw_host_track *track; /* the range the guest keeps a copy of (vkw_host_track.h) */
};

/* One VkDevice. */
struct vkw_host_device {
    uint64_t id;
    VkDevice device;
    VkPhysicalDevice physical;
    bool memory_known;      /* memory_properties was filled */
    VkPhysicalDeviceMemoryProperties memory_properties;
    /* VK_EXT_external_memory_host is enabled and usable. */
    PFN_vkGetMemoryHostPointerPropertiesEXT get_host_pointer_properties;
    VkDeviceSize import_alignment; /* minImportedHostPointerAlignment */
    /* The memory types a guest memfd may be imported as (HOST_POINTER_TYPES),
     * asked of the driver once. */
    bool host_pointer_types_known;
    uint32_t host_pointer_types;
};

/* One VkInstance. */
struct vkw_host_instance {
    uint64_t id;
    uint32_t api_version;   /* the one the guest asked for (1.0 for none) */
};

struct vkw_host_memory_state {
    struct vkw_host_memory *slots; /* open addressing on id */
    size_t capacity, count;        /* capacity: 0 or a power of two */
    uint64_t bytes;                /* `size` of every record: the memory limit's count */
    struct vkw_host_device *devices;
    size_t device_count, device_capacity;
    struct vkw_host_instance *instances;
    size_t instance_count, instance_capacity;
};

/* Zeroes the state (an all-zero state is valid too). */
void vkw_host_memory_init(struct vkw_host_memory_state *m);
/* Drops every record, unmapping imported pages: for after the driver
 * destroyed the objects (teardown), or for a context whose driver objects
 * are someone else's (tests).  Leaves an empty, reusable state. */
void vkw_host_memory_release_all(struct vkw_host_memory_state *m);

/* The record of memory `id`, or NULL.  Valid until the next record is added
 * or removed. */
struct vkw_host_memory *vkw_host_memory_find(const struct vkw_host_memory_state *m, uint64_t id);
/* The record of device `id`, or NULL. */
struct vkw_host_device *vkw_host_device_find(const struct vkw_host_memory_state *m, uint64_t id);
/* The record of the device whose host handle is `device`, or NULL. */
struct vkw_host_device *vkw_host_device_of_handle(const struct vkw_host_memory_state *m,
                                                  VkDevice device);

/* vkw_host_forget's hook: `id` of `type` is gone (the driver destroyed it,
 * or its parent).  Drops a memory, device or instance record. */
void vkw_host_memory_forget(struct vkw_host_context *ctx, uint32_t type, uint64_t id);

/* vkCreateInstance's hook, after the driver made instance `id`. */
bool vkw_host_memory_note_instance(struct vkw_host_context *ctx, uint64_t id,
                                   const VkInstanceCreateInfo *ci);

/* Hand-written commands (gen/annotations.conf). */
/* Adds VK_EXT_external_memory_host to the enabled extensions when the
 * physical device has it (and API 1.1), and records the device. */
void vkw_host_vkCreateDevice(struct vkw_host_context *ctx, struct vkw_host_decoder *d,
                             struct vkw_args_vkCreateDevice *a);
/* Whether an fd import in the chain (VkImportMemoryFdInfoKHR) may reach
 * the driver: a regular file only sealed against shrinking and as long as
 * the allocation; no directory, pipe or socket. */
bool vkw_host_memory_import_fd_ok(const VkMemoryAllocateInfo *ai);
/* Records the memory; an fd import the check above refuses is
 * VK_ERROR_INVALID_EXTERNAL_HANDLE. */
void vkw_host_vkAllocateMemory(struct vkw_host_context *ctx, struct vkw_host_decoder *d,
                               struct vkw_args_vkAllocateMemory *a);
/* Maps the whole allocation unless the host holds its mapping already;
 * VK_ERROR_MEMORY_MAP_FAILED when the guest has it mapped. */
void vkw_host_vkMapMemory(struct vkw_host_context *ctx, struct vkw_host_decoder *d,
                          struct vkw_args_vkMapMemory *a);
/* Ends the guest's mapping; the host's stays until the memory is freed. */
void vkw_host_vkUnmapMemory(struct vkw_host_context *ctx, struct vkw_host_decoder *d,
                            struct vkw_args_vkUnmapMemory *a);

/* For the message handlers of vkw_host_track.c. */
/* The record of memory `id` and the host's address of its bytes [offset,
 * offset + count), mapping it if need be; NULL (and the context fails)
 * when the memory is not host-visible (UNSUPPORTED), the range is not
 * inside the allocation (BAD_RANGE) or the driver cannot map it
 * (UNSUPPORTED). */
struct vkw_host_memory *vkw_host_memory_reach(struct vkw_host_context *ctx,
                                              struct vkw_host_decoder *d, uint64_t id,
                                              uint64_t offset, uint64_t count, uint8_t **at);
/* Take fd number `index` of the batch (the caller closes it); -1 (and the
 * context fails with BAD_FD) when the batch has no such fd or a message
 * took it. */
int vkw_host_memory_take_fd(struct vkw_host_context *ctx, struct vkw_host_decoder *d,
                            uint32_t index);
/* The payload was used up exactly (TRAILING_BYTES otherwise). */
bool vkw_host_memory_decoded(struct vkw_host_decoder *d);
/* Map `size` bytes of `fd` shared and writable at an address aligned to
 * `alignment` (a power of two), every page mapped now (the device then
 * takes no page faults on the guest's pages); NULL when it cannot. */
void *vkw_host_memory_map_fd(int fd, size_t size, size_t alignment);

/* The command loop's entry for opcodes from VKW_PRIVATE_OPCODE_BASE up:
 * the handler of a memory message, or NULL (BAD_OPCODE). */
typedef void (*vkw_host_message_fn)(struct vkw_host_context *ctx, struct vkw_host_decoder *d,
                                    struct vkw_writer *reply);
vkw_host_message_fn vkw_host_private_handler(uint32_t opcode);
/* "WRITE_MEMORY" for VKW_MSG_WRITE_MEMORY, ...; NULL for other opcodes. */
const char *vkw_host_private_name(uint32_t opcode);

#endif /* VKW_HOST_MEMORY_H */
