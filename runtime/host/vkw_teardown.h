/* vkw_teardown — destroying what a guest left behind.
 *
 * Owns (runtime/host/vkw_teardown.c): vkw_host_context_destroy_objects
 * (declared in vkw_host_context.h: everything, when a context ends) and the
 * hand-written vkDestroyDevice and vkDestroyInstance (gen/annotations.conf),
 * which destroy what the guest still holds under the device or instance
 * before the driver destroys it.
 *
 * Why the destroys are the host's: Vulkan forbids destroying a device or an
 * instance while objects made from it are alive, and a driver may free
 * them with it, leak them, or crash on them later.  A guest may do it
 * anyway (by mistake or on purpose); the host then destroys the children
 * first, in the teardown's order, so no driver object outlives its parent
 * and nothing the guest made is left behind.  A well-behaved guest has
 * destroyed them already and costs only a scan of its table.
 */
#ifndef VKW_TEARDOWN_H
#define VKW_TEARDOWN_H

struct vkw_host_context;
struct vkw_host_decoder;
struct vkw_args_vkDestroyDevice;
struct vkw_args_vkDestroyInstance;

void vkw_host_vkDestroyDevice(struct vkw_host_context *ctx, struct vkw_host_decoder *d,
                              struct vkw_args_vkDestroyDevice *a);
void vkw_host_vkDestroyInstance(struct vkw_host_context *ctx, struct vkw_host_decoder *d,
                                struct vkw_args_vkDestroyInstance *a);

#endif /* VKW_TEARDOWN_H */
