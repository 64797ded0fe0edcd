#include "standalone/async_credential_verifier.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include "core/error.hpp"
#include "temporary_folder.hpp"

namespace ecf::standalone {
namespace {

std::optional<User> run(boost::asio::io_context& io, AsyncCredentialVerifier& verifier,
                        Credentials credentials) {
    io.restart();
    auto guard = boost::asio::make_work_guard(io);
    auto result =
        boost::asio::co_spawn(io, verifier.verify(std::move(credentials)), boost::asio::use_future);
    for (int i = 0;
         i < 1000 && result.wait_for(std::chrono::seconds(0)) != std::future_status::ready; ++i) {
        io.run_for(std::chrono::milliseconds(10));
    }
    guard.reset();
    if (result.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
        throw std::runtime_error("verify did not finish within 10 s");
    }
    return result.get();
}

class AsyncCredentialVerifierTest : public ::testing::Test {
  protected:
    AsyncCredentialVerifierTest()
        : users_(std::make_shared<UserDirectory>(folder_.path() / "users")),
          checks_(std::make_shared<CredentialVerifier>(users_, std::chrono::seconds(60), 8)) {
        users_->add("alice", "secret");
    }
    // First, so it outlives every verifier and its pool.
    boost::asio::io_context io_;
    testing::TemporaryFolder folder_;
    std::shared_ptr<UserDirectory> users_;
    std::shared_ptr<CredentialVerifier> checks_;
};

TEST_F(AsyncCredentialVerifierTest, ChecksOnItsPoolAndResumesWithTheAnswer) {
    AsyncCredentialVerifier verifier(checks_, 1, 4);
    EXPECT_TRUE(run(io_, verifier, {"alice", "secret"}));
    EXPECT_FALSE(run(io_, verifier, {"alice", "wrong"}));
    EXPECT_FALSE(run(io_, verifier, {"nobody", "secret"}));
}

TEST_F(AsyncCredentialVerifierTest, RefusesBeyondItsBoundButStillAnswersRememberedChecks) {
    AsyncCredentialVerifier unbounded(checks_, 1, 4);
    ASSERT_TRUE(run(io_, unbounded, {"alice", "secret"}));  // now remembered
    AsyncCredentialVerifier full(checks_, 1, 0);            // no room for a full check
    EXPECT_TRUE(run(io_, full, {"alice", "secret"}));
    try {
        run(io_, full, {"alice", "wrong"});
        ADD_FAILURE() << "expected Unavailable";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::Unavailable);
    }
}

}  // namespace
}  // namespace ecf::standalone
