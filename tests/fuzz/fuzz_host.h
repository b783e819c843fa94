/* fuzz_host.h — one guest's stream through the host renderer, with checks.
 *
 * Owns: the stream format the fuzzer, its corpus and the recorder share,
 * and the run of one stream: a renderer context (on the fake driver of
 * tests/fake_driver.h, or on the system's Vulkan driver with
 * VKW_FUZZ_DRIVER=lavapipe) fed every message, then destroyed; and the
 * oracles that turn a silent host bug into a failure:
 *
 *   - the answers are well-formed reply sequences; an ended context's last
 *     reply is an error reply, and it answers a further message with the
 *     same bytes;
 *   - every file descriptor handed over is closed when process_fds returns;
 *   - (fake driver) no handle the driver never made, or already destroyed,
 *     or of the wrong type reaches it; no device or instance is destroyed
 *     before its children; nothing is alive once the context is destroyed;
 *     no guest pages stay mapped.
 *
 * Stream format (a ".vkws" file): records, back to back, until the data
 * ends:
 *
 *     u32 size (little-endian)   bytes of the message
 *     u32 nfds                   file descriptors that came with it
 *     size bytes                 the transport message (a HELLO or a batch)
 *
 * A record cut short takes what is there.  The runner makes `nfds` (at most
 * 4) sealed 64 KiB memfds for a record, standing in for the guest's.  When
 * the first record is not a HELLO, the runner shakes hands itself first, so
 * mutated streams still reach the command loop.
 */
#ifndef VKW_FUZZ_HOST_H
#define VKW_FUZZ_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VKW_FUZZ_MAX_FDS 4u
#define VKW_FUZZ_MEMFD_BYTES 65536u

/* Once per process.  `abort_on_problem`: stop at the first broken contract
 * (libFuzzer wants a crash); otherwise vkw_fuzz_run reports it. */
void vkw_fuzz_init(bool abort_on_problem);
void vkw_fuzz_fini(void);

/* Run one stream.  True when every check held; otherwise `why` says which
 * did not. */
bool vkw_fuzz_run(const uint8_t *data, size_t size, char *why, size_t why_size);

#endif /* VKW_FUZZ_HOST_H */
