// The rules of `git check-ref-format --branch`, applied to a string.
#include "team/core/git_ref.hpp"

#include <algorithm>

namespace omx::team {
namespace {

bool is_forbidden_char(char c) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return true; // ASCII control characters and DEL
    return std::string_view(" ~^:?*[\\").find(c) != std::string_view::npos;
}

// One '/'-separated component: not starting with '.', not ending with ".lock".
bool is_valid_component(std::string_view part) {
    return !part.empty() && !part.starts_with('.') && !part.ends_with(".lock");
}

bool all_components_valid(std::string_view name) {
    while (true) {
        const auto slash = name.find('/');
        if (!is_valid_component(name.substr(0, slash))) return false;
        if (slash == std::string_view::npos) return true;
        name.remove_prefix(slash + 1);
    }
}

} // namespace

bool is_valid_branch_ref(std::string_view name) {
    if (name.empty() || name == "@") return false;
    if (name.starts_with('-') || name.starts_with('/')) return false;
    if (name.ends_with('/') || name.ends_with('.')) return false;
    if (name.find("..") != std::string_view::npos) return false;
    if (name.find("//") != std::string_view::npos) return false;
    if (name.find("@{") != std::string_view::npos) return false;
    if (std::any_of(name.begin(), name.end(), is_forbidden_char)) return false;
    return all_components_valid(name);
}

bool is_full_commit_id(std::string_view id) {
    const auto is_hex = [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    };
    return id.size() == 40 && std::all_of(id.begin(), id.end(), is_hex);
}

bool is_portable_filename_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
}

} // namespace omx::team
