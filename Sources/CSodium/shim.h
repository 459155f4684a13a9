// libsodium for CyberMesh: Ed25519 and SHA-256. Only Sources/Wire/Crypto uses it.
#ifndef CYBERMESH_CSODIUM_H
#define CYBERMESH_CSODIUM_H
#include <sodium.h>
#endif
