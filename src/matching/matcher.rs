//! Rules compiled to sets, so a goroutine is matched against every rule in
//! one pass per field rather than one regular expression per rule.
//!
//! For each field ([`Field`]) the patterns of all rules are split by kind:
//! exact values go to a hash map, globs to one [`globset::GlobSet`] and
//! regular expressions to one [`regex::RegexSet`]. A rule matches a
//! goroutine when every field it names matched; that is counted, not
//! re-tested. Lookups are memoized per distinct value, since the same
//! function names recur across thousands of goroutines.
//!
//! Crate choices: `globset` (ripgrep's) matches many globs against one
//! string simultaneously; `regex`'s `RegexSet` does the same for regular
//! expressions and runs in linear time, so a rule cannot make matching
//! backtrack catastrophically.

use std::collections::HashMap;

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use regex::{RegexSet, RegexSetBuilder};

use super::{Field, Pattern, PatternKind};

/// Largest compiled size of the regular expressions of one field (bytes).
pub const REGEX_SIZE_LIMIT: usize = 256 << 20;

/// Builds the glob for a pattern: `*` stays inside one path element for
/// fields that are paths or import paths (`**` crosses them), and matches
/// anything elsewhere.
pub fn glob(field: Field, text: &str) -> Result<globset::Glob, globset::Error> {
    GlobBuilder::new(text)
        .literal_separator(field.is_path())
        .build()
}

/// The regular expression written between the slashes of `/.../`.
pub fn regex_body(text: &str) -> &str {
    text.strip_prefix('/')
        .and_then(|t| t.strip_suffix('/'))
        .unwrap_or(text)
}

#[derive(Debug, Default)]
struct FieldSet {
    exact: HashMap<String, Vec<u32>>,
    globs: Option<GlobSet>,
    glob_rules: Vec<u32>,
    regexes: Option<RegexSet>,
    regex_rules: Vec<u32>,
}

impl FieldSet {
    fn is_empty(&self) -> bool {
        self.exact.is_empty() && self.glob_rules.is_empty() && self.regex_rules.is_empty()
    }

    /// Pushes the rules whose pattern for this field matches `value`
    /// (possibly twice: a glob also matches its own text exactly).
    fn matches_into(&self, value: &str, out: &mut Vec<u32>) {
        if let Some(rules) = self.exact.get(value) {
            out.extend_from_slice(rules);
        }
        if let Some(set) = &self.globs {
            for i in set.matches(value) {
                out.push(self.glob_rules[i]);
            }
        }
        if let Some(set) = &self.regexes {
            for i in set.matches(value).iter() {
                out.push(self.regex_rules[i]);
            }
        }
    }
}

/// Why the rules could not be compiled (validated patterns compile, so
/// this is a size limit or an internal inconsistency).
#[derive(Debug, thiserror::Error)]
pub enum CompileError {
    /// A glob set did not build.
    #[error("cannot compile the {field} globs: {source}")]
    Glob {
        /// The field.
        field: &'static str,
        /// The cause.
        source: globset::Error,
    },
    /// A regex set did not build.
    #[error("cannot compile the {field} regular expressions: {source}")]
    Regex {
        /// The field.
        field: &'static str,
        /// The cause.
        source: regex::Error,
    },
}

/// What a goroutine offers to match against.
#[derive(Debug, Clone, Copy, Default)]
pub struct Subject<'a> {
    /// The function on top of the stack.
    pub top_function: Option<&'a str>,
    /// Every function of the stack, top first.
    pub functions: &'a [crate::stack::Frame],
    /// The function that started it.
    pub created_by: Option<&'a str>,
    /// Import path of the package that reported it.
    pub package: Option<&'a str>,
    /// The test that reported it.
    pub test: Option<&'a str>,
    /// Its wait reason (`chan receive`, `select`, `IO wait`, …).
    pub state: Option<&'a str>,
    /// File of the `go` statement that started it (repository-relative
    /// when inside the repository).
    pub origin: Option<&'a str>,
}

/// Every rule's patterns, compiled.
#[derive(Debug, Default)]
pub struct Matcher {
    fields: Vec<(Field, FieldSet)>,
    /// Number of fields each rule names.
    need: Vec<u32>,
}

/// Scratch space for matching many goroutines: memoized lookups and
/// counters. One per evaluation.
#[derive(Debug, Default)]
pub struct Scratch {
    cache: HashMap<(Field, String), Vec<u32>>,
    subjects: HashMap<String, Vec<usize>>,
    counts: Vec<u32>,
    touched: Vec<u32>,
    buf: Vec<u32>,
}

impl Matcher {
    /// Compiles the patterns of every rule (`rules[i]` is rule `i`).
    pub fn new(rules: &[&[Pattern]]) -> Result<Matcher, CompileError> {
        let mut fields = Vec::new();
        for field in Field::ALL {
            let mut set = FieldSet::default();
            let mut globs = GlobSetBuilder::new();
            let mut regexes = Vec::new();
            for (r, patterns) in rules.iter().enumerate() {
                let r = r as u32;
                for p in patterns.iter().filter(|p| p.field == field) {
                    let body = p.body();
                    match p.kind {
                        PatternKind::Exact => {
                            set.exact.entry(body.to_string()).or_default().push(r)
                        }
                        PatternKind::Glob => {
                            let g = glob(field, body).map_err(|source| CompileError::Glob {
                                field: field.key(),
                                source,
                            })?;
                            globs.add(g);
                            set.glob_rules.push(r);
                            // Globs written the old way (without `glob:`)
                            // also matched their own text.
                            if p.implicit {
                                set.exact.entry(body.to_string()).or_default().push(r);
                            }
                        }
                        PatternKind::Regex => {
                            regexes.push(body.to_string());
                            set.regex_rules.push(r);
                        }
                    }
                }
            }
            if !set.glob_rules.is_empty() {
                set.globs = Some(globs.build().map_err(|source| CompileError::Glob {
                    field: field.key(),
                    source,
                })?);
            }
            if !regexes.is_empty() {
                set.regexes = Some(
                    RegexSetBuilder::new(&regexes)
                        .size_limit(REGEX_SIZE_LIMIT)
                        .dfa_size_limit(REGEX_SIZE_LIMIT)
                        .build()
                        .map_err(|source| CompileError::Regex {
                            field: field.key(),
                            source,
                        })?,
                );
            }
            if !set.is_empty() {
                fields.push((field, set));
            }
        }
        let need = rules
            .iter()
            .map(|patterns| {
                let mut fs: Vec<Field> = patterns.iter().map(|p| p.field).collect();
                fs.sort();
                fs.dedup();
                fs.len() as u32
            })
            .collect();
        Ok(Matcher { fields, need })
    }

    /// Number of rules.
    pub fn len(&self) -> usize {
        self.need.len()
    }

    /// Whether there is no rule.
    pub fn is_empty(&self) -> bool {
        self.need.is_empty()
    }

    fn lookup<'s>(
        &self,
        field: Field,
        set: &FieldSet,
        value: &str,
        scratch: &'s mut Scratch,
    ) -> &'s [u32] {
        // Two-step lookup: `HashMap::get` on a borrowed key would need the
        // tuple key owned, so probe with an owned key only on a miss.
        let key = (field, value.to_string());
        scratch.cache.entry(key).or_insert_with(|| {
            let mut out = Vec::new();
            set.matches_into(value, &mut out);
            out.sort_unstable();
            out.dedup();
            out
        })
    }

    /// The rules (indices, ascending) whose every pattern matches `s`.
    pub fn matching(&self, s: &Subject<'_>, scratch: &mut Scratch) -> Vec<usize> {
        if self.need.is_empty() {
            return Vec::new();
        }
        // Leaked goroutines repeat (fifty workers of one pool): the same
        // subject gets the same answer.
        let key = subject_key(s);
        if let Some(hit) = scratch.subjects.get(&key) {
            return hit.clone();
        }
        let out = self.matching_uncached(s, scratch);
        scratch.subjects.insert(key, out.clone());
        out
    }

    fn matching_uncached(&self, s: &Subject<'_>, scratch: &mut Scratch) -> Vec<usize> {
        if scratch.counts.len() < self.need.len() {
            scratch.counts.resize(self.need.len(), 0);
        }
        let mut touched = std::mem::take(&mut scratch.touched);
        let mut hits = std::mem::take(&mut scratch.buf);
        touched.clear();
        for (field, set) in &self.fields {
            hits.clear();
            match field {
                Field::AnyFunction => {
                    for f in s.functions {
                        hits.extend_from_slice(self.lookup(*field, set, &f.function, scratch));
                    }
                    hits.sort_unstable();
                    hits.dedup();
                }
                _ => {
                    let value = match field {
                        Field::TopFunction => s.top_function,
                        Field::CreatedBy => s.created_by,
                        Field::Package => s.package,
                        Field::Test => s.test,
                        Field::State => s.state,
                        Field::Origin => s.origin,
                        Field::AnyFunction => None,
                    };
                    if let Some(v) = value {
                        hits.extend_from_slice(self.lookup(*field, set, v, scratch));
                    }
                }
            }
            for &r in &hits {
                let c = &mut scratch.counts[r as usize];
                if *c == 0 {
                    touched.push(r);
                }
                *c += 1;
            }
        }
        let mut out = Vec::new();
        for &r in &touched {
            if scratch.counts[r as usize] == self.need[r as usize] {
                out.push(r as usize);
            }
            scratch.counts[r as usize] = 0;
        }
        out.sort_unstable();
        scratch.touched = touched;
        scratch.buf = hits;
        out
    }
}

/// Every value a rule can look at, joined by a separator that cannot
/// occur in them.
fn subject_key(s: &Subject<'_>) -> String {
    let mut key = String::new();
    for v in [
        s.top_function,
        s.created_by,
        s.package,
        s.test,
        s.state,
        s.origin,
    ] {
        key.push_str(v.unwrap_or("\u{1}"));
        key.push('\0');
    }
    for f in s.functions {
        key.push_str(&f.function);
        key.push('\0');
    }
    key
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::stack::Frame;

    fn pat(field: Field, text: &str) -> Pattern {
        Pattern::new(field, text)
    }

    fn frame(f: &str) -> Frame {
        Frame {
            function: f.to_string(),
            file: String::new(),
            line: 0,
            inlined: false,
        }
    }

    /// The reference: every rule, every pattern, one at a time.
    fn naive(rules: &[Vec<Pattern>], s: &Subject<'_>) -> Vec<usize> {
        let one = |p: &Pattern, v: &str| match p.kind {
            PatternKind::Exact => p.body() == v,
            PatternKind::Glob => {
                (p.implicit && p.body() == v)
                    || glob(p.field, p.body()).is_ok_and(|g| g.compile_matcher().is_match(v))
            }
            PatternKind::Regex => regex::Regex::new(p.body()).is_ok_and(|r| r.is_match(v)),
        };
        rules
            .iter()
            .enumerate()
            .filter(|(_, ps)| {
                ps.iter().all(|p| match p.field {
                    Field::AnyFunction => s.functions.iter().any(|f| one(p, &f.function)),
                    Field::TopFunction => s.top_function.is_some_and(|v| one(p, v)),
                    Field::CreatedBy => s.created_by.is_some_and(|v| one(p, v)),
                    Field::Package => s.package.is_some_and(|v| one(p, v)),
                    Field::Test => s.test.is_some_and(|v| one(p, v)),
                    Field::State => s.state.is_some_and(|v| one(p, v)),
                    Field::Origin => s.origin.is_some_and(|v| one(p, v)),
                })
            })
            .map(|(i, _)| i)
            .collect()
    }

    fn compile(rules: &[Vec<Pattern>]) -> Matcher {
        let refs: Vec<&[Pattern]> = rules.iter().map(|r| r.as_slice()).collect();
        Matcher::new(&refs).unwrap()
    }

    #[test]
    fn kinds_and_fields() {
        let rules = vec![
            vec![pat(
                Field::TopFunction,
                "go.opencensus.io/stats/view.(*worker).start",
            )],
            vec![
                pat(Field::CreatedBy, "glob:example.com/m/pool.*"),
                pat(Field::State, "select"),
            ],
            vec![pat(Field::Package, "glob:example.com/m/*")],
            vec![pat(Field::Package, "example.com/m/**")],
            vec![pat(Field::AnyFunction, "/^net/http\\./")],
            vec![pat(Field::Origin, "glob:internal/cache/*.go")],
            vec![pat(Field::TopFunction, "pkg.Map[...].Get")],
            vec![pat(Field::Test, "glob:TestX/*")],
            vec![pat(Field::CreatedBy, "exact:example.com/m/pool.*")],
        ];
        let m = compile(&rules);
        let frames = vec![
            frame("go.opencensus.io/stats/view.(*worker).start"),
            frame("net/http.(*conn).serve"),
        ];
        let s = Subject {
            top_function: Some("go.opencensus.io/stats/view.(*worker).start"),
            functions: &frames,
            created_by: Some("example.com/m/pool.New"),
            package: Some("example.com/m/a/b"),
            test: Some("TestX/sub/deeper"),
            state: Some("select"),
            origin: Some("internal/cache/sub/x.go"),
        };
        let mut scratch = Scratch::default();
        assert_eq!(m.matching(&s, &mut scratch), vec![0, 1, 3, 4, 7]);
        assert_eq!(m.matching(&s, &mut scratch), naive(&rules, &s));
        let s2 = Subject {
            top_function: Some("pkg.Map[...].Get"),
            package: Some("example.com/m/a"),
            origin: Some("internal/cache/x.go"),
            ..Subject::default()
        };
        assert_eq!(m.matching(&s2, &mut scratch), vec![2, 3, 5, 6]);
        assert_eq!(m.matching(&s2, &mut scratch), naive(&rules, &s2));
    }

    fn corpus(n_rules: usize, seed: u64) -> (Vec<Vec<Pattern>>, Vec<String>) {
        // A small deterministic generator (xorshift) keeps the test
        // reproducible without a dependency.
        let mut x = seed | 1;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let names: Vec<String> = (0..200)
            .map(|i| format!("example.com/m/p{}.(*T{}).run{}", i % 17, i % 23, i % 5))
            .collect();
        let mut rules = Vec::new();
        for _ in 0..n_rules {
            let mut ps = Vec::new();
            let fields = [
                Field::TopFunction,
                Field::CreatedBy,
                Field::Package,
                Field::State,
                Field::AnyFunction,
            ];
            let k = 1 + (next() % 2) as usize;
            for j in 0..k {
                let field = fields[(next() as usize + j) % fields.len()];
                if ps.iter().any(|p: &Pattern| p.field == field) {
                    continue;
                }
                let name = &names[(next() % names.len() as u64) as usize];
                let text = match (field, next() % 3) {
                    (Field::State, 0) => "select".to_string(),
                    (Field::State, _) => "/^chan/".to_string(),
                    (Field::Package, 0) => "example.com/m/*".to_string(),
                    (Field::Package, _) => format!("example.com/m/p{}", next() % 17),
                    (_, 0) => name.clone(),
                    (_, 1) if next() % 2 == 0 => format!("example.com/m/p{}.*", next() % 17),
                    (_, 1) => format!("glob:example.com/m/p{}.*", next() % 17),
                    _ => format!("/run{}$/", next() % 5),
                };
                ps.push(pat(field, &text));
            }
            rules.push(ps);
        }
        (rules, names)
    }

    #[test]
    fn sets_agree_with_the_naive_reference() {
        let (rules, names) = corpus(300, 0x5eed);
        let m = compile(&rules);
        let mut scratch = Scratch::default();
        let states = ["select", "chan receive", "chan send", "IO wait"];
        for (i, name) in names.iter().enumerate() {
            let frames = vec![frame(name), frame(&names[(i * 7) % names.len()])];
            let s = Subject {
                top_function: Some(name),
                functions: &frames,
                created_by: Some(&names[(i * 3) % names.len()]),
                package: Some(crate::stack::function_package(name)),
                test: None,
                state: Some(states[i % states.len()]),
                origin: None,
            };
            assert_eq!(
                m.matching(&s, &mut scratch),
                naive(&rules, &s),
                "goroutine {i}: {name}"
            );
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 12, ..Default::default() })]
        /// Any corpus of rules and goroutines: the compiled sets answer
        /// what checking every rule one by one answers.
        #[test]
        fn sets_agree_with_the_naive_reference_for_any_corpus(seed in proptest::prelude::any::<u64>(), n in 1usize..40) {
            let (rules, names) = corpus(n, seed);
            let m = compile(&rules);
            let mut scratch = Scratch::default();
            let states = ["select", "chan receive", "chan send", "IO wait"];
            for (i, name) in names.iter().enumerate().take(60) {
                let frames = vec![frame(name), frame(&names[(i * 7) % names.len()])];
                let s = Subject {
                    top_function: Some(name),
                    functions: &frames,
                    created_by: Some(&names[(i * 3) % names.len()]),
                    package: Some(crate::stack::function_package(name)),
                    test: if i % 2 == 0 { Some("TestX/sub") } else { None },
                    state: Some(states[i % states.len()]),
                    origin: None,
                };
                proptest::prop_assert_eq!(m.matching(&s, &mut scratch), naive(&rules, &s));
            }
        }
    }

    /// `cargo test --release --lib many_rules -- --ignored --nocapture`:
    /// 10,000 rules against 100,000 goroutines. Rules are shaped like real
    /// policies (mostly baseline rules on top function and creator, some
    /// globs, regular expressions and package rules); goroutines repeat as
    /// in real runs (5,000 distinct stacks), and a second pass with every
    /// goroutine distinct measures the uncached path.
    #[test]
    #[ignore]
    #[allow(clippy::print_stderr)]
    fn many_rules_many_goroutines() {
        let funcs: Vec<String> = (0..20_000)
            .map(|i| format!("example.com/m/p{}.(*T{}).run{}", i % 97, i % 31, i))
            .collect();
        let creators: Vec<String> = (0..20_000)
            .map(|i| format!("example.com/m/p{}.Start{}", i % 97, i))
            .collect();
        let mut rules = Vec::new();
        for i in 0..10_000usize {
            let j = (i * 7919) % funcs.len();
            rules.push(match i % 10 {
                0..=5 => vec![
                    pat(Field::TopFunction, &funcs[j]),
                    pat(Field::CreatedBy, &creators[j]),
                ],
                6 => vec![pat(Field::TopFunction, &funcs[j])],
                7 => vec![pat(
                    Field::CreatedBy,
                    &format!("example.com/m/p{}.Start{}*", i % 97, i % 100),
                )],
                8 => vec![pat(Field::AnyFunction, &format!("/run{}$/", j))],
                _ => vec![
                    pat(Field::Package, &format!("example.com/m/p{}/**", i % 97)),
                    pat(Field::State, if i % 2 == 0 { "select" } else { "/^chan/" }),
                ],
            });
        }
        let t = std::time::Instant::now();
        let m = compile(&rules);
        let compiled = t.elapsed();
        let states = ["select", "chan receive", "IO wait"];
        let run = |distinct: usize| {
            let mut scratch = Scratch::default();
            let mut total = 0usize;
            let t = std::time::Instant::now();
            for i in 0..100_000usize {
                let k = (i % distinct) % funcs.len();
                let frames = vec![frame(&funcs[k]), frame(&funcs[(k + 1) % funcs.len()])];
                let s = Subject {
                    top_function: Some(&funcs[k]),
                    functions: &frames,
                    created_by: Some(&creators[k]),
                    package: Some(crate::stack::function_package(&funcs[k])),
                    test: None,
                    state: Some(states[i % distinct % 3]),
                    origin: None,
                };
                total += m.matching(&s, &mut scratch).len();
            }
            (t.elapsed(), total)
        };
        let (repeated, total) = run(5_000);
        let (distinct, total_distinct) = run(100_000);
        eprintln!(
            "compile {compiled:?}; 100,000 goroutines: {repeated:?} (5,000 distinct, {total} rule matches), {distinct:?} (all distinct, {total_distinct} rule matches)"
        );
        assert!(total > 0);
        assert!(repeated.as_secs_f64() < 1.0, "matching took {repeated:?}");
    }
}
