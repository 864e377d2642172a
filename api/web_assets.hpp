// The files of api/web/ (dashboard, API docs page, OpenAPI document), embedded
// into omxd at build time by tools/embed_files.cmake.
#pragma once

#include <span>
#include <string_view>

namespace omx::api {

struct WebFile {
    std::string_view path; // relative to api/web/: "monitor/app.js"
    std::string_view body;
};

std::span<const WebFile> web_files();

} // namespace omx::api
