// BrokerAdmission: what callers may hand the broker thread, as the broker thread last told it.
#include "broker/broker_admission.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <string_view>

namespace ecf::broker {
namespace {

using namespace std::chrono_literals;

TEST(BrokerAdmission, NothingIsAdmittedBeforeTheConnection) {
    BrokerAdmission admission;
    EXPECT_EQ(admission.admit_execution(10), "the message broker is unreachable");
    EXPECT_EQ(admission.refuse_message(false), "the message broker is unreachable");
    admission.set_connected(true);
    EXPECT_EQ(admission.admit_execution(10), std::nullopt);
    EXPECT_EQ(admission.refuse_message(true), std::nullopt);
}

TEST(BrokerAdmission, ExecutionsHandedOverAreBoundedUntilTaken) {
    BrokerAdmission admission;
    admission.set_connected(true);
    EXPECT_EQ(admission.admit_execution(2), std::nullopt);
    EXPECT_EQ(admission.admit_execution(2), std::nullopt);
    EXPECT_EQ(admission.admit_execution(2), "too many waiting executions");
    admission.execution_taken();
    EXPECT_EQ(admission.admit_execution(2), std::nullopt);
}

TEST(BrokerAdmission, AResourceAlarmRefusesExecutionsAndQuestionsNotAnswers) {
    BrokerAdmission admission;
    admission.set_connected(true);
    admission.set_blocked(true);
    EXPECT_EQ(admission.admit_execution(10),
              "the message broker refuses publications (resource alarm)");
    EXPECT_EQ(admission.refuse_message(/*question=*/true),
              "the message broker refuses publications (resource alarm)");
    EXPECT_EQ(admission.refuse_message(/*question=*/false), std::nullopt);
    admission.set_blocked(false);
    EXPECT_EQ(admission.admit_execution(10), std::nullopt);
}

TEST(BrokerAdmission, StoppingRefusesEverythingFirst) {
    BrokerAdmission admission;
    admission.set_connected(true);
    admission.stop();
    EXPECT_TRUE(admission.stopping());
    EXPECT_EQ(admission.admit_execution(10), "the service is shutting down");
    EXPECT_EQ(admission.refuse_message(false), "the service is shutting down");
}

TEST(BrokerAdmission, TheFirstAttemptIsWaitedForWithinItsLimit) {
    BrokerAdmission admission;
    // Nobody finishes it: the wait ends at its limit, not connected.
    EXPECT_FALSE(admission.wait_for_first_attempt(10ms));
    auto waiter = std::async(std::launch::async,
                             [&admission] { return admission.wait_for_first_attempt(30s); });
    admission.set_connected(true);
    admission.first_attempt_finished();
    EXPECT_TRUE(waiter.get());
}

}  // namespace
}  // namespace ecf::broker
