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
static inline int64_t cybermesh_rd_kafka_offset_invalid(void) { return RD_KAFKA_OFFSET_INVALID; }
static inline int32_t cybermesh_rd_kafka_partition_unassigned(void) { return RD_KAFKA_PARTITION_UA; }

/// `rd_kafka_producev` is variadic and its RD_KAFKA_V_* macros do not import
/// into Swift; this fixed-argument form produces one record with a copied
/// key and value, a headers list whose ownership passes to librdkafka on
/// success (the caller destroys it on failure), and a per-record opaque
/// handed back in the delivery report.
static inline rd_kafka_resp_err_t cybermesh_rd_kafka_produce(
    rd_kafka_t *rk, const char *topic, int32_t partition,
    const void *key, size_t key_len, const void *value, size_t value_len,
    rd_kafka_headers_t *headers, void *opaque) {
    return rd_kafka_producev(
        rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition),
        RD_KAFKA_V_KEY(key, key_len), RD_KAFKA_V_VALUE((void *)value, value_len),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_HEADERS(headers),
        RD_KAFKA_V_OPAQUE(opaque), RD_KAFKA_V_END);
}
#endif
