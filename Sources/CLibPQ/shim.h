// libpq for CyberMesh (CockroachDB / PostgreSQL over pgwire). Only the
// persister's database wrapper uses it. libpq-fe.h lives in
// /usr/include/postgresql, found through the target's pkg-config name.
#ifndef CYBERMESH_CLIBPQ_H
#define CYBERMESH_CLIBPQ_H
#include <libpq-fe.h>
#endif
