// The bytes of a response head (api/http_types.hpp: response_head).
#include "api/http_types.hpp"

#include <boost/test/unit_test.hpp>

using omx::api::Response;
using omx::api::response_head;

BOOST_AUTO_TEST_SUITE(response_head_bytes)

BOOST_AUTO_TEST_CASE(ok_with_body_and_headers_on_a_kept_connection) {
    Response r{200, "application/json", "{\"a\":1}", {{"X-Request-Id", "7"}}};
    BOOST_TEST(response_head(r, true) == "HTTP/1.1 200 OK\r\n"
                                         "Content-Type: application/json\r\n"
                                         "X-Request-Id: 7\r\n"
                                         "Content-Length: 7\r\n"
                                         "\r\n");
}

BOOST_AUTO_TEST_CASE(closing_connection_says_so) {
    Response r{404, "application/json", "{}", {}};
    BOOST_TEST(response_head(r, false) == "HTTP/1.1 404 Not Found\r\n"
                                          "Content-Type: application/json\r\n"
                                          "Content-Length: 2\r\n"
                                          "Connection: close\r\n"
                                          "\r\n");
}

BOOST_AUTO_TEST_CASE(no_content_has_neither_type_nor_length) {
    Response r{204, "application/json", "", {}};
    BOOST_TEST(response_head(r, true) == "HTTP/1.1 204 No Content\r\n\r\n");
}

BOOST_AUTO_TEST_CASE(line_breaks_in_a_header_cannot_split_the_response) {
    Response r{301, "text/plain", "x", {{"Location", "/monitor/?a\r\nSet-Cookie: evil"}}};
    auto head = response_head(r, true);
    BOOST_TEST(head.find("Location: /monitor/?a  Set-Cookie: evil\r\n") != std::string::npos, head);
    BOOST_TEST(head.find("\r\nSet-Cookie") == std::string::npos, head);
}

BOOST_AUTO_TEST_SUITE_END()
