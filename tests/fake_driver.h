/* fake_driver.h — a Vulkan driver that only keeps books, for host tests and
 * the fuzzer (tests/fuzz/).
 *
 * Owns: a registry of every object it hands out (type, parent, alive), the
 * entry points that create, use and destroy them (about 160 commands, found
 * through vkw_fake_get_instance_proc_addr as a loader would), and the
 * contract checks that make it an oracle for the host:
 *
 *   - every handle the host passes must name a live object of the right type
 *     (a destroyed or invented handle reaching the driver is a host bug:
 *     the host let a guest id through that it should have refused);
 *   - a device or instance may only be destroyed once its children are
 *     (the host destroys what a guest left, children first);
 *   - after a context is destroyed nothing may be alive
 *     (vkw_fake_live_objects() == 0).
 *
 * Its host acceleration-structure commands read, through the host
 * pointers they are given, every byte the spec says a build, copy or
 * deserialization reads, follow every instance reference, and write the
 * scratch and serialized sizes they announced: under ASan a host copy too
 * short is a crash.
 *
 * The first violation is recorded (vkw_fake_problem) and, when
 * vkw_fake_abort_on_problem is set (the fuzzer), aborts on the spot so the
 * stack shows the host code that broke the contract.
 *
 * Work completes at once: a submission's fence signals when submitted,
 * unless vkw_fake_hold_work(true), which leaves fences of submissions
 * unsignalled until vkw_fake_complete_work() or a wait-idle.  Memory is
 * real (calloc'ed at map time; imported host pointers are used as given).
 * External fds are real descriptors (see vkw_fake_fds_taken).
 * Commands it does not implement are NULL: the host answers UNSUPPORTED.
 *
 * Thread-safe: one call at a time, whatever thread makes it (the host
 * makes calls that may block on threads of its own, PROTOCOL section 29);
 * its calls never block.
 */
#ifndef VKW_FAKE_DRIVER_H
#define VKW_FAKE_DRIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <vulkan/vulkan.h>

/* The loader's entry point, for struct vkw_renderer_options or
 * vkw_driver_table_load. */
PFN_vkVoidFunction VKAPI_CALL vkw_fake_get_instance_proc_addr(VkInstance instance,
                                                             const char *name);

/* Objects alive now (all types), and of one type. */
size_t vkw_fake_live_objects(void);
size_t vkw_fake_live_of_type(VkObjectType type);
/* Whether every destroyed object of type `first` was destroyed before every
 * destroyed object of type `then` (the order of a teardown). */
bool vkw_fake_died_before(VkObjectType first, VkObjectType then);
/* Objects made since the last reset (a measure of how far a stream got). */
size_t vkw_fake_objects_made(void);
/* Bytes of device memory alive now (allocationSize summed). */
VkDeviceSize vkw_fake_live_memory_bytes(void);
/* Queue submissions whose fence has not signalled (vkw_fake_hold_work). */
size_t vkw_fake_pending_work(void);

/* The first contract violation since the last reset, or "". */
const char *vkw_fake_problem(void);
void vkw_fake_abort_on_problem(bool abort_on_problem);

/* Leave submissions unfinished until vkw_fake_complete_work. */
void vkw_fake_hold_work(bool hold);
void vkw_fake_complete_work(void);

/* From now on every creation of a `type` object (those made one at a time
 * through vkCreate*) returns `result` and makes nothing; VK_SUCCESS ends
 * that.  For the asynchronous-creation tests. */
void vkw_fake_fail_creation(VkObjectType type, VkResult result);

/* External fds (VK_KHR_external_*_fd): how many imports took an fd
 * (closed at once: the driver owns it; an fd that is not open is a
 * problem, a pipe is refused with VK_ERROR_INVALID_EXTERNAL_HANDLE and
 * left to the caller), and how many fds exports made (sealed memfds for
 * memory, eventfds for fences and semaphores; a signalled fence's SYNC_FD
 * is -1).  Not reset by vkw_fake_reset. */
size_t vkw_fake_fds_taken(void);
size_t vkw_fake_fds_exported(void);

/* Forget every object (their memory freed), the recorded problem and any
 * failing creation. */
void vkw_fake_reset(void);

#endif /* VKW_FAKE_DRIVER_H */
