// The mesh shader's per-primitive colour.
#version 460
#extension GL_EXT_mesh_shader : require

layout(location = 0) perprimitiveEXT in vec4 colour;
layout(location = 0) out vec4 result;

void main()
{
    result = colour;
}
