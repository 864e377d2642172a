// Event envelope <-> JSON.
#include "team/core/events.hpp"

#include "runtime/clock.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/serializer.hpp>


#include <stdexcept>

namespace omx::team {

bool is_terminal_event(std::string_view type) {
    return type == event_type::completed || type == event_type::failed ||
           type == event_type::canceled;
}

json::object to_json(const Event& e) {
    json::object o;
    o["v"] = 1;
    o["seq"] = e.seq;
    o["id"] = e.id;
    o["jobId"] = e.jobId;
    o["type"] = e.type;
    o["message"] = e.message;
    o["payload"] = e.payload;
    o["createdAt"] = format_rfc3339(e.createdAt);
    return o;
}

namespace {
const json::value& field(const json::object& o, std::string_view key) {
    auto* v = o.if_contains(key);
    if (!v) throw std::runtime_error("event without '" + std::string(key) + "'");
    return *v;
}
std::string string_field(const json::object& o, std::string_view key) {
    auto& v = field(o, key);
    if (!v.is_string()) throw std::runtime_error("event field '" + std::string(key) + "' is not a string");
    return std::string(v.get_string());
}
} // namespace

Event event_from_json(const json::object& o) {
    Event e;
    auto& seq = field(o, "seq");
    if (seq.is_uint64()) e.seq = seq.get_uint64();
    else if (seq.is_int64() && seq.get_int64() > 0) e.seq = static_cast<std::uint64_t>(seq.get_int64());
    else throw std::runtime_error("event field 'seq' is not a positive integer");
    e.id = string_field(o, "id");
    e.jobId = string_field(o, "jobId");
    e.type = string_field(o, "type");
    e.message = string_field(o, "message");
    auto& payload = field(o, "payload");
    if (!payload.is_object()) throw std::runtime_error("event field 'payload' is not an object");
    e.payload = payload.get_object();
    auto created = parse_rfc3339(string_field(o, "createdAt"));
    if (!created) throw std::runtime_error("event field 'createdAt' is not an RFC 3339 time");
    e.createdAt = *created;
    return e;
}

namespace {
// Boost.JSON's serializer writing straight into `out`: no copy of the payload
// into a temporary envelope, no second string for the newline (a job's
// creation event is ~2 KiB; building its line was a fifth of a POST).
class LineWriter {
public:
    explicit LineWriter(std::string& out) : out_(out) {}
    template <class T> void json(const T& v) {
        serializer_.reset(&v);
        drain();
    }
    void string(std::string_view s) {
        serializer_.reset(json::string_view(s.data(), s.size()));
        drain();
    }
    void raw(std::string_view s) { out_ += s; }

private:
    void drain() {
        while (!serializer_.done()) out_ += serializer_.read(buffer_, sizeof buffer_);
    }
    std::string& out_;
    json::serializer serializer_;
    char buffer_[4096];
};
} // namespace

// The same text as json::serialize(to_json(e)) plus '\n' (json_codec_test).
std::string to_json_line(const Event& e) {
    std::string line;
    line.reserve(1024);
    LineWriter w(line);
    w.raw("{\"v\":1,\"seq\":");
    w.raw(std::to_string(e.seq));
    w.raw(",\"id\":");
    w.string(e.id);
    w.raw(",\"jobId\":");
    w.string(e.jobId);
    w.raw(",\"type\":");
    w.string(e.type);
    w.raw(",\"message\":");
    w.string(e.message);
    w.raw(",\"payload\":");
    w.json(e.payload);
    w.raw(",\"createdAt\":");
    w.string(format_rfc3339(e.createdAt));
    w.raw("}\n");
    return line;
}

} // namespace omx::team
