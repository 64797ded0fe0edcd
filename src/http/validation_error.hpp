#pragma once

#include <boost/json/array.hpp>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace ecf::http {

// A 422 that lists every malformed part of a request the way the original (FastAPI) does:
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

// Collects problems while a request is checked, then throws them all at once.
class ValidationProblems {
  public:
    void add(std::string_view type, std::string_view where, std::string_view name,
             std::string_view message, boost::json::value input) {
        problems_.push_back({{"type", type},
                             {"loc", {where, name}},
                             {"msg", message},
                             {"input", std::move(input)}});
    }
    void add_body(std::string_view type, std::string_view message, boost::json::array location,
                  boost::json::value input) {
        location.insert(location.begin(), "body");
        problems_.push_back({{"type", type},
                             {"loc", std::move(location)},
                             {"msg", message},
                             {"input", std::move(input)}});
    }
    bool empty() const noexcept { return problems_.empty(); }
    void throw_if_any() {
        if (!problems_.empty()) throw ValidationError(std::move(problems_));
    }

  private:
    boost::json::array problems_;
};

}  // namespace ecf::http
