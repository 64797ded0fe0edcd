#pragma once

#include "observability/access_record.hpp"

namespace ecf::observability {

// Told about every request once its response is ready: the access log, the metrics.
// Called from every I/O thread at once.
class RequestObserver {
  public:
    virtual ~RequestObserver() = default;
    virtual void record(const AccessRecord& record) const = 0;
};

}  // namespace ecf::observability
