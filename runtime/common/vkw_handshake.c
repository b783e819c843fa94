/* vkw_handshake — see vkw_handshake.h. */
#include "vkw_handshake.h"
#include "vkw_detach.h"
#include "vkw_sync_page.h"

#include <stdio.h>
#include <string.h>

#include "vkw_protocol.h"

void vkw_hello_local(struct vkw_hello *h)
{
    h->major = VKW_PROTOCOL_MAJOR;
    h->minor = VKW_OPCODE_LIMIT - 1;
    h->vk_xml_version = VKW_VK_XML_VERSION;
    h->features = VKW_FEATURE_MAPPED_MEMORY | VKW_FEATURE_TRACKED_MEMORY | VKW_FEATURE_SYNC_STATUS |
                  VKW_FEATURE_CLOCK_PROBE | VKW_FEATURE_DETACH;
}

static void write_hello_fields(struct vkw_writer *w, const struct vkw_hello *h)
{
    vkw_write_u32(w, VKW_PROTOCOL_MAGIC);
    vkw_write_u32(w, h->major);
    vkw_write_u32(w, h->minor);
    vkw_write_u32(w, h->vk_xml_version);
    vkw_write_u64(w, h->features);
}

static bool read_hello_fields(struct vkw_reader *r, struct vkw_hello *h)
{
    const uint32_t magic = vkw_read_u32(r);
    h->major = vkw_read_u32(r);
    h->minor = vkw_read_u32(r);
    h->vk_xml_version = vkw_read_u32(r);
    h->features = vkw_read_u64(r);
    if (vkw_reader_ok(r) && magic != VKW_PROTOCOL_MAGIC)
        vkw_reader_fail(r, VKW_ERROR_BAD_OPCODE, magic); /* not a vkwire peer */
    return vkw_reader_ok(r);
}

void vkw_encode_hello(struct vkw_writer *w, const struct vkw_hello *h)
{
    size_t at = vkw_begin_command(w, VKW_MSG_HELLO, VKW_COMMAND_FLAG_REPLY, 0);
    write_hello_fields(w, h);
    vkw_end_message(w, at);
}

bool vkw_decode_hello(struct vkw_reader *r, struct vkw_hello *h)
{
    return read_hello_fields(r, h) && vkw_reader_remaining(r) == 0;
}

void vkw_handshake_answer(const struct vkw_hello *guest, const struct vkw_hello *host,
                          struct vkw_welcome *out)
{
    memset(out, 0, sizeof(*out));
    out->host = *host;
    out->accepted = guest->major == host->major;
    out->minor = guest->minor < host->minor ? guest->minor : host->minor;
    out->features = guest->features & host->features;
    if (!out->accepted)
        snprintf(out->message, sizeof(out->message),
                 "protocol mismatch: guest speaks vkwire %u.%u (vk.xml %u.%u.%u), host speaks "
                 "vkwire %u.%u (vk.xml %u.%u.%u); the major versions must match",
                 guest->major, guest->minor, VKW_XML_MAJOR(guest->vk_xml_version),
                 VKW_XML_MINOR(guest->vk_xml_version), VKW_XML_PATCH(guest->vk_xml_version),
                 host->major, host->minor, VKW_XML_MAJOR(host->vk_xml_version),
                 VKW_XML_MINOR(host->vk_xml_version), VKW_XML_PATCH(host->vk_xml_version));
}

void vkw_encode_welcome(struct vkw_writer *w, const struct vkw_welcome *wl)
{
    size_t at = vkw_begin_reply(w, VKW_MSG_HELLO, 0, VKW_OK);
    vkw_write_u32(w, wl->accepted ? 1 : 0);
    write_hello_fields(w, &wl->host);
    vkw_write_u32(w, wl->minor);
    vkw_write_u64(w, wl->features);
    vkw_write_string(w, wl->message);
    vkw_end_message(w, at);
}

bool vkw_decode_welcome(struct vkw_reader *r, struct vkw_welcome *wl)
{
    memset(wl, 0, sizeof(*wl));
    wl->accepted = vkw_read_u32(r) == 1;
    read_hello_fields(r, &wl->host);
    wl->minor = vkw_read_u32(r);
    wl->features = vkw_read_u64(r);
    vkw_read_string_fixed(r, wl->message, sizeof(wl->message));
    return vkw_reader_ok(r) && vkw_reader_remaining(r) == 0;
}

void vkw_encode_ring_attach(struct vkw_writer *w, uint32_t serial, uint32_t bytes)
{
    size_t at = vkw_begin_command(w, VKW_MSG_RING_ATTACH, VKW_COMMAND_FLAG_REPLY, serial);
    vkw_write_u32(w, bytes);
    vkw_write_u32(w, 0);
    vkw_end_message(w, at);
}

bool vkw_decode_ring_attach(const void *msg, size_t size, uint32_t *serial, uint32_t *bytes)
{
    struct vkw_reader r;
    struct vkw_command_header h;
    vkw_reader_init(&r, msg, size, NULL);
    if (size != VKW_HEADER_BYTES + 8 || !vkw_read_command_header(&r, &h) ||
        h.opcode != VKW_MSG_RING_ATTACH || h.flags != VKW_COMMAND_FLAG_REPLY || h.size != 8)
        return false;
    *serial = h.serial;
    *bytes = vkw_read_u32(&r);
    const uint32_t reserved = vkw_read_u32(&r);
    return vkw_reader_ok(&r) && reserved == 0;
}

void vkw_encode_ring_answer(struct vkw_writer *w, uint32_t serial, bool accepted)
{
    size_t at = vkw_begin_reply(w, VKW_MSG_RING_ATTACH, serial, VKW_OK);
    vkw_write_u32(w, accepted ? 1u : 0u);
    vkw_write_u32(w, 0);
    vkw_end_message(w, at);
}
