#include "broker/results_exchange.hpp"

namespace ecf::broker {

namespace {
constexpr std::uint16_t kPreconditionFailed = 406;  // AMQP reply code PRECONDITION_FAILED
}

ResultsRouting declare_results_exchange(AmqpConnection& connection, std::uint16_t channel,
                                        const std::string& results, const std::string& unrouted) {
    connection.declare_exchange(channel, unrouted, "fanout");
    AmqpExchangeOptions with_alternate;
    with_alternate.alternate_exchange = unrouted;
    try {
        connection.declare_exchange(channel, results, "direct", with_alternate);
        return ResultsRouting::AlternateExchange;
    } catch (const AmqpChannelError& e) {
        if (e.reply_code() != kPreconditionFailed) throw;
    }
    connection.open_channel(channel);
    AmqpExchangeOptions passive;
    passive.passive = true;
    connection.declare_exchange(channel, results, "direct", passive);
    return ResultsRouting::PerRequestBindings;
}

}  // namespace ecf::broker
