// The command the ECF logs to enable the fast path: copy-pasteable, for the vhost in use, and
// matching the one exchange only.
#include <gtest/gtest.h>

#include "broker/results_exchange.hpp"

namespace ecf::broker {
namespace {

TEST(ResultsPolicyCommand, IsTheDocumentedCommandOnTheDefaultVhost) {
    EXPECT_EQ(results_policy_command("/", kResultsExchange, kUnroutedResultsExchange),
              "rabbitmqctl set_policy --apply-to exchanges ecf-results '^results$' "
              "'{\"alternate-exchange\":\"results.unrouted\"}'");
}

TEST(ResultsPolicyCommand, NamesAnotherVhostAndMatchesADottedNameLiterally) {
    EXPECT_EQ(results_policy_command("edge", "my.results", "my.unrouted"),
              "rabbitmqctl set_policy -p 'edge' --apply-to exchanges ecf-results "
              "'^my\\.results$' '{\"alternate-exchange\":\"my.unrouted\"}'");
}

TEST(ResultsPolicyCommand, QuotesAVhostWithAQuoteForTheShell) {
    EXPECT_EQ(results_policy_command("it's", "results", "results.unrouted"),
              "rabbitmqctl set_policy -p 'it'\\''s' --apply-to exchanges ecf-results "
              "'^results$' '{\"alternate-exchange\":\"results.unrouted\"}'");
}

}  // namespace
}  // namespace ecf::broker
