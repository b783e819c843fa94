// The mesh's vertex stage: clip position from the model-view-projection
// matrix, and the normal turned into world space for the lighting.  The
// model matrix is a pure rotation, so it also transforms normals.
#version 450

layout(push_constant) uniform Transform {
    mat4 mvp;
    mat4 model;
} t;

layout(location = 0) in vec3 position;
layout(location = 1) in vec3 normal;

layout(location = 0) out vec3 world_normal;

void main()
{
    gl_Position = t.mvp * vec4(position, 1.0);
    world_normal = mat3(t.model) * normal;
}
