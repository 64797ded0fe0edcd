#include "broker/amqp_properties.hpp"

namespace ecf::broker {
namespace {

void set(amqp_basic_properties_t& p, amqp_flags_t flag, amqp_bytes_t& field,
         const std::string& value) {
    if (value.empty()) return;
    p._flags |= flag;
    field = amqp_bytes_t{value.size(), const_cast<char*>(value.data())};
}

}  // namespace

amqp_basic_properties_t basic_properties_of(const AmqpProperties& properties) {
    amqp_basic_properties_t p{};  // no flag set
    set(p, AMQP_BASIC_CONTENT_TYPE_FLAG, p.content_type, properties.content_type);
    set(p, AMQP_BASIC_CORRELATION_ID_FLAG, p.correlation_id, properties.correlation_id);
    set(p, AMQP_BASIC_REPLY_TO_FLAG, p.reply_to, properties.reply_to);
    set(p, AMQP_BASIC_EXPIRATION_FLAG, p.expiration, properties.expiration);
    set(p, AMQP_BASIC_MESSAGE_ID_FLAG, p.message_id, properties.message_id);
    set(p, AMQP_BASIC_TYPE_FLAG, p.type, properties.type);
    return p;
}

}  // namespace ecf::broker
