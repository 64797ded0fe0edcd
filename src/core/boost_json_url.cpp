// Debian's Boost 1.81 ships Boost.JSON and Boost.URL without compiled libraries, so their
// sources are compiled here, once, for the whole program.
#include <boost/json/src.hpp>
#include <boost/url/src.hpp>
