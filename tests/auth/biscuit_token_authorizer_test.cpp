#include "auth/biscuit_token_authorizer.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <biscuit/biscuit.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <filesystem>
#include <fstream>
#include <future>
#include <thread>

#include "core/error.hpp"
#include "documents/run_awaitable.hpp"

namespace ecf::auth {
namespace {

namespace asio = boost::asio;
using testing::run_awaitable;

// A key source whose key the test changes; counts reloads.
class SettableKeySource : public RootKeySource {
  public:
    explicit SettableKeySource(biscuit::PublicKey key) : key_(key), next_(key) {}

    asio::awaitable<void> load() override { co_return; }
    biscuit::PublicKey current() const override { return key_; }
    asio::awaitable<bool> reload() override {
        ++reloads;
        const bool changed = !(key_ == next_);
        key_ = next_;
        co_return changed;
    }

    RootKeyCounts counts() const override { return {static_cast<std::uint64_t>(reloads), 0}; }

    void rotate_on_reload(biscuit::PublicKey next) { next_ = next; }

    int reloads = 0;

  private:
    biscuit::PublicKey key_;
    biscuit::PublicKey next_;
};

constexpr const char* kAuthority =
    "user(\"alice\");\npassword(\"s3cret-pw\");\n"
    "check if time($time), $time < 2099-01-01T00:00:00Z;";

class BiscuitTokenAuthorizerTest : public ::testing::Test {
  protected:
    biscuit::KeyPair root_ = biscuit::KeyPair::generate();
    std::shared_ptr<SettableKeySource> keys_ =
        std::make_shared<SettableKeySource>(root_.public_key());
    // The time the authorizer sees; a test moves it.
    std::chrono::system_clock::time_point now_ = std::chrono::system_clock::now();
    BiscuitTokenAuthorizer authorizer_{keys_, {.clock = [this] { return now_; }}};
    asio::io_context io_;

    static std::chrono::system_clock::time_point at(std::int64_t unix_seconds) {
        return std::chrono::system_clock::time_point(std::chrono::seconds(unix_seconds));
    }

    std::string mint(const std::string& code) const {
        return biscuit::Biscuit::mint(root_, biscuit::BlockBuilder(code)).to_base64();
    }

    Credentials authorize(const std::string& token) {
        return run_awaitable(io_, authorizer_.authorize(token));
    }

    // The refusal's message; checks it is Unauthorized and quotes neither token nor password.
    std::string refusal(const std::string& token) {
        try {
            authorize(token);
        } catch (const Error& e) {
            EXPECT_EQ(e.kind(), ErrorKind::Unauthorized);
            const std::string message = e.what();
            EXPECT_EQ(message.find("s3cret-pw"), std::string::npos) << message;
            if (token.size() > 8) {
                EXPECT_EQ(message.find(token.substr(0, 8)), std::string::npos);
            }
            return message;
        }
        ADD_FAILURE() << "token was accepted";
        return {};
    }
};

TEST_F(BiscuitTokenAuthorizerTest, ValidTokenGivesTheAuthorityCredentials) {
    const auto credentials = authorize(mint(kAuthority));
    EXPECT_EQ(credentials.user, "alice");
    EXPECT_EQ(credentials.password, "s3cret-pw");
    EXPECT_EQ(keys_->reloads, 0);
}

TEST_F(BiscuitTokenAuthorizerTest, UnpaddedAndStandardAlphabetAreAccepted) {
    auto token = mint(kAuthority);
    while (!token.empty() && token.back() == '=') token.pop_back();
    EXPECT_EQ(authorize(token).user, "alice");
}

TEST_F(BiscuitTokenAuthorizerTest, ExpiredTokenIsRefused) {
    const auto message =
        refusal(mint("user(\"alice\");\npassword(\"s3cret-pw\");\n"
                     "check if time($time), $time < 2020-01-01T00:00:00Z;"));
    EXPECT_NE(message.find("expired"), std::string::npos) << message;
}

TEST_F(BiscuitTokenAuthorizerTest, EveryCheckOfEveryBlockMustPass) {
    const auto token = biscuit::Biscuit::mint(root_, biscuit::BlockBuilder(kAuthority))
                           .attenuate(biscuit::BlockBuilder("check if operation(\"read\");"))
                           .to_base64();
    refusal(token);
}

TEST_F(BiscuitTokenAuthorizerTest, LaterBlocksCannotChooseTheCredentials) {
    const auto token =
        biscuit::Biscuit::mint(root_, biscuit::BlockBuilder(kAuthority))
            .attenuate(biscuit::BlockBuilder("user(\"mallory\");\npassword(\"other\");"))
            .to_base64();
    const auto credentials = authorize(token);
    EXPECT_EQ(credentials.user, "alice");
    EXPECT_EQ(credentials.password, "s3cret-pw");

    // Without credentials in the authority block, a later block's do not count either.
    const auto only_later =
        biscuit::Biscuit::mint(root_, biscuit::BlockBuilder("right(\"x\");"))
            .attenuate(biscuit::BlockBuilder("user(\"mallory\");\npassword(\"other\");"))
            .to_base64();
    refusal(only_later);
}

TEST_F(BiscuitTokenAuthorizerTest, TokenWithoutCredentialsIsRefused) {
    refusal(mint("user(\"alice\");"));
    refusal(mint("user(1);\npassword(\"s3cret-pw\");"));
    refusal(mint("user(\"alice\");\nuser(\"bob\");\npassword(\"s3cret-pw\");"));
}

TEST_F(BiscuitTokenAuthorizerTest, MalformedTokensAreRefused) {
    EXPECT_NE(refusal("").find("alformed"), std::string::npos);
    EXPECT_NE(refusal("!!!not base64!!!").find("alformed"), std::string::npos);
    EXPECT_NE(refusal("aGVsbG8gd29ybGQ=").find("alformed"), std::string::npos);
    auto token = mint(kAuthority);
    refusal(token.substr(0, token.size() / 2));
    refusal(std::string(200'000, 'A'));
}

TEST_F(BiscuitTokenAuthorizerTest, ForeignKeyIsRefusedAfterOneReload) {
    const auto other = biscuit::KeyPair::generate();
    const auto token = biscuit::Biscuit::mint(other, biscuit::BlockBuilder(kAuthority)).to_base64();
    const auto message = refusal(token);
    EXPECT_NE(message.find("signature"), std::string::npos) << message;
    EXPECT_EQ(keys_->reloads, 1);
}

TEST_F(BiscuitTokenAuthorizerTest, RotatedKeyIsPickedUpByTheReload) {
    const auto next = biscuit::KeyPair::generate();
    keys_->rotate_on_reload(next.public_key());
    const auto token = biscuit::Biscuit::mint(next, biscuit::BlockBuilder(kAuthority)).to_base64();
    EXPECT_EQ(authorize(token).user, "alice");
    EXPECT_EQ(keys_->reloads, 1);
    EXPECT_EQ(authorize(token).user, "alice");
    EXPECT_EQ(keys_->reloads, 1);
}

TEST_F(BiscuitTokenAuthorizerTest, TokenThatCannotBeEvaluatedIsRefused) {
    // 20 facts and a rule over their cube: 8000 facts, past the run limits.
    std::string code = kAuthority;
    for (int i = 0; i < 20; ++i) code += "\na(" + std::to_string(i) + ");";
    code += "\np($x, $y, $z) <- a($x), a($y), a($z);";
    const auto message = refusal(mint(code));
    EXPECT_NE(message.find("fully evaluated"), std::string::npos) << message;
}

// The probe of issue 8: an attenuation of about 11 KB whose one check concatenates a 2000-byte
// string with itself 800 times (each step a longer string: about 640 MB built in all).
biscuit::Biscuit concatenation_probe(const biscuit::Biscuit& token) {
    const std::string literal = "\"" + std::string(2000, 'x') + "\"";
    std::string check = "check if " + literal;
    for (int i = 1; i < 800; ++i) check += " + " + literal;
    check += " != \"\";";
    return token.attenuate(biscuit::BlockBuilder(check));
}

TEST_F(BiscuitTokenAuthorizerTest, ExpressionBuildingHugeStringsIsRefused) {
    const auto token =
        concatenation_probe(biscuit::Biscuit::mint(root_, biscuit::BlockBuilder(kAuthority)));
    EXPECT_GT(token.to_bytes().size(), 10'000u);
    EXPECT_LT(token.to_bytes().size(), 14'000u);
    // Time enough for any machine: the refusal must come from the value limit, not the clock.
    BiscuitTokenAuthorizer patient(keys_, {.evaluation_time_limit = std::chrono::seconds(5)});
    try {
        run_awaitable(io_, patient.authorize(token.to_base64()));
        ADD_FAILURE() << "token was accepted";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::Unauthorized);
        EXPECT_NE(std::string(e.what()).find("ValueTooLarge"), std::string::npos) << e.what();
    }
    // With the service's own time limit it is refused as well, for whichever limit comes first.
    const auto message = refusal(token.to_base64());
    EXPECT_NE(message.find("evaluated"), std::string::npos) << message;
}

// ---- The verified-token cache ----

constexpr std::int64_t k2030 = 1893456000;  // 2030-01-01T00:00:00Z

TEST_F(BiscuitTokenAuthorizerTest, SameTokenIsVerifiedOnceAndAuthorizedEveryTime) {
    const auto token = mint(kAuthority);
    EXPECT_EQ(authorize(token).user, "alice");
    EXPECT_EQ(authorizer_.cache_counts().misses, 1u);
    EXPECT_EQ(authorizer_.cache_counts().hits, 0u);
    EXPECT_EQ(authorize(token).password, "s3cret-pw");
    EXPECT_EQ(authorize(token).user, "alice");
    const auto counts = authorizer_.cache_counts();
    EXPECT_EQ(counts.misses, 1u);
    EXPECT_EQ(counts.hits, 2u);
    EXPECT_EQ(counts.entries, 1u);
}

TEST_F(BiscuitTokenAuthorizerTest, ExpiredTokenIsRefusedOnACacheHit) {
    // A time bound the cache does not read as the token's lifetime: the entry stays, so only
    // the authorization run on the hit can refuse it.
    const auto token = mint(
        "user(\"alice\");\npassword(\"s3cret-pw\");\n"
        "check if time($time), 2030-01-01T00:00:00Z > $time;");
    now_ = at(k2030 - 60);
    EXPECT_EQ(authorize(token).user, "alice");
    now_ = at(k2030 + 60);
    const auto message = refusal(token);
    EXPECT_NE(message.find("expired"), std::string::npos) << message;
    EXPECT_EQ(authorizer_.cache_counts().hits, 1u);
    EXPECT_EQ(authorizer_.cache_counts().misses, 1u);
}

TEST_F(BiscuitTokenAuthorizerTest, CacheEntryEndsWithTheTokensLifetime) {
    const auto token =
        biscuit::Biscuit::mint(root_, biscuit::BlockBuilder(kAuthority))
            .attenuate(biscuit::BlockBuilder("check if time($t), $t < 2030-01-01T00:00:00Z;"))
            .to_base64();
    now_ = at(k2030 - 60);
    EXPECT_EQ(authorize(token).user, "alice");
    EXPECT_EQ(authorizer_.cache_counts().entries, 1u);
    now_ = at(k2030 + 60);
    const auto message = refusal(token);
    EXPECT_NE(message.find("expired"), std::string::npos) << message;
    const auto counts = authorizer_.cache_counts();
    EXPECT_EQ(counts.hits, 0u);
    EXPECT_EQ(counts.misses, 2u);
    EXPECT_EQ(counts.entries, 0u);  // dropped when found past its end, and not kept again
}

TEST_F(BiscuitTokenAuthorizerTest, KeyRotationEmptiesTheCache) {
    const auto old_token = mint(kAuthority);
    EXPECT_EQ(authorize(old_token).user, "alice");
    EXPECT_EQ(authorizer_.cache_counts().entries, 1u);

    const auto next = biscuit::KeyPair::generate();
    keys_->rotate_on_reload(next.public_key());
    const auto new_token =
        biscuit::Biscuit::mint(next, biscuit::BlockBuilder(kAuthority)).to_base64();
    EXPECT_EQ(authorize(new_token).user, "alice");
    EXPECT_EQ(authorizer_.cache_counts().entries, 1u);  // only the new key's token

    // The token of the old key is no longer served from the cache.
    const auto message = refusal(old_token);
    EXPECT_NE(message.find("signature"), std::string::npos) << message;
    EXPECT_EQ(authorizer_.cache_counts().hits, 0u);
}

TEST_F(BiscuitTokenAuthorizerTest, CacheIsBoundedByEntries) {
    BiscuitTokenAuthorizer small(keys_, {.cache_entries = 2});
    std::vector<std::string> tokens;
    for (int i = 0; i < 3; ++i) tokens.push_back(mint(kAuthority));
    for (const auto& token : tokens) run_awaitable(io_, small.authorize(token));
    EXPECT_EQ(small.cache_counts().entries, 2u);
    run_awaitable(io_, small.authorize(tokens[0]));  // the least recently used went first
    EXPECT_EQ(small.cache_counts().hits, 0u);
    run_awaitable(io_, small.authorize(tokens[2]));
    EXPECT_EQ(small.cache_counts().hits, 1u);

    BiscuitTokenAuthorizer uncached(keys_, {.cache_entries = 0});
    run_awaitable(io_, uncached.authorize(tokens[0]));
    run_awaitable(io_, uncached.authorize(tokens[0]));
    EXPECT_EQ(uncached.cache_counts().hits, 0u);
    EXPECT_EQ(uncached.cache_counts().entries, 0u);
}

TEST_F(BiscuitTokenAuthorizerTest, CacheServesSeveralThreadsAtOnce) {
    BiscuitTokenAuthorizer shared(keys_, {.cache_entries = 3});
    std::vector<std::string> tokens;
    for (int i = 0; i < 5; ++i) tokens.push_back(mint(kAuthority));
    constexpr int kThreads = 4, kRounds = 50;
    std::atomic<int> accepted{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&] {
            asio::io_context io;
            for (int r = 0; r < kRounds; ++r) {
                for (const auto& token : tokens) {
                    if (run_awaitable(io, shared.authorize(token)).user == "alice") ++accepted;
                }
            }
        });
    }
    for (auto& thread : threads) thread.join();
    EXPECT_EQ(accepted.load(), kThreads * kRounds * 5);
    const auto counts = shared.cache_counts();
    EXPECT_EQ(counts.hits + counts.misses, static_cast<std::uint64_t>(kThreads * kRounds * 5));
    EXPECT_LE(counts.entries, 3u);
}

TEST_F(BiscuitTokenAuthorizerTest, VerificationsWaitingBeyondTheBoundAre503) {
    BiscuitTokenAuthorizer bounded(keys_, {.max_pending_verifications = 0});
    try {
        run_awaitable(io_, bounded.authorize(mint(kAuthority)));
        ADD_FAILURE() << "token was accepted";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::Unavailable);
    }
}

TEST_F(BiscuitTokenAuthorizerTest, ManyNewTokensAtOnceAreAllVerified) {
    // Several callers miss the cache together: each verification runs on the pool and resumes
    // its caller on the caller's own executor.
    std::vector<std::string> tokens;
    for (int i = 0; i < 32; ++i) tokens.push_back(mint(kAuthority));
    std::vector<std::future<Credentials>> results;
    for (const auto& token : tokens) {
        results.push_back(asio::co_spawn(io_, authorizer_.authorize(token), asio::use_future));
    }
    io_.restart();
    io_.run_for(std::chrono::seconds(20));
    for (auto& result : results) {
        ASSERT_EQ(result.wait_for(std::chrono::seconds(0)), std::future_status::ready);
        EXPECT_EQ(result.get().user, "alice");
    }
    EXPECT_EQ(authorizer_.cache_counts().entries, 32u);
}

// ---- Capability facts ----

class CapabilityFactsTest : public BiscuitTokenAuthorizerTest {
  protected:
    static RequestFacts execution(std::int64_t function = 39) {
        return {.operation = "execute",
                .function_id = function,
                .app_requirement_id = 7,
                .flavour = "Energy",
                .mode = "sync"};
    }

    std::string narrowed(const std::string& check) const {
        return biscuit::Biscuit::mint(root_, biscuit::BlockBuilder(kAuthority))
            .attenuate(biscuit::BlockBuilder(check))
            .to_base64();
    }

    bool allowed(const std::string& token, const RequestFacts& request) {
        try {
            const auto authorization =
                run_awaitable(io_, authorizer_.authorize_request(token, request));
            return authorization.credentials.user == "alice" && !authorization.flavour_pending;
        } catch (const Error& e) {
            EXPECT_EQ(e.kind(), ErrorKind::Unauthorized);
            return false;
        }
    }
};

TEST_F(CapabilityFactsTest, TokenWithoutAttenuationWorksForAnyRequest) {
    const auto token = mint(kAuthority);
    EXPECT_TRUE(allowed(token, execution()));
    EXPECT_TRUE(allowed(token, {}));
    EXPECT_TRUE(allowed(token, {.operation = "device_metrics"}));
}

TEST_F(CapabilityFactsTest, FunctionNarrowsToOneFunction) {
    const auto token = narrowed("check if function(39);");
    EXPECT_TRUE(allowed(token, execution(39)));
    EXPECT_FALSE(allowed(token, execution(40)));
    EXPECT_FALSE(allowed(token, {}));  // a request that states no function
}

TEST_F(CapabilityFactsTest, OperationNarrowsToExecutions) {
    const auto token = narrowed("check if operation(\"execute\");");
    EXPECT_TRUE(allowed(token, execution()));
    EXPECT_FALSE(allowed(token, {.operation = "device_metrics"}));
}

TEST_F(CapabilityFactsTest, AppRequirementNarrowsToOneRequirement) {
    const auto token = narrowed("check if app_requirement($r), [7, 8].contains($r);");
    EXPECT_TRUE(allowed(token, execution()));
    auto other = execution();
    other.app_requirement_id = 9;
    EXPECT_FALSE(allowed(token, other));
}

TEST_F(CapabilityFactsTest, FlavourNarrowsToSomeFlavours) {
    const auto token = narrowed("check if flavour($f), [\"Energy\", \"GPU\"].contains($f);");
    EXPECT_TRUE(allowed(token, execution()));
    auto other = execution();
    other.flavour = "Nature";
    EXPECT_FALSE(allowed(token, other));
}

TEST_F(CapabilityFactsTest, ModeNarrowsToSync) {
    const auto token = narrowed("check if mode(\"sync\");");
    EXPECT_TRUE(allowed(token, execution()));
    auto other = execution();
    other.mode = "async";
    EXPECT_FALSE(allowed(token, other));
}

TEST_F(CapabilityFactsTest, TimeShortensTheLife) {
    const auto token = narrowed("check if time($t), $t < 2030-01-01T00:00:00Z;");
    now_ = at(k2030 - 60);
    EXPECT_TRUE(allowed(token, execution()));
    now_ = at(k2030 + 60);
    EXPECT_FALSE(allowed(token, execution()));
}

TEST_F(CapabilityFactsTest, RequestValuesAreNeverReadAsDatalog) {
    const auto token = narrowed("check if flavour(\"Energy\");");
    auto sneaky = execution();
    sneaky.flavour = "x\");\nflavour(\"Energy";
    EXPECT_FALSE(allowed(token, sneaky));
}

// ---- Flavour checks of executions (two phases) ----

class FlavourPhasesTest : public CapabilityFactsTest {
  protected:
    // An execution's first authorization: the flavour is not known yet.
    static RequestFacts before_flavour(std::int64_t function = 39) {
        auto facts = execution(function);
        facts.flavour = std::nullopt;
        facts.flavour_follows = true;
        return facts;
    }
    // Its second one, with the requirement's flavour.
    static RequestFacts with_flavour(const std::string& flavour) {
        auto facts = execution();
        facts.flavour = flavour;
        facts.flavour_follows = true;
        return facts;
    }

    Authorization authorization(const std::string& token, const RequestFacts& request) {
        return run_awaitable(io_, authorizer_.authorize_request(token, request));
    }

    std::string refused(const std::string& token, const RequestFacts& request) {
        try {
            authorization(token, request);
        } catch (const Error& e) {
            EXPECT_EQ(e.kind(), ErrorKind::Unauthorized);
            return e.what();
        }
        ADD_FAILURE() << "token was accepted";
        return {};
    }
};

TEST_F(FlavourPhasesTest, TokenWithoutFlavourChecksIsDecidedAtOnce) {
    for (const auto& token :
         {mint(kAuthority), narrowed("check if function(39);"), narrowed("check if mode($m);")}) {
        const auto first = authorization(token, before_flavour());
        EXPECT_EQ(first.credentials.user, "alice");
        EXPECT_FALSE(first.flavour_pending);  // the caller authorizes no second time
    }
}

TEST_F(FlavourPhasesTest, FlavourCheckIsPendingThenSatisfied) {
    const auto token = narrowed("check if flavour(\"Energy\");");
    const auto first = authorization(token, before_flavour());
    EXPECT_EQ(first.credentials.user, "alice");
    EXPECT_EQ(first.credentials.password, "s3cret-pw");
    EXPECT_TRUE(first.flavour_pending);
    const auto misses = authorizer_.cache_counts().misses;
    const auto second = authorization(token, with_flavour("Energy"));
    EXPECT_EQ(second.credentials.user, "alice");
    EXPECT_FALSE(second.flavour_pending);
    // The second phase found the token verified: no signature verification again.
    EXPECT_EQ(authorizer_.cache_counts().misses, misses);
}

TEST_F(FlavourPhasesTest, FlavourCheckIsPendingThenFails) {
    const auto token = narrowed("check if flavour($f), [\"Energy\", \"GPU\"].contains($f);");
    EXPECT_TRUE(authorization(token, before_flavour()).flavour_pending);
    EXPECT_EQ(refused(token, with_flavour("Nature")), "Token check failed");
}

TEST_F(FlavourPhasesTest, FlavourIsNeverPendingWhereItDoesNotFollow) {
    const auto token = narrowed("check if flavour(\"Energy\");");
    auto metrics = RequestFacts{.operation = "device_metrics"};
    EXPECT_EQ(refused(token, metrics), "Token check failed");
    EXPECT_EQ(refused(token, {}), "Token check failed");
}

TEST_F(FlavourPhasesTest, OtherFailedChecksRefuseInTheFirstPhase) {
    const auto token = narrowed("check if flavour(\"Energy\");\ncheck if function(40);");
    EXPECT_EQ(refused(token, before_flavour(39)), "Token check failed");
    EXPECT_TRUE(authorization(token, before_flavour(40)).flavour_pending);
    // One check that reads the flavour and something false: still a failure on the flavour's
    // check alone, decided (and refused) in the second phase.
    const auto joined = narrowed("check if flavour(\"Energy\"), function(40);");
    EXPECT_TRUE(authorization(joined, before_flavour(39)).flavour_pending);
    EXPECT_EQ(refused(joined, with_flavour("Energy")), "Token check failed");
}

TEST_F(FlavourPhasesTest, ExpiryIsToldInBothPhases) {
    const auto token =
        narrowed("check if flavour(\"Energy\");\ncheck if time($t), $t < 2030-01-01T00:00:00Z;");
    now_ = at(k2030 + 60);
    EXPECT_EQ(refused(token, before_flavour()), "Token expired");
    now_ = at(k2030 - 60);
    EXPECT_TRUE(authorization(token, before_flavour()).flavour_pending);
    now_ = at(k2030 + 60);  // expired between the two phases
    EXPECT_EQ(refused(token, with_flavour("Energy")), "Token expired");
}

TEST_F(FlavourPhasesTest, ChecksOnRulesThatReadTheFlavourArePending) {
    const auto token = narrowed(
        "served($f) <- flavour($f), [\"Energy\"].contains($f);\n"
        "ok($f) <- served($f);\ncheck if ok($f);");
    EXPECT_TRUE(authorization(token, before_flavour()).flavour_pending);
    EXPECT_FALSE(authorization(token, with_flavour("Energy")).flavour_pending);
    EXPECT_EQ(refused(token, with_flavour("Nature")), "Token check failed");
}

TEST_F(FlavourPhasesTest, ChecksThatPassWithoutTheFlavourAreStillPending) {
    // `reject if` and `check all` pass when no flavour is stated; they are decided with it.
    for (const auto& token : {narrowed("reject if flavour(\"Nature\");"),
                              narrowed("check all flavour($f), $f == \"Energy\";")}) {
        EXPECT_TRUE(authorization(token, before_flavour()).flavour_pending);
        EXPECT_FALSE(authorization(token, with_flavour("Energy")).flavour_pending);
        EXPECT_EQ(refused(token, with_flavour("Nature")), "Token check failed");
    }
}

TEST_F(FlavourPhasesTest, ADenyingTokenIsNotPending) {
    // Refused by a failed check of the authority block that does not read the flavour.
    const auto token =
        biscuit::Biscuit::mint(root_, biscuit::BlockBuilder("user(\"alice\");\npassword(\"pw\");\n"
                                                            "check if operation(\"read\");"))
            .attenuate(biscuit::BlockBuilder("check if flavour(\"Energy\");"))
            .to_base64();
    EXPECT_EQ(refused(token, before_flavour()), "Token check failed");
    // No user and password: the allow policy did not match.
    const auto no_credentials =
        biscuit::Biscuit::mint(root_, biscuit::BlockBuilder("check if flavour(\"Energy\");"))
            .to_base64();
    EXPECT_EQ(refused(no_credentials, before_flavour()), "Token holds no user and password");
}

// ---- Revocation ----

class RevocationTest : public BiscuitTokenAuthorizerTest {
  protected:
    std::filesystem::path path_ = std::filesystem::temp_directory_path() /
                                  ("ecf-revoked-" + std::to_string(::getpid()) + "-" +
                                   ::testing::UnitTest::GetInstance()->current_test_info()->name());

    void TearDown() override { std::filesystem::remove(path_); }

    void write(const std::string& text) { std::ofstream(path_, std::ios::trunc) << text; }

    BiscuitTokenAuthorizer with_list() {
        return BiscuitTokenAuthorizer(keys_, {.revocations = std::make_shared<RevocationList>(
                                                  path_, std::chrono::milliseconds(0))});
    }

    std::string refused_by(BiscuitTokenAuthorizer& authorizer, const std::string& token) {
        try {
            run_awaitable(io_, authorizer.authorize(token));
        } catch (const Error& e) {
            EXPECT_EQ(e.kind(), ErrorKind::Unauthorized);
            return e.what();
        }
        return "accepted";
    }
};

TEST_F(RevocationTest, RevocationHoldsInBothPhasesOfAnExecution) {
    const auto token = biscuit::Biscuit::mint(root_, biscuit::BlockBuilder(kAuthority))
                           .attenuate(biscuit::BlockBuilder("check if flavour(\"Energy\");"));
    write("");
    auto authorizer = with_list();
    RequestFacts first{.operation = "execute", .flavour_follows = true};
    EXPECT_TRUE(
        run_awaitable(io_, authorizer.authorize_request(token.to_base64(), first)).flavour_pending);
    write(token.revocation_ids()[1] + "\n");  // revoked between the two phases
    RequestFacts second = first;
    second.flavour = "Energy";
    try {
        run_awaitable(io_, authorizer.authorize_request(token.to_base64(), second));
        ADD_FAILURE() << "token was accepted";
    } catch (const Error& e) {
        EXPECT_STREQ(e.what(), "Token revoked");
    }
    try {
        run_awaitable(io_, authorizer.authorize_request(token.to_base64(), first));
        ADD_FAILURE() << "token was accepted";
    } catch (const Error& e) {
        EXPECT_STREQ(e.what(), "Token revoked");
    }
}

TEST_F(RevocationTest, RevokedTokenAndItsAttenuationsAreRefused) {
    const auto token = biscuit::Biscuit::mint(root_, biscuit::BlockBuilder(kAuthority));
    const auto attenuated = token.attenuate(biscuit::BlockBuilder("check if function(39);"));
    const auto other = mint(kAuthority);
    write("# revoked by the operator\n\n" + token.revocation_ids()[0] + "\n");
    auto authorizer = with_list();
    EXPECT_NE(refused_by(authorizer, token.to_base64()).find("revoked"), std::string::npos);
    EXPECT_NE(refused_by(authorizer, attenuated.to_base64()).find("revoked"), std::string::npos);
    EXPECT_EQ(refused_by(authorizer, other), "accepted");
}

TEST_F(RevocationTest, RevokingAnAttenuationLeavesItsParent) {
    const auto token = biscuit::Biscuit::mint(root_, biscuit::BlockBuilder(kAuthority));
    const auto attenuated = token.attenuate(biscuit::BlockBuilder("check if true;"));
    std::string upper = attenuated.revocation_ids()[1];
    for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    write(upper + "\n");
    auto authorizer = with_list();
    EXPECT_NE(refused_by(authorizer, attenuated.to_base64()).find("revoked"), std::string::npos);
    EXPECT_EQ(refused_by(authorizer, token.to_base64()), "accepted");
}

TEST_F(RevocationTest, ListIsReadAgainWhenTheFileChanges) {
    const auto token = biscuit::Biscuit::mint(root_, biscuit::BlockBuilder(kAuthority));
    write("");
    auto authorizer = with_list();
    EXPECT_EQ(refused_by(authorizer, token.to_base64()), "accepted");
    write(token.revocation_ids()[0] + "\n");
    // Refused although the token's verification is cached.
    EXPECT_NE(refused_by(authorizer, token.to_base64()).find("revoked"), std::string::npos);
    EXPECT_EQ(authorizer.cache_counts().hits, 1u);
    // A line that is not hex: the ids last read stay.
    write(token.revocation_ids()[0] + "\nnot-hex\n");
    EXPECT_NE(refused_by(authorizer, token.to_base64()).find("revoked"), std::string::npos);
}

TEST_F(RevocationTest, UnreadableOrMalformedFileRefusesToStart) {
    EXPECT_THROW(RevocationList(path_, std::chrono::seconds(1)), Error);  // missing
    write("abcd\nxyz\n");
    EXPECT_THROW(RevocationList(path_, std::chrono::seconds(1)), Error);
    write("abcd\n");
    EXPECT_EQ(RevocationList(path_, std::chrono::seconds(1)).size(), 1u);
}

}  // namespace
}  // namespace ecf::auth
