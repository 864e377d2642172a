// The unit test executable's entry point: every other tests/unit file adds suites to it.
#define BOOST_TEST_MODULE omx_unit
#include <boost/test/unit_test.hpp>
