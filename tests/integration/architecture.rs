//! The code map of ARCHITECTURE.md, held against the code (as
//! rust-analyzer's tidy tests hold theirs): every module's code outside its
//! tests names only the modules its row allows, and no modules import each
//! other in a circle.

#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// One row of the code map: the modules it is about, and the modules they
/// never import.
struct Row {
    modules: Vec<String>,
    never: Vec<String>,
}

/// The backticked names of a table cell, without `::*` and the words
/// around them.
fn names(cell: &str) -> Vec<String> {
    cell.split('`')
        .skip(1)
        .step_by(2)
        .map(|n| n.trim_end_matches("::*").to_string())
        .collect()
}

fn code_map() -> Vec<Row> {
    let text = std::fs::read_to_string(root().join("ARCHITECTURE.md")).unwrap();
    let section = text
        .split("## Code map")
        .nth(1)
        .expect("ARCHITECTURE.md has a Code map")
        .split("\n## ")
        .next()
        .unwrap();
    let mut rows = Vec::new();
    for line in section.lines().filter(|l| l.starts_with("| `")) {
        let cells: Vec<&str> = line.split(" | ").collect();
        assert_eq!(cells.len(), 4, "a code map row has four cells: {line}");
        rows.push(Row {
            modules: names(cells[0]),
            never: names(cells[3]),
        });
    }
    assert!(rows.len() > 20, "the code map has its rows");
    rows
}

/// Every `.rs` file under `src/` with its module path (`report::json`,
/// `findings`, `main`; the binary's `dispatch::…`).
fn modules() -> Vec<(String, PathBuf)> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    let src = root().join("src");
    let mut files = Vec::new();
    walk(&src, &mut files);
    files
        .into_iter()
        .filter_map(|p| {
            let rel = p.strip_prefix(&src).unwrap().with_extension("");
            let mut parts: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            if parts.last().is_some_and(|l| l == "mod") {
                parts.pop();
            }
            if parts == ["lib"] {
                return None;
            }
            Some((parts.join("::"), p))
        })
        .collect()
}

/// The code of a file outside its tests: up to its first `#[cfg(test)]`,
/// without comments.
fn code(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let body = text.split("#[cfg(test)]").next().unwrap();
    body.lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The module paths a file's code names: `crate::a::b` (in the binary,
/// `leakgate::a::b`), and each `a::b` of `crate::{a::b, c}`.
fn named(code: &str, prefix: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == ':')
            .collect::<String>()
            .trim_end_matches(':')
            .to_string()
    };
    for (i, _) in code.match_indices(prefix) {
        let before = code[..i].chars().last();
        if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
            continue;
        }
        let rest = &code[i + prefix.len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let group = group.split('}').next().unwrap_or("");
            for item in group.split(',') {
                let name = ident(item.trim());
                if !name.is_empty() {
                    out.insert(name);
                }
            }
        } else {
            let name = ident(rest);
            if !name.is_empty() {
                out.insert(name);
            }
        }
    }
    out
}

/// Whether module path `path` is `module` or inside it.
fn within(path: &str, module: &str) -> bool {
    path == module
        || path
            .strip_prefix(module)
            .is_some_and(|r| r.starts_with("::"))
}

/// The row of a module: the one naming the longest prefix of its path.
fn row_of<'r>(rows: &'r [Row], module: &str) -> Option<&'r Row> {
    rows.iter()
        .filter_map(|r| {
            r.modules
                .iter()
                .filter(|m| within(module, m))
                .map(|m| m.len())
                .max()
                .map(|len| (len, r))
        })
        .max_by_key(|(len, _)| *len)
        .map(|(_, r)| r)
}

fn top(path: &str) -> &str {
    path.split("::").next().unwrap()
}

#[test]
fn every_module_imports_only_what_the_code_map_allows() {
    let rows = code_map();
    let mut wrong = Vec::new();
    for (module, path) in modules() {
        let binary = module == "main" || within(&module, "dispatch");
        let prefix = if binary { "leakgate::" } else { "crate::" };
        let row = row_of(&rows, &module)
            .unwrap_or_else(|| panic!("ARCHITECTURE.md's code map has no row for `{module}`"));
        for name in named(&code(&path), prefix) {
            if within(&name, top(&module)) && !binary {
                continue;
            }
            if let Some(n) = row.never.iter().find(|n| within(&name, n)) {
                wrong.push(format!(
                    "{}: `{module}` names `{prefix}{name}`, but the code map says it never imports `{n}`",
                    path.strip_prefix(root()).unwrap().display()
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn no_modules_import_each_other_in_a_circle() {
    // Top-level modules of the library, and what each names.
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let library: BTreeSet<String> = modules()
        .iter()
        .map(|(m, _)| top(m).to_string())
        .filter(|m| m != "main" && m != "dispatch")
        .collect();
    for (module, path) in modules() {
        let from = top(&module).to_string();
        if !library.contains(&from) {
            continue;
        }
        let to: BTreeSet<String> = named(&code(&path), "crate::")
            .iter()
            .map(|n| top(n).to_string())
            .filter(|n| *n != from && library.contains(n))
            .collect();
        graph.entry(from).or_default().extend(to);
    }
    // A depth-first search for a path back to where it started.
    fn find(
        graph: &BTreeMap<String, BTreeSet<String>>,
        start: &str,
        at: &str,
        path: &mut Vec<String>,
        seen: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        for next in graph.get(at).into_iter().flatten() {
            if next == start {
                let mut c = path.clone();
                c.push(start.to_string());
                return Some(c);
            }
            if seen.insert(next.clone()) {
                path.push(next.clone());
                if let Some(c) = find(graph, start, next, path, seen) {
                    return Some(c);
                }
                path.pop();
            }
        }
        None
    }
    for m in graph.keys() {
        let mut path = vec![m.clone()];
        if let Some(circle) = find(&graph, m, m, &mut path, &mut BTreeSet::new()) {
            panic!(
                "modules import each other in a circle: {}",
                circle.join(" → ")
            );
        }
    }
}

/// The checks see what they must: a module that names a forbidden one is
/// caught, and `crate::{a, b::c}` groups are read.
#[test]
fn the_checks_read_paths_and_groups() {
    let code =
        "use crate::{findings::Leak, report};\nlet x = crate::verdict::judge(y);\nmycrate::nope();";
    let got = named(code, "crate::");
    assert_eq!(
        got.into_iter().collect::<Vec<_>>(),
        vec!["findings::Leak", "report", "verdict::judge"]
    );
    let rows = code_map();
    let report = row_of(&rows, "report::json").unwrap();
    assert!(report.never.iter().any(|n| n == "scan"));
    let text = row_of(&rows, "ingest::text::ci_log").unwrap();
    assert!(text.modules.iter().any(|m| m == "ingest::text"));
}
