#include "store/redis/job_snapshot.hpp"

#include "team/core/apply.hpp"
#include "team/core/derive.hpp"
#include "team/core/enums.hpp"
#include "team/core/events.hpp"
#include "team/core/json_codec.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace asio = boost::asio;
namespace json = boost::json;

namespace omx::redis {
namespace {

constexpr std::size_t fold_page = 1000;

team::Job job_of_record(const std::string& job_id, const std::string& text) {
    boost::system::error_code ec;
    auto v = json::parse(text, ec);
    if (ec || !v.is_object()) throw UnreadableJob("the record of job " + job_id + " is not JSON");
    try {
        auto& o = v.get_object();
        team::Job job = team::job_from_record_json(o.at("job").as_object());
        if (job.lastSeq != o.at("lastSeq").to_number<std::uint64_t>())
            throw UnreadableJob("the record of job " + job_id + " disagrees with itself about lastSeq");
        return job;
    } catch (const UnreadableJob&) {
        throw;
    } catch (const std::exception& e) {
        throw UnreadableJob("the record of job " + job_id + " cannot be read: " + e.what());
    }
}

void fold(team::Job& job, const std::string& job_id, const StoredEvent& stored) {
    boost::system::error_code ec;
    auto v = json::parse(stored.line, ec);
    if (ec || !v.is_object()) throw UnreadableJob("event " + std::to_string(stored.seq) + " of job " + job_id + " is not JSON");
    try {
        auto event = team::event_from_json(v.get_object());
        if (event.seq != job.lastSeq + 1 || event.seq != stored.seq)
            throw UnreadableJob("event " + std::to_string(stored.seq) + " of job " + job_id + " is out of sequence");
        team::apply(job, event);
    } catch (const UnreadableJob&) {
        throw;
    } catch (const std::exception& e) {
        throw UnreadableJob("event " + std::to_string(stored.seq) + " of job " + job_id + " does not apply: " + e.what());
    }
}

} // namespace

std::string record_json(const team::Job& job) {
    json::object o{{"lastSeq", job.lastSeq}, {"job", team::job_to_record_json(job)}};
    return json::serialize(o);
}

RecordIndexing record_indexing(const team::Job& job) {
    auto usage = team::compute_metrics(job.team).usage;
    return RecordIndexing{std::string(team::to_string(job.status)), job.createdAt, job.updatedAt,
                          usage.inputTokens, usage.outputTokens, usage.totalTokens};
}

asio::awaitable<std::optional<LoadedJob>> load_job(Connection& c, Records& records, JobEvents& events,
                                                   const std::string& job_id) {
    LoadedJob loaded;
    if (auto record = co_await records.get(c, job_id)) {
        loaded.job = job_of_record(job_id, record->json);
        loaded.record_version = record->version;
    }
    for (;;) {
        auto page = co_await events.read(c, job_id, loaded.job.lastSeq, fold_page);
        for (auto& e : page) fold(loaded.job, job_id, e);
        if (page.size() < fold_page) break;
    }
    if (loaded.job.id.empty()) co_return std::nullopt;
    co_return loaded;
}

} // namespace omx::redis
