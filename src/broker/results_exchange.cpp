#include "broker/results_exchange.hpp"

namespace ecf::broker {

namespace {
constexpr std::uint16_t kPreconditionFailed = 406;  // AMQP reply code PRECONDITION_FAILED

// Exchange names are short strings of letters, digits, '-', '_', '.' and ':' in practice; a
// policy pattern must match the name only, so the regex metacharacter '.' is escaped.
std::string anchored_pattern(const std::string& name) {
    std::string pattern = "^";
    for (char c : name) {
        if (c == '.') pattern += '\\';
        pattern += c;
    }
    return pattern + "$";
}

// One shell word: single-quoted, with each ' written as '\''.
std::string shell_quoted(const std::string& text) {
    std::string quoted = "'";
    for (char c : text) {
        if (c == '\'') {
            quoted += "'\\''";
        } else {
            quoted += c;
        }
    }
    return quoted + "'";
}
}  // namespace

void declare_results_exchange(AmqpConnection& connection, std::uint16_t channel,
                              const std::string& results, const std::string& unrouted) {
    connection.declare_exchange(channel, unrouted, "fanout");
    try {
        connection.declare_exchange(channel, results, "direct");
        return;
    } catch (const AmqpChannelError& e) {
        if (e.reply_code() != kPreconditionFailed) throw;
    }
    connection.open_channel(channel);
    AmqpExchangeOptions passive;
    passive.passive = true;
    connection.declare_exchange(channel, results, "direct", passive);
}

std::string results_policy_command(const std::string& vhost, const std::string& results,
                                   const std::string& unrouted) {
    std::string command = "rabbitmqctl set_policy";
    if (vhost != "/") command += " -p " + shell_quoted(vhost);
    command += " --apply-to exchanges " + std::string(kResultsPolicyName) + " " +
               shell_quoted(anchored_pattern(results)) + " " +
               shell_quoted("{\"alternate-exchange\":\"" + unrouted + "\"}");
    return command;
}

}  // namespace ecf::broker
