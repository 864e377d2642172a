// Task templates: per-item field rules, default ids, then whole-graph checks.
#include "api/validate_task_templates.hpp"

#include "team/core/enums.hpp"
#include "team/core/templates.hpp"

#include <algorithm>
#include <map>
#include <set>

namespace omx::api {
namespace {

using team::TaskTemplate;

constexpr std::string_view template_fields[] = {
    "id", "name", "role", "dependencies", "maxAttempts", "timeoutSeconds", "requiresApproval"};

// A template as read, aligned with its item index.
struct Item {
    TaskTemplate tpl;
    std::vector<std::optional<std::string>> dependencies; // nullopt: not a string
    bool is_object = false; // items that are not objects take no part in graph checks
    bool has_id = false;    // the client gave an id (valid or not)
};

std::string quoted(std::string_view id) {
    return "'" + std::string(id) + "'";
}

void read_id(const json::object& object, const std::string& path, Item& item, Problems& problems) {
    const auto* value = optional_field(object, "id");
    if (!value) return;
    item.has_id = true;
    const auto id = read_string(*value, field_path(path, "id"), 0, SIZE_MAX, problems);
    if (!id) return;
    item.tpl.id = *id;
    if (*id == "." || *id == "..")
        problems.push_back(field_path(path, "id") + " must not be '.' or '..'");
    else if (!team::is_valid_task_id(*id))
        problems.push_back(field_path(path, "id") +
                           " must match /^[A-Za-z0-9._-]{1,64}$/ regular expression");
}

std::vector<std::optional<std::string>>
read_dependencies(const json::object& object, const std::string& path, Problems& problems) {
    std::vector<std::optional<std::string>> dependencies;
    const auto* value = optional_field(object, "dependencies");
    if (!value) return dependencies;
    const auto* array = read_array(*value, field_path(path, "dependencies"), problems);
    if (!array) return dependencies;
    for (std::size_t j = 0; j < array->size(); ++j) {
        const auto dep_path = index_path(field_path(path, "dependencies"), j);
        dependencies.push_back(read_string((*array)[j], dep_path, 0, SIZE_MAX, problems));
    }
    return dependencies;
}

Item read_item(const json::value& value, const std::string& path, Problems& problems) {
    Item item;
    const auto* object = read_object(value, path, problems);
    if (!object) return item;
    item.is_object = true;
    reject_unknown_fields(*object, template_fields, path, problems);
    read_id(*object, path, item, problems);
    auto& tpl = item.tpl;
    if (const auto* name = required_field(*object, "name", path, problems))
        tpl.name = read_string(*name, field_path(path, "name"), 2, 180, problems).value_or("");
    if (const auto* role = required_field(*object, "role", path, problems))
        tpl.role = read_enum(*role, field_path(path, "role"), team::all_roles, problems)
                       .value_or(tpl.role);
    item.dependencies = read_dependencies(*object, path, problems);
    for (const auto& dep : item.dependencies)
        if (dep) tpl.dependencies.push_back(*dep);
    tpl.maxAttempts = int_field(*object, "maxAttempts", path, 1, 5, 1, problems);
    tpl.timeoutSeconds = int_field(*object, "timeoutSeconds", path, 60, 3600, 900, problems);
    tpl.requiresApproval = bool_field(*object, "requiresApproval", path, false, problems);
    return item;
}

// Gives every object item without an id "<role>-<n>", n counting that role
// from 1 and skipping ids already taken.
void assign_default_ids(std::vector<Item>& items) {
    std::set<std::string> taken;
    for (const auto& item : items)
        if (item.has_id) taken.insert(item.tpl.id);
    std::map<team::Role, int> counters;
    for (auto& item : items) {
        if (!item.is_object || item.has_id) continue;
        const std::string role{team::to_string(item.tpl.role)};
        std::string id;
        do {
            id = role + "-" + std::to_string(++counters[item.tpl.role]);
        } while (taken.contains(id));
        taken.insert(id);
        item.tpl.id = id;
    }
}

// The graph's edges: for each item, the indexes of the tasks it validly depends on.
using Edges = std::vector<std::vector<std::size_t>>;

class GraphCheck {
  public:
    GraphCheck(const std::vector<Item>& items, std::string_view path, bool strict_order,
               Problems& problems)
        : items_(items), path_(path), strict_order_(strict_order), problems_(problems),
          edges_(items.size()) {}

    void run() {
        index_ids();
        for (std::size_t i = 0; i < items_.size(); ++i)
            if (items_[i].is_object) check_dependencies(i);
        find_cycles();
    }

  private:
    std::string item_path(std::size_t i) const { return index_path(path_, i); }

    void index_ids() {
        for (std::size_t i = 0; i < items_.size(); ++i) {
            const auto& id = items_[i].tpl.id;
            if (!items_[i].is_object || id.empty()) continue;
            if (!index_.emplace(id, i).second)
                problems_.push_back(item_path(i) + ".id: duplicate task id " + quoted(id));
        }
    }

    void check_dependencies(std::size_t i) {
        const auto& tpl = items_[i].tpl;
        std::set<std::string> seen;
        for (std::size_t j = 0; j < items_[i].dependencies.size(); ++j) {
            if (!items_[i].dependencies[j]) continue; // not a string: already reported
            const auto& dep = *items_[i].dependencies[j];
            const auto prefix = index_path(item_path(i) + ".dependencies", j) + ": ";
            const auto target = index_.find(dep);
            if (dep == tpl.id)
                problems_.push_back(prefix + "task " + quoted(dep) + " depends on itself");
            else if (target == index_.end())
                problems_.push_back(prefix + "unknown task id " + quoted(dep));
            else if (!seen.insert(dep).second)
                problems_.push_back(prefix + "duplicate dependency " + quoted(dep));
            else {
                if (strict_order_ && target->second > i)
                    problems_.push_back(prefix + "task " + quoted(tpl.id) + " cannot depend on " +
                                        quoted(dep) + ", which comes later in the pipeline");
                edges_[i].push_back(target->second);
            }
        }
    }

    // Depth-first search; every back edge closes a cycle, reported with its ids.
    void find_cycles() {
        state_.assign(items_.size(), 0);
        for (std::size_t i = 0; i < items_.size(); ++i)
            if (state_[i] == 0) visit(i);
    }

    void visit(std::size_t node) {
        state_[node] = 1; // on the stack
        stack_.push_back(node);
        for (std::size_t next : edges_[node]) {
            if (state_[next] == 1)
                report_cycle(next);
            else if (state_[next] == 0)
                visit(next);
        }
        stack_.pop_back();
        state_[node] = 2; // done
    }

    void report_cycle(std::size_t start) {
        const auto from = std::find(stack_.begin(), stack_.end(), start);
        std::string message = std::string(path_) + ": dependency cycle ";
        for (auto it = from; it != stack_.end(); ++it)
            message += quoted(items_[*it].tpl.id) + " -> ";
        problems_.push_back(message + quoted(items_[start].tpl.id));
    }

    const std::vector<Item>& items_;
    std::string_view path_;
    bool strict_order_;
    Problems& problems_;
    std::map<std::string, std::size_t> index_;
    Edges edges_;
    std::vector<int> state_;
    std::vector<std::size_t> stack_;
};

} // namespace

std::vector<TaskTemplate> validate_task_templates(const json::array& items, std::string_view path,
                                                  bool strict_order, Problems& problems) {
    std::vector<Item> read;
    for (std::size_t i = 0; i < items.size(); ++i)
        read.push_back(read_item(items[i], index_path(path, i), problems));
    assign_default_ids(read);
    GraphCheck(read, path, strict_order, problems).run();
    std::vector<TaskTemplate> templates;
    for (auto& item : read)
        templates.push_back(std::move(item.tpl));
    return templates;
}

} // namespace omx::api
