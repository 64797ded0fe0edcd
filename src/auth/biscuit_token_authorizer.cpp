#include "auth/biscuit_token_authorizer.hpp"

#include <biscuit/authorizer.hpp>
#include <biscuit/biscuit.hpp>
#include <biscuit/datalog/parser.hpp>
#include <biscuit/error.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>

#include "auth/expiry_check.hpp"
#include "auth/flavour_check.hpp"
#include "core/error.hpp"

namespace ecf::auth {

struct AuthorizationContext {
    std::chrono::system_clock::time_point now;
    RequestFacts request;
    std::shared_ptr<RevocationList> revocations;
    std::chrono::microseconds time_limit;
};

namespace {

// The authorizer of the original ECF (contract §2); the request's facts come before its policy.
constexpr std::string_view kPolicy = "allow if user($u), password($p);";
// Read from the authority block only: a later block cannot choose the credentials.
constexpr std::string_view kCredentialsQuery =
    "credentials($u, $p) <- user($u), password($p) trusting authority";

// Evaluation of a real token takes microseconds and a few kilobytes; the margins are for
// attenuations a device may add. A COGNIT token builds no value near 16 KiB.
biscuit::datalog::RunLimits run_limits(std::chrono::microseconds time_limit) {
    return {.max_facts = 1000,
            .max_iterations = 100,
            .max_time = time_limit,
            .max_value_bytes = 16 * 1024,
            .max_interned_bytes = 2 * 1024 * 1024};
}

struct BadSignature {};

// A signature that does not verify against this root key (or a root key it does not know): the
// issuer may have rotated its key, so the caller tries again with a fresh one.
bool is_bad_signature(const biscuit::Error& e) {
    return e.is_signature_error() || e.format() == biscuit::FormatError::UnknownPublicKey;
}

// Why a token was refused, in words a client can act on; never the token or its content.
std::string reason_of(const biscuit::Error& e) {
    using K = biscuit::ErrorKind;
    switch (e.kind()) {
        case K::Base64:
            return "Malformed token: not base64";
        case K::Format:
            return "Malformed token: " + e.sub_kind();
        case K::FailedLogic:
            switch (*e.logic()) {
                case biscuit::LogicError::Unauthorized:
                    return failed_on_time(e) ? "Token expired" : "Token check failed";
                case biscuit::LogicError::NoMatchingPolicy:
                    return "Token holds no user and password";
                default:
                    return "Token not authorized: " + e.sub_kind();
            }
        case K::RunLimit:
            return "Token could not be fully evaluated: " + e.sub_kind();
        case K::Execution:
            return "Token could not be evaluated: " + e.sub_kind();
        default:
            return "Token not authorized";
    }
}

// Parses the token and verifies its signature chain against `root`.
biscuit::Biscuit verify(const std::string& token, const biscuit::PublicKey& root) {
    try {
        return biscuit::Biscuit::from_base64(token, root);
    } catch (const biscuit::Error& e) {
        if (is_bad_signature(e)) throw BadSignature{};
        throw Error(ErrorKind::Unauthorized, reason_of(e));
    }
}

// The policy and the credentials query are the same for every request: parsed once (parsing
// them took a measurable share of a cached token's authorization).
const biscuit::datalog::AuthorizerCode& policy_code() {
    static const auto code = biscuit::datalog::parse_authorizer(kPolicy);
    return code;
}
const biscuit::datalog::Rule& credentials_query() {
    static const auto rule = biscuit::datalog::parse_rule(kCredentialsQuery);
    return rule;
}

// The authorizer for one request: time, the request's facts (built as terms, so no request
// value is ever read as Datalog), then the policy.
void add_request_code(biscuit::Authorizer& authorizer, const AuthorizationContext& context) {
    using biscuit::datalog::Fact;
    using biscuit::datalog::Term;
    const auto seconds =
        std::chrono::duration_cast<std::chrono::seconds>(context.now.time_since_epoch());
    authorizer.add_fact(Fact{"time", {Term::date(static_cast<std::uint64_t>(seconds.count()))}});
    auto add = [&](const char* name, Term value) {
        authorizer.add_fact(Fact{name, {std::move(value)}});
    };
    const RequestFacts& r = context.request;
    if (r.operation) add("operation", Term::string(*r.operation));
    if (r.function_id) add("function", Term::integer(*r.function_id));
    if (r.app_requirement_id) add("app_requirement", Term::integer(*r.app_requirement_id));
    if (r.flavour) add("flavour", Term::string(*r.flavour));
    if (r.mode) add("mode", Term::string(*r.mode));
    authorizer.add_code(policy_code());
}

// Runs the authorizer over a verified token; the authority block's credentials. Before an
// execution's flavour is known (RequestFacts::flavour_follows), a token whose checks read
// `flavour` is not decided: refused only by such checks, or with such checks at all, it yields
// its credentials with flavour_pending, for the caller to authorize again with the flavour.
Authorization authorize_verified(const biscuit::Biscuit& token,
                                 const AuthorizationContext& context) {
    if (context.revocations && context.revocations->revoked(token.revocation_ids()))
        throw Error(ErrorKind::Unauthorized, "Token revoked");
    const bool flavour_to_come = context.request.flavour_follows && !context.request.flavour;
    bool flavour_pending = false;
    std::vector<biscuit::datalog::Fact> facts;
    try {
        biscuit::Authorizer authorizer;
        authorizer.set_limits(run_limits(context.time_limit));
        authorizer.add_token(token);
        add_request_code(authorizer, context);
        const auto& outcome = authorizer.run();
        if (flavour_to_come) {
            const FlavourDependence dependence(token);
            if (!outcome.ok() && !dependence.refused_only_on_flavour(*outcome.error()))
                throw *outcome.error();
            flavour_pending = !outcome.ok() || dependence.has_flavour_checks();
        } else if (!outcome.ok()) {
            throw *outcome.error();
        }
        facts = authorizer.query(credentials_query());
    } catch (const biscuit::Error& e) {
        throw Error(ErrorKind::Unauthorized, reason_of(e));
    }
    std::optional<Credentials> found;
    for (const auto& fact : facts) {
        if (fact.terms.size() != 2) continue;
        const auto* user = std::get_if<std::string>(&fact.terms[0].value);
        const auto* password = std::get_if<std::string>(&fact.terms[1].value);
        if (!user || !password) continue;
        // Two users or two passwords: which one OpenNebula should see is not ours to guess.
        if (found) throw Error(ErrorKind::Unauthorized, "Token holds more than one credential");
        found = Credentials{*user, *password};
    }
    if (!found) throw Error(ErrorKind::Unauthorized, "Token holds no user and password as strings");
    return {*found, flavour_pending};
}

// Verifies `token` against `root`, keeps it in `cache`, and authorizes it. A coroutine taking
// its arguments by value, so that they live in its frame while it runs on the pool.
boost::asio::awaitable<Authorization> verify_and_authorize(
    std::shared_ptr<VerifiedTokenCache> cache, std::string token, biscuit::PublicKey root,
    std::shared_ptr<const AuthorizationContext> context) {
    auto verified = verify(token, root);
    cache->insert(token, root, verified, context->now);
    co_return authorize_verified(verified, *context);
}

}  // namespace

BiscuitTokenAuthorizer::BiscuitTokenAuthorizer(std::shared_ptr<RootKeySource> keys,
                                               BiscuitTokenAuthorizerOptions options)
    : keys_(std::move(keys)),
      clock_(std::move(options.clock)),
      cache_(std::make_shared<VerifiedTokenCache>(options.cache_entries)),
      revocations_(std::move(options.revocations)),
      evaluation_time_limit_(options.evaluation_time_limit),
      pool_(std::max<std::size_t>(1, options.verify_threads)),
      max_pending_(options.max_pending_verifications) {}

BiscuitTokenAuthorizer::~BiscuitTokenAuthorizer() {
    pool_.stop();
    pool_.join();
}

boost::asio::awaitable<Authorization> BiscuitTokenAuthorizer::verify_on_pool(
    std::string token, biscuit::PublicKey root,
    std::shared_ptr<const AuthorizationContext> context) {
    if (pending_.fetch_add(1) >= max_pending_) {
        pending_.fetch_sub(1);
        throw Error(ErrorKind::Unavailable, "too many token verifications at once, retry later");
    }
    struct Release {
        std::atomic<std::size_t>& pending;
        ~Release() { pending.fetch_sub(1); }
    } release{pending_};
    // co_spawn onto the pool and back: this coroutine resumes on its own executor.
    co_return co_await boost::asio::co_spawn(
        pool_.get_executor(),
        verify_and_authorize(cache_, std::move(token), std::move(root), std::move(context)),
        boost::asio::use_awaitable);
}

boost::asio::awaitable<Credentials> BiscuitTokenAuthorizer::authorize(std::string_view token) {
    // A named value awaited here: GCC 12 may end a temporary of a co_await expression before
    // the awaited coroutine is done with it.
    const RequestFacts no_facts{};
    const Authorization authorization = co_await authorize_request(token, no_facts);
    co_return authorization.credentials;
}

boost::asio::awaitable<Authorization> BiscuitTokenAuthorizer::authorize_request(
    std::string_view token, const RequestFacts& request) {
    // Copied before the first suspension: the caller's buffers may not outlive it.
    const std::string text(token);
    const auto context = std::make_shared<const AuthorizationContext>(
        AuthorizationContext{clock_(), request, revocations_, evaluation_time_limit_});
    const auto keys = keys_;
    const auto cache = cache_;
    const auto key = keys->current();
    if (auto verified = cache->find(text, key, context->now))
        co_return authorize_verified(*verified, *context);
    try {
        co_return co_await verify_on_pool(text, key, context);
    } catch (const BadSignature&) {
    }
    // The issuer may have rotated its key: fetch it again (rate-limited) and try once more.
    co_await keys->reload();
    const auto fresh = keys->current();
    if (!(fresh == key)) {
        try {
            co_return co_await verify_on_pool(text, fresh, context);
        } catch (const BadSignature&) {
        }
    }
    throw Error(ErrorKind::Unauthorized, "Token signature does not verify");
}

}  // namespace ecf::auth
