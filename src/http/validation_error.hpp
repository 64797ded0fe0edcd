#pragma once

#include <boost/json/array.hpp>
#include <boost/json/value.hpp>
#include <cstddef>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace ecf::http {

// A 422 that lists the malformed parts of a request the way the original (FastAPI) does:
// `{"detail": [{"type": ..., "loc": ["query", "mode"], "msg": ..., "input": ...}, ...]}`, so
// clients that print `detail` see the same thing as before.
class ValidationError : public Error {
  public:
    explicit ValidationError(boost::json::array problems)
        : Error(ErrorKind::Unprocessable, "Unprocessable request"),
          problems_(std::move(problems)) {}

    const boost::json::array& problems() const noexcept { return problems_; }

  private:
    boost::json::array problems_;
};

// Collects problems while a request is checked, then throws them at once. The answer is bounded
// whatever the request holds: at most kMaxProblems are listed, and each echoed input is cut to
// kMaxInputBytes (a body of a million bad elements otherwise answers with a million problems).
class ValidationProblems {
  public:
    static constexpr std::size_t kMaxProblems = 8;
    static constexpr std::size_t kMaxInputBytes = 64;

    void add(std::string_view type, std::string_view where, std::string_view name,
             std::string_view message, const boost::json::value& input) {
        if (!room()) return;
        problems_.push_back({{"type", type},
                             {"loc", {where, name}},
                             {"msg", message},
                             {"input", bounded_echo(input)}});
    }
    void add_body(std::string_view type, std::string_view message, boost::json::array location,
                  const boost::json::value& input) {
        if (!room()) return;
        location.insert(location.begin(), "body");
        problems_.push_back({{"type", type},
                             {"loc", std::move(location)},
                             {"msg", message},
                             {"input", bounded_echo(input)}});
    }
    bool empty() const noexcept { return problems_.empty(); }
    // Problems found, listed or not.
    std::size_t count() const noexcept { return count_; }
    void throw_if_any() {
        if (!problems_.empty()) throw ValidationError(std::move(problems_));
    }

    // What a problem echoes of an input: scalars and short strings as they are; a longer string
    // cut to kMaxInputBytes (on a UTF-8 character boundary); an array or object whose JSON text
    // is longer, as the start of that text.
    static boost::json::value bounded_echo(const boost::json::value& input);

  private:
    bool room() noexcept {
        ++count_;
        return problems_.size() < kMaxProblems;
    }

    boost::json::array problems_;
    std::size_t count_ = 0;
};

}  // namespace ecf::http
