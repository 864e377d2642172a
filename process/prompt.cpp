// Prompt assembly: role instructions, task, dependency results, feedback and mail, trimmed to fit.
#include "process/prompt.hpp"

#include "process/bounded_text.hpp"
#include "process/json_access.hpp"
#include "team/core/enums.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cassert>

namespace omx::process {
namespace {

namespace json = boost::json;
using team::Role;

constexpr std::string_view cut_marker = "\n[... truncated]";
constexpr std::size_t trim_slack = 256;     // room for the omission note and cut markers
constexpr std::size_t min_kept_bytes = 256; // context cut shorter than this is dropped instead

// `text` in at most max_bytes: its head and a marker when it is longer.
std::string bounded(std::string_view text, std::size_t max_bytes) {
    assert(max_bytes > cut_marker.size());
    if (text.size() <= max_bytes) return std::string(text);
    return std::string(utf8_head(text, max_bytes - cut_marker.size())) + std::string(cut_marker);
}

std::string_view role_paragraph(Role role) {
    switch (role) {
    case Role::planner:
        return "You are the planner. Study the job's task and the repository, then break the work "
               "into a short plan of tasks for the researcher, designer, developer and executor "
               "roles (the team adds its own verifier). Do not change any file.";
    case Role::researcher:
        return "You are the researcher. Investigate the code and the facts the task depends on and "
               "report what you found, where it is, and what it means for the work. Do not change "
               "any file.";
    case Role::designer:
        return "You are the designer. Work out how the change should be made: the parts it "
               "touches, the interfaces and data, the steps in order and the risks. Report the "
               "design so a developer can follow it; change files only to write design notes the "
               "task asks for.";
    case Role::developer:
        return "You are the developer. Implement the change in the working directory: edit the "
               "code, keep it building, add or update tests, and report what you changed and why.";
    case Role::executor:
        return "You are the executor. Carry out the task in the working directory: make the "
               "changes, run what needs running, check that it worked, and report what you did and "
               "the outcome.";
    case Role::verifier:
        return "You are the verifier. Check the team's work against the job's task: read the "
               "changes, build, run the tests, and try what the task asks for. Do not fix anything "
               "yourself; report a verdict.";
    }
    return {};
}

// The keys only this role gives in its structured result.
std::string_view role_contract(Role role) {
    switch (role) {
    case Role::planner:
        return "It must hold your plan: {\"plan_summary\": \"...\", \"tasks\": [{\"id\": "
               "\"unique-id\", \"role\": \"researcher|designer|developer|executor\", \"subject\": "
               "\"what to do\", \"depends_on\": [\"ids of tasks of this plan\"]}]} with 1 to 32 "
               "tasks and no cycle.";
    case Role::verifier:
        return "It must hold your verdict: {\"status\": \"pass\" or \"fail\", \"findings\": "
               "[\"each problem found, specific enough to fix\"]}.";
    default:
        return "Put a short \"summary\" of your result in it.";
    }
}

constexpr std::string_view contract_opening =
    "End your final message with a fenced ```json block holding one JSON object (the last such "
    "block counts). ";

constexpr std::string_view contract_optional =
    " Any role may also add \"requiresApproval\": true with a \"reason\" to stop and ask a person "
    "before the team goes on, and \"mailbox\": [{\"kind\": \"question|instruction|notice\", "
    "\"to\": \"a role, a list of roles, or leader\", \"taskId\": \"optional\", \"message\": "
    "\"...\"}] to send messages to other roles.";

std::string section(std::string_view title, std::string_view body) {
    return "\n\n## " + std::string(title) + "\n\n" + std::string(body);
}

// One entry of the prompt's context and its age (older entries are trimmed first).
struct ContextItem {
    std::string text;
    team::TimeMs age = 0;
};

struct Context {
    std::vector<ContextItem> dependencies, feedback, messages;
    std::size_t omitted = 0; // entries dropped to fit
};

std::string json_text(const json::value& value) {
    return value.is_string() ? std::string(value.get_string()) : json::serialize(value);
}

ContextItem dependency_item(const DependencyContext& d) {
    std::string body = d.summary.empty() ? "(no summary)" : d.summary;
    if (!d.structured.is_null())
        body += "\n\nStructured result:\n```json\n" + json::serialize(d.structured) + "\n```";
    return {"### " + d.task_id + " (" + std::string(team::to_string(d.role)) + ", " +
                std::string(team::to_string(d.status)) + ")\n\n" +
                bounded(body, max_dependency_bytes),
            d.finished_at};
}

ContextItem message_item(const team::Message& m) {
    std::string body = m.message;
    if (m.payload.is_object()) body += "\n\nPayload: " + json::serialize(m.payload);
    const std::string sender = m.from == "leader" ? "the people running the job" : "task " + m.from;
    return {"### " + m.kind + " from " + sender + "\n\n" + bounded(body, max_message_bytes),
            m.createdAt};
}

std::string findings_text(const json::value& findings) {
    const json::array* list = findings.if_array();
    if (!list) return json_text(findings);
    std::string out;
    for (const json::value& finding : *list)
        out += "- " + json_text(finding) + "\n";
    return out;
}

std::vector<ContextItem> feedback_items(const Feedback& f) {
    std::vector<ContextItem> items;
    if (!f.error.empty())
        items.push_back(
            {"The previous attempt failed:\n\n" + bounded(f.error, max_feedback_bytes)});
    if (!f.findings.is_null())
        items.push_back({"The verifier found these problems; fix them:\n\n" +
                         bounded(findings_text(f.findings), max_feedback_bytes)});
    if (f.approved) {
        std::string text = "A person approved your request to go on: continue the task.";
        if (!f.approver_comment.empty())
            text += " Their comment:\n\n" + bounded(f.approver_comment, max_feedback_bytes);
        items.push_back({text});
    } else if (!f.approver_comment.empty()) {
        items.push_back({"A person rejected the previous run. Their comment:\n\n" +
                         bounded(f.approver_comment, max_feedback_bytes)});
    }
    return items;
}

Context context_of(const PromptInput& in) {
    Context ctx;
    for (const auto& d : in.dependencies)
        ctx.dependencies.push_back(dependency_item(d));
    ctx.feedback = feedback_items(in.feedback);
    for (const auto& m : in.messages)
        ctx.messages.push_back(message_item(m));
    return ctx;
}

std::string items_section(std::string_view title, const std::vector<ContextItem>& items) {
    std::string body;
    for (const auto& item : items) {
        if (item.text.empty()) continue;
        if (!body.empty()) body += "\n\n";
        body += item.text;
    }
    return body.empty() ? std::string() : section(title, body);
}

std::string assemble(const std::string& head, const Context& ctx) {
    std::string prompt = head;
    prompt += items_section("Results of the tasks this one depends on", ctx.dependencies);
    prompt += items_section("Feedback", ctx.feedback);
    prompt += items_section("Messages for you", ctx.messages);
    if (ctx.omitted > 0)
        prompt += "\n\n(" + std::to_string(ctx.omitted) +
                  " older context entries were left out to keep the prompt short.)";
    return prompt + "\n";
}

// Dependencies and messages from the oldest, then feedback.
std::vector<ContextItem*> trim_order(Context& ctx) {
    std::vector<ContextItem*> order;
    for (auto& item : ctx.dependencies)
        order.push_back(&item);
    for (auto& item : ctx.messages)
        order.push_back(&item);
    std::stable_sort(order.begin(), order.end(),
                     [](const ContextItem* a, const ContextItem* b) { return a->age < b->age; });
    for (auto& item : ctx.feedback)
        order.push_back(&item);
    return order;
}

// Takes `excess` bytes (and some slack) off the oldest context: whole entries, then the head of
// the last one touched. False when there was no context left to take from.
bool shrink_oldest(Context& ctx, std::size_t excess) {
    std::size_t wanted = excess + trim_slack;
    bool changed = false;
    for (ContextItem* item : trim_order(ctx)) {
        if (wanted == 0) break;
        if (item->text.empty()) continue;
        changed = true;
        if (item->text.size() < wanted + min_kept_bytes) {
            wanted -= std::min(wanted, item->text.size());
            item->text.clear();
            ++ctx.omitted;
        } else {
            item->text = bounded(item->text, item->text.size() - wanted);
            wanted = 0;
        }
    }
    return changed;
}

} // namespace

std::string role_instructions(Role role) {
    return "# Your role: " + std::string(team::to_string(role)) + "\n\n" +
           std::string(role_paragraph(role)) + "\n\n" + std::string(contract_opening) +
           std::string(role_contract(role)) + std::string(contract_optional);
}

DependencyContext dependency_context(const team::Task& dependency) {
    DependencyContext c{.task_id = dependency.id,
                        .role = dependency.role,
                        .status = dependency.status,
                        .summary = {},
                        .structured = nullptr,
                        .finished_at = dependency.finishedAt.value_or(0)};
    if (const json::object* output = dependency.output.if_object()) {
        c.summary = text_at(*output, "summary");
        if (const json::object* structured = object_at(*output, "structured"))
            c.structured = *structured;
    }
    return c;
}

std::string build_prompt(const PromptInput& in) {
    const std::string head = role_instructions(in.role) + section("The job's task", in.job_task) +
                             section("Your task", bounded(in.task_name, max_task_name_bytes));
    Context ctx = context_of(in);
    std::string prompt = assemble(head, ctx);
    while (prompt.size() > max_prompt_bytes && shrink_oldest(ctx, prompt.size() - max_prompt_bytes))
        prompt = assemble(head, ctx);
    if (prompt.size() > max_prompt_bytes) prompt.resize(utf8_head(prompt, max_prompt_bytes).size());
    return prompt;
}

std::string dependency_outputs_json(const std::vector<DependencyContext>& dependencies) {
    json::object out;
    for (const auto& d : dependencies)
        out[d.task_id] = json::object{{"role", team::to_string(d.role)},
                                      {"status", team::to_string(d.status)},
                                      {"summary", valid_utf8(d.summary)},
                                      {"structured", d.structured}};
    return json::serialize(out);
}

} // namespace omx::process
