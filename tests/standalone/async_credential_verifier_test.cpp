#include "standalone/async_credential_verifier.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <thread>

#include "core/error.hpp"
#include "temporary_folder.hpp"

namespace ecf::standalone {
namespace {

std::optional<User> run(boost::asio::io_context& io, AsyncCredentialVerifier& verifier,
                        Credentials credentials, std::string peer = {}) {
    io.restart();
    auto guard = boost::asio::make_work_guard(io);
    auto result = boost::asio::co_spawn(
        io, verifier.verify(std::move(credentials), std::move(peer)), boost::asio::use_future);
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

ErrorKind error_of(boost::asio::io_context& io, AsyncCredentialVerifier& verifier,
                   Credentials credentials, std::string peer,
                   std::optional<std::chrono::seconds>* retry_after = nullptr) {
    try {
        run(io, verifier, std::move(credentials), std::move(peer));
    } catch (const Error& e) {
        if (retry_after) *retry_after = e.retry_after();
        return e.kind();
    }
    ADD_FAILURE() << "expected an error";
    return ErrorKind::Internal;
}

AsyncCredentialVerifier::Limits tight_limits() {
    AsyncCredentialVerifier::Limits limits;
    limits.per_address = {3, std::chrono::seconds(60), 100};
    limits.per_user = {5, std::chrono::seconds(60), 100};
    return limits;
}

TEST_F(AsyncCredentialVerifierTest, AnUnknownNameCostsOneArgon2CheckLikeAWrongPassword) {
    AsyncCredentialVerifier verifier(checks_, 1, 4);
    const auto before = checks_->full_checks();
    EXPECT_FALSE(run(io_, verifier, {"alice", "wrong"}));
    EXPECT_EQ(checks_->full_checks(), before + 1);
    EXPECT_EQ(checks_->dummy_checks(), 0u);
    EXPECT_FALSE(run(io_, verifier, {"nobody", "wrong"}));
    EXPECT_EQ(checks_->full_checks(), before + 2);
    EXPECT_EQ(checks_->dummy_checks(), 1u);  // the dummy hash was checked, not skipped
}

TEST_F(AsyncCredentialVerifierTest, FailedChecksFromOneAddressAreLimitedWithRetryAfter) {
    AsyncCredentialVerifier verifier(checks_, 1, 64, tight_limits());
    for (int i = 0; i < 3; ++i) EXPECT_FALSE(run(io_, verifier, {"bob", "wrong"}, "10.0.0.1"));
    const auto hashes = checks_->full_checks();
    std::optional<std::chrono::seconds> retry_after;
    EXPECT_EQ(error_of(io_, verifier, {"carol", "wrong"}, "10.0.0.1", &retry_after),
              ErrorKind::TooManyRequests);
    ASSERT_TRUE(retry_after);
    EXPECT_GE(retry_after->count(), 1);
    EXPECT_EQ(checks_->full_checks(), hashes);  // refused before any hash
    // Another address is not held back, and a right password gives its tokens back.
    EXPECT_TRUE(run(io_, verifier, {"alice", "secret"}, "10.0.0.2"));
    // Once remembered, the right password passes even from the limited address.
    EXPECT_TRUE(run(io_, verifier, {"alice", "secret"}, "10.0.0.1"));
}

TEST_F(AsyncCredentialVerifierTest, FailedChecksForOneUserAreLimitedAcrossAddresses) {
    AsyncCredentialVerifier verifier(checks_, 1, 64, tight_limits());
    for (int i = 0; i < 5; ++i) {
        EXPECT_FALSE(run(io_, verifier, {"nobody", "wrong"}, "10.0.1." + std::to_string(i)));
    }
    EXPECT_EQ(error_of(io_, verifier, {"nobody", "wrong"}, "10.0.2.1"), ErrorKind::TooManyRequests);
    EXPECT_TRUE(run(io_, verifier, {"alice", "secret"}, "10.0.2.1"));
}

TEST_F(AsyncCredentialVerifierTest, RightPasswordsNeverUseUpTheLimits) {
    AsyncCredentialVerifier::Limits limits;
    limits.per_address = {1, std::chrono::seconds(60), 100};
    limits.per_user = {1, std::chrono::seconds(60), 100};
    // No remembering: every check is a full one.
    auto checks = std::make_shared<CredentialVerifier>(users_, std::chrono::seconds(0), 0);
    AsyncCredentialVerifier verifier(checks, 1, 64, limits);
    for (int i = 0; i < 3; ++i) EXPECT_TRUE(run(io_, verifier, {"alice", "secret"}, "10.0.0.1"));
    EXPECT_EQ(checks->full_checks(), 3u);
}

TEST(AsyncCredentialVerifierThreads, UsesMoreThanOneHashingThreadWhereCoresAllow) {
    const auto cores = std::max(1u, std::thread::hardware_concurrency());
    EXPECT_EQ(AsyncCredentialVerifier::default_threads(), std::min<std::size_t>(cores, 4));
}

}  // namespace
}  // namespace ecf::standalone
