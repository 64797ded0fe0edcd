// Debian builds Boost.JSON header-only; the fuzz build compiles it here (the service's copy lives
// in src/core, which this build does not have).
#include <boost/json/src.hpp>
