//! Helpers for the unit tests.

use crate::findings::Findings;
use crate::ingest::FormatChoice;
use crate::paths::Repo;

/// The findings of a captured fixture (`tests/fixtures/<name>`), resolved
/// against this repository.
#[allow(clippy::unwrap_used)]
pub fn fixture_findings(name: &str) -> Findings {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let path = root.join("tests/fixtures").join(name);
    crate::collect(
        &[crate::Input::File(path)],
        FormatChoice::Auto,
        &Repo::discover(root),
    )
    .unwrap()
}
