/* vkw_guest_accel — the guest's half of the host acceleration-structure
 * commands' wire forms (doc/PROTOCOL.md 22.3 to 22.5).
 *
 * Owns: the encode-with encoders gen/annotations.conf names for
 * vkBuildAccelerationStructuresKHR.pInfos,
 * vkCopyAccelerationStructureToMemoryKHR.pInfo and
 * vkCopyMemoryToAccelerationStructureKHR.pInfo, and the reply reader of
 * the second, which writes the serialized bytes at the application's host
 * address (their prototypes are in generated/vkw_guest_encode.h).  Each sends the structs with every host
 * address as 0, then the bytes those addresses stand for (vkw_accel.h says
 * which), so no guest pointer reaches the host.  A size that cannot be
 * computed (an application error: an unknown vertex format, sizes past what
 * a message carries) fails the writer: nothing is sent.
 *
 * Lives in the guest's wire library (no ICD state), so the round-trip tests
 * link it.
 */
#ifndef VKW_GUEST_ACCEL_H
#define VKW_GUEST_ACCEL_H

#include "vkw_guest_encode.h"

#endif /* VKW_GUEST_ACCEL_H */
