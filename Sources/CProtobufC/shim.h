// The protobuf-c runtime; the generated code lives in the CyberMeshProto target.
#ifndef CYBERMESH_CPROTOBUFC_H
#define CYBERMESH_CPROTOBUFC_H
#include <protobuf-c/protobuf-c.h>
#endif
