/* vkw_host_forms — the host's half of the hand-written wire forms of shader
 * and pipeline parameters (encode-with in gen/annotations.conf,
 * doc/PROTOCOL.md section 23), and the two host commands built on them.
 *
 * Owns: decoding those parameters into driver structs held in the decode
 * arena, writing their reply parts, and
 *   vkCreatePipelineBinariesKHR   the new binaries' ids are checked before,
 *       and bound (as children of the device) after the driver made them;
 *   vkConvertCooperativeVectorMatrixNV   before the driver reads the
 *       guest's source bytes, the host asks the driver how many bytes a
 *       matrix in the source layout takes: a source shorter than that
 *       would make the driver read past the host's copy (BAD_COUNT).
 * The prototypes are generated (generated/vkw_host_decode.h).
 */
#ifndef VKW_HOST_FORMS_H
#define VKW_HOST_FORMS_H

#include "vkw_host_decode.h"

#endif /* VKW_HOST_FORMS_H */
