#pragma once

#include <string>

#include "runtime/executor.hpp"
#include "runtime/process_run.hpp"

namespace ecf::runtime {

// `--exec COMMAND`: runs COMMAND with /bin/sh -c once per execution, the payload JSON on its
// stdin, and takes the ExecResponse JSON it prints on stdout. COMMAND comes from the operator;
// nothing of the payload ever reaches the command line. Whatever goes wrong with the command
// (non-zero exit, a signal, the time limit, too much output, output that is not an
// ExecResponse) is answered as the SR answers a failing function: code 200 with ret_code -1.
class ProcessExecutor : public Executor {
  public:
    ProcessExecutor(std::string command, ProcessLimits limits);

    broker::ExecutionResult execute(const boost::json::value& payload) override;

  private:
    std::string command_;
    ProcessLimits limits_;
};

}  // namespace ecf::runtime
