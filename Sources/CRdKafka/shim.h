// librdkafka for CyberMesh, including the mock cluster used as the embedded
// development and test broker. Only the Kafka wrapper uses it.
#ifndef CYBERMESH_CRDKAFKA_H
#define CYBERMESH_CRDKAFKA_H
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

/// RD_KAFKA_OFFSET_BEGINNING is a macro that imports as Int32; this gives the
/// 64-bit offset librdkafka's offset APIs take.
static inline int64_t cybermesh_rd_kafka_offset_beginning(void) { return RD_KAFKA_OFFSET_BEGINNING; }
static inline int64_t cybermesh_rd_kafka_offset_end(void) { return RD_KAFKA_OFFSET_END; }
static inline int64_t cybermesh_rd_kafka_offset_stored(void) { return RD_KAFKA_OFFSET_STORED; }
#endif
