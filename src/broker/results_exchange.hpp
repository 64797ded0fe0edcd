#pragma once

#include <cstdint>
#include <string>

#include "broker/amqp_connection.hpp"

namespace ecf::broker {

// Contract §4's exchange, where Serverless Runtimes publish results under the request id.
inline constexpr const char* kResultsExchange = "results";
// Our own fanout exchange behind it (see ResultsRouting::AlternateExchange).
inline constexpr const char* kUnroutedResultsExchange = "results.unrouted";

// How results reach the ECF, decided by how `results` was declared first on this vhost.
enum class ResultsRouting {
    // `results` carries our alternate exchange: every result, which matches no binding in
    // `results`, falls through to the fanout exchange the ECF's own queue is bound to. No broker
    // operation per request.
    AlternateExchange,
    // `results` pre-existed without it (declared by someone else, such as the original ECF):
    // each request id must be bound before its request is published.
    PerRequestBindings,
};

// Declares `results` (direct) with `alternate-exchange` = `unrouted`, and `unrouted` (fanout).
// The ECF and the ecf-runtime worker both declare it through this one function, so whichever of
// them comes first, the other finds the exchange exactly as it would have declared it (RabbitMQ
// refuses a second declaration whose alternate exchange differs). When `results` already exists
// without the argument, it is accepted as it is (passive declaration) and PerRequestBindings is
// returned; the channel is then open again (the refused declaration closed it).
ResultsRouting declare_results_exchange(AmqpConnection& connection, std::uint16_t channel,
                                        const std::string& results, const std::string& unrouted);

}  // namespace ecf::broker
