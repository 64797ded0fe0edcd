#pragma once

#include <cstdint>
#include <string>

#include "broker/amqp_connection.hpp"

namespace ecf::broker {

// Contract §4's exchange, where Serverless Runtimes publish results under the request id.
inline constexpr const char* kResultsExchange = "results";
// Our own fanout exchange; a RabbitMQ policy may make it the alternate exchange of `results`.
inline constexpr const char* kUnroutedResultsExchange = "results.unrouted";
// The name of that policy in the command we print.
inline constexpr const char* kResultsPolicyName = "ecf-results";

// How results reach the ECF, found out by a probe (a message to `results` under a fresh routing
// key) at start-up and after each reconnection.
enum class ResultsRouting {
    // Unrouted results reach our fanout: a policy gives `results` our alternate exchange, so
    // every result, which matches no binding in `results`, falls through to the fanout our own
    // queue is bound to. No broker operation per request.
    AlternateExchange,
    // They do not: each request id is bound to our queue before its request is published.
    PerRequestBindings,
};

// Declares `unrouted` (fanout) and `results` (direct) exactly as contract §4 says: default
// properties and no arguments, so that the original ECF, the SRs and any tool can declare it
// too. The ECF and the ecf-runtime worker both declare it through this one function. A `results`
// that exists with other properties (an older ECF gave it an `alternate-exchange` argument) is
// accepted as it is (passive declaration); the channel is then open again (the refused
// declaration closed it).
void declare_results_exchange(AmqpConnection& connection, std::uint16_t channel,
                              const std::string& results, const std::string& unrouted);

// The rabbitmqctl command that gives `results` the alternate exchange `unrouted` on `vhost`
// (the fast path), for logs and documentation.
std::string results_policy_command(const std::string& vhost, const std::string& results,
                                   const std::string& unrouted);

}  // namespace ecf::broker
