// State directory generation from template jobs (the torture test's approach).
#include "tools/bench/state_gen.hpp"

#include "runtime/clock.hpp"
#include "runtime/ids.hpp"
#include "team/core/apply.hpp"
#include "team/core/events.hpp"
#include "team/core/json_codec.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <fstream>
#include <iterator>
#include <stdexcept>

namespace omx::bench {

namespace json = boost::json;
namespace fs = std::filesystem;

namespace {

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

void write_text(const fs::path& p, const std::string& text) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out.good()) throw std::runtime_error("cannot write " + p.string());
}

std::string string_of(const json::object& o, const char* key) {
    auto it = o.find(key);
    return it != o.end() && it->value().is_string() ? std::string(it->value().as_string()) : std::string();
}

} // namespace

JobTemplate read_template(const fs::path& state, const std::string& id, const std::string& status) {
    JobTemplate t{id, status, {}};
    auto text = slurp(state / id / "events.jsonl");
    std::size_t pos = 0;
    while (pos < text.size()) {
        auto nl = text.find('\n', pos);
        if (nl == std::string::npos) break;
        t.events.push_back(json::parse(std::string_view(text).substr(pos, nl - pos)).as_object());
        pos = nl + 1;
    }
    if (t.events.empty()) throw std::runtime_error("template job " + id + " has no events");
    return t;
}

std::vector<GeneratedJob> generate_jobs(const fs::path& state, const std::vector<JobTemplate>& templates,
                                        const std::vector<std::size_t>& plan) {
    std::vector<GeneratedJob> made;
    made.reserve(plan.size());
    const std::int64_t base = omx::now_ms() - 3600LL * 1000 - static_cast<std::int64_t>(plan.size()) * 1000;
    for (std::size_t i = 0; i < plan.size(); ++i) {
        const auto& t = templates.at(plan[i]);
        auto id = omx::new_uuid();
        auto task = "generated job " + std::to_string(i);
        const std::int64_t created = base + static_cast<std::int64_t>(i) * 1000;
        auto first = omx::parse_rfc3339(string_of(t.events.front(), "createdAt")).value_or(created);
        std::vector<team::Event> typed;
        typed.reserve(t.events.size());
        std::string log;
        for (auto& e : t.events) {
            auto text = json::serialize(e);
            for (auto pos = text.find(t.id); pos != std::string::npos; pos = text.find(t.id, pos + id.size()))
                text.replace(pos, t.id.size(), id);
            auto o = json::parse(text).as_object();
            o["id"] = omx::new_uuid();
            auto at = omx::parse_rfc3339(string_of(o, "createdAt")).value_or(first);
            o["createdAt"] = omx::format_rfc3339(created + (at - first));
            if (string_of(o, "type") == "queued") {
                auto& payload = o["payload"].as_object();
                if (string_of(payload, "reason") == "created" && payload.contains("job"))
                    payload["job"].as_object()["task"] = task;
            }
            log += json::serialize(o);
            log += '\n';
            typed.push_back(team::event_from_json(o));
        }
        auto job = team::fold(typed);
        auto dir = state / id;
        fs::create_directories(dir);
        write_text(dir / "events.jsonl", log);
        json::object record{{"lastSeq", job.lastSeq}, {"logSize", log.size()}, {"job", team::job_to_record_json(job)}};
        write_text(dir / "record.json", json::serialize(record));
        made.push_back({id, t.status, task, t.events.size()});
    }
    return made;
}

} // namespace omx::bench
