#pragma once

#include <chrono>
#include <cstddef>
#include <string>

#include "runtime/executor.hpp"

namespace ecf::runtime {

// `--forward URL`: hands the payload to a real Serverless Runtime's own HTTP API, `POST
// URL/v1/faas/execute-sync`, exactly as the SR's RabbitMQ consumer does, and answers its HTTP
// status and JSON body. Where the SR's consumer would publish nothing (the API cannot be
// reached, answers no JSON, or a 200 that is no ExecResponse) and leave the device waiting
// forever, this answers an error the ECF passes on: 500 with a string message, or 504 when the
// API gave no answer within the time limit.
class ForwardExecutor : public Executor {
  public:
    // Throws ecf::Error (Unprocessable) when `base_url` is not an http:// URL.
    ForwardExecutor(const std::string& base_url, std::chrono::milliseconds time_limit,
                    std::size_t max_body_bytes = 64 * 1024 * 1024);

    broker::ExecutionResult execute(const boost::json::value& payload) override;

  private:
    std::string host_;
    std::string port_;
    std::string target_;
    std::chrono::milliseconds time_limit_;
    std::size_t max_body_bytes_;
};

}  // namespace ecf::runtime
