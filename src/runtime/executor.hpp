#pragma once

#include <boost/json/value.hpp>

#include "broker/execution_broker.hpp"

namespace ecf::runtime {

// Runs one execution request's payload (contract §4: `lang`, `fc`, `fc_hash`, `params`,
// `app_req_id`) and answers what a Serverless Runtime's own API would: `code` is the HTTP status,
// `message` its JSON body (an ExecResponse when `code` is 200). Blocking: the worker runs one
// execution at a time, as an SR does. Implementations never throw for a failing function; they
// answer it, because the device waits for an answer.
class Executor {
  public:
    virtual ~Executor() = default;
    virtual broker::ExecutionResult execute(const boost::json::value& payload) = 0;
};

}  // namespace ecf::runtime
