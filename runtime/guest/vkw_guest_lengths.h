/* vkw_guest_lengths — lengths the guest learns from its device.
 *
 * Owns: the function generated guest code calls for a blob whose byte
 * count is a property of the device the command goes to (gen/
 * annotations.conf `length`, runtime/common/vkw_device_length.h).  The
 * ICD answers it from the properties it asked of the device's physical
 * device when the device was made (runtime/guest/vkw_icd.c); tests that
 * link the generated encoders supply their own.
 */
#ifndef VKW_GUEST_LENGTHS_H
#define VKW_GUEST_LENGTHS_H

#include <stdint.h>

/* The byte count of length `what` (enum vkw_device_length) for command
 * `opcode` on `device` (a VkDevice of the ICD; NULL: none known).  0 when
 * the device does not know it (its application did not enable the
 * extension that defines it): nothing of the application's is read. */
uint64_t vkw_guest_device_length(const void *device, uint32_t opcode, uint32_t what);

#endif /* VKW_GUEST_LENGTHS_H */
