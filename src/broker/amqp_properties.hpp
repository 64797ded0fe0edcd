#pragma once

#include <amqp.h>

#include "broker/amqp_connection.hpp"

namespace ecf::broker {

// rabbitmq-c's view of `properties`: it points into their strings, which must outlive it. Empty
// strings are left out (their flag unset).
amqp_basic_properties_t basic_properties_of(const AmqpProperties& properties);

}  // namespace ecf::broker
