// Writes a VkDispatchIndirectCommand on the device: the group count of the
// next dispatch is computed, not known to the command buffer.
#version 450

layout(local_size_x = 1) in;

layout(push_constant) uniform Params {
    uint elements;
    uint group_size;
} p;

layout(std430, set = 0, binding = 0) writeonly buffer Args { uint args[3]; };

void main()
{
    args[0] = (p.elements + p.group_size - 1u) / p.group_size;
    args[1] = 1u;
    args[2] = 1u;
}
