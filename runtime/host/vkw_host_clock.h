/* vkw_host_clock — the host's clocks, for a guest that asks whether they
 * are its own (doc/PROTOCOL.md, "External objects": calibrated timestamps).
 *
 * Owns: CLOCK_PROBE, answered with the host's CLOCK_MONOTONIC and
 * CLOCK_MONOTONIC_RAW as they read when the message is handled.  The guest
 * reads its own before and after: a host clock between the two is the
 * guest's clock, and the host's time domains of that clock mean something
 * to it (VK_EXT_calibrated_timestamps). */
#ifndef VKW_HOST_CLOCK_H
#define VKW_HOST_CLOCK_H

struct vkw_host_context;
struct vkw_host_decoder;
struct vkw_writer;

/* CLOCK_PROBE: no payload.  Reply: u64 CLOCK_MONOTONIC, u64
 * CLOCK_MONOTONIC_RAW, in nanoseconds. */
void vkw_host_clock_probe(struct vkw_host_context *ctx, struct vkw_host_decoder *d,
                          struct vkw_writer *reply);

#endif /* VKW_HOST_CLOCK_H */
