// A scenario's results: human lines first, then one JSON line.
#include "tools/bench/report.hpp"

#include "tools/bench/cli.hpp"

#include <boost/json/serialize.hpp>

#include <cmath>
#include <cstdio>
#include <iostream>

namespace omx::bench {

namespace {

// Like boost::json::serialize, with doubles written plainly (12.5, not 1.25E1).
void write_json(std::string& out, const boost::json::value& v) {
    switch (v.kind()) {
    case boost::json::kind::double_: {
        char buf[64];
        double d = v.get_double();
        if (std::isfinite(d)) std::snprintf(buf, sizeof buf, "%.12g", d);
        else std::snprintf(buf, sizeof buf, "null");
        out += buf;
        break;
    }
    case boost::json::kind::object: {
        out += '{';
        bool first = true;
        for (auto& [k, x] : v.get_object()) {
            if (!first) out += ',';
            first = false;
            out += boost::json::serialize(boost::json::string(k));
            out += ':';
            write_json(out, x);
        }
        out += '}';
        break;
    }
    case boost::json::kind::array: {
        out += '[';
        bool first = true;
        for (auto& x : v.get_array()) {
            if (!first) out += ',';
            first = false;
            write_json(out, x);
        }
        out += ']';
        break;
    }
    default:
        out += boost::json::serialize(v);
    }
}

} // namespace

std::string json_line(const boost::json::value& v) {
    std::string out;
    write_json(out, v);
    return out;
}

Report::Report(std::string scenario) { json["scenario"] = scenario; }

void Report::say(std::string line) { lines_.push_back(std::move(line)); }

void Report::error(const std::string& what) {
    ++errors_;
    if (samples_.size() < 5) samples_.push_back(what);
}

void Report::errors(std::int64_t count, const std::vector<std::string>& samples, const std::string& prefix) {
    std::int64_t n = 0;
    for (auto& e : samples) {
        if (n++ >= count) break;
        error(prefix + e);
    }
    for (; n < count; ++n) error(prefix + "(more)");
}

int Report::finish() {
    json["errors"] = errors_;
    if (!samples_.empty()) json["errorSamples"] = boost::json::array(samples_.begin(), samples_.end());
    std::cout << "== " << json["scenario"].as_string().c_str() << "\n";
    for (auto& l : lines_) std::cout << "  " << l << "\n";
    if (errors_ > 0) {
        std::cout << "  errors: " << errors_ << "\n";
        for (auto& s : samples_) std::cout << "    " << s << "\n";
    }
    std::cout << json_line(json) << std::endl;
    return errors_ == 0 ? exit_ok : exit_failed;
}

} // namespace omx::bench
